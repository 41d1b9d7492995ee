"""Every core (issue #20): a file's byte ranges decoded by worker processes, each returning an aggregate.

A regular, uncompressed NDJSON or SSE file of at least :data:`MIN_SPLIT` bytes is cut into byte ranges at
boundaries its format allows: after a LF (NDJSON), after the LF that ends a blank line (SSE: ``\\n\\n`` or
``\\n\\r\\n``, so each range starts where an event may). Each worker opens the file by path, reads its range in
blocks (memory: a few blocks, as one job) and decodes it with the same framers as one job: an NDJSON range is
read from the LF before it (so a BOM-like first byte is data, as it is past the start of a file), an SSE range
after a comment line ``:`` (so the decoder knows the body is SSE). Errors come out with file-absolute byte
offsets and range-relative line numbers (line 1: the range's first line); the caller adds the lines before
the range (:func:`lines_before`). Anything else (stdin, a FIFO, gzip, a JSON array, a small file) is one job.
Workers return aggregates, never decoded events: pickling events back costs 12x their decode.
"""

from __future__ import annotations

import atexit
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import IO, TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar, cast

from ._bytes import BOM as _BOM
from ._bytes import DEFAULT_MAX_LINE_SIZE, JSON_WS
from ._decoder import decode_lines
from ._errors import DecodeError
from ._files import (
    _GZIP_MAGIC,
    BLOCK_SIZE,
    Format,
    Source,
    _batches,
    _check,
    _ndjson,
    _newlines,
    _Parts,
    _relocate,
    _sse,
    detect_format,
)

if TYPE_CHECKING:  # (imported when a pool starts: multiprocessing costs every command line's start otherwise)
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.process import BaseProcess

__all__ = ["MIN_SPLIT", "Range", "decode_range", "imap", "map_batches", "plan", "resolve_jobs"]

R = TypeVar("R")

#: Files smaller than this are read in one job (a worker's start costs more than it saves).
MIN_SPLIT = 8 << 20
_SEARCH = 1 << 16  # bytes read at a time looking for a cut point


class Range(NamedTuple):
    """One job's part of a file: ``path[start:end]``, in ``fmt``; ``start == 0`` for the first."""

    path: str
    fmt: str
    start: int
    end: int


def resolve_jobs(jobs: int | None) -> int:
    """``None`` and ``1``: one job (today's code path); ``0``: one per CPU (``os.cpu_count()``); else ``jobs``."""
    if jobs is None:
        return 1
    if type(jobs) is not int or jobs < 0:
        raise ValueError(f"jobs must be None or an int >= 0 (0: one per CPU), not {jobs!r}")
    return jobs or os.cpu_count() or 1


def splittable(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` may be split, by ``stat`` alone (nothing is read: a FIFO's bytes are read once): a
    regular file of :data:`MIN_SPLIT` bytes or more."""
    if os.fspath(path) == "-":
        return False
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size >= MIN_SPLIT


def plan(path: str | os.PathLike[str] | object, fmt: str | None, jobs: int) -> list[Range] | None:
    """The byte ranges of ``path`` for ``jobs`` workers, or None when it is read in one job: one job asked
    for, not a regular file (stdin, a FIFO, a device), smaller than :data:`MIN_SPLIT`, gzip, a JSON array,
    or no cut point found."""
    if jobs <= 1 or fmt not in ("ndjson", "sse") or not isinstance(path, (str, os.PathLike)):
        return None
    p: object = os.fspath(cast("str | os.PathLike[str]", path))
    if not isinstance(p, str) or p == "-":
        return None
    try:
        st = os.stat(p)
    except OSError:
        return None
    size = st.st_size
    if not stat.S_ISREG(st.st_mode) or size < MIN_SPLIT:
        return None
    cuts = [0]
    with open(p, "rb") as f:
        head = f.read(_SNIFF)
        if head[:2] == _GZIP_MAGIC or (fmt == "sse" and _SSE_LINE.search(head) is None):
            return None  # (SSE: one job decides whether a body with no SSE line in its head is SSE at all)
        for k in range(1, jobs):
            at = _cut_after(f, max(cuts[-1] + 1, size * k // jobs), size, fmt)
            if at is None or at >= size:
                break
            if at > cuts[-1]:
                cuts.append(at)
    if len(cuts) == 1:
        return None
    cuts.append(size)
    return [Range(p, fmt, a, b) for a, b in zip(cuts, cuts[1:], strict=False)]


_SNIFF = 1 << 16
_SSE_LINE = re.compile(rb"(?:^|[\r\n])(?:data|event|id|retry)?:")  # a line of a field or a comment


def _cut_after(f: IO[bytes], pos: int, size: int, fmt: str) -> int | None:
    """The first cut point at or after ``pos``: the end of a LF (NDJSON), of the LF of a blank line (SSE)."""
    # (start a little before pos: a blank line's pattern may begin there)
    at = max(0, pos - 2)
    while at < size:
        f.seek(at)
        b = f.read(_SEARCH + 2)
        if fmt == "ndjson":
            i = b.find(b"\n", pos - at - 1 if pos > at else 0)
            if i >= 0:
                return at + i + 1
        else:
            best = -1
            for needle in (b"\n\n", b"\n\r\n"):
                j = b.find(needle)
                while j >= 0 and at + j + len(needle) < pos:
                    j = b.find(needle, j + 1)
                if j >= 0 and (best < 0 or j + len(needle) < best):
                    best = j + len(needle)
            if best >= 0:
                return at + best
        if len(b) < _SEARCH + 2:
            return None
        at += _SEARCH
    return None


# -- one range ------------------------------------------------------------------------------------------------


def _blocks(rng: Range, counter: list[int] | None, eols: bool) -> Iterator[bytes]:
    """The range's bytes in blocks, after its prefix (see the module doc). ``counter[0]``: the line ends in
    the range (LF for NDJSON; ``eols``: CR, LF and CRLF, as SSE counts lines), counted as the blocks pass."""
    start, end = rng.start, rng.end
    lead = b""
    if start:
        if rng.fmt == "ndjson":
            start -= 1  # the LF that ends the previous range
        else:
            lead = b":\n"
    if lead:
        yield lead
    prev_cr = False
    lead_lf = rng.fmt == "ndjson" and rng.start > 0  # (the LF before the range: not one of its line ends)
    with open(rng.path, "rb") as f:
        f.seek(start)
        left = end - start
        while left > 0:
            b = f.read(min(BLOCK_SIZE, left))
            if not b:
                break
            left -= len(b)
            if counter is not None:
                n = _newlines(b)
                if lead_lf:
                    n -= 1
                    lead_lf = False
                if eols and b"\r" in b:
                    n += b.count(b"\r") - b.count(b"\r\n") - (1 if prev_cr and b[0] == 10 else 0)
                if eols:
                    prev_cr = b[-1] == 13
                counter[0] += n
            yield b


def decode_range(
    rng: Range,
    *,
    errors: str = "strict",
    decoder: Any = None,
    max_line_size: int = DEFAULT_MAX_LINE_SIZE,
    raw: bool = False,
    counter: list[int] | None = None,
    eols: bool = True,
    line_base: int = 0,
    locate: bool = True,
) -> _Parts:
    """``(events, input bytes)`` of one range, as one job's framers give them, errors moved to file-absolute
    offsets and range-relative lines (strict: the first error raised as :class:`DecodeError`; replace:
    :class:`InvalidEvent` in place). ``.index`` (SSE) counts from the range's first event. ``counter``: see
    :func:`_blocks`. ``line_base``: the line ends before the range, when known (added to every line).
    ``locate=False``: replace mode's InvalidEvents keep range coordinates (for a caller that never reads them:
    one pass over each part's types fewer)."""
    blocks = _blocks(rng, counter, eols and rng.fmt == "sse")
    if rng.start == 0:
        line_shift, offset_shift = line_base, 0
    else:
        line_shift = line_base - 1
        offset_shift = rng.start - (1 if rng.fmt == "ndjson" else 2)
    if rng.fmt == "ndjson":
        fn: Callable[..., list[Any]] = decoder.decode_lines if decoder is not None else decode_lines
        parts = _ndjson(blocks, errors, partial(fn, raw=True) if raw else fn, max_line_size, raw)
    else:
        whole = rng.start == 0 and rng.end >= os.stat(rng.path).st_size
        parts = _sse(blocks, errors, decoder, raw, part=not whole)
    if not (line_shift or offset_shift) or (errors == "replace" and not locate):
        yield from parts
        return
    try:
        for evs, n in parts:
            if errors == "replace":
                _relocate(evs, line_shift, offset_shift, 0)
            yield evs, n
    except DecodeError as err:
        raise err.shifted(line_shift, offset_shift, 0) from None


def lines_before(counts: Iterable[int]) -> list[int]:
    """Each range's line base from the line ends counted in each (the prefix sums)."""
    out: list[int] = []
    total = 0
    for c in counts:
        out.append(total)
        total += c
    return out


# -- the worker pool ------------------------------------------------------------------------------------------

_pools: dict[int, ProcessPoolExecutor] = {}


def _pool(jobs: int) -> ProcessPoolExecutor:
    """A pool of ``jobs`` worker processes, kept for the next call (forkserver where the platform has it:
    no state of the caller's is inherited; spawn elsewhere)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = _pools.get(jobs)
    if pool is None:
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if ctx.get_start_method() == "forkserver":  # imported once by the server, not once per worker
            ctx.set_forkserver_preload(["openresponses_msgspec._cli"])
        pool = _pools[jobs] = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)
    return pool


def _kill(jobs: int) -> None:
    """Stop a pool's workers now (what they were doing is no longer wanted) and forget the pool."""
    pool = _pools.pop(jobs, None)
    if pool is None:
        return
    running: dict[int, BaseProcess] = getattr(pool, "_processes", None) or {}
    procs = list(running.values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(5)


@atexit.register
def _shutdown() -> None:
    for jobs in list(_pools):
        _kill(jobs)


def imap(fn: Callable[..., R], tasks: list[tuple[Any, ...]], jobs: int) -> Iterator[R]:
    """``fn(*task)`` for each task in worker processes, results in task order. Leaving the iterator before
    its end (an error, a strict stop, ``--max-errors``) stops the workers still running."""
    from concurrent.futures.process import BrokenProcessPool

    pool = _pool(jobs)
    try:
        futures: list[Future[R]] = [pool.submit(fn, *t) for t in tasks]
    except BrokenProcessPool:
        _kill(jobs)
        pool = _pool(jobs)
        futures = [pool.submit(fn, *t) for t in tasks]
    done = 0
    try:
        for fut in futures:
            try:
                yield fut.result()
            except BrokenProcessPool:
                _kill(jobs)
                raise
            done += 1
    finally:
        if done < len(futures):
            for fut in futures:
                fut.cancel()
            if any(f.running() for f in futures):
                _kill(jobs)


# -- the public API -------------------------------------------------------------------------------------------


def map_batches(
    source: Source,
    fn: Callable[[Iterator[list[Any]]], R],
    *,
    jobs: int | None = None,
    format: Format | None = None,
    errors: Literal["strict", "replace"] = "strict",
    batch_size: int = 65536,
    max_line_size: int = DEFAULT_MAX_LINE_SIZE,
    raw: bool = False,
) -> list[R]:
    """``fn`` over the batches of each byte range of ``source``, in worker processes: its results in file order.

    ``fn`` takes an iterator of batches (lists of at most ``batch_size`` events) and returns an aggregate (a
    count, a ``Counter``, a small summary): a module-level function, and a picklable result. Decoded events
    never cross processes (pickling them costs 12 times their decode). ``jobs``: ``None`` or ``1``, one call
    ``fn(iter_batches(source, ...))`` in this process (a list of one result); ``0``, one worker per CPU; ``N``,
    up to ``N`` ranges. Only a path to a regular, uncompressed NDJSON or SSE file of :data:`MIN_SPLIT` bytes or
    more is split (cut after a line, SSE after a blank line); anything else is one call, in this process.
    Errors are as with one job: strict, the first :class:`DecodeError` by file position is raised (results of
    the ranges before it are dropped), with file-absolute ``.line``, ``.offset`` and (SSE) ``.index``;
    replace, every :class:`InvalidEvent` ``fn`` sees carries its file-absolute ``.line`` and ``.offset`` (the
    line ends before each range are counted first, in the workers, at memory speed). An SSE file read with
    ``errors="replace"`` is one call: an invalid event's ``.index`` counts the events before it, which only the
    decode of every range before it knows.
    """
    n = resolve_jobs(jobs)
    _check(format, errors, batch_size)
    ranges = None
    if n > 1 and isinstance(source, (str, os.PathLike)) and splittable(source):
        fmt = format or _path_format(source)
        if not (fmt == "sse" and errors == "replace"):
            ranges = plan(source, fmt, n)
    if ranges is None:
        return [
            fn(
                _batches(
                    source,
                    format=format,
                    errors=errors,
                    decoder=None,
                    batch_size=batch_size,
                    max_line_size=max_line_size,
                    raw=raw,
                )
            )
        ]
    bases = [0] * len(ranges)
    if errors == "replace":
        bases = lines_before(imap(_count_job, [(rng,) for rng in ranges], n))
    out: list[R] = []
    lines = index = 0
    opts = (errors, batch_size, max_line_size, raw)
    for result, failed, counted, events in imap(
        _map_job, [(rng, fn, base, opts) for rng, base in zip(ranges, bases, strict=True)], n
    ):
        if failed is not None:
            raise failed.shifted(lines, 0, index) from None
        out.append(cast("R", result))  # (None only beside an error)
        lines += counted
        index += events
    return out


def _path_format(path: str | os.PathLike[str]) -> str | None:
    """A file's format by its first non-blank byte (within 64 KiB), as :func:`iter_batches` detects it."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return None
    s = head.removeprefix(_BOM).lstrip(JSON_WS)
    return detect_format(s[:1]) if s else None


def _count_job(rng: Range) -> int:
    """A range's line ends (as its format's errors count lines), in a worker."""
    counter = [0]
    for _ in _blocks(rng, counter, rng.fmt == "sse"):
        pass
    return counter[0]


def _map_job(
    rng: Range, fn: Callable[[Iterator[list[Any]]], R], base: int, opts: tuple[str, int, int, bool]
) -> tuple[R | None, DecodeError | None, int, int]:
    """``fn`` over one range's batches (in a worker): its result, or the DecodeError that stopped it (lines
    range-relative: the caller adds the ranges' before it); the range's line ends; the events it handed out."""
    errors, batch_size, max_line_size, raw = opts
    counter = [0]
    events = 0

    def batches() -> Iterator[list[Any]]:
        nonlocal events
        batch: list[Any] = []
        for evs, _ in decode_range(
            rng, errors=errors, max_line_size=max_line_size, raw=raw, counter=counter, line_base=base
        ):
            events += len(evs)
            batch += evs
            while len(batch) >= batch_size:
                yield batch[:batch_size]
                del batch[:batch_size]
        if batch:
            yield batch

    it = batches()
    try:
        result = fn(it)
        for _ in it:  # (what fn left unread still counts for the lines and indices of the ranges after it)
            pass
    except DecodeError as err:
        return None, err, counter[0], events
    return result, None, counter[0], events
