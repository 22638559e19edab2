"""Render asterisk-conf/ and dialplan/ templates with the settings (pure, no I/O but reads).

`render_all` returns {file name: text}; `write_config` places the files where the chrooted
Asterisk reads them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from hotline.settings import PROJECT_ROOT, Settings

CONF_DIR = PROJECT_ROOT / "asterisk-conf"
DIALPLAN_DIR = PROJECT_ROOT / "dialplan"

PRELOAD_MODULES = ("res_sorcery_config", "res_sorcery_memory", "res_sorcery_astdb")
MODULES = (
    # SIP and media
    "res_pjproject", "res_pjsip", "res_pjsip_session", "chan_pjsip", "res_rtp_asterisk",
    "res_pjsip_authenticator_digest", "res_pjsip_outbound_authenticator_digest",
    "res_pjsip_endpoint_identifier_ip", "res_pjsip_endpoint_identifier_user",
    "res_pjsip_registrar", "res_pjsip_sdp_rtp", "res_pjsip_caller_id", "res_pjsip_nat",
    "res_pjsip_dtmf_info", "res_pjsip_header_funcs", "res_pjsip_rfc3326", "res_pjsip_refer",
    "res_pjsip_pubsub", "res_pjsip_diversion", "res_pjsip_logger", "res_pjsip_acl",
    "res_pjsip_dlg_options", "res_pjsip_notify",
    "res_timing_timerfd", "codec_ulaw", "codec_alaw", "codec_gsm", "codec_a_mu",
    "codec_resample", "format_wav", "format_gsm", "format_pcm", "format_sln", "format_wav_gsm",
    # call flow
    "pbx_config", "app_dial", "app_playback", "app_queue", "app_mixmonitor", "app_record",
    "app_stack", "app_verbose", "app_echo", "app_read", "app_senddtmf", "app_chanspy",
    "app_exec", "app_originate", "app_transfer", "app_milliwatt", "app_waituntil",
    "app_playtones", "app_userevent", "app_softhangup", "app_channelredirect",
    "app_blind_transfer", "app_attended_transfer", "app_waitforsilence", "app_db",
    "app_sayunixtime", "app_controlplayback",
    "bridge_simple", "bridge_native_rtp", "bridge_softmix", "bridge_holding",
    "bridge_builtin_features", "bridge_builtin_interval_features",
    "func_callerid", "func_strings", "func_logic", "func_channel", "func_cut", "func_global",
    "func_math", "func_timeout", "func_uri", "func_db", "func_sprintf", "func_hangupcause",
    "func_devstate", "func_pjsip_endpoint", "func_pjsip_contact", "func_env", "func_rand",
    "func_uuid", "func_sayfiles", "func_dialplan", "func_groupcount",
    "res_speech", "res_musiconhold", "res_agi", "res_clioriginate", "res_manager_devicestate",
    "res_limit", "res_mutestream",
    # ARI
    "res_http_websocket", "res_websocket_client", "res_stasis", "res_stasis_answer", "res_stasis_playback",
    "res_stasis_recording", "res_stasis_snoop", "res_stasis_device_state", "app_stasis",
    "res_ari", "res_ari_model", "res_ari_applications", "res_ari_asterisk", "res_ari_bridges",
    "res_ari_channels", "res_ari_device_states", "res_ari_endpoints", "res_ari_events",
    "res_ari_playbacks", "res_ari_recordings", "res_ari_sounds",
)


@dataclass(frozen=True)
class OperatorEndpoint:
    """An operator's SIP endpoint (softphone or desk phone)."""

    endpoint: str
    secret: str
    display_name: str = ""
    static_contact: str | None = None


@dataclass(frozen=True)
class QueueSpec:
    """A call queue rendered into queues.conf and the queue dialplan.

    ``max_waiting`` (callers already waiting) and ``max_wait_seconds`` (one caller's wait)
    are overflow thresholds (0: none); past them new callers go to ``overflow_to`` (another
    queue, ``voice_appeal`` or ``callback``; empty: they stay). ``announce_frequency``:
    seconds between position and wait announcements; ``periodic_announce_frequency``:
    seconds between reminders of the * key (0: none). ``language`` is the operators'
    language; announcements follow the caller's CHANNEL(language) (docs/CALLFLOW.md).
    """

    name: str
    strategy: str = "rrmemory"
    wrapuptime: int = 5
    announce_frequency: int = 45
    extra: Mapping[str, str] = field(default_factory=dict)
    language: str = "uk"
    ring_timeout: int = 15
    max_waiting: int = 0
    max_wait_seconds: int = 0
    overflow_to: str = ""
    periodic_announce_frequency: int = 30


DEFAULT_QUEUES = (QueueSpec("common"), QueueSpec("consult"), QueueSpec("priority"))


def module_dir(root: Path) -> str:
    """Where the root keeps Asterisk's modules, as the chroot sees it."""
    found = sorted(root.glob("usr/lib/*/asterisk/modules"))
    if not found:
        return "/usr/lib/asterisk/modules"
    return "/" + str(found[0].relative_to(root))


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader([str(CONF_DIR), str(DIALPLAN_DIR)]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render_all(
    settings: Settings,
    *,
    operators: Iterable[OperatorEndpoint] = (),
    queues: Iterable[QueueSpec] = DEFAULT_QUEUES,
    module_path: str | None = None,
) -> dict[str, str]:
    """Every Asterisk configuration file as text, keyed by its file name."""
    env = _environment()
    inst = settings.instance_dir_in_chroot
    context = {
        "s": settings,
        "inst": inst,
        "module_dir": module_path or module_dir(settings.asterisk_root),
        "preload": PRELOAD_MODULES,
        "modules": MODULES,
        "operators": list(operators),
        "queues": [q.__dict__ | dict(q.extra) for q in queues],
        "recordings_dir": f"{inst}/recordings",
        "sounds_dir": f"{inst}/sounds",
    }
    out: dict[str, str] = {}
    for template_dir in (CONF_DIR, DIALPLAN_DIR):
        for path in sorted(template_dir.glob("*.j2")):
            out[path.name.removesuffix(".j2")] = env.get_template(path.name).render(context)
    return out


# Stock files of the Debian package copied as they are (tones of the telephone network etc.).
STOCK_FILES = (
    "indications.conf", "udptl.conf", "acl.conf", "pjproject.conf", "cel.conf", "ccss.conf",
    "pjsip_notify.conf", "websocket_client.conf",
)

INSTANCE_SUBDIRS = (
    "etc", "run", "log", "spool", "spool/recording", "spool/monitor", "lib", "recordings", "sounds",
)


def asterisk_ids(root: Path) -> tuple[int, int]:
    """uid and gid of the `asterisk` user inside the root."""
    uid = gid = None
    for line in (root / "etc/passwd").read_text().splitlines():
        parts = line.split(":")
        if parts[0] == "asterisk":
            uid, gid = int(parts[2]), int(parts[3])
    if uid is None or gid is None:
        raise RuntimeError(f"no asterisk user in {root}/etc/passwd")
    return uid, gid


def write_config(settings: Settings, files: Mapping[str, str]) -> Path:
    """Write rendered files into the instance's etc/ and prepare its folders."""
    inst = settings.instance_dir
    uid, gid = asterisk_ids(settings.asterisk_root)
    for sub in INSTANCE_SUBDIRS:
        (inst / sub).mkdir(parents=True, exist_ok=True)
        os.chown(inst / sub, uid, gid)
    etc = inst / "etc"
    files = dict(files)
    for name in STOCK_FILES:
        stock = settings.asterisk_root / "etc/asterisk" / name
        if name not in files and stock.is_file():
            files[name] = stock.read_text()
    for old in etc.glob("*.conf"):
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        target = etc / name
        target.write_text(text)
        os.chown(target, 0, gid)
        target.chmod(0o640)
    for sub in ("spool", "lib", "recordings", "sounds"):
        for p in (inst / sub).rglob("*"):
            os.chown(p, uid, gid)
    return etc
