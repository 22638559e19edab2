"""Hotline: the composition root (settings, CLI, process runner)."""

__version__ = "0.1.0"
