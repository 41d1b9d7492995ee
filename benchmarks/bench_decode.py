"""Decode speed per corpus and wire format: this package against the reference prototype and every peer.

Each stack is first checked for a correct result (event count, tags, sequence numbers, text deltas), then
timed. Groups are ``<corpus> <format>``; a corpus ``text+keepalive`` is a mix derived from ``text`` (see
``Corpus.variant``). All cases of one base corpus form one interleaved set (``harness.py``): they are timed in
alternating rounds, the sides of the targets back to back in each round. Peers that run at thousands of
events/s are timed on a subset of the corpus (``extra_info["subset"]``), and ratios are taken per event.
The targets registered at the end are checked by ``python benchmarks/check.py RUN.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest

import openresponses_msgspec as orm
from benchmarks.support import peers
from benchmarks.support.corpora import SUBSET, TINY_SUBSET, Corpus, get_corpus, reference_module
from benchmarks.support.harness import SMOKE, Case, InterleavedSet, interleaved
from benchmarks.support.targets import OURS, PROJ_IMAGE, PROJ_TEXT, REFERENCE, SCAN, Target, issue20_targets, register

FORMATS = ("ndjson", "array", "sse", "sse-chunks")
CORPORA = ("text", "reasoning", "image", "generating", "mixed")
UNTYPED = {"msgspec untyped", "orjson.loads", "json.loads"}
# the peers timed on each corpus (the SDK ones on the text-heavy batch, as in the issue's table)
SDK_CORPORA = {"text", "reasoning"}
# issue #10's groups, this package only: Open Responses' `event:`-framed SSE on every corpus; on the text
# batch a blank line after every event, and the mixes (a keep-alive event / an unknown nested item per 100)
EXTRA = [(c, "sse-event", OURS) for c in CORPORA] + [
    ("text", "ndjson-blank", OURS),
    ("text+keepalive", "ndjson", OURS),
    ("text+unknown-nested", "ndjson", OURS),
]
SDK_ROUNDS = 1 if SMOKE else 3  # the peers timed on a subset (seconds per call), target sides or not
FORMAT_ATTR = {
    "ndjson": "ndjson",
    "array": "array",
    "sse": "sse",
    "sse-chunks": "sse",
    "sse-event": "sse_event",
    "ndjson-blank": "ndjson_blank",
}

RESULTS: dict[tuple[str, str], float] = {}  # (group, stack) -> median seconds per event


# -- projections (issue #10: Decoder(views=[...]); the cases appear once the core's Decoder has views) --------

HAS_VIEWS = hasattr(orm, "View") and hasattr(orm, "Decoder")


if HAS_VIEWS:  # module level: under `from __future__ import annotations` msgspec resolves names in globals

    class _Usage(msgspec.Struct, frozen=True):
        input_tokens: int
        output_tokens: int

    class _Response(msgspec.Struct, frozen=True):
        usage: _Usage | None = None

    class _Completed(orm.View, tag="response.completed"):  # type: ignore[misc,call-arg]
        response: _Response

    class _Delta(orm.View, tag="response.output_text.delta"):  # type: ignore[misc,call-arg]
        delta: str

    class _Partial(orm.View, tag="response.image_generation_call.partial_image"):  # type: ignore[misc,call-arg]
        partial_image_b64: msgspec.Raw


def _text_projection() -> Callable[[bytes], list[Any]]:
    return orm.Decoder(views=[_Completed, _Delta]).decode_lines  # type: ignore[call-arg,no-any-return]


def _image_projection() -> Callable[[bytes], list[Any]]:
    return orm.Decoder(views=[_Partial]).decode_lines  # type: ignore[call-arg,no-any-return]


def _check_projection(out: list[Any], source: list[dict[str, Any]], keep: str) -> None:
    assert len(out) == len(source)
    assert [e.type for e in out[:200]] == [s["type"] for s in source[:200]]
    for ev, src in zip(out, source, strict=True):
        if src["type"] == "response.output_text.delta" and keep == "delta":
            assert ev.delta == src["delta"]
        elif src["type"] == "response.completed" and keep == "delta":
            assert ev.response.usage.output_tokens == src["response"]["usage"]["output_tokens"]
        elif src["type"] == "response.image_generation_call.partial_image" and keep == "image":
            assert bytes(ev.partial_image_b64) == b'"' + src["partial_image_b64"].encode() + b'"'


PROJECTIONS = {PROJ_TEXT: ("text", _text_projection, "delta"), PROJ_IMAGE: ("image", _image_projection, "image")}


# -- the matrix: corpus x wire format x stack, one interleaved set per base corpus ----------------------------


def _base(corpus: str) -> str:
    return corpus.split("+")[0]


def _corpus(name: str) -> Corpus:
    base, _, variant = name.partition("+")
    c = get_corpus(base)
    return c.variant(variant) if variant else c


def _priority(stack: str) -> int:
    """Order within a round: the sides of the targets back to back, then the fast peers, then the slow ones."""
    if stack in (OURS, REFERENCE, SCAN) or stack in PROJECTIONS:
        return 0
    return 1 if stack in UNTYPED else 2


def _cases() -> list[tuple[str, str, str]]:
    cases = []
    for c in CORPORA:
        for fmt in FORMATS:
            cases.append((c, fmt, OURS))
            if fmt in ("ndjson", "array") and c in ("text", "image", "generating"):
                cases.append((c, fmt, REFERENCE))
            if fmt == "ndjson" and c == "image":
                cases.append((c, fmt, SCAN))
            if fmt == "ndjson" and HAS_VIEWS:
                cases += [(c, fmt, p) for p, (pc, _, _) in PROJECTIONS.items() if pc == c]
            for name, (_, subset, formats) in peers.PEERS.items():
                if fmt not in formats or (subset is not None and c not in SDK_CORPORA):
                    continue
                if name == "json.loads" and c != "text" and fmt != "ndjson":
                    continue  # the slowest full-corpus peer: other corpora as NDJSON only
                if subset == "tiny" and c != "text":
                    continue  # openrouter's stream decoder (hundreds of events/s): the text batch only
                cases.append((c, fmt, name))
        cases += [e for e in EXTRA if _base(e[0]) == c]
    return sorted(cases, key=lambda x: (CORPORA.index(_base(x[0])), _priority(x[2])))  # stable


def _builder(corpus: str, fmt: str, stack: str) -> Callable[[], Case]:
    def build() -> Case:
        c = _corpus(corpus)
        subset = False
        rounds = None  # harness default: more rounds for the sides of targets
        if stack == OURS:
            fn = peers.OURS[fmt]
        elif stack == REFERENCE:
            fn = peers.reference_prototype(fmt, reference_module())
        elif stack == SCAN:
            assert c.ndjson.count(b"\n") == c.n
            data = c.ndjson
            return Case(f"{corpus} {fmt}", stack, lambda: data.count(b"\n"), c.n, len(data), rounds)
        elif stack in PROJECTIONS:
            fn = PROJECTIONS[stack][1]()
            out = fn(c.ndjson)
            _check_projection(out, c.dicts, PROJECTIONS[stack][2])
            del out
            data = c.ndjson
            return Case(f"{corpus} {fmt}", stack, lambda: fn(data), c.n, len(data), rounds)
        else:
            factory, sub, _ = peers.PEERS[stack]
            fn = factory(fmt)
            if sub is not None:
                c = c.subset(SUBSET if sub == "subset" else TINY_SUBSET)
                subset = True
                rounds = SDK_ROUNDS
        data = getattr(c, FORMAT_ATTR[fmt])
        out = fn(data)  # correctness first (this call is also the warm-up)
        if stack == REFERENCE:
            assert len(out) == c.n
        else:
            peers.check(out, c.dicts, typed=stack not in UNTYPED)
        extra = {}
        if stack.startswith("openresponses-types"):
            extra["typed_share"] = round(peers.typed_share(out), 4)
        del out
        return Case(f"{corpus} {fmt}", stack, lambda: fn(data), c.n, len(data), rounds, subset, extra)

    return build


SETS = {c: InterleavedSet(f"decode: {c}") for c in CORPORA}
CASES = _cases()
for _c, _f, _s in CASES:
    SETS[_base(_c)].add(f"{_c} {_f} {_s}", _builder(_c, _f, _s))


@interleaved(lambda p: (SETS[_base(p["corpus"])], f"{p['corpus']} {p['fmt']} {p['stack']}"))
@pytest.mark.parametrize(("corpus", "fmt", "stack"), CASES, ids=lambda v: str(v).replace(" ", "_"))
def test_decode(benchmark, corpus: str, fmt: str, stack: str) -> None:
    case = SETS[_base(corpus)].bench(benchmark, f"{corpus} {fmt} {stack}")
    if benchmark.stats is not None and benchmark.stats.stats.data:  # None with --benchmark-disable
        RESULTS[(case.group, stack)] = benchmark.stats.stats.median / case.events


ONE = {
    "text delta": b'{"type":"response.output_text.delta","item_id":"msg_00000000","output_index":0,"content_index":0,'
    b'"delta":" fox","logprobs":[],"sequence_number":3}',
    "generating": b'{"type":"response.image_generation_call.generating","item_id":"ig_1","output_index":0,'
    b'"sequence_number":2}',
}


@pytest.mark.parametrize("event", ONE)
@pytest.mark.parametrize(
    "stack", [OURS, "msgspec untyped", "orjson.loads", "json.loads", "pydantic TypeAdapter(openai ResponseStreamEvent)"]
)
def test_one_event(benchmark, event: str, stack: str) -> None:
    raw = ONE[event]
    if stack == OURS:
        fn = orm.decode
    elif stack == "msgspec untyped":
        fn = msgspec.json.Decoder().decode
    else:
        factory = peers.PEERS[stack][0]
        lines = factory("ndjson")
        fn = lambda b: lines(b)[0]  # noqa: E731 - one line is one event
    out = fn(raw)
    assert peers._get(out, "type") == msgspec.json.decode(raw)["type"]
    benchmark.group = f"one event: {event}"
    benchmark.extra_info.update(lib=stack, events=1, bytes=len(raw), subset=False)
    benchmark.pedantic(fn, args=(raw,), rounds=1 if SMOKE else 5000, iterations=1, warmup_rounds=0 if SMOKE else 100)
    if benchmark.stats is not None:
        RESULTS[(benchmark.group, stack)] = benchmark.stats.stats.median


# -- targets: checked by `python benchmarks/check.py RUN.json` (see targets.py), never asserted here ----------

register(
    # issue #5 (the benchmark suite)
    Target(
        "text NDJSON vs the reference prototype (#5)",
        issue=5,
        num="text ndjson",
        den=("text ndjson", REFERENCE),
        goal=0.9,
    ),
    Target(
        "text NDJSON vs the openai SDK stream path",
        issue=5,
        num="text ndjson",
        den=("text ndjson", "openai SDK stream path"),
        goal=200,
    ),
    Target(
        "text SSE vs the openrouter SDK stream decoder",
        issue=5,
        num="text sse",
        den=("text sse", "openrouter SDK stream decoder"),
        goal=1000,
    ),
    Target("image NDJSON vs a bare newline count", issue=5, num="image ndjson", den=("image ndjson", SCAN), goal=0.6),
    # issue #10 (one typed Decoder)
    Target(
        "text + a keep-alive event per 100 vs clean text (NDJSON)",
        issue=10,
        num="text+keepalive ndjson",
        den="text ndjson",
        goal=0.85,
    ),
    Target(
        "text + 1 in 100 with an unknown nested item vs clean text (NDJSON)",
        issue=10,
        num="text+unknown-nested ndjson",
        den="text ndjson",
        goal=0.8,
    ),
    Target(
        "text + a blank line after every event vs clean text (NDJSON)",
        issue=10,
        num="text ndjson-blank",
        den="text ndjson",
        goal=0.8,
    ),
    Target("text SSE whole buffer (data: frames) vs NDJSON", issue=10, num="text sse", den="text ndjson", goal=0.9),
    Target(
        "text SSE whole buffer (event: + data: frames) vs NDJSON",
        issue=10,
        num="text sse-event",
        den="text ndjson",
        goal=0.9,
    ),
    Target(
        "image projection (partial_image_b64 as Raw) vs a bare newline count",
        issue=10,
        num=("image ndjson", PROJ_IMAGE),
        den=("image ndjson", SCAN),
        goal=0.8,
    ),
)
# issue #20 (the native scanner): its targets replace #10's ">= 1.0x the prototype" and ">= 2.0x the full model";
# the set of the path this run measures (openresponses_msgspec.NATIVE)
register(*issue20_targets(orm.NATIVE))
