"""Build the Asterisk root once with mmdebstrap and reuse it.

The root is cached outside the repository (the user's cache folder by default). A marker
file records what was installed; a root without it is incomplete and is rebuilt.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from hotline.settings import Settings

log = logging.getLogger(__name__)

PACKAGES = (
    "asterisk",
    "asterisk-modules",
    "asterisk-core-sounds-en-gsm",
    "asterisk-moh-opsound-gsm",
    "ca-certificates",
)
MARKER = ".hotline-provisioned"


class ProvisionError(RuntimeError):
    """The Asterisk root could not be built."""


def marker_text(settings: Settings) -> str:
    return f"suite={settings.asterisk_suite}\npackages={','.join(PACKAGES)}\n"


def is_provisioned(settings: Settings) -> bool:
    marker = settings.asterisk_root / MARKER
    return marker.is_file() and marker.read_text() == marker_text(settings)


def ensure_host_tools(tools: dict[str, str] | None = None) -> None:
    """Install the Debian packages that provide missing host tools (needs root)."""
    tools = tools or {"mmdebstrap": "mmdebstrap"}
    missing = sorted({pkg for cmd, pkg in tools.items() if shutil.which(cmd) is None})
    if not missing:
        return
    log.info("installing Debian packages %s", " ".join(missing))
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=True, env=env)


def build_command(settings: Settings, target: Path) -> list[str]:
    """The mmdebstrap command line that builds the root into *target*."""
    return [
        "mmdebstrap",
        "--variant=apt",
        "--aptopt=Acquire::Check-Valid-Until \"false\"",
        "--include=" + ",".join(PACKAGES),
        settings.asterisk_suite,
        str(target),
        settings.asterisk_mirror,
    ]


def provision(settings: Settings, *, force: bool = False) -> Path:
    """Build the root unless a complete one is cached; return its path."""
    root = settings.asterisk_root
    if is_provisioned(settings) and not force:
        log.info("Asterisk root already provisioned at %s", root)
        return root
    ensure_host_tools()
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = root.with_name(root.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    log.info("building the Asterisk root with mmdebstrap (%s)", settings.asterisk_suite)
    result = subprocess.run(build_command(settings, tmp), capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ProvisionError(f"mmdebstrap failed:\n{result.stderr[-4000:]}")
    (tmp / MARKER).write_text(marker_text(settings))
    if root.exists():
        shutil.rmtree(root)
    tmp.rename(root)
    return root


def asterisk_version(settings: Settings) -> str | None:
    """`asterisk -V` inside the root, or None when the root is missing."""
    if not (settings.asterisk_root / "usr/sbin/asterisk").exists():
        return None
    out = subprocess.run(
        ["chroot", str(settings.asterisk_root), "/usr/sbin/asterisk", "-V"],
        capture_output=True, text=True,
    )
    return out.stdout.strip() or None
