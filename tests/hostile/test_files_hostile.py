"""Hostile input for the files layer (issue #17): format detection however far and however the reads arrive,
non-blocking and text-mode file objects, FIFOs, gzip corruption, arrays of every shape, the NDJSON line limit,
blank runs. Each test states the exact events, counts and error coordinates."""

from __future__ import annotations

import gzip
import io
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from openresponses_msgspec import (
    DecodeError,
    InvalidEvent,
    _files,
    corpus,
    decode_array,
    decode_lines,
    decode_sse,
    iter_batches,
    iter_events,
)
from openresponses_msgspec._files import BLOCK_SIZE

EVENTS = corpus.events("text", 6000)  # NDJSON of about 1.2 MB: more than one block
NDJSON = corpus.ndjson(EVENTS)
EXPECTED = decode_lines(NDJSON)
SMALL = EVENTS[:40]
SMALL_EXPECTED = EXPECTED[:40]


class Trickle:
    """A binary file object whose reads return at most ``step`` bytes (a pipe that delivers bytes one by one)."""

    def __init__(self, data: bytes, step: int | list[int] = 1) -> None:
        self.data = data
        self.pos = 0
        self.steps = [step] if isinstance(step, int) else step

    def read1(self, n: int = -1) -> bytes:
        step = self.steps[0] if len(self.steps) == 1 else self.steps.pop(0)
        b = self.data[self.pos : self.pos + min(n, step)]
        self.pos += len(b)
        return b

    read = read1


# -- format detection ------------------------------------------------------------------------------------------


class TestDetection:
    @pytest.mark.parametrize("blank", [b" " * 64, b"\n" * 100, b" \t\r\n" * 300])
    def test_blank_prefix_then_ndjson_or_array_over_a_block(self, blank: bytes) -> None:
        assert len(NDJSON) > BLOCK_SIZE
        assert list(iter_events(blank + NDJSON)) == EXPECTED
        assert list(iter_events(blank + corpus.array(EVENTS), errors="replace")) == EXPECTED

    @pytest.mark.slow
    def test_blank_prefix_longer_than_what_is_held(self) -> None:
        """A blank run past _HOLD is replayed from its summary: lines and offsets after it are exact."""
        blank = (b"\r\n \t\r\r\n\n  " * ((_files._HOLD + 3 * BLOCK_SIZE) // 11))[:-1] + b"\r"  # ends in CR
        assert len(blank) > _files._HOLD
        bad = b'{"type":"response.output_text.delta","item_id":5}\n'
        nd = blank + b"\n" + corpus.ndjson(SMALL) + bad
        assert list(iter_events(nd, errors="replace")) == decode_lines(nd, errors="replace")
        with pytest.raises(DecodeError) as streamed:
            list(iter_events(nd))
        with pytest.raises(DecodeError) as whole:
            decode_lines(nd)
        assert (streamed.value.line, streamed.value.offset) == (whole.value.line, whole.value.offset)
        assert streamed.value.offset == len(nd) - len(bad)
        arr = blank + corpus.array(SMALL)
        assert list(iter_events(arr)) == SMALL_EXPECTED
        sse = blank + b"\n" + corpus.sse(SMALL) + b"data: " + bad + b"\n"
        got = list(iter_events(sse, errors="replace"))
        want = decode_sse(sse, errors="replace")
        assert got[:-1] == want[:-1] == SMALL_EXPECTED
        assert (got[-1].line, got[-1].offset, got[-1].index) == (want[-1].line, want[-1].offset, 40)
        assert sse[got[-1].offset :].startswith(b"data: " + bad)

    def test_all_blank_input_of_any_length(self) -> None:
        assert list(iter_events(b"\r\n " * (2 * _files._HOLD))) == []

    @pytest.mark.parametrize("form", ["ndjson", "array", "sse"])
    @pytest.mark.parametrize("gz", [False, True])
    @pytest.mark.parametrize("bom", [False, True])
    def test_reads_of_one_byte(self, form: str, gz: bool, bom: bool) -> None:
        data = {"ndjson": corpus.ndjson, "array": corpus.array, "sse": corpus.sse}[form](SMALL)
        data = (b"\xef\xbb\xbf" if bom else b"") + data
        if gz:
            data = gzip.compress(data)
        assert list(iter_events(Trickle(data))) == SMALL_EXPECTED

    @pytest.mark.parametrize("steps", [[1, 1, 10**9], [1, 10**9], [2, 1, 10**9]])
    def test_first_read_holds_part_of_the_gzip_magic_or_bom(self, steps: list[int]) -> None:
        for data in (
            gzip.compress(corpus.ndjson(SMALL)),
            b"\xef\xbb\xbf" + corpus.ndjson(SMALL),
            b"\xef\xbb\xbf" + corpus.array(SMALL),
        ):
            assert list(iter_events(Trickle(data, list(steps)))) == SMALL_EXPECTED

    def test_bom_offsets(self) -> None:
        data = b"\xef\xbb\xbf" + b'{"type":"response.output_text.delta","item_id":5}\n'
        for src in (data, Trickle(data)):
            (ev,) = iter_events(src, errors="replace")
            assert isinstance(ev, InvalidEvent) and (ev.line, ev.offset) == (1, 3)


# -- file objects and paths ----------------------------------------------------------------------------------------


def _writer(fd: int, data: bytes, pieces: int = 7) -> threading.Thread:
    """Write ``data`` to ``fd`` in pieces with pauses (so the reader meets an empty pipe), then close it."""

    def run() -> None:
        step = len(data) // pieces + 1
        for i in range(0, len(data), step):
            view = memoryview(data)[i : i + step]
            while view:
                try:
                    view = view[os.write(fd, view) :]
                except BlockingIOError:
                    time.sleep(0.001)
            time.sleep(0.02)
        os.close(fd)

    t = threading.Thread(target=run)
    t.start()
    return t


class TestFileObjects:
    @pytest.mark.parametrize("buffering", [-1, 0])
    def test_non_blocking_pipe_is_waited_for(self, buffering: int) -> None:
        """A non-blocking pipe with nothing in it yet: read1() gives b"" (buffered) or read() None (raw)."""
        data = gzip.compress(corpus.ndjson(EVENTS[:2000]))
        r, w = os.pipe()
        os.set_blocking(r, False)
        t = _writer(w, data)
        with open(r, "rb", buffering=buffering) as f:
            got = list(iter_events(f))
        t.join()
        assert got == EXPECTED[:2000]

    def test_read1_returning_none_is_not_the_end(self) -> None:
        class NoneFirst(Trickle):
            def read1(self, n: int = -1) -> Any:
                self.calls = getattr(self, "calls", 0) + 1
                return None if self.calls % 3 else super().read1(n)

        assert list(iter_events(NoneFirst(corpus.ndjson(SMALL), 500))) == SMALL_EXPECTED

    def test_text_mode_file_object_is_a_clear_type_error(self, tmp_path: Path) -> None:
        path = tmp_path / "log.ndjson"
        path.write_bytes(corpus.ndjson(SMALL))
        with open(path) as f, pytest.raises(TypeError, match=r"text-mode file object \(TextIOWrapper\).*'rb'"):
            list(iter_events(f))  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="text-mode file object"):
            list(iter_batches(io.StringIO("{}\n")))  # type: ignore[arg-type]

        class Strs:
            def read(self, n: int) -> str:
                return "{}"

        with pytest.raises(TypeError, match=r"text-mode file object \(Strs\)"):
            list(iter_events(Strs()))  # type: ignore[arg-type]

    def test_directory_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(IsADirectoryError, match="Is a directory"):
            list(iter_events(tmp_path))

    def test_fifo_and_dev_fd_paths_are_read(self, tmp_path: Path) -> None:
        data = corpus.sse(EVENTS[:3000])
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)

        def feed() -> None:
            with open(fifo, "wb") as f:
                f.write(data)

        t = threading.Thread(target=feed)
        t.start()
        assert list(iter_events(fifo)) == EXPECTED[:3000]
        t.join()
        r, w = os.pipe()  # what `<(process substitution)` hands a program
        t = _writer(w, data)
        try:
            assert list(iter_events(f"/dev/fd/{r}")) == EXPECTED[:3000]
        finally:
            t.join()
            os.close(r)


# -- gzip: one error type, located -----------------------------------------------------------------------------


def _gz_events(data: bytes, errors: str) -> tuple[list[Any], DecodeError | None]:
    """The events iter_events hands out before it raises, and the error."""
    got: list[Any] = []
    try:
        for ev in iter_events(data, errors=errors):  # type: ignore[call-overload]
            got.append(ev)
    except DecodeError as err:
        return got, err
    return got, None


class TestGzip:
    MEMBER = gzip.compress(NDJSON)

    @pytest.mark.parametrize("trailer", [b"\n", b"\r\n  \t", b"\0" * 512, b"\0\0\n\0"])
    def test_whitespace_and_nul_padding_after_the_last_member_are_ignored(self, trailer: bytes) -> None:
        for errors in ("strict", "replace"):
            assert _gz_events(self.MEMBER + trailer, errors) == (EXPECTED, None)
            assert _gz_events(self.MEMBER + trailer + self.MEMBER, errors) == (EXPECTED + EXPECTED, None)
            assert (
                list(
                    iter_events(
                        Trickle(gzip.compress(corpus.ndjson(SMALL)) + trailer + gzip.compress(corpus.ndjson(SMALL)), 1),
                        errors=errors,
                    )
                )
                == SMALL_EXPECTED * 2
            )  # type: ignore[call-overload]

    @pytest.mark.parametrize("errors", ["strict", "replace"])
    def test_garbage_after_the_last_member(self, errors: str) -> None:
        got, err = _gz_events(self.MEMBER + b"\0\0garbage", errors)
        assert got == EXPECTED and err is not None
        assert str(err) == (
            f"offset {len(NDJSON)}: gzip data is followed by bytes that are not another member: "
            f"compressed byte {len(self.MEMBER) + 2}, uncompressed byte {len(NDJSON)}"
        )
        got, err = _gz_events(self.MEMBER + b"\x1f", errors)  # half a magic
        assert got == EXPECTED and err is not None and err.offset == len(NDJSON)
        assert err.msg.startswith("gzip data ends early (truncated file)")

    @pytest.mark.parametrize("errors", ["strict", "replace"])
    def test_bad_crc_and_bad_length(self, errors: str) -> None:
        for at, what in ((-8, "incorrect data check"), (-4, "incorrect length check")):
            bad = bytearray(self.MEMBER)
            bad[at] ^= 0xFF
            got, err = _gz_events(bytes(bad), errors)
            assert err is not None and err.msg.startswith(f"gzip data is corrupt ({what}): compressed byte ")
            # the offset reached: zlib keeps back the output of the call that meets the bad trailer
            assert err.offset is not None and len(NDJSON) - _files._GZ_OUT < err.offset < len(NDJSON)
            assert err.msg.endswith(f"uncompressed byte {err.offset}")
            assert got == decode_lines(NDJSON[: NDJSON.rfind(b"\n", 0, err.offset) + 1])  # the events before it

    @pytest.mark.parametrize("errors", ["strict", "replace"])
    def test_garbage_after_the_magic(self, errors: str) -> None:
        got, err = _gz_events(b"\x1f\x8bnot a gzip header at all" + b"x" * 100, errors)
        assert got == [] and err is not None
        assert str(err) == (
            "offset 0: gzip data is corrupt (unknown compression method): compressed byte 0, uncompressed byte 0"
        )

    @pytest.mark.parametrize("errors", ["strict", "replace"])
    def test_corrupt_block_in_the_middle(self, errors: str) -> None:
        bad = bytearray(self.MEMBER)
        for k in range(len(bad) // 2, len(bad) // 2 + 64):
            bad[k] = 0xFF
        got, err = _gz_events(bytes(bad), errors)
        assert err is not None and err.msg.startswith("gzip data is corrupt (")
        assert 0 < err.offset < len(NDJSON)  # type: ignore[operator]
        assert got == EXPECTED[: len(got)]

    @pytest.mark.parametrize("errors", ["strict", "replace"])
    def test_truncated(self, errors: str) -> None:
        half = self.MEMBER[: len(self.MEMBER) // 2]
        produced = len(__import__("zlib").decompressobj(31).decompress(half))
        got, err = _gz_events(half, errors)
        assert err is not None
        assert str(err) == (
            f"offset {produced}: gzip data ends early (truncated file): compressed byte {len(half)}, "
            f"uncompressed byte {produced}"
        )
        assert got == EXPECTED[: len(got)] and len(got) > 0


# -- the NDJSON line limit ---------------------------------------------------------------------------------------

LONG_BAD = b'{"type":"response.output_text.delta","item_id":"m","delta":"' + b"x" * 1200 + b'"}'


def _lines_around(limit: int) -> bytes:
    """Lines of every length around ``limit``: events, over-long events and blank lines, LF and CRLF."""
    ev = corpus.ndjson(SMALL).split(b"\n")
    parts = []
    for k, n in enumerate([limit - 2, limit - 1, limit, limit + 1, limit + 2, 3 * limit, 20 * limit]):
        parts.append(ev[k % 40])
        parts.append(LONG_BAD[: n - 2] + b'"}' if n <= len(LONG_BAD) else LONG_BAD + b" " * (n - len(LONG_BAD)))
        parts.append(b" \t" * (n // 2))  # a blank line of that length: skipped, whatever its length
        parts.append(ev[(k + 7) % 40] + b"\r")
    return b"\n".join(parts) + b"\n" + ev[0]


class TestLineLimit:
    def test_in_memory(self) -> None:
        data = _lines_around(1000)
        got = decode_lines(data, errors="replace", max_line_size=1000)
        bad = [e for e in got if isinstance(e, InvalidEvent)]
        starts = [i for i, line in enumerate(data.split(b"\n")) if len(line) > 1000 and line.strip()]
        assert [e.line for e in bad] == [i + 1 for i in starts] and len(bad) == 4  # limit + 1, + 2, 3x, 20x
        for e in bad:
            assert e.error.msg == "line longer than max_line_size (> 1000 bytes)"
            assert e.raw == data[e.offset : e.offset + 1001] and e.error.raw == e.raw
            assert data[: e.offset].count(b"\n") + 1 == e.line
        assert len(got) == 3 * 7 + 1  # one item per non-blank line
        assert got == decode_lines(memoryview(data), errors="replace", max_line_size=1000)
        assert got == decode_lines(data.decode(), errors="replace", max_line_size=1000)
        with pytest.raises(DecodeError) as err:
            decode_lines(data, max_line_size=1000)
        assert (err.value.line, err.value.offset) == (bad[0].line, bad[0].offset)
        assert decode_lines(data, errors="replace", max_line_size=10**6) == decode_lines(data, errors="replace")

    def test_small_limits_and_the_last_line(self) -> None:
        line = corpus.ndjson(SMALL[:1]).rstrip(b"\n")
        n = len(line)
        for limit in (n - 1, n, n + 1):
            for data in (line, line + b"\n", b"\n" + line + b"\n\n"):
                got = decode_lines(data, errors="replace", max_line_size=limit)
                assert isinstance(got[0], InvalidEvent) == (limit < n), (limit, data)
                assert list(iter_events(data, errors="replace", max_line_size=limit)) == got
        with pytest.raises(ValueError, match="max_line_size must be a positive int"):
            decode_lines(b"", max_line_size=0)
        with pytest.raises(ValueError, match="max_line_size must be a positive int"):
            list(iter_events(b"", max_line_size=-1))

    @pytest.mark.parametrize("step", [1, 7, 999, 1001, 4096, 10**9])
    def test_files_as_bytes_arrive(self, step: int) -> None:
        data = _lines_around(1000)
        want = decode_lines(data, errors="replace", max_line_size=1000)
        got = list(iter_events(Trickle(data, step), errors="replace", max_line_size=1000))
        assert got == want
        assert [(e.line, e.offset, e.raw) for e in got if isinstance(e, InvalidEvent)] == [
            (e.line, e.offset, e.raw) for e in want if isinstance(e, InvalidEvent)
        ]
        with pytest.raises(DecodeError) as streamed:
            list(iter_events(Trickle(data, step), max_line_size=1000))
        with pytest.raises(DecodeError) as whole:
            decode_lines(data, max_line_size=1000)
        assert (str(streamed.value), streamed.value.raw) == (str(whole.value), whole.value.raw)

    def test_files_default_limit(self) -> None:
        from openresponses_msgspec import DEFAULT_MAX_LINE_SIZE

        assert DEFAULT_MAX_LINE_SIZE == 64 * 1024 * 1024
        long = b'{"type":"x","a":"' + b"a" * DEFAULT_MAX_LINE_SIZE + b'"}\n'
        data = gzip.compress(corpus.ndjson(SMALL[:3]) + long + corpus.ndjson(SMALL[3:]), 1)
        got = list(iter_events(data, errors="replace"))
        assert got[:3] == SMALL_EXPECTED[:3] and got[4:] == SMALL_EXPECTED[3:]
        assert isinstance(got[3], InvalidEvent) and got[3].line == 4
        assert got[3].offset == len(corpus.ndjson(SMALL[:3])) and got[3].raw == long[:1024]


PEAK = """
import sys, openresponses_msgspec as o

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))

list(o.iter_events(o.corpus.ndjson(o.corpus.events('text', 20))))  # warm up: imports, caches
base = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current RSS
out = []
try:
    out.extend(run())
except o.DecodeError as err:
    out.append(err)
print(status("VmHWM") - base)
for e in out:
    print(type(e).__name__, getattr(e, "line", None), getattr(e, "offset", None), len(getattr(e, "raw", b"") or b""))
"""


def _peak(setup: str, tmp_path: Path) -> tuple[int, list[str]]:
    """Peak RSS above the baseline while ``run()`` (defined by ``setup``) is consumed, and what it gave."""
    import subprocess
    import sys

    script = tmp_path / "probe.py"
    script.write_text(setup + PEAK)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, check=True, text=True, timeout=300)
    first, *rest = out.stdout.splitlines()
    return int(first), rest


class TestLineLimitMemory:
    @pytest.mark.slow
    def test_a_1_gb_line_in_a_small_gzip_file(self, tmp_path: Path) -> None:
        """The issue's case: a 1 MB gzip holding one 1 GB line cost +3 GB RSS; now the default limit's 64 MiB
        is held at most, and the line is reported with its first KiB."""
        import zlib

        path = tmp_path / "long.ndjson.gz"
        comp = zlib.compressobj(1, zlib.DEFLATED, 31)
        chunk = b"a" * (1 << 20)
        with open(path, "wb") as f:
            f.write(comp.compress(b'{"type":"response.output_text.delta","delta":"'))
            for _ in range(1024):
                f.write(comp.compress(chunk))
            f.write(comp.compress(b'"}\n' + corpus.ndjson(SMALL[:2])) + comp.flush())
        assert path.stat().st_size < 8 << 20
        peak, out = _peak(f"def run():\n    return o.iter_events({str(path)!r}, errors='replace')\n", tmp_path)
        assert out == [
            "InvalidEvent 1 0 1024",
            "ResponseCreatedEvent None None 0",
            "ResponseInProgressEvent None None 0",
        ]
        assert peak < 200 << 20, f"peak RSS +{peak >> 20} MiB"

    def test_dev_zero_as_ndjson(self, tmp_path: Path) -> None:
        """No newline ever: strict mode stops once the line passes the limit (it was a MemoryError)."""
        peak, out = _peak("def run():\n    return o.iter_events('/dev/zero', format='ndjson')\n", tmp_path)
        assert out == ["DecodeError 1 0 1024"]
        assert peak < 200 << 20, f"peak RSS +{peak >> 20} MiB"

    def test_replace_mode_skips_without_holding(self, tmp_path: Path) -> None:
        setup = (
            "class Endless:\n"
            "    n = 0\n"
            "    def read(self, size):\n"
            "        self.n += 1\n"
            "        if self.n <= 512:\n"
            "            return (b'{' if self.n == 1 else b'') + b'x' * (1 << 20)\n"
            "        return b'\\n{\"type\":\"x\"}\\n' if self.n == 513 else b''\n"
            "def run():\n"
            "    return o.iter_events(Endless(), errors='replace', max_line_size=1 << 20)\n"
        )
        peak, out = _peak(setup, tmp_path)
        assert out == ["InvalidEvent 1 0 1024", "UnknownEvent None None 12"]
        assert peak < 64 << 20, f"peak RSS +{peak >> 20} MiB for a 512 MiB line"


# -- arrays of every shape: linear, bounded, located ---------------------------------------------------------------

_DELTA = (
    b'{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,"delta":"%s",'
    b'"logprobs":[],"sequence_number":%d}'
)
_BAD = b'{"type":"response.output_text.delta","item_id":"m","output_index":"zero","content_index":0,"delta":"x"}'


def _shapes() -> dict[str, bytes]:
    lines = corpus.ndjson(EVENTS[:300]).split(b"\n")[:-1]
    return {
        "nested arrays": b"[" + b",".join(b"[" + b",".join(lines[i : i + 3]) + b"]" for i in range(0, 300, 3)) + b"]",
        "strings full of },": b"[" + b",\n".join(_DELTA % (b"}," * 3000 + b'\\"},{\\\\', i) for i in range(200)) + b"]",
        "ints": b"[" + b",".join(str(i).encode() for i in range(5000)) + b"]",
        "invalid elements": b"[\n" + b",\n".join([_BAD] * 3000) + b"\n]",
        "mixed shapes": b"["
        + b" , ".join(
            [
                lines[0],
                b'"a string ], with [ brackets {"',
                b"[[[[[[[[[[[1]]]]]]]]]]]",
                b'{"a":{"b":[{"c":"\\\\"}]}}',
                b"null",
                lines[1],
                _BAD,
                b"[]",
                b"{}",
                b'"\\"],"',
                lines[2],
            ]
            * 40
        )
        + b"]",
        "elements over a block": b"["
        + b",".join(_DELTA % (b"QUJD" * (300_000 + 7 * i), i) for i in range(5))
        + b",\n"
        + lines[3]
        + b"]",
        "deep": b"[" + b"[" * 40 + b"{}" + b"]" * 40 + b"," + lines[4] + b"]",
    }


SHAPES = _shapes()


def _where(evs: list[Any]) -> list[Any]:
    return [(e.line, e.offset, e.index, e.raw, e.error.msg) if isinstance(e, InvalidEvent) else e for e in evs]


class TestArrays:
    @pytest.mark.slow
    @pytest.mark.parametrize("shape", list(SHAPES))
    @pytest.mark.parametrize("step", [10**9, 4099, 7])
    def test_same_as_decode_array(self, shape: str, step: int) -> None:
        data = SHAPES[shape]
        if step == 7 and len(data) > 3 << 20:
            step = 4099 * 7
        want = decode_array(data, errors="replace")
        got = list(iter_events(Trickle(data, step), errors="replace"))
        assert _where(got) == _where(want)
        for e in got:
            if isinstance(e, InvalidEvent):
                assert data[e.offset :].startswith(e.raw)
                assert data[: e.offset].count(b"\n") + 1 == e.line
        try:
            decode_array(data)
        except DecodeError as whole:
            with pytest.raises(DecodeError) as streamed:
                list(iter_events(Trickle(data, step)))
            assert (str(streamed.value), streamed.value.raw) == (str(whole), whole.raw)
        else:
            assert list(iter_events(Trickle(data, step))) == want

    def test_eight_thousand_invalid_elements(self) -> None:
        data = b"[" + b",".join([_BAD] * 8000) + b"]"
        got = list(iter_events(data, errors="replace"))
        assert len(got) == 8000 and all(isinstance(e, InvalidEvent) for e in got)
        assert [e.index for e in got] == list(range(8000))  # type: ignore[union-attr]
        assert [e.offset for e in got] == [1 + k * (len(_BAD) + 1) for k in range(8000)]  # type: ignore[union-attr]

    def test_malformed_array_is_located(self) -> None:
        data = SHAPES["nested arrays"]
        k = data.find(b"],[", len(data) // 2)
        bad = data[:k] + b"] [" + data[k + 3 :]  # a missing comma between two elements
        for errors in ("strict", "replace"):
            with pytest.raises(DecodeError) as err:
                list(iter_events(bad, errors=errors))  # type: ignore[call-overload]
            assert err.value.offset == k + 2 and f"(byte {k + 2})" in str(err.value)
            assert err.value.line == 1


ARRAY_PEAK = """
class Gen:
    '''A JSON array of {n} elements made by make(i), served in 1 MiB reads, never whole in memory.'''
    def __init__(self):
        self.i = 0
        self.buf = b"["
    def read(self, size):
        parts, have = [self.buf], len(self.buf)
        while have < size and self.i <= {n}:
            part = (b"," if self.i else b"") + make(self.i) if self.i < {n} else b"]"
            parts.append(part)
            have += len(part)
            self.i += 1
        data = b"".join(parts)
        out, self.buf = data[:size], data[size:]
        return out
def run():
    n = 0
    last = None
    for batch in o.iter_batches(Gen(), errors="replace", batch_size=1000):
        n += len(batch)
        last = batch[-1]
    import types
    return [types.SimpleNamespace(line=n, offset=None, raw=b""), last]
"""


@pytest.mark.slow
class TestArrayMemory:
    """Peak RSS while a big array is consumed batch by batch (the old code held an array it could not cut at a
    top-level ``},`` whole, and re-decoded it for every block)."""

    @pytest.mark.parametrize(
        ("make", "n"),
        [
            ("lambda i: b'[' + b','.join([b'%d' % i] * 400) + b']'", 30_000),  # nested arrays: 70 MB
            ('lambda i: b\'{"type":"response.output_text.delta","delta":"\' + b\'},\' * 500 + b\'"}\'', 60_000),
            ("lambda i: b'%d' % (10**60 + i)", 30_000),  # numbers: the old code took quadratic time
        ],
    )
    def test_bounded(self, make: str, n: int, tmp_path: Path) -> None:
        setup = f"make = {make}\n" + ARRAY_PEAK.format(n=n)
        peak, out = _peak(setup, tmp_path)
        assert out[0] == f"SimpleNamespace {n} None 0"
        assert out[1].startswith("ResponseOutputTextDeltaEvent" if "delta" in make else "InvalidEvent 1 ")
        assert peak < 100 << 20, f"peak RSS +{peak >> 20} MiB"


def test_a_bom_after_blank_lines_is_data() -> None:
    """A BOM counts only at the very start (as in the in-memory decoders): after blank lines it is the first
    non-blank byte, so the input is taken for SSE; stated as NDJSON, that line is a bad one."""
    nd = b"\n\n\xef\xbb\xbf" + corpus.ndjson(SMALL)
    (ev,) = iter_events(Trickle(nd, 1), errors="replace")
    assert isinstance(ev, InvalidEvent) and ev.error.msg.startswith("not an SSE stream")
    got = list(iter_events(Trickle(nd, 1), errors="replace", format="ndjson"))
    assert got == decode_lines(nd, errors="replace")
    assert isinstance(got[0], InvalidEvent) and (got[0].line, got[0].offset) == (3, 2)
    assert got[1:] == SMALL_EXPECTED[1:]
    with pytest.raises(DecodeError, match=r"expected '\['") as err:
        list(iter_events(b" \n\xef\xbb\xbf" + corpus.array(SMALL), format="array"))
    assert (err.value.line, err.value.offset) == (2, 2)


def test_runs_of_blank_lines_of_every_kind_keep_line_numbers() -> None:
    """Runs of whitespace-only lines (spaces, tabs, CRLF) are skipped a run at a time, in memory and in files;
    the lines after them keep their numbers and offsets."""
    import random

    rng = random.Random(17)
    bad = b'{"type":"response.output_text.delta","item_id":5}'
    parts = []
    for k in range(300):
        blanks = [b"\n", b" \n", b"\r\n", b"\t \r\n", b"   "]
        parts.append(b"".join(rng.choice(blanks) for _ in range(rng.randrange(60))))
        parts.append(b"\n" if parts[-1].endswith(b" ") else b"")
        parts.append((bad if k % 3 == 0 else corpus.ndjson(SMALL[k % 40 : k % 40 + 1]).rstrip(b"\n")) + b"\n")
    data = b"".join(parts)
    got = decode_lines(data, errors="replace")
    bad_items = [e for e in got if isinstance(e, InvalidEvent)]
    assert len(got) == 300 and len(bad_items) == 100
    for e in bad_items:
        assert data[e.offset :].startswith(e.raw) and e.raw.endswith(bad)
        assert e.line == data[: e.offset].count(b"\n") + 1
    assert list(iter_events(Trickle(data, 4099), errors="replace")) == got
    assert decode_lines(memoryview(data), errors="replace") == got
