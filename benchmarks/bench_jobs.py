"""Every core (issue #20): ``stats --jobs 2`` against ``stats --jobs 1`` on a 1 GB NDJSON file, each a fresh
``python -m openresponses_msgspec`` process (so the worker pool's start is paid, as on the command line),
interleaved rounds, medians.

The file is written once per session into a temporary directory: the mixed corpus
(``openresponses_msgspec.corpus``, 64 MiB of it) repeated to ``BENCH_JOBS_MB`` MiB (default 1024; the smoke
run: 1 MiB, under the split threshold: a check of the plumbing, not of the split, which ``tests/toolkit/test_jobs.py``
tests). It is read from the page cache. Before each round the idle CPU is
sampled from ``/proc/stat`` (half a second; again, for up to ``BENCH_JOBS_WAIT`` seconds, default 20, until
two CPUs are idle) and recorded in the run (``extra_info["idle_cores"]``, one per
round): the target means something only where two cores were free.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.support.harness import SMOKE, Case, InterleavedSet
from benchmarks.support.targets import Target, register
from openresponses_msgspec import corpus

JOBS = InterleavedSet("toolkit: jobs")
GROUP = "jobs: stats NDJSON file"
MB = 1 if SMOKE else int(os.environ.get("BENCH_JOBS_MB", "1024"))
_DIR = Path(tempfile.mkdtemp(prefix="bench_jobs_"))
_WAIT = 0.0 if SMOKE else float(os.environ.get("BENCH_JOBS_WAIT", "20"))  # seconds to wait for 2 idle CPUs
_FILE: list[tuple[Path, int]] = []  # (path, events): written by the first case built


def _file() -> tuple[Path, int]:
    if not _FILE:
        evs = corpus.events("mixed", 4000 if SMOKE else 240_000, seed=20)
        chunk = corpus.ndjson(evs)
        path = _DIR / "stats.ndjson"
        size = MB << 20
        n = 0
        with open(path, "wb") as f:
            while f.tell() < size:
                f.write(chunk)
                n += len(evs)
        _FILE.append((path, n))
    return _FILE[0]


def _idle_cores(seconds: float = 0.5) -> float:
    """Idle CPUs over ``seconds`` (from /proc/stat: idle + iowait jiffies over all jiffies, times the CPUs)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            parts = [int(x) for x in f.readline().split()[1:]]
        return parts[3] + parts[4], sum(parts)

    try:
        i0, t0 = sample()
        time.sleep(seconds)
        i1, t1 = sample()
    except (OSError, ValueError, IndexError):
        return float("nan")
    return round((i1 - i0) / max(1, t1 - t0) * (os.cpu_count() or 1), 2)


def _case(jobs: int) -> Case:
    path, n = _file()
    cmd = [sys.executable, "-m", "openresponses_msgspec", "stats", str(path), "--json", "--jobs", str(jobs)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout  # (the warm-up too)
    report = json.loads(out)
    assert report["events"] == n and report["invalid_events"] == 0 and report["bytes"] == path.stat().st_size
    idle: list[float] = []

    def before() -> None:  # wait (up to _WAIT seconds) for two idle CPUs, and record what was found
        deadline = time.monotonic() + _WAIT
        got = _idle_cores()
        while got < 1.8 and time.monotonic() < deadline:
            got = _idle_cores()
        idle.append(got)

    def run() -> None:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    extra = {"idle_cores": idle, "cpus": os.cpu_count(), "file_mb": MB}
    return Case(
        group=GROUP, lib=f"--jobs {jobs}", fn=run, events=n, bytes=path.stat().st_size, before=before, extra=extra
    )


JOBS.add("stats --jobs 1", lambda: _case(1))
JOBS.add("stats --jobs 2", lambda: _case(2))
test_jobs = JOBS.make_test()


def teardown_module() -> None:
    shutil.rmtree(_DIR, ignore_errors=True)


register(
    Target(
        "stats --jobs 2 vs --jobs 1, 1 GB NDJSON file",
        issue=20,
        num=(GROUP, "--jobs 2"),
        den=(GROUP, "--jobs 1"),
        goal=1.7,
        note="two cores free: see extra_info idle_cores (sampled before each round)",
    )
)
