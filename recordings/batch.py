"""Offline transcription of many files in parallel processes, one JSON result per file."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from .audio import DEFAULT_MAX_SECONDS, AudioError, decode
from .transcriber import NoModelError, Transcriber

log = logging.getLogger(__name__)

# One transcriber per worker process, set by the pool initializer.
_process_transcriber: Transcriber | None = None


def peak_rss_mb() -> float | None:
    """This process's peak resident memory (VmHWM) in MiB, where /proc tells it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _init(model_path: str | None) -> None:
    global _process_transcriber
    _process_transcriber = Transcriber(model_path)
    if _process_transcriber.available:
        _process_transcriber.load()


def transcribe_one(path: str, out_file: str, max_seconds: float) -> dict[str, Any]:
    """Transcribe one file in a pool process and write its JSON; never raises for bad audio."""
    transcriber = _process_transcriber or Transcriber(None)
    started, cpu_started = time.perf_counter(), time.process_time()
    result: dict[str, Any] = {"file": path, "json": out_file, "model": transcriber.model_name,
                              "language": transcriber.language, "text": "", "words": [],
                              "duration": None, "error": None}
    try:
        pcm = decode(path, transcriber.sample_rate, max_seconds=max_seconds)
        result["duration"] = round(pcm.duration, 3)
        transcript = transcriber.transcribe(pcm.data, pcm.rate)
        result.update(status="done", text=transcript.text, words=transcript.words)
    except AudioError as exc:
        result.update(status="failed", error=str(exc))
    except NoModelError as exc:
        result.update(status="no_model", error=str(exc))
    elapsed = time.perf_counter() - started
    result["seconds"] = round(elapsed, 3)
    result["cpu_seconds"] = round(time.process_time() - cpu_started, 3)
    result["rtf"] = round(elapsed / result["duration"], 4) if result["duration"] else None
    result["pid"] = os.getpid()
    result["peak_rss_mb"] = peak_rss_mb()
    Path(out_file).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return result


def output_names(paths: Sequence[Path], out_dir: Path) -> list[Path]:
    """``<name>.json`` per input in ``out_dir``; repeated names get ``-2``, ``-3`` …"""
    seen: dict[str, int] = {}
    names = []
    for path in paths:
        base = path.name
        count = seen[base] = seen.get(base, 0) + 1
        names.append(out_dir / (f"{base}.json" if count == 1 else f"{base}-{count}.json"))
    return names


def transcribe_files(
    paths: Sequence[str | Path],
    model_path: str | Path | None,
    processes: int,
    out_dir: str | Path,
    *,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Transcribe ``paths`` with ``processes`` worker processes; results in input order.

    Each worker process loads the model once. Each result (also written as JSON to
    ``out_dir``) has ``file``, ``status`` (done|failed|no_model), ``text``, ``words``,
    ``duration``, ``error``, ``seconds`` (wall), ``cpu_seconds``, ``rtf`` (wall / audio),
    ``pid``, ``peak_rss_mb``.
    """
    from tqdm import tqdm

    files = [Path(p) for p in paths]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    targets = output_names(files, out)
    results: list[dict[str, Any] | None] = [None] * len(files)
    context = multiprocessing.get_context("spawn")  # no inherited threads or Vosk state
    model = str(model_path) if model_path else None
    with ProcessPoolExecutor(max_workers=max(1, processes), mp_context=context,
                             initializer=_init, initargs=(model,)) as pool:
        futures = {
            pool.submit(transcribe_one, str(f), str(t), max_seconds): i
            for i, (f, t) in enumerate(zip(files, targets, strict=True))
        }
        with tqdm(total=len(files), unit="file", disable=not progress) as bar:
            for future in as_completed(futures):
                index = futures[future]
                results[index] = future.result()
                bar.set_postfix_str(files[index].name, refresh=False)
                bar.update(1)
    return [r for r in results if r is not None]
