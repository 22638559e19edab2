"""Build the Asterisk root once with mmdebstrap and reuse it.

The root is cached outside the repository (the user's cache folder by default). A marker
file records what was installed; a root without it is incomplete and is rebuilt.
"""

from __future__ import annotations

import logging
import os
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


PRIVATE_ID_START = 61545  # far from the uids Debian hands out to host services


def _host_id_taken(uid: int, gid: int) -> bool:
    import grp
    import pwd

    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        pass
    try:
        grp.getgrgid(gid)
        return True
    except KeyError:
        return False


def _rewrite_id(path: Path, name: str, field: int, new: int) -> int | None:
    """Set field *field* of entry *name* in a passwd/group file; return the old value."""
    lines = path.read_text().splitlines()
    old = None
    for i, line in enumerate(lines):
        parts = line.split(":")
        if parts[0] == name:
            old = int(parts[field])
            parts[field] = str(new)
            if path.name == "passwd":
                parts[3] = str(new)  # primary group follows
            lines[i] = ":".join(parts)
    path.write_text("\n".join(lines) + "\n")
    return old


def ensure_private_ids(root: Path) -> tuple[int, int]:
    """Give the root's `asterisk` user a uid/gid no host account has.

    Debian's package picks a low system uid (101) that on the host may belong to another
    service (PostgreSQL, say); a chrooted Asterisk under that uid could signal the host's
    processes of that user. Idempotent; returns the (uid, gid) in force.
    """
    from hotline.asterisk_sandbox.render import asterisk_ids

    uid, gid = asterisk_ids(root)
    if uid >= PRIVATE_ID_START and not _host_id_taken(uid, gid):
        return uid, gid
    new = PRIVATE_ID_START
    while _host_id_taken(new, new):
        new += 1
    old_uid = _rewrite_id(root / "etc/passwd", "asterisk", 2, new)
    old_gid = _rewrite_id(root / "etc/group", "asterisk", 2, new)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if st.st_uid == old_uid or st.st_gid == old_gid:
                os.lchown(p, new if st.st_uid == old_uid else -1,
                          new if st.st_gid == old_gid else -1)
    log.info("asterisk user in the root moved from %s:%s to %s:%s", old_uid, old_gid, new, new)
    return new, new


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
        ensure_private_ids(root)
        return root
    ensure_host_tools()
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = root.with_name(root.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    log.info("building the Asterisk root with mmdebstrap (%s)", settings.asterisk_suite)
    result = subprocess.run(build_command(settings, tmp), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ProvisionError(f"mmdebstrap failed:\n{result.stderr[-4000:]}")
    ensure_private_ids(tmp)
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
        capture_output=True, text=True, check=False,
    )
    return out.stdout.strip() or None
