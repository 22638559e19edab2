"""YAML loading that refuses duplicate keys (PyYAML silently keeps the last one)."""

from __future__ import annotations

from typing import Any

import yaml


class StrictYamlError(ValueError):
    """The text is not valid YAML, or a mapping repeats a key."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader whose mappings refuse a key given twice."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        # menu digits may be written as 1 or "1": both mean the key "1"
        norm = str(key) if isinstance(key, int | str) else key
        if norm in seen:
            line = key_node.start_mark.line + 1
            raise StrictYamlError(f"duplicate key {norm!r} at line {line}")
        seen[norm] = key_node
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def load_yaml(text: str, source: str = "<yaml>") -> Any:
    """Parse YAML text safely; duplicate keys and syntax errors raise StrictYamlError."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: safe
    except StrictYamlError as exc:
        raise StrictYamlError(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        raise StrictYamlError(f"{source}: invalid YAML: {exc}") from None
