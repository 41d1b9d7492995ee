"""iter_events / iter_batches: the same events as the in-memory decoders, from every kind of source and
format, with file-absolute error coordinates, in bounded memory."""

from __future__ import annotations

import gzip
import io
import mmap
import os
import subprocess
import sys
from pathlib import Path

import pytest

from openresponses_msgspec import (
    DecodeError,
    InvalidEvent,
    corpus,
    decode_array,
    decode_lines,
    decode_sse,
    iter_batches,
    iter_events,
)
from openresponses_msgspec._files import BLOCK_SIZE

EVENTS = corpus.events("mixed", 9000)  # ~2.4 blocks of NDJSON
NDJSON = corpus.ndjson(EVENTS)
FORMS = {"ndjson": NDJSON, "sse": corpus.sse(EVENTS), "array": corpus.array(EVENTS)}
EXPECTED = decode_lines(NDJSON)


def test_corpus_spans_several_blocks() -> None:
    assert len(NDJSON) > 2 * BLOCK_SIZE and len(corpus.sse(EVENTS)) > 2 * BLOCK_SIZE


class TestSources:
    @pytest.mark.parametrize("fmt", list(FORMS))
    @pytest.mark.parametrize("gz", [False, True])
    def test_path_detects_format_and_gzip(self, tmp_path: Path, fmt: str, gz: bool) -> None:
        data = gzip.compress(FORMS[fmt]) if gz else FORMS[fmt]
        path = tmp_path / f"log.{fmt}{'.gz' if gz else ''}"
        path.write_bytes(data)
        assert list(iter_events(path)) == EXPECTED
        assert list(iter_events(str(path), format=fmt)) == EXPECTED  # type: ignore[arg-type]

    @pytest.mark.parametrize("fmt", list(FORMS))
    def test_file_object_buffer_and_mmap(self, tmp_path: Path, fmt: str) -> None:
        data = FORMS[fmt]
        assert list(iter_events(io.BytesIO(data))) == EXPECTED
        assert list(iter_events(data)) == EXPECTED
        assert list(iter_events(bytearray(data))) == EXPECTED
        assert list(iter_events(memoryview(data))) == EXPECTED
        path = tmp_path / "log"
        path.write_bytes(data)
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            assert list(iter_events(m)) == EXPECTED

    def test_stdin(self) -> None:
        code = "import sys, openresponses_msgspec as o; print(sum(1 for _ in o.iter_events('-')))"
        out = subprocess.run(
            [sys.executable, "-c", code], input=gzip.compress(FORMS["sse"]), capture_output=True, check=True
        )
        assert out.stdout.decode().strip() == str(len(EXPECTED))

    def test_multi_member_gzip(self) -> None:
        half = len(EVENTS) // 2
        data = gzip.compress(corpus.ndjson(EVENTS[:half])) + gzip.compress(corpus.ndjson(EVENTS[half:]))
        assert list(iter_events(data)) == EXPECTED

    def test_truncated_gzip(self) -> None:
        data = gzip.compress(NDJSON)
        with pytest.raises(DecodeError, match="gzip data ends early"):
            list(iter_events(data[: len(data) // 2]))

    @pytest.mark.parametrize("head", [b"\xef\xbb\xbf", b"\n\n  ", b": OPENROUTER PROCESSING\n\n"])
    def test_detection_after_bom_blank_lines_or_comment(self, head: bytes) -> None:
        data = head.rstrip(b" ") + corpus.sse(EVENTS[:50], comments=False)  # "  data:" is another field name
        assert list(iter_events(data)) == EXPECTED[:50]
        if not head.startswith(b":"):
            assert list(iter_events(head + corpus.ndjson(EVENTS[:50]))) == EXPECTED[:50]
            assert list(iter_events(head + corpus.array(EVENTS[:50]))) == EXPECTED[:50]

    def test_open_responses_event_lines(self) -> None:
        data = b"".join(
            b"event: " + e["type"].encode() + b"\ndata: " + corpus.ndjson([e]) + b"\n" for e in EVENTS[:300]
        )
        assert list(iter_events(data)) == EXPECTED[:300]

    def test_empty(self) -> None:
        assert list(iter_events(b"")) == []
        assert list(iter_batches(b"\n\n")) == []
        assert list(iter_events(b"[]")) == []
        assert list(iter_events(gzip.compress(b""))) == []

    def test_bad_arguments(self) -> None:
        with pytest.raises(ValueError, match="format must be"):
            list(iter_events(b"", format="xml"))  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="errors must be"):
            list(iter_events(b"", errors="ignore"))  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="batch_size"):
            list(iter_batches(b"", batch_size=0))
        with pytest.raises(TypeError, match="source must be"):
            list(iter_events(12))  # type: ignore[arg-type]


class TestBatches:
    @pytest.mark.parametrize("fmt", list(FORMS))
    def test_batch_size_bounds_every_batch(self, fmt: str) -> None:
        batches = list(iter_batches(FORMS[fmt], batch_size=1000))
        assert all(0 < len(b) <= 1000 for b in batches)
        assert [e for b in batches for e in b] == EXPECTED
        assert len(batches) >= len(EXPECTED) // 1000

    def test_line_longer_than_a_block(self) -> None:
        evs = corpus.events("image", 18, image_kb=(2500, 3000))  # partial images of 2.5-3 MB, > one block
        data = corpus.ndjson(evs)
        assert max(len(line) for line in data.split(b"\n")) > BLOCK_SIZE
        assert list(iter_events(data)) == decode_lines(data)
        assert list(iter_events(corpus.array(evs))) == decode_lines(data)
        assert list(iter_events(corpus.sse(evs))) == decode_lines(data)


def _lines_with_errors() -> tuple[bytes, list[int]]:
    lines = corpus.ndjson(EVENTS).split(b"\n")
    bad = [4001, 5003]  # 0-based, in the second and third blocks
    lines[bad[0]] = b'{"type":"response.output_text.delta","item_id":"x" "oops"}'
    lines[bad[1]] = b'{"type":"response.output_text.delta","item_id":5,"sequence_number":1}'
    return b"\n".join(lines), bad


class TestErrorsAreFileAbsolute:
    def test_ndjson_strict_equals_whole_buffer(self) -> None:
        data, bad = _lines_with_errors()
        with pytest.raises(DecodeError) as whole:
            decode_lines(data)
        with pytest.raises(DecodeError) as streamed:
            list(iter_events(data))
        assert (streamed.value.line, streamed.value.offset, str(streamed.value)) == (
            whole.value.line,
            whole.value.offset,
            str(whole.value),
        )
        assert streamed.value.line == bad[0] + 1
        assert data[streamed.value.offset :].startswith(b'{"type":"response.output_text.delta","item_id":"x" "oops"}')

    def test_ndjson_replace_equals_whole_buffer(self) -> None:
        data, bad = _lines_with_errors()
        got = list(iter_events(gzip.compress(data), errors="replace"))
        assert got == decode_lines(data, errors="replace")
        invalid = [e for e in got if isinstance(e, InvalidEvent)]
        assert [e.line for e in invalid] == [b + 1 for b in bad]
        assert [e.error.line for e in invalid] == [b + 1 for b in bad]
        assert all(data[e.offset :].startswith(e.raw) for e in invalid)

    def test_sse_equals_whole_buffer(self) -> None:
        data, bad = _lines_with_errors()
        sse = b"".join(b"data: " + line + b"\n\n" for line in data.split(b"\n") if line)
        got = list(iter_events(sse, errors="replace"))
        assert [(e.index, e.offset, e.raw) if isinstance(e, InvalidEvent) else e for e in got] == [
            (e.index, e.offset, e.raw) if isinstance(e, InvalidEvent) else e for e in decode_sse(sse, errors="replace")
        ]
        invalid = [e for e in got if isinstance(e, InvalidEvent)]
        assert [e.index for e in invalid] == bad
        assert [e.line for e in invalid] == [2 * b + 1 for b in bad]  # "data:" line, blank line, per event
        assert all(sse[e.offset :].startswith(b"data: " + e.raw) for e in invalid)
        with pytest.raises(DecodeError) as streamed:
            list(iter_events(sse))
        assert (streamed.value.index, streamed.value.offset, streamed.value.line) == (
            bad[0],
            invalid[0].offset,
            2 * bad[0] + 1,
        )

    def test_array_elements_located(self) -> None:
        data, bad = _lines_with_errors()
        lines = data.split(b"\n")
        arr = b"[\n" + b",\n".join(line for line in lines if line) + b"\n]\n"
        good_lines = b"[\n" + b",\n".join(line for i, line in enumerate(lines) if line and i != bad[0]) + b"\n]"
        got = list(iter_events(good_lines, errors="replace"))
        whole = decode_array(good_lines, errors="replace")
        assert [e for e in got if not isinstance(e, InvalidEvent)] == [
            e for e in whole if not isinstance(e, InvalidEvent)
        ]
        (inv,) = [e for e in got if isinstance(e, InvalidEvent)]
        assert whole[inv.index].index == inv.index and whole[inv.index].raw == inv.raw
        assert inv.index == bad[1] - 1 and inv.line == bad[1] + 1  # one line removed above it, one "[" line added
        assert good_lines[inv.offset :].startswith(inv.raw)
        with pytest.raises(DecodeError) as err:  # a malformed element: the array itself is not JSON
            list(iter_events(arr, errors="replace"))
        assert err.value.line == bad[0] + 2
        assert arr[err.value.offset :].startswith(b'"oops"}')
        assert f"(byte {err.value.offset})" in str(err.value)

    def test_array_truncated(self) -> None:
        data = corpus.array(EVENTS)
        with pytest.raises(DecodeError, match="no closing"):
            list(iter_events(data[:-1]))


PROBE = """
import sys, openresponses_msgspec as o

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))

list(o.iter_events(o.corpus.ndjson(o.corpus.events('text', 20))))  # warm up: imports, caches
base = status("VmRSS")  # the interpreter's baseline
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current RSS
n = 0
for batch in o.iter_batches(sys.argv[1]):
    n += len(batch)
print(status("VmHWM") - base, n)
"""


def _peak_rss_delta(path: Path) -> tuple[int, int]:
    """(peak RSS above the baseline, events) while consuming ``path`` batch by batch, in a fresh process."""
    out = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, check=True, text=True)
    peak, n = out.stdout.split()
    return int(peak), int(n)


@pytest.mark.slow
def test_memory_bounded_batch_by_batch(tmp_path: Path) -> None:
    """The 1 GB benchmark's bound (100 MB) scaled to a 256 MB file: 25.6 MB above the baseline."""
    block = corpus.ndjson(corpus.events("mixed", 20000))
    path = tmp_path / "big.ndjson"
    with open(path, "wb") as f:
        while f.tell() < 256 << 20:
            f.write(block)
    size = os.path.getsize(path)
    peak, n = _peak_rss_delta(path)
    assert n == size // len(block) * 20000
    print(f"peak RSS {peak / 1e6:.1f} MB above baseline")
    assert peak <= size // 10, f"peak RSS {peak / 1e6:.1f} MB above baseline for a {size / 1e6:.0f} MB file"
