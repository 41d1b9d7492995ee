"""Adversarial inputs (issue #11): each timed at size N and 2N beside a normal input of about the same size, in
one interleaved set per kind. Targets: linear (time(2N) / time(N) <= 2.3) for each kind; blank lines and SSE
comments cost no more per byte than normal events (issue #10); the other ratios against normal input are
printed by the check as what they are (bytes/s of the hostile input over bytes/s of the normal one).

    .venv/bin/python -m pytest benchmarks/bench_adversarial.py --benchmark-json=adv.json
    .venv/bin/python benchmarks/check.py adv.json
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openresponses_msgspec as orm
from benchmarks.support.harness import SMOKE, Case, InterleavedSet
from benchmarks.support.targets import Target, register
from openresponses_msgspec import InvalidEvent, SSEDecoder, corpus

ADV = "adversarial"


def _scale(full: int, smoke: int) -> int:
    return smoke if SMOKE else full


def _text_events(nbytes: int) -> list[dict[str, Any]]:
    """Text corpus events whose NDJSON is about ``nbytes`` long (the 'normal input of the same size')."""
    n = max(10, nbytes // 150)
    while True:
        evs = corpus.events("text", n)
        size = len(corpus.ndjson(evs))
        if size >= nbytes:
            return evs
        n = int(n * nbytes / size) + 10


def _normal_ndjson(nbytes: int) -> bytes:
    data = corpus.ndjson(_text_events(nbytes))
    return data[: data.rfind(b"\n", 0, nbytes) + 1]


def _normal_sse(nbytes: int) -> bytes:
    data = corpus.sse(_text_events(nbytes))
    return data[: data.rfind(b"\n\n", 0, nbytes) + 2]


def _repeat(line: bytes, nbytes: int) -> bytes:
    return line * max(1, nbytes // len(line))


def _kind(
    name: str,
    make: Callable[[int], bytes],
    run: Callable[[bytes], Any],
    check: Callable[[bytes, Any], None],
    normal: Callable[[int], bytes],
    run_normal: Callable[[bytes], Any],
    n_bytes: int,
    *,
    rounds: int | None = None,
    goal_vs_normal: float | None = None,
    issue: int = 11,
    normal_is: str = "normal input of the same size",
) -> Any:
    """One interleaved set: the normal input, the hostile one at N and at 2N bytes; targets registered."""
    s = InterleavedSet(f"{ADV}: {name}")
    group = f"{ADV}: {name}"
    extra = {} if rounds is None else {"rounds": 1 if SMOKE else rounds}

    def add(lib: str, build: Callable[[], tuple[bytes, Callable[[bytes], Any]]]) -> None:
        def builder() -> Case:
            data, fn = build()
            out = fn(data)
            if lib == "normal":
                assert out or normal is make, "the normal input decodes to events"
            else:
                check(data, out)
            return Case(group=group, lib=lib, fn=lambda: fn(data), events=max(1, len(out)), bytes=len(data), **extra)

        s.add(lib, builder)

    add("normal", lambda: (normal(n_bytes), run_normal))
    add("N", lambda: (make(n_bytes), run))
    add("2N", lambda: (make(2 * n_bytes), run))
    register(
        Target(
            f"{name}: time(2N) / time(N)",
            issue=issue,
            num=(group, "2N"),
            den=(group, "N"),
            goal=2.3,
            cmp="<=",
            metric="time",
            note="linear in the input",
        )
    )
    if goal_vs_normal is not None:
        register(
            Target(
                f"{name}: bytes/s vs {normal_is}",
                issue=10 if issue == 11 else issue,
                num=(group, "N"),
                den=(group, "normal"),
                goal=goal_vs_normal,
                metric="throughput",
                note="costs no more than the bytes it holds",
            )
        )
    else:
        register(
            Target(
                f"{name}: bytes/s vs {normal_is} (informational)",
                issue=issue,
                num=(group, "N"),
                den=(group, "normal"),
                goal=0.0,
                metric="throughput",
                note="reported, no goal: the issue asks for linearity",
            )
        )
    return s.make_test()


# -- NDJSON ---------------------------------------------------------------------------------------------------

_UNKNOWN = (
    b'{"type":"response.future_feature.delta","item_id":"msg_1","output_index":0,"delta":"hello there",'
    b'"obfuscation":"abcdEFGH","sequence_number":12345}\n'
)
_INVALID = (
    b'{"type":"response.output_text.delta","item_id":"msg_1","output_index":"zero","content_index":0,'
    b'"delta":"hello there","logprobs":[],"sequence_number":12345}\n'
)


def _check_unknown(data: bytes, out: Any) -> None:
    assert len(out) == data.count(b"\n") and all(isinstance(e, orm.UnknownEvent) for e in out[:50])


def _check_invalid(data: bytes, out: Any) -> None:
    assert len(out) == data.count(b"\n") and all(isinstance(e, InvalidEvent) for e in out[:50])


test_all_unknown = _kind(
    "NDJSON all-unknown",
    lambda n: _repeat(_UNKNOWN, n),
    orm.decode_lines,
    _check_unknown,
    _normal_ndjson,
    orm.decode_lines,
    _scale(8 << 20, 64 << 10),
)
test_all_invalid = _kind(
    "NDJSON all-invalid (replace)",
    lambda n: _repeat(_INVALID, n),
    lambda d: orm.decode_lines(d, errors="replace"),
    _check_invalid,
    _normal_ndjson,
    lambda d: orm.decode_lines(d, errors="replace"),
    _scale(2 << 20, 64 << 10),
)


def _check_empty(data: bytes, out: Any) -> None:
    assert out == [], out[:3]


# (1 Mi empty lines: runs of them are skipped by a galloping compare, not line by line)
test_blank_lines = _kind(
    "NDJSON blank lines",
    lambda n: b"\n" * n,
    orm.decode_lines,
    _check_empty,
    _normal_ndjson,
    orm.decode_lines,
    _scale(1 << 20, 16 << 10),
    goal_vs_normal=1.0,
)


def _long_line(n: int) -> bytes:
    return b'{"type":"response.output_text.delta","delta":"' + b"x" * n + b'"}\n'


def _check_long_line(data: bytes, out: Any) -> None:
    assert len(out) == 1 and len(out[0].event.delta) == len(data) - 49, out[:1]


# one long line from a memoryview (a mmap'd file): the window grows geometrically, not a window at a time (both
# sizes above glibc's 32 MiB mmap threshold: below it big buffers are reused, above each one is fresh pages)
test_long_line_memoryview = _kind(
    "NDJSON one long line from a memoryview (raw=True)",
    _long_line,
    lambda d: orm.decode_lines(memoryview(d), raw=True, max_line_size=1 << 30),
    _check_long_line,
    _normal_ndjson,
    orm.decode_lines,
    _scale(40 << 20, 1 << 20),
)

# -- SSE ------------------------------------------------------------------------------------------------------


test_sse_comments = _kind(
    "SSE 1M comments",
    lambda n: _repeat(b": keep-alive\n", n),
    orm.decode_sse,
    _check_empty,
    _normal_sse,
    orm.decode_sse,
    _scale(13 << 20, 64 << 10),
    goal_vs_normal=1.0,
)
test_sse_blank_lines = _kind(
    "SSE 1M blank lines",
    lambda n: b": hi\n" + b"\n" * n,
    orm.decode_sse,
    _check_empty,
    _normal_sse,
    orm.decode_sse,
    _scale(1 << 20, 16 << 10),
    goal_vs_normal=1.0,
)


def _bytewise(data: bytes) -> list[Any]:
    dec = SSEDecoder()
    out: list[Any] = []
    feed = dec.feed
    for i in range(len(data)):
        out += feed(data[i : i + 1])
    return out + dec.close()


def _check_same_as_whole(data: bytes, out: Any) -> None:
    assert out == orm.decode_sse(data) and out


test_one_byte_chunks = _kind(
    "SSE one-byte chunks",
    _normal_sse,
    _bytewise,
    _check_same_as_whole,
    _normal_sse,
    orm.decode_sse,
    _scale(128 << 10, 8 << 10),
    rounds=3,
)


def _big_event(nbytes: int) -> bytes:
    head = (
        b'data: {"type":"response.image_generation_call.partial_image","item_id":"ig_1","output_index":0,'
        b'"partial_image_index":0,"partial_image_b64":"'
    )
    return head + b"QUJD" * (nbytes // 4) + b'","sequence_number":1}\n\ndata: [DONE]\n\n'


def _in_mib_chunks(data: bytes) -> list[Any]:
    dec = SSEDecoder(max_event_size=1 << 30)  # (the default 64 MiB would reject the event)
    out: list[Any] = []
    view = memoryview(data)
    for i in range(0, len(data), 1 << 20):
        out += dec.feed(view[i : i + (1 << 20)])
    return out + dec.close()


def _check_big(data: bytes, out: Any) -> None:
    assert len(out) == 1 and len(out[0].partial_image_b64) == 4 * data.count(b"QUJD")


def _normal_images(nbytes: int) -> bytes:
    evs, size = [], 0
    while size < nbytes:
        more = corpus.events("image", 40, image_kb=64)
        evs += more
        size += len(corpus.ndjson(more))
    for i, e in enumerate(evs):
        e["sequence_number"] = i
    return corpus.sse(evs)


test_big_event = _kind(
    "SSE 100 MB event in 1 MiB chunks",
    _big_event,
    _in_mib_chunks,
    _check_big,
    _normal_images,
    _in_mib_chunks,
    _scale(100 << 20, 1 << 20),
    rounds=3,
)


# -- files (issue #17): arrays that cannot be cut at a "}," and blank runs, through iter_events ----------------


def _from_file(data: bytes) -> list[Any]:
    return list(orm.iter_events(data))


def _from_file_replace(data: bytes) -> list[Any]:
    return list(orm.iter_events(data, errors="replace"))


def _normal_array(nbytes: int) -> bytes:
    return corpus.array(_text_events(nbytes))


def _array_of(element: Callable[[int], bytes], nbytes: int) -> bytes:
    parts, size, i = [], 2, 0
    while size < nbytes:
        parts.append(element(i))
        size += len(parts[-1]) + 1
        i += 1
    return b"[" + b",".join(parts) + b"]"


_TEXT_LINES = corpus.ndjson(corpus.events("text", 30)).split(b"\n")[:30]


def _nested(i: int) -> bytes:  # an element that is an array of events: no top-level "},"
    return b"[" + b",".join(_TEXT_LINES[i % 10 : i % 10 + 3]) + b"]"


def _braces(i: int) -> bytes:  # a valid event whose text is full of "},"
    return (
        b'{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,"delta":"'
        + b"}," * 2000
        + b'","logprobs":[],"sequence_number":%d}' % i
    )


_BAD_EL = (
    b'{"type":"response.output_text.delta","item_id":"m","output_index":"zero","content_index":0,'
    b'"delta":"x","logprobs":[],"sequence_number":1}'
)


def _count_elements(kind: type) -> Callable[[bytes, Any], None]:
    def check(data: bytes, out: Any) -> None:
        assert len(out) == len(orm.decode_array(data, errors="replace")), (len(out),)
        assert all(isinstance(e, kind) for e in out[:50]), out[:2]

    return check


test_file_nested_arrays = _kind(
    "file array of nested arrays (replace)",
    lambda n: _array_of(_nested, n),
    _from_file_replace,
    _count_elements(InvalidEvent),
    _normal_array,
    _from_file,
    _scale(8 << 20, 64 << 10),
    issue=17,
    normal_is="a normal array file of the same size",
)  # (8 MiB: at 4 the N run still fits the caches, 2N not)
test_file_braces = _kind(
    "file array of strings full of '},'",
    lambda n: _array_of(_braces, n),
    _from_file,
    _count_elements(orm.ResponseOutputTextDeltaEvent),
    _normal_array,
    _from_file,
    _scale(8 << 20, 64 << 10),
    issue=17,
    normal_is="a normal array file of the same size",
)
# N: 30,000 invalid elements, 2N: 60,000 (before: 1,000 took 0.6 s, 8,000 30 s); at 4,000 the fixed costs of a
# call still weigh (1 -> 2 MiB measured 2.8x, 4 -> 8 MiB 1.7x, single runs)
test_file_invalid_elements = _kind(
    "file array of invalid elements (replace)",
    lambda n: _array_of(lambda i: _BAD_EL, n),
    _from_file_replace,
    _count_elements(InvalidEvent),
    _normal_array,
    _from_file,
    _scale(4 << 20, 32 << 10),
    issue=17,
    normal_is="a normal array file of the same size",
)
test_file_numbers = _kind(
    "file array of numbers (replace)",
    lambda n: _array_of(lambda i: b"%d" % i, n),
    _from_file_replace,
    _count_elements(InvalidEvent),
    _normal_array,
    _from_file,
    _scale(128 << 10, 16 << 10),
    rounds=3,
    issue=17,
    normal_is="a normal array file of the same size",
)


def _blank(n: int) -> bytes:
    return b"\n" * n


test_file_blank_lines = _kind(  # the peer: decode_lines over the same bytes in memory ("as fast as", issue #17)
    "file of blank lines",
    _blank,
    _from_file,
    _check_empty,
    _blank,
    orm.decode_lines,
    _scale(32 << 20, 1 << 20),
    issue=17,
    goal_vs_normal=0.5,
    normal_is="decode_lines on the same bytes in memory",
)


def _blank_mixed(n: int) -> bytes:  # one event, then whitespace-only lines of every kind (not only LF)
    return _TEXT_LINES[0] + b"\n" + _repeat(b" \n\t\r\n\r\n  \n", n)


def _check_one(data: bytes, out: Any) -> None:
    assert len(out) == 1, len(out)


test_file_blank_mixed = _kind(  # skipped a run at a time (was line by line: 24 s for 64 MiB of " \n")
    "file of blank lines with spaces, tabs and CRLF",
    _blank_mixed,
    _from_file,
    _check_one,
    _blank_mixed,
    orm.decode_lines,
    _scale(16 << 20, 256 << 10),
    issue=17,
    goal_vs_normal=0.5,
    normal_is="decode_lines on the same bytes in memory",
)
