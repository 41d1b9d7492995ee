"""Files of any size (issue #12): reading a file batch by batch with ``iter_batches`` against decoding the same
bytes held in memory (``decode_lines``/``decode_sse``/``decode_array``), interleaved; and the peak RSS of a
1 GB NDJSON file consumed batch by batch, measured in a fresh process.

The files are written once and read from the page cache (a benchmark of this package, not of the disk).
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import openresponses_msgspec as orm
from benchmarks.support.corpora import get_corpus
from benchmarks.support.harness import SMOKE, Case, InterleavedSet
from benchmarks.support.targets import Target, register

FILES = InterleavedSet("toolkit: files")
_DIR = Path(tempfile.mkdtemp(prefix="bench_files_"))
IN_MEMORY = "in memory (decode_*)"
FROM_FILE = "iter_batches from a file"


def _consume(path: Path, **kw: Any) -> int:
    n = 0
    for batch in orm.iter_batches(path, **kw):
        n += len(batch)
    return n


def _pair(
    fmt: str, data_of: Callable[[Any], bytes], decode: Callable[[bytes], list[Any]], gz: bool = False
) -> tuple[Callable[[], Case], Callable[[], Case]]:
    group = f"files: text {fmt}{' (gzip)' if gz else ''}"

    def memory() -> Case:
        data = data_of(get_corpus("text"))
        out = decode(data)
        n = get_corpus("text").n
        assert len(out) == n
        # len(...): the batch is freed inside the timed call, as the file side frees each of its batches
        return Case(group=group, lib=IN_MEMORY, fn=lambda: len(decode(data)), events=n, bytes=len(data))

    def file() -> Case:
        c = get_corpus("text")
        data = data_of(c)
        path = _DIR / f"text.{fmt}{'.gz' if gz else ''}"
        path.write_bytes(gzip.compress(data, 6) if gz else data)
        first = [e for b in orm.iter_batches(path) for e in b]
        assert first == decode(data)  # the same events as in memory (also the warm-up)
        return Case(group=group, lib=FROM_FILE, fn=lambda: _consume(path), events=c.n, bytes=len(data))

    return memory, file


for _fmt, _data, _decode in (
    ("NDJSON", lambda c: c.ndjson, orm.decode_lines),
    ("SSE", lambda c: c.sse, orm.decode_sse),
    ("array", lambda c: c.array, orm.decode_array),
):
    _m, _f = _pair(_fmt, _data, _decode)
    FILES.add(f"{_fmt} in memory", _m)
    FILES.add(f"{_fmt} file", _f)
_m, _f = _pair("NDJSON", lambda c: c.ndjson, orm.decode_lines, gz=True)
FILES.add("NDJSON gzip file", _f)

test_files = FILES.make_test()

register(
    Target(
        "text NDJSON file, iter_batches vs decode_lines in memory",
        issue=12,
        num=("files: text NDJSON", FROM_FILE),
        den=("files: text NDJSON", IN_MEMORY),
        goal=0.9,
    ),
    Target(
        "text SSE file, iter_batches vs decode_sse in memory",
        issue=12,
        num=("files: text SSE", FROM_FILE),
        den=("files: text SSE", IN_MEMORY),
        goal=0.9,
    ),
)

# -- peak memory ------------------------------------------------------------------------------------------------

GB = 8 << 20 if SMOKE else 1 << 30

PROBE = """
import sys, time, openresponses_msgspec as o

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))

list(o.iter_events(o.corpus.ndjson(o.corpus.events("text", 20))))  # warm up: imports, caches
base = status("VmRSS")  # the interpreter's baseline
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current RSS
n = 0
t = time.perf_counter()
for batch in o.iter_batches(sys.argv[1]):
    n += len(batch)
print(status("VmHWM") - base, n, time.perf_counter() - t)
"""


def test_peak_rss_1gb_batch_by_batch(benchmark: Any) -> None:
    """A 1 GB NDJSON file (the text corpus repeated) consumed batch by batch: peak RSS above the baseline."""
    if not os.access("/proc/self/clear_refs", os.W_OK):
        pytest.skip("needs Linux /proc/self/clear_refs to reset the RSS peak")
    block = get_corpus("text").ndjson
    path = _DIR / "big.ndjson"
    with open(path, "wb") as f:
        while f.tell() < GB:
            f.write(block)
    size = path.stat().st_size
    try:
        out = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, check=True, text=True)
    finally:
        path.unlink()
    peak, n, seconds = out.stdout.split()
    assert int(n) == size // len(block) * get_corpus("text").n
    benchmark.group = "files: 1 GB NDJSON, batch by batch"
    benchmark.extra_info.update(
        lib=orm.__name__, events=int(n), bytes=size, peak_rss_mb=int(peak) / 1e6, file_mb=size / 1e6
    )
    benchmark.pedantic(lambda: None, rounds=1)  # the timing is the probe's; this row carries the numbers
    print(f"\n1 GB NDJSON: peak RSS {int(peak) / 1e6:.1f} MB above baseline, {float(seconds):.1f} s")


register(
    Target(
        "1 GB NDJSON batch by batch: peak RSS (MB) above the baseline",
        issue=12,
        num=("files: 1 GB NDJSON, batch by batch", orm.__name__),
        den=None,
        goal=100,
        cmp="<=",
        metric="peak_rss_mb",
    )
)
