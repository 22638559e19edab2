"""Recordings: storage index, audio decoding, Vosk transcription, the worker and batch runs.

Public entry points:
- :func:`recordings.index.register_recording` — index a finished Asterisk recording;
- :func:`recordings.jobs.configure_broker` / :func:`recordings.jobs.enqueue_transcription`;
- :func:`recordings.worker.transcribe_recording` — the job body (idempotent);
- :func:`recordings.batch.transcribe_files` — offline, multi-process transcription of files;
- :data:`recordings.cli.transcribe` / :data:`recordings.cli.transcription_worker` — click
  commands; :func:`recordings.runner.run_worker` — a queue worker process.
"""
