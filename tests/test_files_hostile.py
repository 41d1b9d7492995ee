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
        for data in (gzip.compress(corpus.ndjson(SMALL)), b"\xef\xbb\xbf" + corpus.ndjson(SMALL),
                     b"\xef\xbb\xbf" + corpus.array(SMALL)):
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
            assert list(iter_events(Trickle(gzip.compress(corpus.ndjson(SMALL)) + trailer + gzip.compress(
                corpus.ndjson(SMALL)), 1), errors=errors)) == SMALL_EXPECTED * 2  # type: ignore[call-overload]

    @pytest.mark.parametrize("errors", ["strict", "replace"])
    def test_garbage_after_the_last_member(self, errors: str) -> None:
        got, err = _gz_events(self.MEMBER + b"\0\0garbage", errors)
        assert got == EXPECTED and err is not None
        assert str(err) == (f"offset {len(NDJSON)}: gzip data is followed by bytes that are not another member: "
                            f"compressed byte {len(self.MEMBER) + 2}, uncompressed byte {len(NDJSON)}")
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
        assert str(err) == ("offset 0: gzip data is corrupt (unknown compression method): compressed byte 0, "
                            "uncompressed byte 0")

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
        assert str(err) == (f"offset {produced}: gzip data ends early (truncated file): compressed byte {len(half)}, "
                            f"uncompressed byte {produced}")
        assert got == EXPECTED[: len(got)] and len(got) > 0
