"""Click commands of this area; the main ``hotline`` group attaches them.

- ``transcribe FILE...``: offline transcription with N processes, one JSON per file;
- ``transcription-worker``: a queue worker (one per core, any machine).

Standalone: ``python -m recordings.cli transcribe call.wav``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from .audio import DEFAULT_MAX_SECONDS

_model_option = click.option(
    "--model", "model_path", envvar="HOTLINE_VOSK_MODEL_PATH", type=click.Path(path_type=Path),
    default=None, help="Vosk model folder (default: $HOTLINE_VOSK_MODEL_PATH).",
)
_max_option = click.option(
    "--max-seconds", type=float, default=DEFAULT_MAX_SECONDS, show_default=True,
    envvar="HOTLINE_TRANSCRIPTION_MAX_SECONDS", help="Refuse recordings longer than this.",
)


@click.command("transcribe")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_model_option
@click.option("-j", "--processes", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Parallel worker processes (one model each).")
@click.option("-o", "--out-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("transcripts"), show_default=True, help="Where the JSON files go.")
@_max_option
def transcribe(files: tuple[Path, ...], model_path: Path | None, processes: int,
               out_dir: Path, max_seconds: float) -> None:
    """Transcribe audio FILEs (any format Asterisk writes) to JSON with Vosk.

    Розпізнати аудіофайли (будь-який формат Asterisk) у JSON за допомогою Vosk.
    """
    from .batch import transcribe_files

    results = transcribe_files(files, model_path, processes, out_dir, max_seconds=max_seconds)
    failed = 0
    for result in results:
        if result["status"] == "done":
            click.echo(f"{result['file']}: {result['text']}")
        else:
            failed += 1
            click.echo(f"{result['file']}: {result['status']}: {result['error']}", err=True)
    click.echo(f"{len(results) - failed} done, {failed} not transcribed; JSON in {out_dir}",
               err=True)
    if failed:
        sys.exit(1)


@click.command("transcription-worker")
@click.option("--redis-url", envvar="HOTLINE_REDIS_URL", default="redis://127.0.0.1:6379/0",
              show_default=True)
@click.option("--database-url", envvar="HOTLINE_DATABASE_URL", required=True)
@_model_option
@click.option("--threads", type=click.IntRange(1, 16), default=1, show_default=True)
@_max_option
@click.option("--heartbeat-timeout-ms", type=int, default=60_000, show_default=True,
              help="A worker silent this long is dead; its jobs go to another worker.")
@click.option("--maintenance-chance", type=int, default=10_000, show_default=True,
              help="Queue maintenance (requeue of dead workers' jobs) per million commands.")
@click.option("--namespace", default="hotline", show_default=True,
              help="Prefix of the queue's Redis keys (producers must use the same).")
@click.option("--min-backoff-ms", type=int, default=15_000, show_default=True)
@click.option("--max-retries", type=int, default=8, show_default=True)
def transcription_worker(redis_url: str, database_url: str, model_path: Path | None,
                         threads: int, max_seconds: float, heartbeat_timeout_ms: int,
                         maintenance_chance: int, namespace: str, min_backoff_ms: int,
                         max_retries: int) -> None:
    """Run a transcription worker until SIGTERM.

    Запустити обробник черги розпізнавання (до SIGTERM).
    """
    from .jobs import QueueOptions
    from .runner import WorkerConfig, run_worker

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    queue = QueueOptions(namespace=namespace, heartbeat_timeout_ms=heartbeat_timeout_ms,
                         maintenance_chance=maintenance_chance,
                         min_backoff_ms=min_backoff_ms, max_retries=max_retries)
    run_worker(WorkerConfig(redis_url=redis_url, database_url=database_url,
                            model_path=model_path, threads=threads, max_seconds=max_seconds,
                            queue=queue))


@click.group()
def main() -> None:
    """Recordings and transcription (standalone entry; `hotline` attaches the commands)."""


main.add_command(transcribe)
main.add_command(transcription_worker)

if __name__ == "__main__":
    main()
