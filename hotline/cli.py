"""`hotline`: the product's command line (the composition root's front door)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys

import click

from hotline.settings import Settings, load_settings

log = logging.getLogger("hotline")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Hotline: a contact-centre engine for a national citizens' hotline on Asterisk."""
    _setup_logging(verbose)
    ctx.obj = load_settings()


pass_settings = click.make_pass_decorator(Settings)


# --------------------------------------------------------------------------- config
@main.group()
def config() -> None:
    """Inspect the effective settings."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_settings
def config_show(settings: Settings, as_json: bool) -> None:
    """Print the effective settings with secrets masked."""
    data = settings.masked()
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    for key in sorted(data):
        click.echo(f"{key} = {data[key]}")


# --------------------------------------------------------------------------- database
@main.group()
def db() -> None:
    """The appeal store's schema."""


@db.command("upgrade")
@click.option("--revision", default="head")
@pass_settings
def db_upgrade(settings: Settings, revision: str) -> None:
    """Apply the Alembic migrations to the configured database."""
    from appeal_store.migrate import current, upgrade

    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url, revision)
    click.echo(f"database at revision {current(settings.effective_database_url)}")


@db.command("seed")
@pass_settings
def db_seed(settings: Settings) -> None:
    """Load the shipped reference data (regions, bodies, topics, rules)."""
    from hotline.bootstrap import seed_reference_data

    counts = seed_reference_data(settings)
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


# --------------------------------------------------------------------------- asterisk
@main.group()
def asterisk() -> None:
    """The Asterisk sandbox (a chrooted Debian sid root with Asterisk 22)."""


@asterisk.command("provision")
@click.option("--force", is_flag=True, help="Rebuild even if a root is cached.")
@pass_settings
def asterisk_provision(settings: Settings, force: bool) -> None:
    """Build the Asterisk root once with mmdebstrap (cached outside the repository)."""
    from hotline.asterisk_sandbox.provision import asterisk_version, provision

    root = provision(settings, force=force)
    click.echo(f"{asterisk_version(settings)} in {root}")


@asterisk.command("start")
@pass_settings
def asterisk_start(settings: Settings) -> None:
    """Render the configuration and start Asterisk; wait until AMI and ARI answer."""
    from hotline.bootstrap import start_asterisk

    pid = start_asterisk(settings)
    click.echo(f"Asterisk {settings.asterisk_instance} running, pid {pid}")


@asterisk.command("render")
@click.option("--out", type=click.Path(file_okay=False), required=True,
              help="Folder to write the configuration into (production hosts, containers).")
@pass_settings
def asterisk_render(settings: Settings, out: str) -> None:
    """Render Asterisk's configuration for a normal (not chrooted) Asterisk host."""
    from pathlib import Path

    from hotline.asterisk_sandbox.render import render_all
    from hotline.bootstrap import operator_endpoints, queue_specs

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    files = render_all(
        settings, operators=operator_endpoints(settings), queues=queue_specs(),
        module_path="/usr/lib/x86_64-linux-gnu/asterisk/modules",
    )
    for name, text in files.items():
        (folder / name).write_text(text)
    click.echo(f"{len(files)} files in {folder}")


@asterisk.command("stop")
@pass_settings
def asterisk_stop(settings: Settings) -> None:
    """Stop the Asterisk this tool started (by its pid)."""
    from hotline.asterisk_sandbox.process import stop

    click.echo("stopped" if stop(settings) else "not running")


@asterisk.command("status")
@pass_settings
def asterisk_status(settings: Settings) -> None:
    """Versions and health of the sandbox."""
    from hotline.asterisk_sandbox.process import status

    health = status(settings)
    click.echo(
        f"version: {health.version or 'not provisioned'}\n"
        f"running: {health.running} (pid {health.pid})\n"
        f"AMI {settings.ami_host}:{settings.ami_port}: {'up' if health.ami else 'down'}\n"
        f"ARI {settings.ari_host}:{settings.ari_port}: {'up' if health.ari else 'down'}"
    )
    sys.exit(0 if health.running else 3)


@asterisk.command("cli", context_settings={"ignore_unknown_options": True})
@click.argument("command", nargs=-1)
@pass_settings
def asterisk_cli(settings: Settings, command: tuple[str, ...]) -> None:
    """Asterisk's console on the running instance; with arguments, run one command."""
    import os

    from hotline.asterisk_sandbox.process import cli_command

    argv = cli_command(settings, " ".join(command) if command else None)
    os.execvp(argv[0], argv)


# --------------------------------------------------------------------------- services
@main.command("agi")
@pass_settings
def agi_serve(settings: Settings) -> None:
    """Run the FastAGI server (the IVR) on the configured loopback port."""
    from hotline.services import run_agi

    asyncio.run(run_agi(settings))


@main.command("ari")
@pass_settings
def ari_serve(settings: Settings) -> None:
    """Run the ARI (Stasis) app: voice appeals and call backs."""
    from hotline.services import run_ari

    asyncio.run(run_ari(settings))


@main.command("ami")
@pass_settings
def ami_serve(settings: Settings) -> None:
    """Run the AMI consumer: queue and agent events into the database and Redis."""
    from hotline.services import run_ami

    asyncio.run(run_ami(settings))


@main.command("console")
@pass_settings
def console_serve(settings: Settings) -> None:
    """Run the web console (operators, supervisors, QA, state bodies, admins)."""
    from hotline.services import run_console

    run_console(settings)


@main.command("worker")
@click.option("--processes", default=1, show_default=True)
@click.option("--threads", default=1, show_default=True)
@pass_settings
def worker(settings: Settings, processes: int, threads: int) -> None:
    """Run transcription workers (Dramatiq over Redis)."""
    from hotline.services import run_worker

    sys.exit(run_worker(settings, processes=processes, threads=threads))


@main.command("up")
@click.option("--detach", is_flag=True, help="Start in the background and return.")
@pass_settings
def up(settings: Settings, detach: bool) -> None:
    """Run the whole hotline on this machine: Asterisk, IVR, ARI, AMI, console, worker."""
    from hotline.runner import run_stack

    sys.exit(run_stack(settings, detach=detach))


@main.command("down")
@pass_settings
def down(settings: Settings) -> None:
    """Stop a stack started with `hotline up --detach`."""
    from hotline.runner import stop_stack

    click.echo(f"stopped {stop_stack(settings)} processes")


# --------------------------------------------------------------------------- media
@main.group()
def prompts() -> None:
    """IVR prompts."""


@prompts.command("build")
@click.option("--out", type=click.Path(), default=None, help="Output folder.")
@pass_settings
def prompts_build(settings: Settings, out: str | None) -> None:
    """Speak the prompt catalogue with espeak-ng into 8 kHz files Asterisk plays."""
    from pathlib import Path

    from hotline.bootstrap import build_prompts

    report = build_prompts(settings, Path(out) if out else None)
    click.echo(str(report))


@main.group("recordings")
def recordings_group() -> None:
    """Recordings: retention."""


@recordings_group.command("purge")
@click.option("--days", type=int, default=None, help="Retention in days (default: the setting).")
@pass_settings
def recordings_purge(settings: Settings, days: int | None) -> None:
    """Destroy recordings older than the retention period, each with an audit record."""
    import datetime as dt

    from appeal_store.retention import purge_recordings
    from hotline.bootstrap import session_factory

    report = purge_recordings(
        session_factory(settings), dt.datetime.now(dt.UTC),
        days or settings.recording_retention_days,
        recordings_dir=settings.effective_recordings_dir,
    )
    click.echo(
        f"cutoff {report.cutoff:%Y-%m-%d}: purged {len(report.purged)}, "
        f"files already gone {len(report.missing_files)}, kept on error {len(report.failed)}"
    )
    if report.failed:
        sys.exit(1)


def _attach_optional_commands() -> None:
    """Commands owned by other packages (attached if importable)."""
    try:
        from recordings.cli import transcribe
    except ImportError as exc:  # pragma: no cover - only while a package is missing
        log.debug("transcribe command unavailable: %s", exc)
        return
    main.add_command(transcribe)


_attach_optional_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
