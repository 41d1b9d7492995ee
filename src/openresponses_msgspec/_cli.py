"""The command line: ``openresponses-msgspec`` (or ``python -m openresponses_msgspec``).

Verbs: ``demo`` (the main job: decode and fold a realistic in-memory batch, with speed), ``stats``, ``validate``,
``convert``, ``cat``. Inputs are paths or ``-`` (stdin): NDJSON, SSE or JSON arrays, plain or gzip, detected.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fnmatch
import gzip
import importlib
import os
import re
import secrets
import stat
import statistics
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from typing import IO, Any, NoReturn, cast

import msgspec

from . import _jobs, _startup, arrow, corpus
from ._accumulate import PROBLEM_KINDS, ResponseAccumulator, StreamSplitter, accumulate
from ._audit import audit
from ._builtins import JSONValue, _lenient_json, to_builtins
from ._bytes import BOM, JSON_WS
from ._conformance import RULES, ConformanceChecker
from ._decoder import decode_lines
from ._errors import DecodeError, InvalidEvent, MissingExtraError, UnknownEvent
from ._files import _batches, detect_format
from ._jobs import Range, decode_range, imap, plan, resolve_jobs
from ._kernel import encode
from ._sse import decode_sse

PROG = "openresponses-msgspec"

EPILOG = f"""\
examples:
  {PROG} demo --events 20000
  {PROG} stats log.ndjson.gz --json
  {PROG} stats big.ndjson --jobs 0   (a worker process per CPU, each on a byte range)
  {PROG} validate capture.sse --max-errors 5
  {PROG} check capture.sse log.ndjson.gz
  {PROG} convert log.sse -o log.parquet
  {PROG} convert log.ndjson --responses -o responses.parquet
  curl -sN ... | {PROG} cat - --type 'response.output_text.*' --fields sequence_number,delta

Inputs are paths or - (stdin): NDJSON, SSE or JSON arrays, plain or gzip (detected; --format to state it).
Outputs (-o) are written to a temporary file beside them and renamed when complete.
Exit status: 0 ok, 1 bad input (a bad line, not an event stream, a failed demo check), 2 bad arguments
(a missing input, an unusable output path, a missing extra), 70 internal error (a bug: please report it),
74 I/O error (a full disk, a read error), 130 interrupted (Ctrl-C).
"""

EXIT_OK, EXIT_BAD_INPUT, EXIT_USAGE, EXIT_INTERNAL, EXIT_IO, EXIT_INTERRUPTED = 0, 1, 2, 70, 74, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit status 2
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class _UsageError(Exception):
    """A bad argument found after parsing (a missing file, an unknown output format): exit status 2."""


_encoder = msgspec.json.Encoder()


# -- reading --------------------------------------------------------------------------------------------------


class _BadInput(Exception):
    """Input that cannot be decoded in strict mode, or is no event stream: exit status 1, message located."""


class _IOFailure(Exception):
    """Reading an input or writing an output failed (a full disk, EIO): exit status 74."""


def _progress(paths: list[str], force: bool = False) -> Callable[[int], object] | None:
    """A byte-count progress bar on stderr when it is a terminal (or ``--progress``) and tqdm is installed."""
    if not (force or sys.stderr.isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        if force:
            raise MissingExtraError("--progress", "cli", "tqdm") from None
        return None
    total: int | None = 0
    for p in paths:
        try:
            st = os.stat(p) if p != "-" else None
        except OSError:
            st = None
        if st is None or not stat.S_ISREG(st.st_mode) or p.endswith(".gz") or total is None:
            total = None
        else:
            total += st.st_size
    bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, leave=False)
    update: Callable[[int], object] = bar.update
    return update


def _check_inputs(paths: list[str]) -> None:
    """Every input exists and can be read as a stream: a regular file, a FIFO, ``/dev/fd/N``, a device."""
    for p in paths:
        if p == "-":
            continue
        try:
            st = os.stat(p)
        except FileNotFoundError:
            raise _UsageError(f"no such file: {p}") from None
        except OSError as e:
            raise _UsageError(f"cannot read {p}: {e.strerror or e}") from None
        if stat.S_ISDIR(st.st_mode):
            raise _UsageError(f"{p} is a directory, not a file (name the files in it, e.g. {p.rstrip('/')}/*.ndjson)")
        if not os.access(p, os.R_OK):
            raise _UsageError(f"cannot read {p}: permission denied")


_HEAD = 64 << 10  # bytes looked at to tell an event stream from an error body, an HTML page or nothing
_SSE_FIELD = re.compile(rb"^(?:data|event|id|retry)[ \t]*(?::|\r?$)|^:", re.M)
_TITLE = re.compile(rb"<title[^>]*>\s*(.*?)\s*</title>", re.I | re.S)


class _Input:
    """An opened input (path, FIFO, ``/dev/fd/N`` or stdin) that counts the bytes read, and whose first bytes
    (decompressed when gzip) are looked at before the decoders see them (they are handed out again)."""

    def __init__(self, path: str) -> None:
        self.path = self.name = path  # name: what audit() calls a file object's input
        self._f: Any = sys.stdin.buffer if path == "-" else open(path, "rb")
        self.read_bytes = 0  # bytes read from the file (compressed ones for gzip)
        self._held: list[bytes] = []
        self.eof = False
        got = 0
        self.first = b""
        # a pipe hands out what it has: read until what the input is can be told (a live stream's first event
        # is enough, so `curl -N ... | cat -` shows events as they come), the head is full, or the input ends
        while got < _HEAD:
            b = self._raw_read(_HEAD)
            if not b:
                self.eof = True
                break
            self._held.append(b)
            got += len(b)
            self.first = b"".join(self._held)
            if _told(self.head()):
                break
        self._held = [self.first] if self.first else []

    def _raw_read(self, n: int) -> bytes:
        read = getattr(self._f, "read1", None) or self._f.read
        b = read(n)
        self.read_bytes += len(b)
        return bytes(b)

    def read1(self, n: int = -1) -> bytes:
        if self._held:
            return self._held.pop()
        return b"" if self.eof else self._raw_read(n if n > 0 else 1 << 20)

    read = read1

    def close(self) -> None:
        if self._f is not sys.stdin.buffer:
            self._f.close()

    def head(self) -> bytes:
        """The first bytes of the content (gunzipped when gzip; what a broken gzip start gives, else)."""
        return self._gunzipped_head()[0]

    def _gunzipped_head(self) -> tuple[bytes, bool]:
        """(the head, whether a gzip member ended in it: the head is all its content)."""
        if self.first[:2] == b"\x1f\x8b":
            d = zlib.decompressobj(31)
            try:
                return d.decompress(self.first, _HEAD), d.eof
            except zlib.error:
                return b"", False
        return self.first, True

    def whole(self) -> bool:
        """Whether the head holds the whole content (never for a gzip stream cut short or broken: the file
        reader says where it broke)."""
        head, complete = self._gunzipped_head()
        return self.eof and complete and (self.first[:2] != b"\x1f\x8b" or len(head) < _HEAD)


def _told(head: bytes) -> bool:
    """Whether the first bytes (not the whole input) are enough to tell an event stream from other bodies."""
    s = head.removeprefix(BOM).lstrip(JSON_WS)
    if not s:
        return False
    if s[:1] in (b"<", b"["):
        return True
    if s[:1] == b"{":  # a first line that is an event: a stream (an error body has no "type")
        nl = s.find(b"\n")
        if nl < 0:
            return False
        try:
            doc: JSONValue = _lenient_json(s[:nl])
        except msgspec.DecodeError:
            return False
        return isinstance(doc, dict) and isinstance(doc.get("type"), str)
    return _SSE_FIELD.search(s) is not None


def _not_a_stream(inp: _Input) -> str | None:
    """Why an input is no event stream (an empty input, an API error body, an HTML page, plain text), or None."""
    if not inp.first:
        return "empty input: no events"
    head = inp.head()
    s = head.removeprefix(BOM).lstrip(JSON_WS)
    if not s:
        return "empty input: no events (only whitespace)" if inp.whole() else None
    if s[:1] == b"<":
        m = _TITLE.search(s)
        title = f" ({_clip(m.group(1))})" if m else ""
        return f"not an event stream: an HTML page{title}, as a proxy or server error sends"
    if s[:1] == b"{" and inp.whole():
        try:
            doc: JSONValue = _lenient_json(s)
        except msgspec.DecodeError:
            return None  # NDJSON lines: the decoders tell what is wrong with them
        if isinstance(doc, dict) and not isinstance(doc.get("type"), str):
            err: JSONValue = doc.get("error")
            if isinstance(err, dict):
                what = ", ".join(str(err[k]) for k in ("type", "code") if isinstance(err.get(k), (str, int)))
                msg = err.get("message")
                return f"not an event stream: an API error body: {_clip(msg) if isinstance(msg, str) else '?'}" + (
                    f" ({what})" if what else ""
                )
            if isinstance(err, str):
                return f"not an event stream: an API error body: {_clip(err)}"
            if doc.get("object") == "response":
                return "not an event stream: one whole response object (a request without stream=true?)"
            return 'not an event stream: one JSON object without a "type"'
        return None
    if s[:1] not in (b"{", b"[") and not _SSE_FIELD.search(s):
        sample = s[:256]
        if b"\0" in sample or sum(b < 32 and b not in b"\t\r\n" or b == 127 for b in sample) * 10 > len(sample):
            return f"not an event stream: binary data (first bytes: {sample[:8].hex(' ')})"
        first_line = s.split(b"\n", 1)[0]
        return f"not an event stream: text without SSE fields ({_clip(first_line)})"
    return None


def _clip(v: bytes | str, n: int = 80) -> str:
    t = v.decode("utf-8", "replace") if isinstance(v, bytes) else v
    t = " ".join(t.split())
    return repr(t if len(t) <= n else t[: n - 3] + "...")


def _open_stream(p: str) -> _Input:
    """The input ``p`` opened, its head looked at: what is no event stream (empty, an API error body, an HTML
    page, plain text, binary data) is refused here, in one line, for every verb."""
    try:
        inp = _Input(p)
    except OSError as e:
        raise _IOFailure(f"{p}: cannot read: {e.strerror or e}") from None
    why = _not_a_stream(inp)
    if why is not None:
        inp.close()
        raise _BadInput(f"{p}: {why}")
    return inp


def _read(
    paths: list[str],
    args: argparse.Namespace,
    errors: str = "strict",
    on_bytes: Callable[[int], object] | None = None,
    raw: bool = False,
) -> Iterator[tuple[str, list[Any]]]:
    """``(path, batch)`` for each batch of events, every input failure turned into a one-line
    :class:`_BadInput` or :class:`_IOFailure` naming the file. ``raw``: batches of ``(event, bytes)`` pairs
    (the bytes ``None`` where the input's framing cannot give them)."""
    for p in paths:
        inp = _open_stream(p)
        decoded = 0

        def count(n: int) -> None:
            nonlocal decoded
            decoded += n
            if on_bytes is not None:
                on_bytes(n)

        try:
            # raw: the file reader pairs each event with its original bytes, in every format
            for batch in _batches(
                inp, format=args.format, errors=errors, decoder=None, batch_size=65536, on_bytes=count, raw=raw
            ):
                yield p, batch
        except DecodeError as err:
            if err.msg.startswith("gzip data"):  # how far it got: "compressed byte N, uncompressed byte M"
                raise _BadInput(f"{p}: {err.msg}") from None
            raise _BadInput(f"{_where(p, err)}: {_message(err)}") from None
        except OSError as e:
            if e.errno == errno.EPIPE or isinstance(e, BrokenPipeError):
                raise
            raise _IOFailure(f"{p}: read error after {inp.read_bytes:,} bytes: {e.strerror or e}") from None
        finally:
            inp.close()


def _where(path: str, err: DecodeError | InvalidEvent) -> str:
    line = "-" if err.line is None else str(err.line)
    offset = "-" if err.offset is None else str(err.offset)
    return f"{path}:{line}:{offset}"


def _message(err: DecodeError) -> str:
    return err.msg  # located by the FILE:LINE:OFFSET prefix


# -- verbs ----------------------------------------------------------------------------------------------------


class _Responses:
    """What ``stats`` sums over responses (picklable: a worker returns one)."""

    __slots__ = ("by_model", "by_status", "problems", "responses", "tokens")

    def __init__(self) -> None:
        self.by_status: Counter[str] = Counter()
        self.by_model: Counter[str] = Counter()
        self.problems: Counter[str] = Counter()
        self.tokens = dict.fromkeys(("input", "output", "total", "reasoning", "cached"), 0)
        self.responses = 0

    def fold(self, accs: list[ResponseAccumulator]) -> None:
        for acc in accs:
            self.add(_summary(acc))

    def add(self, s: tuple[str, str, tuple[str, ...], tuple[int, ...] | None]) -> None:
        self.responses += 1
        self.by_status[s[0]] += 1
        self.by_model[s[1]] += 1
        self.problems.update(s[2])
        if s[3] is not None:
            for k, v in zip(self.tokens, s[3], strict=True):
                self.tokens[k] += v

    def merge(self, other: _Responses) -> None:
        self.responses += other.responses
        self.by_status.update(other.by_status)
        self.by_model.update(other.by_model)
        self.problems.update(other.problems)
        for k, v in other.tokens.items():
            self.tokens[k] += v


def _summary(acc: ResponseAccumulator) -> tuple[str, str, tuple[str, ...], tuple[int, ...] | None]:
    """What ``stats`` counts of one response: status, model, problem kinds, tokens."""
    u = acc.usage
    tokens = None
    if u is not None:
        tokens = (
            _int(u.input_tokens),
            _int(u.output_tokens),
            _int(u.total_tokens),
            _int(getattr(u.output_tokens_details, "reasoning_tokens", None)),
            _int(getattr(u.input_tokens_details, "cached_tokens", None)),
        )
    return acc.status, acc.model or "(none)", tuple(p.kind for p in acc.problems), tokens


class _Events:
    """What ``stats`` counts over events (picklable: a worker returns one)."""

    __slots__ = ("invalid", "n", "nbytes", "types", "unknown")

    def __init__(self) -> None:
        self.types: Counter[str] = Counter()
        self.n = self.unknown = self.invalid = self.nbytes = 0

    def add(self, batch: list[Any]) -> None:
        self.n += len(batch)
        kinds = Counter(map(type, batch))
        self.unknown += kinds[UnknownEvent]
        self.invalid += kinds[InvalidEvent]
        self.types.update(ev.type for ev in batch if type(ev) is not InvalidEvent)

    def merge(self, other: _Events) -> None:
        self.n += other.n
        self.unknown += other.unknown
        self.invalid += other.invalid
        self.nbytes += other.nbytes
        self.types.update(other.types)


def _jobs_of(args: argparse.Namespace) -> int:

    return resolve_jobs(getattr(args, "jobs", None))


def _ranges(path: str, args: argparse.Namespace) -> list[Range] | None:
    """The byte ranges ``--jobs`` splits ``path`` into, or None: one job (``--jobs 1``, stdin, a FIFO, gzip,
    a JSON array, a file under 8 MiB). What is no event stream is refused here as one job refuses it."""

    jobs = _jobs_of(args)
    if jobs <= 1 or path == "-":
        return None
    if not _jobs.splittable(path):  # (decided by stat: a FIFO's first bytes are read once, by the one job)
        return None
    inp = _open_stream(path)
    head = inp.head()
    inp.close()
    fmt = args.format
    if fmt is None:
        s = head.removeprefix(BOM).lstrip(JSON_WS)
        if not s:
            return None
        fmt = detect_format(s[:1])
    return plan(path, fmt, jobs)


# stats with --jobs: a response may straddle two ranges. Each worker folds its range with a splitter of its
# own, then goes on into the next range until its splitter starts a stream there "cleanly" (a new accumulator
# not linked to the one before it, no WebSocket lanes): from that event on, one job's splitter is in the same
# state as a fresh one. The next worker notes where its own fresh splitter started streams cleanly in its
# first _SYNC events; where both agree, the second takes over. Where they cannot agree (no clean start found,
# lanes), the file is read again in one job: slower, never different.
_SYNC = 1 << 16
_NOSYNC, _TO_EOF = -2, -1


def _stats_job(rng: Range, nxt: Range | None, last: bool) -> tuple[Any, ...]:
    """One range's stats (in a worker): events, responses, and how its folds meet its neighbours'."""

    evs = _Events()
    resp = _Responses()
    head: list[tuple[int, bool, Any]] = []  # (start event, started cleanly, summary) of the first streams
    splitter = StreamSplitter()
    pos = 0  # events folded so far
    at = 0  # where the next stream to come out starts
    clean = True  # ... and whether it started cleanly
    sync: int | None = None

    def emitted(accs: list[ResponseAccumulator], overlap: bool) -> bool:
        nonlocal at, clean, sync
        for acc in accs:
            if rng.start and at < _SYNC:
                head.append((at, clean, _summary(acc)))
            else:
                resp.add(_summary(acc))
            at += acc.events
            clean = acc.steered_into is None and not splitter._laned
            if overlap and clean:
                sync = at - own
                return True
        return False

    lead = 0 if rng.start == 0 else 1 if rng.fmt == "ndjson" else 2
    for batch, nbytes in decode_range(rng, errors="replace", locate=False):  # (stats reads no error's line)
        evs.nbytes += nbytes
        if batch:
            evs.add(batch)
            pos += len(batch)
            emitted(splitter.feed(batch), False)
    evs.nbytes -= lead
    own = pos
    laned = splitter._laned
    if nxt is None:
        emitted(splitter.close(), False)
    else:
        for batch, _ in decode_range(nxt, errors="replace", locate=False):
            if not batch:
                continue
            pos += len(batch)
            if emitted(splitter.feed(batch), True):
                break
            if pos - own >= _SYNC:
                break
        else:
            if last:
                emitted(splitter.close(), False)
                sync = _TO_EOF
        if sync is None or sync >= _SYNC:
            sync = _NOSYNC
        laned = laned or splitter._laned
    return evs, resp, head, sync, laned


def _stats_jobs(
    ranges: list[Range], jobs: int, evs: _Events, resp: _Responses, bar: Callable[[int], object] | None
) -> bool:
    """Stats of one file by ``jobs`` workers, added to ``evs`` and ``resp``; False (nothing added) when the
    workers' folds cannot be joined exactly: the caller reads the file in one job."""

    tasks = [
        (rng, ranges[k + 1] if k + 1 < len(ranges) else None, k + 2 == len(ranges)) for k, rng in enumerate(ranges)
    ]
    results: list[tuple[Any, ...]] = []
    for r in imap(_stats_job, tasks, jobs):
        results.append(r)
        if bar is not None:
            bar(r[0].nbytes)
    file_resp = _Responses()
    sync: int | None = 0
    for k, (_, r_resp, head, r_sync, laned) in enumerate(results):
        if laned:
            return False
        if sync == _TO_EOF:  # the range before read to the end of the file
            continue
        if k:
            if sync not in {at for at, clean, _ in head if clean} and not (sync == 0 and not head):
                return False
            for at, _, summary in head:
                if at >= sync:
                    file_resp.add(summary)
        file_resp.merge(r_resp)
        sync = r_sync
        if sync == _NOSYNC:
            return False
    for r in results:
        evs.merge(r[0])
    resp.merge(file_resp)
    return True


def cmd_stats(args: argparse.Namespace) -> int:
    _check_inputs(args.files)
    t0 = time.perf_counter()
    evs = _Events()
    resp = _Responses()

    def count(n_: int) -> object:
        evs.nbytes += n_
        if bar is not None:
            bar(n_)
        return None

    bar = _progress(args.files, args.progress)
    failed: list[_BadInput] = []  # inputs that are no event stream (or break off): reported, the others counted
    for path in args.files:
        splitter = StreamSplitter()
        try:
            ranges = _ranges(path, args)
            if ranges is not None and _stats_jobs(ranges, _jobs_of(args), evs, resp, bar):
                continue
            for _, batch in _read([path], args, "replace", count):
                evs.add(batch)
                resp.fold(splitter.feed(batch))
        except _BadInput as err:
            if len(args.files) == 1:
                raise
            print(str(err), file=sys.stderr)
            failed.append(err)
        resp.fold(splitter.close())
    n, unknown, invalid, nbytes, types = evs.n, evs.unknown, evs.invalid, evs.nbytes, evs.types
    responses, by_status, by_model, problems, tokens = (
        resp.responses,
        resp.by_status,
        resp.by_model,
        resp.problems,
        resp.tokens,
    )
    if failed and len(failed) == len(args.files):
        raise _BadInput(f"{PROG} stats: no input was an event stream")
    seconds = time.perf_counter() - t0
    report = {
        "files": args.files,
        "failed_files": len(failed),
        "events": n,
        "bytes": nbytes,
        "seconds": round(seconds, 3),
        "events_per_second": round(n / seconds) if seconds > 0 else None,
        "unknown_events": unknown,
        "invalid_events": invalid,
        "events_by_type": dict(types.most_common()),
        "responses": responses,
        "responses_by_status": dict(by_status.most_common()),
        "responses_by_model": dict(by_model.most_common()),
        "tokens": tokens,
        "problems": {k: problems[k] for k in PROBLEM_KINDS if problems[k]},
    }
    status = 1 if failed else 0
    if args.json:
        sys.stdout.write(_encoder.encode(report).decode() + "\n")
        return status
    print(
        f"{n:,} events ({unknown:,} unknown, {invalid:,} invalid) in {nbytes / 1e6:.1f} MB, "
        f"{seconds:.2f} s = {n / seconds if seconds else 0:,.0f} events/s"
    )
    _table("events by type", types.most_common())
    print(f"\n{responses:,} responses")
    _table("by status", by_status.most_common())
    _table("by model", by_model.most_common())
    _table("tokens", list(tokens.items()))
    if problems:
        _table("stream problems", [(k, problems[k]) for k in PROBLEM_KINDS if problems[k]])
    return status


def _int(v: object) -> int:
    return v if type(v) is int else 0


def _table(title: str, rows: list[tuple[str, int]]) -> None:
    if not rows:
        return
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}:")
    for k, v in rows:
        print(f"  {k:<{width}}  {v:>12,}")


class _Notes:
    """Messages a worker found, with range-relative lines, kept in a temporary file (memory stays bounded
    however many there are): ``[line, offset, message]`` per line."""

    def __init__(self, directory: str) -> None:
        import tempfile

        fd, self.path = tempfile.mkstemp(dir=directory, suffix=".notes")
        self._f: IO[bytes] | None = os.fdopen(fd, "wb")
        self.n = 0

    def add(self, ev: InvalidEvent, verdict: str = "") -> None:
        assert self._f is not None
        self._f.write(_encoder.encode((ev.line, ev.offset, verdict + _message(ev.error))) + b"\n")
        self.n += 1

    def close(self) -> _Notes:
        if self._f is not None:
            self._f.close()
            self._f = None
        return self

    def read(self, base: int) -> Iterator[tuple[str, str, str]]:
        """(line, offset, message), lines made file-absolute by ``base`` (the lines before the range); the file
        is removed once read."""
        try:
            with open(self.path, "rb") as f:
                for rec in f:
                    line, offset, msg = msgspec.json.decode(rec)
                    yield ("-" if line is None else str(line + base)), ("-" if offset is None else str(offset)), msg
        finally:
            with contextlib.suppress(OSError):
                os.unlink(self.path)


@contextlib.contextmanager
def _scratch() -> Generator[str, None, None]:
    """A temporary directory for the workers' files (removed with whatever a stopped worker left in it)."""
    import shutil
    import tempfile

    d = tempfile.mkdtemp(prefix="openresponses-msgspec-jobs-")
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _validate_job(rng: Range, limit: int, scratch: str) -> tuple[_Notes, int, int]:
    """One range's bad events (in a worker), at most ``limit`` (0: all); its line ends; its bytes."""

    notes = _Notes(scratch)
    lines = [0]
    nbytes = 0
    try:
        for batch, n in decode_range(rng, errors="replace", counter=lines):
            nbytes += n
            if InvalidEvent not in set(map(type, batch)):
                continue
            for ev in batch:
                if type(ev) is InvalidEvent:
                    notes.add(ev)
                    if limit and notes.n >= limit:
                        return notes.close(), lines[0], nbytes
    finally:
        notes.close()
    return notes, lines[0], nbytes


def _validate_jobs(
    ranges: list[Range], jobs: int, limit: int, bar: Callable[[int], object] | None
) -> Iterator[tuple[str, str, str]]:
    """The bad events of a file's ranges, read by ``jobs`` workers, in file order with file-absolute lines."""

    base = 0
    with _scratch() as scratch:
        results = imap(_validate_job, [(rng, limit, scratch) for rng in ranges], jobs)
        try:
            for notes, lines, nbytes in results:
                if bar is not None:
                    bar(nbytes)
                yield from notes.read(base)
                base += lines
        finally:
            results.close()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]


def cmd_validate(args: argparse.Namespace) -> int:
    _check_inputs(args.files)
    bad = 0
    bar = _progress(args.files, args.progress)
    for path in args.files:
        try:
            ranges = _ranges(path, args)
            if ranges is not None:
                for line, offset, msg in _validate_jobs(ranges, _jobs_of(args), args.max_errors, bar):
                    bad += 1
                    print(f"{path}:{line}:{offset}: {msg}")
                    if args.max_errors and bad >= args.max_errors:
                        print(f"{PROG}: stopped after {bad} errors (--max-errors)", file=sys.stderr)
                        return 1
                continue
            for _, batch in _read([path], args, "replace", bar):
                if InvalidEvent not in set(map(type, batch)):
                    continue
                for ev in batch:
                    if type(ev) is InvalidEvent:
                        bad += 1
                        print(f"{_where(path, ev)}: {_message(ev.error)}")
                        if args.max_errors and bad >= args.max_errors:
                            print(f"{PROG}: stopped after {bad} errors (--max-errors)", file=sys.stderr)
                            return 1
        except _BadInput as err:  # the file itself is unreadable past this point (bad gzip, broken array)
            bad += 1
            print(str(err))
    if bad:
        print(f"{bad} bad {'event' if bad == 1 else 'events'}", file=sys.stderr)
    return 1 if bad else 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Every wire tag and field of the input that the model does not keep (issue #18); exit 1 if any."""
    _check_inputs(args.files)
    sources: list[Any] = []
    try:
        for p in args.files:  # what the other verbs refuse (empty, an API error body, HTML) is refused here too
            inp = _open_stream(p)
            sources.append(inp)
            if p != "-" and stat.S_ISREG(os.stat(p).st_mode):  # a file is read again by path, a block at a time
                inp.close()
                sources[-1] = p
        try:
            report = audit(*sources, format=args.format, jobs=_jobs_of(args))
        except DecodeError as err:  # a corrupt or truncated gzip input (the message names it)
            raise _BadInput(err.msg) from None
    finally:
        for src in sources:
            if isinstance(src, _Input):
                src.close()
    print(msgspec.json.encode(report).decode() if args.json else report.format())
    return 0 if report.ok else 1


def cmd_check(args: argparse.Namespace) -> int:
    """Protocol conformance (issue #21): every broken lifecycle rule as FILE:N: rule: message, a summary per
    rule; exit 1 if a fatal rule was broken (any rule with --strict)."""
    _check_inputs(args.files)
    by_rule: Counter[str] = Counter()
    found: list[dict[str, Any]] = []
    events = streams = 0
    bar = _progress(args.files, args.progress)
    for path in args.files:
        checker = ConformanceChecker()
        shown = 0

        def flush(path: str = path, checker: ConformanceChecker = checker) -> None:
            nonlocal shown
            got = checker.violations
            for v in got[shown:]:
                by_rule[v.rule] += 1
                if args.json:
                    found.append(
                        {
                            "file": path,
                            "event": v.position + 1,
                            "rule": v.rule,
                            "fatal": v.fatal,
                            "sequence_number": v.sequence_number,
                            "message": v.message,
                        }
                    )
                else:
                    seq = "" if v.sequence_number is None else f" (sequence_number {v.sequence_number})"
                    print(f"{path}:{v.position + 1}: {v.rule}: {v.message}{seq}")
            shown = len(got)

        for _, batch in _read([path], args, "replace", bar):
            checker.feed(batch)
            if len(checker.violations) > shown:
                flush()
        checker.close()
        flush()
        events += checker.events
        streams += checker.streams
    fatal = sum(n for rule, n in by_rule.items() if RULES[rule].fatal)
    failed = fatal > 0 or (args.strict and sum(by_rule.values()) > 0)
    if args.json:
        report = {
            "files": args.files,
            "events": events,
            "streams": streams,
            "violations": found,
            "by_rule": {r: by_rule[r] for r in RULES if by_rule[r]},
            "fatal": fatal,
            "ok": not failed,
        }
        sys.stdout.write(_encoder.encode(report).decode() + "\n")
        return EXIT_BAD_INPUT if failed else EXIT_OK
    total = sum(by_rule.values())
    if total:
        print("\nviolations by rule:")
        width = max(len(r) for r in by_rule)
        for r in RULES:
            if by_rule[r]:
                note = "" if RULES[r].fatal else "  (not fatal)"
                print(f"  {r:<{width}}  {by_rule[r]:>8,}{note}")
    print(
        f"{total:,} {'violation' if total == 1 else 'violations'} ({fatal:,} fatal) in {streams:,} "
        f"{'stream' if streams == 1 else 'streams'}, {events:,} events"
    )
    return EXIT_BAD_INPUT if failed else EXIT_OK


_OUT_FORMATS = ("ndjson", "sse", "array", "parquet")


def _out_format(args: argparse.Namespace) -> str:
    if args.to:
        return str(args.to)
    name = (args.output or "-").removesuffix(".gz")
    for ext, fmt in (
        (".parquet", "parquet"),
        (".ndjson", "ndjson"),
        (".jsonl", "ndjson"),
        (".sse", "sse"),
        (".json", "array"),
    ):
        if name.endswith(ext):
            return fmt
    if args.output in (None, "-"):
        return "ndjson"
    raise _UsageError(f"cannot tell the output format from {args.output!r}: use --to {{{','.join(_OUT_FORMATS)}}}")


class _Output:
    """Where a verb writes: stdout, or a file written under a temporary name in its directory and renamed over
    the path only when complete (a failure or Ctrl-C leaves the path as it was). A path that exists and is not
    a regular file (``/dev/null``, a FIFO) is written in place."""

    def __init__(self, path: str | None, inputs: list[str]) -> None:
        self.path = None if path in (None, "-") else path
        self.tmp: str | None = None
        self._mode: int | None = None
        self._file: IO[bytes] | None = None
        if self.path is None:
            self.stream: IO[bytes] = sys.stdout.buffer
            return
        p = self.path
        try:
            st: os.stat_result | None = os.stat(p)
        except FileNotFoundError:
            st = None
        except OSError as e:
            raise _UsageError(f"cannot write {p}: {e.strerror or e}") from None
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise _UsageError(f"the output {p} is a directory: name a file (-o {p.rstrip('/')}/out.ndjson)")
        for i in inputs:
            if i != "-" and st is not None and _same_file(i, st):
                raise _UsageError(f"the output {p} is also an input: write to another file, then rename it")
        directory = os.path.dirname(os.path.abspath(p))
        if not os.path.isdir(directory):
            raise _UsageError(f"cannot write {p}: no such directory: {os.path.dirname(p) or '.'}")
        if st is not None and not stat.S_ISREG(st.st_mode):  # a device or FIFO: no temporary file, no rename
            self.path = None
            self._file = self._open(p)
            self.stream = self._wrap(self._file, p)
            return
        self._mode = None if st is None else stat.S_IMODE(st.st_mode)  # an existing file keeps its mode
        try:
            fd, self.tmp = _create_beside(directory, os.path.basename(p))
        except OSError as e:
            raise _UsageError(f"cannot write in {directory}: {e.strerror or e}") from None
        self._file = os.fdopen(fd, "wb")
        self.stream = self._wrap(self._file, p)

    @staticmethod
    def _open(p: str) -> IO[bytes]:
        try:
            return open(p, "wb")
        except OSError as e:
            raise _UsageError(f"cannot write {p}: {e.strerror or e}") from None

    @staticmethod
    def _wrap(f: IO[bytes], p: str) -> IO[bytes]:
        return cast("IO[bytes]", gzip.GzipFile(fileobj=f, mode="wb")) if p.endswith(".gz") else f

    def commit(self) -> None:
        """Flush and close; move the temporary file over the path (created as a new file would be, mode 0666
        less the umask; a file that was there keeps its mode)."""
        self.stream.flush()
        if self.stream is not self._file and self._file is not None:
            self.stream.close()
        if self._file is not None:
            self._file.close()
        if self.tmp is not None and self.path is not None:
            if self._mode is not None:
                os.chmod(self.tmp, self._mode)
            os.replace(self.tmp, self.path)
            self.tmp = None

    def abort(self) -> None:
        """Drop the temporary file (the path keeps what it had)."""
        for f in (self.stream, self._file) if self._file is not None else ():
            with contextlib.suppress(Exception):
                f.close()
        if self.tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.tmp)
            self.tmp = None


def _create_beside(directory: str, base: str) -> tuple[int, str]:
    """A new temporary file in ``directory`` (O_EXCL), mode 0666 less the umask as the kernel applies it (no
    ``os.umask`` call: it is process-wide, and another thread creating a file meanwhile would get its mask)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.part")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", directory)


def _same_file(path: str, st: os.stat_result) -> bool:
    try:
        other = os.stat(path)
    except OSError:
        return False
    return (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino)


def _response_json(acc: ResponseAccumulator) -> bytes:
    row = arrow.response_row(acc)
    for k in ("function_calls", "problems", "response"):
        if row[k] is not None:
            row[k] = _lenient_json(row[k])
    return _encoder.encode(row)


def _split(batch: list[Any], framed: bool) -> tuple[list[Any], list[bytes | None]]:
    if framed:
        return [f[0] for f in batch], [f[1] for f in batch]
    return batch, [None] * len(batch)


def cmd_convert(args: argparse.Namespace) -> int:
    _check_inputs(args.files)
    fmt = _out_format(args)
    if fmt == "parquet" and args.output in (None, "-"):
        raise _UsageError("Parquet needs an output file: -o FILE.parquet")
    if fmt == "parquet":
        try:
            importlib.import_module("pyarrow.parquet")  # here, before any input is read
        except ImportError:
            raise MissingExtraError("Parquet output", "arrow", "pyarrow") from None
    bar = _progress(args.files, args.progress)
    keep_invalid = fmt == "parquet" and not args.responses  # bad lines stay rows (known=false), as in to_arrow
    framed = not args.reencode and not args.responses

    def items(paths: list[str]) -> Iterator[tuple[list[Any], list[bytes | None]]]:
        for path in paths:
            splitter = StreamSplitter() if args.responses else None
            for _, batch in _read([path], args, "replace", bar, raw=framed):
                evs, raws = _split(batch, framed)
                if InvalidEvent in set(map(type, evs)):
                    kept: list[Any] = []
                    kept_raw: list[bytes | None] = []
                    for ev, r in zip(evs, raws, strict=True):
                        if type(ev) is not InvalidEvent:
                            kept.append(ev)
                            kept_raw.append(r)
                        elif args.errors == "strict":  # what came before it is written first
                            if splitter is None:
                                yield kept, kept_raw
                            raise _BadInput(f"{_where(path, ev)}: {_message(ev.error)}")
                        elif keep_invalid:
                            kept.append(ev)
                            kept_raw.append(r)
                            print(
                                f"{_where(path, ev)}: kept as a row with known=false: {_message(ev.error)}",
                                file=sys.stderr,
                            )
                        else:
                            print(f"{_where(path, ev)}: skipped: {_message(ev.error)}", file=sys.stderr)
                    evs, raws = kept, kept_raw
                if splitter is not None:
                    done = splitter.feed(evs)
                    if done:
                        yield done, [None] * len(done)
                else:
                    yield evs, raws
            if splitter is not None:
                done = splitter.close()
                yield done, [None] * len(done)

    out = _Output(args.output, args.files)
    try:
        if fmt == "parquet":
            _write_parquet(out, items(args.files), args.responses)
        else:
            writer = _TextWriter(out.stream, fmt, args.responses)
            for path in args.files:
                ranges = None if args.responses else _ranges(path, args)
                if ranges is None:
                    for batch, raws in items([path]):
                        writer.write(batch, raws)
                else:
                    _convert_jobs(path, ranges, _jobs_of(args), args, fmt, framed, writer, bar)
            writer.close()
        out.commit()
    except BaseException:
        out.abort()
        raise
    return 0


def _convert_job(rng: Range, fmt: str, errors: str, framed: bool, scratch: str) -> tuple[str, _Notes, int, int, bool]:
    """One range converted (in a worker) into a file of its own (array elements each after a comma); its
    stderr messages in notes (strict: the bad event that stopped it); its line ends; its bytes; stopped."""
    import tempfile

    notes = _Notes(scratch)
    lines = [0]
    nbytes = 0
    fd, out_path = tempfile.mkstemp(dir=scratch, suffix=".out")
    stopped = False
    with os.fdopen(fd, "wb") as f:
        writer = _TextWriter(f, fmt, False, first=False)
        try:
            for batch, n in decode_range(rng, errors="replace", raw=framed, counter=lines):
                nbytes += n
                evs, raws = _split(batch, framed)
                if InvalidEvent in set(map(type, evs)):
                    kept: list[Any] = []
                    kept_raw: list[bytes | None] = []
                    for ev, r in zip(evs, raws, strict=True):
                        if type(ev) is not InvalidEvent:
                            kept.append(ev)
                            kept_raw.append(r)
                        elif errors == "strict":
                            notes.add(ev)
                            writer.write(kept, kept_raw)
                            stopped = True
                            break
                        else:
                            notes.add(ev, "skipped: ")
                    if stopped:
                        break
                    evs, raws = kept, kept_raw
                writer.write(evs, raws)
        finally:
            notes.close()
    return out_path, notes, lines[0], nbytes, stopped


def _convert_jobs(
    path: str,
    ranges: list[Range],
    jobs: int,
    args: argparse.Namespace,
    fmt: str,
    framed: bool,
    writer: _TextWriter,
    bar: Callable[[int], object] | None,
) -> None:
    """A file's events converted by ``jobs`` workers, written in file order: each range's output is copied
    after the one before it, its messages printed with file-absolute lines; strict: the output up to the
    first bad event, then :class:`_BadInput` for it, exactly as one job."""

    base = 0
    with _scratch() as scratch:
        results = imap(_convert_job, [(rng, fmt, args.errors, framed, scratch) for rng in ranges], jobs)
        try:
            for out_path, notes, lines, nbytes, stopped in results:
                if bar is not None:
                    bar(nbytes)
                msgs = list(notes.read(base)) if stopped else None
                if msgs is None:
                    for line, offset, msg in notes.read(base):
                        print(f"{path}:{line}:{offset}: {msg}", file=sys.stderr)
                writer.copy(out_path)
                if msgs:
                    line, offset, msg = msgs[0]
                    raise _BadInput(f"{path}:{line}:{offset}: {msg}")
                base += lines
        finally:
            results.close()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]


class _TextWriter:
    """Events (or responses) written as NDJSON, SSE or the elements of a JSON array. ``first=False``: every
    array element after a comma (a worker's part of an array, see :meth:`copy`); no brackets."""

    def __init__(self, out: IO[bytes], fmt: str, responses: bool, first: bool = True) -> None:
        self.out, self.fmt, self.responses = out, fmt, responses
        self.whole = first  # brackets around an array
        self.first = first
        if fmt == "array" and first:
            out.write(b"[")

    def write(self, batch: list[Any], raws: list[bytes | None]) -> None:
        write, fmt, responses = self.out.write, self.fmt, self.responses
        for item, raw in zip(batch, raws, strict=True):
            if responses:
                data = _response_json(item)
            elif raw is not None and (fmt == "array" or (b"\r" if fmt == "sse" else b"\n") not in raw):
                # the original bytes, unchanged (an SSE line ends at a CR too; an NDJSON line at a LF)
                data = raw
            elif raw is not None:  # the same JSON, its whitespace taken out (every value kept)
                data = _compact(raw)
            else:
                data = encode(item) if type(item) is not UnknownEvent else _compact(item.raw)
            if fmt == "ndjson":
                write(data + b"\n")
            elif fmt == "sse":
                kind = "response" if responses else getattr(item, "type", None)
                body = data.replace(b"\n", b"\ndata: ") if b"\n" in data else data
                # (no event: line for a type holding a line end: it would start another SSE field)
                named = b""
                if isinstance(kind, str) and "\n" not in kind and "\r" not in kind:
                    named = b"event: " + kind.encode() + b"\n"
                write(named + b"data: " + body + b"\n\n")
            else:
                write((b"\n" if self.first else b",\n") + data)
            self.first = False

    def copy(self, path: str) -> None:
        """Append what a worker's writer (``first=False``) wrote to ``path``."""
        with open(path, "rb") as f:
            head = True
            while b := f.read(1 << 20):
                if head and self.fmt == "array" and self.first:
                    b = b[1:]  # the comma before the array's first element
                head = False
                self.first = False
                self.out.write(b)

    def close(self) -> None:
        if self.fmt == "array" and self.whole:
            self.out.write(b"\n]\n" if not self.first else b"]\n")


def _compact(raw: bytes) -> bytes:
    """JSON on one line (an event received across SSE data lines, for an NDJSON line or an SSE data line)."""
    return msgspec.json.format(raw, indent=0) if b"\n" in raw or b"\r" in raw else raw


def _write_parquet(out: _Output, batches: Iterator[tuple[list[Any], list[bytes | None]]], responses: bool) -> None:
    import pyarrow.parquet as pq

    schema = arrow.RESPONSE_SCHEMA if responses else arrow.EVENT_SCHEMA
    with pq.ParquetWriter(out.stream, schema) as writer:
        for batch, raws in batches:
            if responses:
                writer.write_table(arrow.responses_to_arrow(batch))
            else:
                writer.write_table(arrow.to_arrow(batch, raw=raws if any(r is not None for r in raws) else None))


def _select(d: Any, fields: list[list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in fields:
        v: JSONValue = d
        for part in path:
            v = v.get(part) if isinstance(v, dict) else None
        out[".".join(path)] = v
    return out


def cmd_cat(args: argparse.Namespace) -> int:
    _check_inputs(args.files)
    patterns = [t for arg in args.type or () for t in arg.split(",")]
    fields = [f.split(".") for arg in args.fields or () for f in arg.split(",")] if args.fields else None
    out = sys.stdout.buffer
    bar = _progress(args.files, args.progress)
    framed = True
    for path in args.files:
        for _, batch in _read([path], args, "replace", bar, raw=framed):
            evs, raws = _split(batch, framed)
            for ev, raw in zip(evs, raws, strict=True):
                if type(ev) is InvalidEvent and args.errors == "strict":
                    out.flush()
                    raise _BadInput(f"{_where(path, ev)}: {_message(ev.error)}")
                t = ev.type
                if patterns and (t is None or not any(fnmatch.fnmatchcase(t, p) for p in patterns)):
                    continue
                d = _wire(ev, raw)
                out.write(_encoder.encode(_select(d, fields) if fields else d) + b"\n")
    out.flush()
    return 0


def _wire(ev: Any, raw: bytes | None) -> Any:
    """An event as plain JSON values: its original JSON when its bytes are known (every field, explicit nulls
    included), else :func:`to_builtins`."""
    if raw is not None and type(ev) is not InvalidEvent:
        try:
            return _lenient_json(raw)
        except msgspec.DecodeError:
            pass
    return to_builtins(ev)


def cmd_demo(args: argparse.Namespace) -> int:
    n, kind, repeat = args.events, args.kind, args.repeat
    t0 = time.perf_counter()
    if kind == "all":
        evs: list[dict[str, Any]] = []
        sizes = {"text": n * 40 // 100, "reasoning": n * 30 // 100, "mixed": n * 25 // 100}
        sizes["image"] = n - sum(sizes.values())  # 5%: each partial image is ~27 KB of base64
        for k, size in sizes.items():
            evs += corpus.events(k, size) if size else []
    else:
        evs = corpus.events(kind, n) if n else []
    data = corpus.ndjson(evs)
    built = time.perf_counter() - t0
    print(f"built {len(evs):,} events ({kind}), {len(data) / 1e6:.1f} MB of NDJSON in {built:.1f}s")
    if not evs:
        print("nothing to decode (--events 0)")
        return 0

    times: list[float] = []
    decoded: list[Any] = []
    for _ in range(repeat):
        t = time.perf_counter()
        decoded = decode_lines(data)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    if len(decoded) != len(evs):
        print(f"error: decoded {len(decoded)} events, expected {len(evs)}", file=sys.stderr)
        return 1

    counts = Counter(ev.type for ev in decoded)
    unknown = sum(1 for ev in decoded if type(ev) is UnknownEvent)
    _table("events by type", counts.most_common())
    print(f"\n{len(decoded):,} events decoded ({unknown:,} of unknown type kept as UnknownEvent)")
    print(
        f"decode_lines: median {med * 1e3:.1f} ms of {repeat} runs = "
        f"{len(decoded) / med / 1e6:.2f} M events/s, {len(data) / med / 1e6:.0f} MB/s"
    )

    sse = corpus.sse(evs)  # the same events as OpenRouter streams them: data frames, comments, [DONE]
    times = []
    from_sse: list[Any] = []
    for _ in range(repeat):
        t = time.perf_counter()
        from_sse = decode_sse(sse)
        times.append(time.perf_counter() - t)
    if from_sse != decoded:
        print("error: the SSE form decoded to different events", file=sys.stderr)
        return 1
    med = statistics.median(times)
    print(
        f"decode_sse (same events as SSE, {len(sse) / 1e6:.1f} MB): median {med * 1e3:.1f} ms = "
        f"{len(from_sse) / med / 1e6:.2f} M events/s, {len(sse) / med / 1e6:.0f} MB/s"
    )

    times = []
    accs: list[ResponseAccumulator] = []
    for _ in range(repeat):
        t = time.perf_counter()
        accs = accumulate(decoded)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    statuses = Counter(a.status for a in accs)
    problems = Counter(p.kind for a in accs for p in a.problems)
    print(
        f"\naccumulate: {len(accs):,} responses ("
        + ", ".join(f"{c:,} {s}" for s, c in statuses.most_common())
        + f") in {med * 1e3:.1f} ms = {len(decoded) / med / 1e6:.2f} M events/s"
    )
    if problems:
        print("stream problems: " + ", ".join(f"{c:,} {k}" for k, c in problems.most_common()))
    else:
        print("stream problems: none (sequence numbers without gaps, duplicates or reordering)")
    # check: each output_text.done text is its stream's accumulated text (streams are consecutive slices)
    at = 0
    for acc in accs:
        for ev in decoded[at : at + acc.events]:
            if ev.type == "response.output_text.done" and acc.texts.get((ev.item_id, ev.content_index)) != ev.text:
                print(f"error: {acc.response_id}: accumulated text differs from output_text.done", file=sys.stderr)
                return 1
        at += acc.events
    first = next((a for a in accs if a.output_text), None)
    if first is not None:
        usage = first.usage
        text = first.output_text if len(first.output_text) <= 70 else first.output_text[:67] + "..."
        print(
            f"first response with text: {first.response_id} {first.status}, "
            f"{usage.total_tokens if usage else '?'} tokens: {text!r}"
        )
    return 0


# -- arguments ------------------------------------------------------------------------------------------------


def _positive(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {s!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {v}")
    return v


def _count(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {s!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {v}")
    return v


def parser() -> argparse.ArgumentParser:
    ap = _Parser(
        prog=PROG,
        description="Typed decoding of Responses-API stream events: files, stats, validation, conversion.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = ap.add_subparsers(
        dest="cmd", required=True, metavar="{demo,stats,validate,convert,cat,audit,check}", parser_class=_Parser
    )

    def inputs(p: argparse.ArgumentParser) -> None:
        p.add_argument("files", nargs="+", metavar="FILE", help="input paths (files, FIFOs, /dev/fd/N), or - for stdin")
        p.add_argument("--format", choices=("ndjson", "sse", "array"), help="input format (default: detected)")
        p.add_argument(
            "--progress",
            action="store_true",
            help="draw a progress bar on stderr even when it is not a terminal (needs tqdm: the cli extra)",
        )

    def jobs(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--jobs",
            type=_count,
            default=1,
            metavar="N",
            help="worker processes, each decoding a byte range of a file (0: one per CPU; default 1). A "
            "regular NDJSON or SSE file of 8 MiB or more is split; stdin, FIFOs, gzip and JSON arrays are "
            "read in one job. The output is the same as with one job",
        )

    d = sub.add_parser(
        "demo",
        help="decode and fold a realistic in-memory batch; print events by type and speed",
        epilog=f"example: {PROG} demo --events 20000 --kind text",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d.add_argument("--events", type=_count, default=200_000, help="batch size (default 200000)")
    d.add_argument("--kind", default="all", choices=("all", *corpus.KINDS), help="corpus kind (default all)")
    d.add_argument("--repeat", type=_positive, default=5, help="timed runs; the median is reported (default 5)")
    d.set_defaults(run=cmd_demo)

    s = sub.add_parser(
        "stats",
        help="events by type, responses by status and model, token sums, events/s",
        epilog=f"example: {PROG} stats log.ndjson.gz --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inputs(s)
    jobs(s)
    s.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    s.set_defaults(run=cmd_stats)

    v = sub.add_parser(
        "validate",
        help="print every bad event as FILE:LINE:OFFSET: message; exit 1 if any",
        epilog=f"example: {PROG} validate capture.sse --max-errors 5",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inputs(v)
    jobs(v)
    v.add_argument("--max-errors", type=_count, default=0, metavar="N", help="stop after N errors (0: no limit)")
    v.set_defaults(run=cmd_validate)

    c = sub.add_parser(
        "convert",
        help="rewrite as NDJSON, SSE, a JSON array or Parquet; --responses: one row per accumulated response",
        epilog=f"examples:\n  {PROG} convert log.sse -o log.ndjson.gz\n"
        f"  {PROG} convert log.ndjson --responses -o responses.parquet\n"
        f"  {PROG} convert - --to sse < log.ndjson",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inputs(c)
    jobs(c)
    c.add_argument("-o", "--output", metavar="FILE", help="output path (default: stdout); .gz compresses")
    c.add_argument("--to", choices=_OUT_FORMATS, help="output format (default: from the output's extension)")
    c.add_argument("--responses", action="store_true", help="write accumulated responses instead of events")
    c.add_argument(
        "--errors",
        choices=("strict", "replace"),
        default="strict",
        help="strict: stop at the first bad event (exit 1); replace: skip it (Parquet: keep it as a "
        "row with known=false), reported on stderr",
    )
    c.add_argument(
        "--reencode",
        action="store_true",
        help="write each event as the typed model encodes it, instead of its original bytes",
    )
    c.set_defaults(run=cmd_convert)

    k = sub.add_parser(
        "cat",
        help="print events as NDJSON, filtered by type, with selected fields",
        epilog=f"example: {PROG} cat log.sse --type 'response.output_text.*' --fields delta",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inputs(k)
    k.add_argument(
        "--type",
        action="append",
        metavar="PATTERN",
        help="keep events whose type matches (glob; repeat or comma-separate)",
    )
    k.add_argument("--fields", action="append", metavar="A,B.C", help="print only these fields (dotted paths)")
    k.add_argument(
        "--errors",
        choices=("strict", "replace"),
        default="strict",
        help='replace: print bad events as {"type": null, "error": ...} instead of stopping',
    )
    k.set_defaults(run=cmd_cat)

    a = sub.add_parser(
        "audit",
        help="list every wire tag and field the model does not keep, with counts and the "
        "first FILE:LINE; exit 1 if anything would be lost",
        epilog=f"example: {PROG} audit capture.sse log.ndjson.gz",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inputs(a)
    jobs(a)
    a.add_argument("--json", action="store_true", help="the report as one JSON object")
    a.set_defaults(run=cmd_audit)

    h = sub.add_parser(
        "check",
        help="check the protocol's lifecycle rules: print FILE:N: rule: message (N: the "
        "event's number in the file, its line in NDJSON), a summary per rule; exit 1 if any fatal "
        "rule is broken",
        epilog=f"example: {PROG} check capture.sse log.ndjson.gz --json (rules: docs/conformance.md)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inputs(h)
    h.add_argument("--json", action="store_true", help="one JSON object: every violation and the counts by rule")
    h.add_argument("--strict", action="store_true", help="exit 1 on the rules servers break on purpose too")
    h.set_defaults(run=cmd_check)
    return ap


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush of what could not be written (a closed
    pipe, a full disk) does not print an error of its own."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _fail(verb: str | None, status: int, message: str) -> int:
    with contextlib.suppress(Exception):
        sys.stderr.write(f"{PROG}{' ' + verb if verb else ''}: {message}\n")
        sys.stderr.flush()
    return status


def main(argv: list[str] | None = None) -> int:
    """Run the command line; every outcome is an exit status and at most a one-line message on stderr:
    0 ok, 1 bad input, 2 bad arguments, 70 internal error, 74 I/O error, 130 interrupted (Ctrl-C)."""
    verb: str | None = None
    output = "stdout"
    try:
        _startup.release()
        args = parser().parse_args(argv)
        verb = args.cmd
        output = getattr(args, "output", None) or "stdout"
        status = int(args.run(args))
        sys.stdout.flush()
        return status
    except SystemExit as e:  # argparse: --help (0) or a bad argument (2, message printed)
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    except _UsageError as err:
        return _fail(verb, EXIT_USAGE, f"error: {err}")
    except MissingExtraError as err:
        return _fail(verb, EXIT_USAGE, f"error: {err}")
    except _BadInput as err:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        with contextlib.suppress(Exception):
            print(str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    except _IOFailure as err:
        return _fail(verb, EXIT_IO, f"error: {err}")
    except BrokenPipeError:  # `... | head`: the reader went away
        _quiet_stdout()
        return 0
    except KeyboardInterrupt:
        return _fail(verb, EXIT_INTERRUPTED, "interrupted")
    except OSError as err:  # writing stdout or an output failed: a full disk, EIO, a closed terminal
        _quiet_stdout()
        return _fail(verb, EXIT_IO, f"error: cannot write {err.filename or output}: {err.strerror or err}")
    except Exception as err:  # a bug: one line, its own status, never a traceback
        return _fail(
            verb,
            EXIT_INTERNAL,
            f"internal error: {type(err).__name__}: {_clip(str(err), 200)[1:-1]} "
            f"(a bug in {PROG}: please report it with the command line; exit status {EXIT_INTERNAL})",
        )


def run() -> None:
    """The console script and ``python -m``: Ctrl-C while starting up exits quietly with 130 too."""
    try:
        status = main()
    except KeyboardInterrupt:  # between main's handlers (e.g. while its message is written)
        status = EXIT_INTERRUPTED
    sys.exit(status)
