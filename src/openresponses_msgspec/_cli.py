"""The command line: ``openresponses-msgspec`` (or ``python -m openresponses_msgspec``).

Verbs: ``demo`` (the main job: decode and fold a realistic in-memory batch, with speed), ``stats``, ``validate``,
``convert``, ``cat``. Inputs are paths or ``-`` (stdin): NDJSON, SSE or JSON arrays, plain or gzip, detected.
"""

from __future__ import annotations

import argparse
import fnmatch
import gzip
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import IO, Any, NoReturn

import msgspec

from . import corpus
from ._accumulate import PROBLEM_KINDS, ResponseAccumulator, StreamSplitter
from ._builtins import to_builtins
from ._decode import encode
from ._decoder import decode_lines
from ._errors import DecodeError, InvalidEvent, UnknownEvent
from ._files import _batches
from ._sse import decode_sse

PROG = "openresponses-msgspec"

EPILOG = f"""\
examples:
  {PROG} demo --events 20000
  {PROG} stats log.ndjson.gz --json
  {PROG} validate capture.sse --max-errors 5
  {PROG} convert log.sse -o log.parquet
  {PROG} convert log.ndjson --responses -o responses.parquet
  curl -sN ... | {PROG} cat - --type 'response.output_text.*' --fields sequence_number,delta

Inputs are paths or - (stdin): NDJSON, SSE or JSON arrays, plain or gzip (detected; --format to state it).
Exit status: 0 ok, 1 bad input (a bad line, a failed demo check), 2 bad arguments.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit status 2
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class _UsageError(Exception):
    """A bad argument found after parsing (a missing file, an unknown output format): exit status 2."""


_encoder = msgspec.json.Encoder()


# -- reading --------------------------------------------------------------------------------------------------

def _progress(paths: list[str]) -> Callable[[int], object] | None:
    """A byte-count progress bar on stderr when it is a terminal and tqdm (the ``cli`` extra) is installed."""
    if not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    total: int | None = 0
    for p in paths:
        if p == "-" or p.endswith(".gz") or total is None:
            total = None
        else:
            total += os.path.getsize(p)
    bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, leave=False)
    return bar.update


def _check_inputs(paths: list[str]) -> None:
    for p in paths:
        if p != "-" and not os.path.isfile(p):
            raise _UsageError(f"no such file: {p}")


def _read(paths: list[str], args: argparse.Namespace, errors: str = "strict",
          on_bytes: Callable[[int], object] | None = None) -> Iterator[tuple[str, list[Any]]]:
    for p in paths:
        for batch in _batches(p, format=args.format, errors=errors, decoder=None, batch_size=65536,
                              on_bytes=on_bytes):
            yield p, batch


def _where(path: str, err: DecodeError | InvalidEvent) -> str:
    line = "-" if err.line is None else str(err.line)
    offset = "-" if err.offset is None else str(err.offset)
    return f"{path}:{line}:{offset}"


def _message(err: DecodeError) -> str:
    return err.msg  # located by the FILE:LINE:OFFSET prefix


# -- verbs ----------------------------------------------------------------------------------------------------

def cmd_stats(args: argparse.Namespace) -> int:
    _check_inputs(args.files)
    t0 = time.perf_counter()
    types: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    by_model: Counter[str] = Counter()
    problems: Counter[str] = Counter()
    tokens = dict.fromkeys(("input", "output", "total", "reasoning", "cached"), 0)
    n = unknown = invalid = responses = 0
    nbytes = 0

    def count(n_: int) -> object:
        nonlocal nbytes
        nbytes += n_
        if bar is not None:
            bar(n_)
        return None

    def fold(accs: list[ResponseAccumulator]) -> None:
        nonlocal responses
        for acc in accs:
            responses += 1
            by_status[acc.status] += 1
            by_model[acc.model or "(none)"] += 1
            problems.update(p.kind for p in acc.problems)
            u = acc.usage
            if u is not None:
                tokens["input"] += u.input_tokens or 0
                tokens["output"] += u.output_tokens or 0
                tokens["total"] += u.total_tokens or 0
                tokens["reasoning"] += getattr(u.output_tokens_details, "reasoning_tokens", None) or 0
                tokens["cached"] += getattr(u.input_tokens_details, "cached_tokens", None) or 0

    bar = _progress(args.files)
    for path in args.files:
        splitter = StreamSplitter()
        try:
            for _, batch in _read([path], args, "replace", count):
                n += len(batch)
                kinds = Counter(map(type, batch))
                unknown += kinds[UnknownEvent]
                invalid += kinds[InvalidEvent]
                types.update(ev.type for ev in batch if type(ev) is not InvalidEvent)
                fold(splitter.feed(batch))
        except DecodeError as err:
            raise _BadInput(f"{_where(path, err)}: {_message(err)}") from None
        fold(splitter.close())
    seconds = time.perf_counter() - t0
    report = {
        "files": args.files, "events": n, "bytes": nbytes, "seconds": round(seconds, 3),
        "events_per_second": round(n / seconds) if seconds > 0 else None,
        "unknown_events": unknown, "invalid_events": invalid,
        "events_by_type": dict(types.most_common()),
        "responses": responses,
        "responses_by_status": dict(by_status.most_common()),
        "responses_by_model": dict(by_model.most_common()),
        "tokens": tokens,
        "problems": {k: problems[k] for k in PROBLEM_KINDS if problems[k]},
    }
    if args.json:
        sys.stdout.write(_encoder.encode(report).decode() + "\n")
        return 0
    print(f"{n:,} events ({unknown:,} unknown, {invalid:,} invalid) in {nbytes / 1e6:.1f} MB, "
          f"{seconds:.2f} s = {n / seconds if seconds else 0:,.0f} events/s")
    _table("events by type", types.most_common())
    print(f"\n{responses:,} responses")
    _table("by status", by_status.most_common())
    _table("by model", by_model.most_common())
    _table("tokens", list(tokens.items()))
    if problems:
        _table("stream problems", [(k, problems[k]) for k in PROBLEM_KINDS if problems[k]])
    return 0


def _table(title: str, rows: list[tuple[str, int]]) -> None:
    if not rows:
        return
    width = max(len(k) for k, _ in rows)
    print(f"\n{title}:")
    for k, v in rows:
        print(f"  {k:<{width}}  {v:>12,}")


def cmd_validate(args: argparse.Namespace) -> int:
    _check_inputs(args.files)
    bad = 0
    bar = _progress(args.files)
    for path in args.files:
        try:
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
        except DecodeError as err:  # the file itself is unreadable past this point (bad gzip, broken array)
            bad += 1
            print(f"{_where(path, err)}: {_message(err)}")
    if bad:
        print(f"{bad} bad {'event' if bad == 1 else 'events'}", file=sys.stderr)
    return 1 if bad else 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Every wire tag and field of the input that the model does not keep (issue #18); exit 1 if any."""
    from ._audit import audit

    _check_inputs(args.files)
    report = audit(*(sys.stdin.buffer if p == "-" else p for p in args.files), format=args.format)
    print(msgspec.json.encode(report).decode() if args.json else report.format())
    return 0 if report.ok else 1


_OUT_FORMATS = ("ndjson", "sse", "array", "parquet")


def _out_format(args: argparse.Namespace) -> str:
    if args.to:
        return str(args.to)
    name = (args.output or "-").removesuffix(".gz")
    for ext, fmt in ((".parquet", "parquet"), (".ndjson", "ndjson"), (".jsonl", "ndjson"), (".sse", "sse"),
                     (".json", "array")):
        if name.endswith(ext):
            return fmt
    if args.output in (None, "-"):
        return "ndjson"
    raise _UsageError(f"cannot tell the output format from {args.output!r}: use --to {{{','.join(_OUT_FORMATS)}}}")


def _open_out(path: str | None) -> IO[bytes]:
    if path in (None, "-"):
        return sys.stdout.buffer
    if path.endswith(".gz"):
        return gzip.open(path, "wb")  # type: ignore[return-value]
    return open(path, "wb")


def _event_json(ev: Any) -> bytes:
    return encode(ev)


def _response_json(acc: ResponseAccumulator) -> bytes:
    from .arrow import response_row

    row = response_row(acc)
    for k in ("function_calls", "problems", "response"):
        if row[k] is not None:
            row[k] = msgspec.json.decode(row[k])
    return _encoder.encode(row)


def cmd_convert(args: argparse.Namespace) -> int:
    _check_inputs(args.files)
    fmt = _out_format(args)
    if fmt == "parquet" and args.output in (None, "-"):
        raise _UsageError("Parquet needs an output file: -o FILE.parquet")
    bar = _progress(args.files)
    skipped = 0

    def items() -> Iterator[list[Any]]:
        nonlocal skipped
        for path in args.files:
            splitter = StreamSplitter() if args.responses else None
            try:
                for _, batch in _read([path], args, "replace", bar):
                    if InvalidEvent in set(map(type, batch)):
                        kept = []
                        for ev in batch:
                            if type(ev) is not InvalidEvent:
                                kept.append(ev)
                            elif args.errors == "strict":  # what came before it is written first
                                if splitter is None:
                                    yield kept
                                raise _BadInput(f"{_where(path, ev)}: {_message(ev.error)}")
                            else:
                                skipped += 1
                                print(f"{_where(path, ev)}: skipped: {_message(ev.error)}", file=sys.stderr)
                        batch = kept
                    if splitter is not None:
                        done = splitter.feed(batch)
                        if done:
                            yield done
                    else:
                        yield batch
            except DecodeError as err:
                raise _BadInput(f"{_where(path, err)}: {_message(err)}") from None
            if splitter is not None:
                yield splitter.close()

    if fmt == "parquet":
        _write_parquet(args.output, items(), args.responses)
        return 0
    out = _open_out(args.output)
    try:
        write = out.write
        one = _response_json if args.responses else _event_json
        first = True
        if fmt == "array":
            write(b"[")
        for batch in items():
            for item in batch:
                data = one(item)
                if fmt == "ndjson":
                    write(data + b"\n")
                elif fmt == "sse":
                    kind = "response" if args.responses else item.type
                    write(b"event: " + kind.encode() + b"\ndata: " + data + b"\n\n")
                else:
                    write((b"\n" if first else b",\n") + data)
                first = False
        if fmt == "array":
            write(b"\n]\n" if not first else b"]\n")
        out.flush()
    finally:
        if out is not sys.stdout.buffer:
            out.close()
    return 0


class _BadInput(Exception):
    """Input that cannot be decoded in strict mode: exit status 1, message already located."""


def _write_parquet(path: str, batches: Iterator[list[Any]], responses: bool) -> None:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise _UsageError("Parquet needs pyarrow: pip install 'openresponses-msgspec[arrow]'") from None
    from . import arrow

    schema = arrow.RESPONSE_SCHEMA if responses else arrow.EVENT_SCHEMA
    table = arrow.responses_to_arrow if responses else arrow.to_arrow
    with pq.ParquetWriter(path, schema) as writer:
        for batch in batches:
            writer.write_table(table(batch))


def _select(d: Any, fields: list[list[str]]) -> dict[str, Any]:
    out = {}
    for path in fields:
        v = d
        for part in path:
            v = v.get(part) if isinstance(v, dict) else None
        out[".".join(path)] = v
    return out


def cmd_cat(args: argparse.Namespace) -> int:
    _check_inputs(args.files)
    patterns = [t for arg in args.type or () for t in arg.split(",")]
    fields = [f.split(".") for arg in args.fields or () for f in arg.split(",")] if args.fields else None
    out = sys.stdout.buffer
    bar = _progress(args.files)
    for path in args.files:
        try:
            for _, batch in _read([path], args, "replace", bar):
                for ev in batch:
                    if type(ev) is InvalidEvent and args.errors == "strict":
                        out.flush()
                        raise _BadInput(f"{_where(path, ev)}: {_message(ev.error)}")
                    t = ev.type
                    if patterns and (t is None or not any(fnmatch.fnmatchcase(t, p) for p in patterns)):
                        continue
                    d = to_builtins(ev)
                    out.write(_encoder.encode(_select(d, fields) if fields else d) + b"\n")
        except DecodeError as err:
            raise _BadInput(f"{_where(path, err)}: {_message(err)}") from None
    out.flush()
    return 0


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

    times = []
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
    print(f"decode_lines: median {med * 1e3:.1f} ms of {repeat} runs = "
          f"{len(decoded) / med / 1e6:.2f} M events/s, {len(data) / med / 1e6:.0f} MB/s")

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
    print(f"decode_sse (same events as SSE, {len(sse) / 1e6:.1f} MB): median {med * 1e3:.1f} ms = "
          f"{len(from_sse) / med / 1e6:.2f} M events/s, {len(sse) / med / 1e6:.0f} MB/s")

    from ._accumulate import accumulate

    times = []
    accs: list[ResponseAccumulator] = []
    for _ in range(repeat):
        t = time.perf_counter()
        accs = accumulate(decoded)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    statuses = Counter(a.status for a in accs)
    problems = Counter(p.kind for a in accs for p in a.problems)
    print(f"\naccumulate: {len(accs):,} responses ("
          + ", ".join(f"{c:,} {s}" for s, c in statuses.most_common())
          + f") in {med * 1e3:.1f} ms = {len(decoded) / med / 1e6:.2f} M events/s")
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
        print(f"first response with text: {first.response_id} {first.status}, "
              f"{usage.total_tokens if usage else '?'} tokens: {text!r}")
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
    ap = _Parser(prog=PROG, description="Typed decoding of Responses-API stream events: files, stats, "
                 "validation, conversion.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="{demo,stats,validate,convert,cat,audit}",
                            parser_class=_Parser)

    def inputs(p: argparse.ArgumentParser) -> None:
        p.add_argument("files", nargs="+", metavar="FILE", help="input paths, or - for stdin")
        p.add_argument("--format", choices=("ndjson", "sse", "array"), help="input format (default: detected)")

    d = sub.add_parser("demo", help="decode and fold a realistic in-memory batch; print events by type and speed",
                       epilog=f"example: {PROG} demo --events 20000 --kind text",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("--events", type=_count, default=200_000, help="batch size (default 200000)")
    d.add_argument("--kind", default="all", choices=("all", *corpus.KINDS), help="corpus kind (default all)")
    d.add_argument("--repeat", type=_positive, default=5, help="timed runs; the median is reported (default 5)")
    d.set_defaults(run=cmd_demo)

    s = sub.add_parser("stats", help="events by type, responses by status and model, token sums, events/s",
                       epilog=f"example: {PROG} stats log.ndjson.gz --json",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    inputs(s)
    s.add_argument("--json", action="store_true", help="one JSON object instead of tables")
    s.set_defaults(run=cmd_stats)

    v = sub.add_parser("validate", help="print every bad event as FILE:LINE:OFFSET: message; exit 1 if any",
                       epilog=f"example: {PROG} validate capture.sse --max-errors 5",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    inputs(v)
    v.add_argument("--max-errors", type=_count, default=0, metavar="N", help="stop after N errors (0: no limit)")
    v.set_defaults(run=cmd_validate)

    c = sub.add_parser("convert", help="rewrite as NDJSON, SSE, a JSON array or Parquet; --responses: one row "
                       "per accumulated response",
                       epilog=f"examples:\n  {PROG} convert log.sse -o log.ndjson.gz\n"
                              f"  {PROG} convert log.ndjson --responses -o responses.parquet\n"
                              f"  {PROG} convert - --to sse < log.ndjson",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    inputs(c)
    c.add_argument("-o", "--output", metavar="FILE", help="output path (default: stdout); .gz compresses")
    c.add_argument("--to", choices=_OUT_FORMATS, help="output format (default: from the output's extension)")
    c.add_argument("--responses", action="store_true", help="write accumulated responses instead of events")
    c.add_argument("--errors", choices=("strict", "replace"), default="strict",
                   help="strict: stop at the first bad event (exit 1); replace: skip it, reported on stderr")
    c.set_defaults(run=cmd_convert)

    k = sub.add_parser("cat", help="print events as NDJSON, filtered by type, with selected fields",
                       epilog=f"example: {PROG} cat log.sse --type 'response.output_text.*' --fields delta",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    inputs(k)
    k.add_argument("--type", action="append", metavar="PATTERN",
                   help="keep events whose type matches (glob; repeat or comma-separate)")
    k.add_argument("--fields", action="append", metavar="A,B.C", help="print only these fields (dotted paths)")
    k.add_argument("--errors", choices=("strict", "replace"), default="strict",
                   help="replace: print bad events as {\"type\": null, \"error\": ...} instead of stopping")
    k.set_defaults(run=cmd_cat)

    a = sub.add_parser("audit", help="list every wire tag and field the model does not keep, with counts and the "
                       "first FILE:LINE; exit 1 if anything would be lost",
                       epilog=f"example: {PROG} audit capture.sse log.ndjson.gz",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    inputs(a)
    a.add_argument("--json", action="store_true", help="the report as one JSON object")
    a.set_defaults(run=cmd_audit)
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    args = ap.parse_args(argv)
    try:
        return int(args.run(args))
    except _UsageError as err:
        print(f"{PROG} {args.cmd}: error: {err}", file=sys.stderr)
        return 2
    except _BadInput as err:
        print(str(err), file=sys.stderr)
        return 1
    except BrokenPipeError:  # `... | head`: the reader went away
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
