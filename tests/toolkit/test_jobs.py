"""--jobs and map_batches (issue #20, "every core"): N worker processes over byte ranges give exactly what one job
gives: the same output byte for byte, the same messages with the same file lines and offsets, the same exit
status; with bad lines placed at the range edges, CRLF line ends, blank runs, gzip (one job), strict and replace.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import openresponses_msgspec as orm
from openresponses_msgspec import InvalidEvent, _cli, _jobs, corpus
from openresponses_msgspec._files import iter_events
from openresponses_msgspec._jobs import Range, _cut_after, decode_range, plan

N_EVENTS = 900


@pytest.fixture(scope="module")
def events() -> list[dict[str, Any]]:
    return corpus.events("mixed", N_EVENTS, seed=11)


@pytest.fixture(autouse=True)
def _split_small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_jobs, "MIN_SPLIT", 0)  # (the files here are small: split them all the same)


def _payload_spans(data: bytes, fmt: str) -> list[tuple[int, int]]:
    """(start, end) of each event's JSON: an NDJSON line without its CR, an SSE ``data: {...}`` line's value."""
    pat = rb"^\{[^\r\n]*" if fmt == "ndjson" else rb"^data: (\{[^\r\n]*)"
    return [(m.start(m.lastindex or 0), m.end()) for m in re.finditer(pat, data, re.M)]


def _break(data: bytearray, span: tuple[int, int]) -> None:
    """Same-length garbage in place of an event's JSON: line ends (so the ranges' cut points) stay put."""
    a, b = span
    data[a:b] = b"{" + b"!" * (b - a - 1)


def _edge_file(tmp: Path, events: list[dict[str, Any]], fmt: str, jobs: int, *, crlf: bool, blanks: bool) -> Path:
    """A file whose events right before and right after each of the ``jobs`` ranges' cut points are bad."""
    data = corpus.ndjson(events) if fmt == "ndjson" else corpus.sse(events)
    if blanks:  # runs of blank lines (spaces, tabs) here and there, a blank run at the start too, a BOM
        sep = b"\n" if fmt == "ndjson" else b"\n\n"
        parts = data.split(sep)
        for i in range(0, len(parts), 97):
            parts[i] = (b"\n  \t\n\n\n" if fmt == "ndjson" else b"\n\n\n") + parts[i]
        data = b"\xef\xbb\xbf" + sep.join(parts)  # (and a BOM before it all)
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    path = tmp / f"edge{jobs}{'-crlf' if crlf else ''}{'-blank' if blanks else ''}.{fmt}"
    path.write_bytes(data)
    ranges = plan(str(path), fmt, jobs)
    assert ranges is not None and len(ranges) == jobs
    spans = _payload_spans(data, fmt)
    buf = bytearray(data)
    for rng in ranges[1:]:
        after = next(s for s in spans if s[0] >= rng.start)
        before = [s for s in spans if s[1] < rng.start][-1]
        _break(buf, after)
        _break(buf, before)
    path.write_bytes(bytes(buf))
    assert plan(str(path), fmt, jobs) == ranges  # (same cut points: the garbage kept every line end)
    return path


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    status = _cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def _stats(out: str) -> dict[str, Any]:
    d: dict[str, Any] = json.loads(out)
    del d["seconds"], d["events_per_second"]
    return d


VERBS = [
    ["validate"],
    ["stats", "--json"],
    ["audit", "--json"],
    ["convert", "--to", "ndjson", "--errors", "replace"],
    ["convert", "--to", "sse", "--errors", "replace"],
    ["convert", "--to", "array", "--errors", "replace"],
    ["convert", "--to", "ndjson", "--errors", "strict"],
    ["convert", "--to", "array", "--errors", "strict"],
    ["convert", "--to", "ndjson", "--errors", "replace", "--reencode"],
]


@pytest.mark.parametrize("fmt", ["ndjson", "sse"])
@pytest.mark.parametrize(("crlf", "blanks"), [(False, False), (True, True)])
def test_jobs_match_one_job_with_bad_events_at_the_range_edges(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], events: list[dict[str, Any]], fmt: str, crlf: bool, blanks: bool
) -> None:
    for jobs in (2, 3):
        path = str(_edge_file(tmp_path, events, fmt, jobs, crlf=crlf, blanks=blanks))
        ranges = plan(path, fmt, jobs)
        assert ranges is not None
        for verb in VERBS:
            one = _run(capsys, [*verb, path])
            many = _run(capsys, [*verb, path, "--jobs", str(jobs)])
            if verb[0] == "stats":
                assert _stats(one[1]) == _stats(many[1])
                assert one[0] == many[0] == 0 and one[2] == many[2]
                assert _stats(one[1])["invalid_events"] == 2 * (jobs - 1)
            else:
                assert many == one, verb
        # the bad events are where they were put: the last line before each cut, the first after it
        status, out, _ = _run(capsys, ["validate", path, "--jobs", str(jobs)])
        assert status == 1
        offsets = [int(line.split(":")[2]) for line in out.splitlines()]
        assert len(offsets) == 2 * (jobs - 1)
        for rng in ranges[1:]:
            assert any(o < rng.start for o in offsets) and any(o >= rng.start for o in offsets)
        lines = Path(path).read_bytes().split(b"\n")
        for line in out.splitlines():
            no, off = (int(x) for x in line.split(":")[1:3])
            if fmt == "ndjson":  # the line named is the one at that offset, and it is the garbage
                assert lines[no - 1].startswith(b"{!!!")
                assert Path(path).read_bytes()[off : off + 4] == b"{!!!"
        # strict convert: the first bad event by file position, and everything before it
        status, out, err = _run(capsys, ["convert", path, "--to", "ndjson", "--jobs", str(jobs)])
        assert status == 1 and err.startswith(f"{path}:") and f":{offsets[0]}:" in err


@pytest.mark.parametrize("fmt", ["ndjson", "sse"])
def test_gzip_is_one_job_with_the_same_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], events: list[dict[str, Any]], fmt: str
) -> None:
    plain = _edge_file(tmp_path, events, fmt, 2, crlf=False, blanks=False)
    gz = tmp_path / (plain.name + ".gz")
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    assert plan(str(gz), fmt, 2) is None
    for verb in (["validate"], ["convert", "--to", "sse", "--errors", "replace"]):
        assert _run(capsys, [*verb, str(gz), "--jobs", "2"]) == _run(capsys, [*verb, str(gz)])
        # and the same messages as the plain file split in two (the name aside)
        status, out, err = _run(capsys, [*verb, str(plain), "--jobs", "2"])
        assert _run(capsys, [*verb, str(gz)]) == (
            status,
            out.replace(str(plain), str(gz)),
            err.replace(str(plain), str(gz)),
        )


def test_stats_over_websocket_lanes_falls_back_to_one_job(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], events: list[dict[str, Any]]
) -> None:
    """Interleaved lanes (``stream_id``): the workers' folds cannot be joined by a clean start; the file is read
    again in one job, and the report is one job's."""
    laned = [dict(e, stream_id=f"lane-{i % 2}") for i, e in enumerate(events)]
    path = tmp_path / "lanes.ndjson"
    path.write_bytes(corpus.ndjson(laned))
    ranges = plan(str(path), "ndjson", 2)
    assert ranges is not None
    e, r = _cli._Events(), _cli._Responses()
    assert _cli._stats_jobs(ranges, 2, e, r, None) is False and e.n == r.responses == 0
    one = _run(capsys, ["stats", "--json", str(path)])
    many = _run(capsys, ["stats", "--json", str(path), "--jobs", "2"])
    assert _stats(one[1]) == _stats(many[1]) and _stats(one[1])["events"] == len(events)


def test_jobs_zero_is_one_per_cpu_and_bad_values_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    import os

    assert _jobs.resolve_jobs(0) == (os.cpu_count() or 1)
    assert _jobs.resolve_jobs(None) == _jobs.resolve_jobs(1) == 1
    with pytest.raises(ValueError):
        _jobs.resolve_jobs(-1)
    assert _cli.main(["stats", "x.ndjson", "--jobs", "-1"]) == 2
    assert "--jobs" in capsys.readouterr().err


def test_small_files_stdin_and_fifos_are_one_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: list[dict[str, Any]]
) -> None:
    import os

    path = tmp_path / "a.ndjson"
    path.write_bytes(corpus.ndjson(events))
    assert plan(str(path), "ndjson", 2) is not None
    assert plan(str(path), "array", 2) is None  # (JSON arrays: one job)
    assert plan("-", "ndjson", 2) is None
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert plan(str(fifo), "ndjson", 2) is None
    monkeypatch.setattr(_jobs, "MIN_SPLIT", 8 << 20)
    assert plan(str(path), "ndjson", 2) is None


def _through_fifo(fifo: Path, data: bytes, read: Any) -> Any:
    """``read()`` while a thread writes ``data`` into the FIFO ``fifo`` (once)."""
    import os
    import threading

    def feed() -> None:
        try:
            with open(fifo, "wb") as f:
                f.write(data)
        except BrokenPipeError:  # (a reader that stopped after the head)
            pass

    def unblock() -> None:  # (a reader that opened the FIFO again would wait for a writer for ever: end it)
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass

    writer = threading.Thread(target=feed)
    writer.start()
    guard = threading.Timer(30, unblock)
    guard.start()
    try:
        return read()
    finally:
        guard.cancel()
        writer.join()


def test_a_fifo_with_jobs_is_read_once_in_one_job(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], events: list[dict[str, Any]]
) -> None:
    import os

    plain = _edge_file(tmp_path, events, "ndjson", 2, crlf=False, blanks=False)
    data = plain.read_bytes()
    fifo = tmp_path / "fifo.ndjson"
    os.mkfifo(fifo)
    got = _through_fifo(fifo, data, lambda: _run(capsys, ["validate", str(fifo), "--jobs", "2"]))
    status, out, err = _run(capsys, ["validate", str(plain), "--jobs", "2"])
    assert got == (status, out.replace(str(plain), str(fifo)), err) and status == 1 and out.count("\n") == 2
    # the same in Python: map_batches and audit take the FIFO's path, and read it once
    want = orm.map_batches(plain, count_and_errors, jobs=2, errors="replace")
    assert len(want) == 2
    assert _through_fifo(fifo, data, lambda: orm.map_batches(fifo, count_and_errors, jobs=2, errors="replace")) == [
        _merged(want)
    ]
    report = orm.audit(plain, jobs=2)
    assert _through_fifo(fifo, data, lambda: orm.audit(fifo, jobs=2)).events == report.events == len(events)


# -- map_batches ------------------------------------------------------------------------------------------------


def count_and_errors(batches: Iterator[list[Any]]) -> tuple[Counter[str], list[tuple[Any, ...]]]:
    """(a fold for map_batches: module-level, so that workers can import it)"""
    types: Counter[str] = Counter()
    bad = []
    for batch in batches:
        for ev in batch:
            if type(ev) is InvalidEvent:
                bad.append((ev.line, ev.offset, ev.index, str(ev.error)))
            else:
                types[ev.type] += 1
    return types, bad


def _merged(results: list[tuple[Counter[str], list[Any]]]) -> tuple[Counter[str], list[Any]]:
    total: Counter[str] = Counter()
    bad: list[Any] = []
    for types, b in results:
        total.update(types)
        bad += b
    return total, bad


@pytest.mark.parametrize("fmt", ["ndjson", "sse"])
def test_map_batches_matches_one_job(tmp_path: Path, events: list[dict[str, Any]], fmt: str) -> None:
    path = _edge_file(tmp_path, events, fmt, 3, crlf=True, blanks=True)
    one = orm.map_batches(path, count_and_errors, errors="replace")
    assert len(one) == 1
    many = orm.map_batches(path, count_and_errors, jobs=3, errors="replace")
    assert len(many) == (1 if fmt == "sse" else 3)  # (SSE with errors="replace": one call, see its doc)
    assert _merged(many) == _merged(one)
    assert len(_merged(one)[1]) == 4
    # strict: the first error by file position, located as one job locates it
    with pytest.raises(orm.DecodeError) as first:
        orm.map_batches(path, count_and_errors)
    with pytest.raises(orm.DecodeError) as split:
        orm.map_batches(path, count_and_errors, jobs=3)
    a, b = first.value, split.value
    assert (str(a), a.line, a.offset, a.index) == (str(b), b.line, b.offset, b.index)


def test_map_batches_strict_error_in_the_last_range(tmp_path: Path, events: list[dict[str, Any]]) -> None:
    data = bytearray(corpus.sse(events).replace(b"\n", b"\r\n"))
    path = tmp_path / "late.sse"
    path.write_bytes(data)
    ranges = plan(str(path), "sse", 3)
    assert ranges is not None and len(ranges) == 3
    spans = _payload_spans(bytes(data), "sse")
    _break(data, [s for s in spans if s[0] > ranges[2].start][5])
    path.write_bytes(bytes(data))
    with pytest.raises(orm.DecodeError) as one:
        orm.map_batches(path, count_and_errors)
    with pytest.raises(orm.DecodeError) as many:
        orm.map_batches(path, count_and_errors, jobs=3)
    assert one.value.index is not None and one.value.index > N_EVENTS // 2
    assert (str(one.value), one.value.line, one.value.index) == (str(many.value), many.value.line, many.value.index)


# -- random cut points over mutated files (in this process: the pool's part is the tests above) ----------------


def _serial(fn: Any, tasks: list[tuple[Any, ...]], jobs: int) -> Iterator[Any]:
    for t in tasks:
        yield fn(*t)


_MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["garbage", "cut", "dup", "drop", "blank", "crlf", "cr"]),
        st.integers(0, 10_000),
    ),
    max_size=12,
)


def _mutate(data: bytes, fmt: str, muts: list[tuple[str, int]]) -> bytes:
    sep = b"\n" if fmt == "ndjson" else b"\n\n"
    parts = data.split(sep)
    for kind, at in muts:
        i = at % len(parts)
        p = parts[i]
        if kind == "garbage":
            parts[i] = p[: len(p) // 2] + b"!}{" + p[len(p) // 2 :]
        elif kind == "cut":
            parts[i] = p[: len(p) // 3]
        elif kind == "dup":
            parts.insert(i, p)
        elif kind == "drop":
            del parts[i]
        elif kind == "blank":
            parts.insert(i, b"  \n\n \t" if fmt == "ndjson" else b"")
        elif kind == "crlf":
            parts[i] = p.replace(b"\n", b"\r\n") + b"\r"
        else:
            parts[i] = p.replace(b"\n", b"\r")
    return sep.join(parts)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(fmt="sse", muts=[("blank", 0)], cuts=[0.0])  # a first range of blank lines alone is no "not SSE" body
@given(
    fmt=st.sampled_from(["ndjson", "sse"]),
    muts=_MUTATIONS,
    cuts=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4),
)
def test_random_cut_points_give_one_jobs_events_and_stats(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    muts: list[tuple[str, int]],
    cuts: list[float],
) -> None:
    evs = corpus.events("mixed", 160, seed=len(muts))
    data = _mutate(corpus.ndjson(evs) if fmt == "ndjson" else corpus.sse(evs), fmt, muts)
    path = tmp_path_factory.mktemp("cuts") / f"m.{fmt}"
    path.write_bytes(data)
    points = [0]
    with open(path, "rb") as f:
        for c in sorted(cuts):
            at = _cut_after(f, max(points[-1] + 1, int(c * len(data))), len(data), fmt)
            if at is not None and points[-1] < at < len(data):
                points.append(at)
    ranges = [Range(str(path), fmt, a, b) for a, b in zip(points, [*points[1:], len(data)], strict=True)]

    # every event, with every InvalidEvent's line, offset and index, as one job gives them
    want = list(iter_events(path, format=fmt, errors="replace"))
    got: list[Any] = []
    lines = 0
    for rng in ranges:
        counter = [0]
        before = len(got)
        for batch, _ in decode_range(rng, errors="replace", counter=counter, line_base=lines):
            for ev in batch:
                if type(ev) is InvalidEvent and ev.index is not None:
                    ev = InvalidEvent(ev.error, ev.raw, line=ev.line, offset=ev.offset, index=ev.index + before)
                got.append(ev)
        lines += counter[0]
    assert [type(e) for e in got] == [type(e) for e in want]
    for g, w in zip(got, want, strict=True):
        if type(w) is InvalidEvent:
            assert (g.line, g.offset, g.index, g.error.msg) == (w.line, w.offset, w.index, w.error.msg)
        else:
            assert g == w

    # stats: the workers' folds joined (or, where they cannot be, one job): the same report
    monkeypatch.setattr(_cli, "imap", _serial)
    one_e, one_r = _cli._Events(), _cli._Responses()
    split = _cli.StreamSplitter()
    for batch in orm.iter_batches(path, format=fmt, errors="replace"):
        one_e.add(batch)
        one_r.fold(split.feed(batch))
    one_r.fold(split.close())
    many_e, many_r = _cli._Events(), _cli._Responses()
    if _cli._stats_jobs(ranges, 2, many_e, many_r, None):
        assert (many_e.n, many_e.types, many_e.invalid, many_e.unknown) == (
            one_e.n,
            one_e.types,
            one_e.invalid,
            one_e.unknown,
        )
        assert (many_r.responses, many_r.by_status, many_r.by_model, many_r.problems, many_r.tokens) == (
            one_r.responses,
            one_r.by_status,
            one_r.by_model,
            one_r.problems,
            one_r.tokens,
        )
    else:  # (not joined: nothing was added, the caller reads the file in one job)
        assert many_e.n == many_r.responses == 0


def test_an_sse_file_with_no_sse_line_in_its_head_is_one_job(tmp_path: Path) -> None:
    """Whether a body is SSE at all is one job's call (a range of blank lines alone is not "not SSE")."""
    from openresponses_msgspec._jobs import MIN_SPLIT

    line = corpus.sse(corpus.events("text", 1, seed=0))
    path = tmp_path / "late.sse"
    path.write_bytes(b"\n" * (1 << 17) + line * (MIN_SPLIT // len(line) + 1))
    assert plan(str(path), "sse", 2) is None
    path.write_bytes(line * (MIN_SPLIT // len(line) + 1))
    ranges = plan(str(path), "sse", 2)
    assert ranges is not None and len(ranges) == 2
