"""Every variant from the specs' own examples; generated events round-trip; garbage never aborts a batch."""

from __future__ import annotations

import json
import re
import types
import typing
from typing import Any

import msgspec
import pytest
from helpers import assert_wire_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import openresponses_msgspec as orm
from openresponses_msgspec import EVENT_TYPES, InvalidEvent, decode, decode_lines, encode

# ---------------------------------------------------------------------------------------------- spec examples


def spec_examples(specs: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(spec, example) for every event schema that carries one: OpenRouter's ``example``, OpenAI's x-oaiMeta."""
    out = []
    o, a = specs["openrouter"], specs["openai"]
    for m in o["StreamEvents"]["oneOf"]:
        ex = o[m["$ref"].split("/")[-1]].get("example")
        if ex:
            out.append(("openrouter", ex))
    for m in a["ResponseStreamEvent"]["anyOf"]:
        meta = a[m["$ref"].split("/")[-1]].get("x-oaiMeta", {})
        if "example" in meta:
            try:
                out.append(("openai", json.loads(meta["example"])))
            except json.JSONDecodeError:  # a few examples are prose or elided ("...")
                pass
    return out


# OpenAI's x-oaiMeta examples that break OpenAI's own schema (its `required` lists, or a string timestamp):
# they must fail loudly, naming the field, rather than decode into a half-filled object.
OPENAI_EXAMPLES_AGAINST_THEIR_SCHEMA = {  # the rest omit fields: optional by the rule (docs/model.md)
    "response.queued": "got `str` - at `$.response.created_at`",
}


def test_spec_examples_decode_with_their_values(specs: dict[str, Any]) -> None:
    examples = spec_examples(specs)
    tags = {ex["type"] for _, ex in examples}
    assert len(tags) >= 60, f"only {len(tags)} tags have examples"
    checked = 0
    for origin, ex in examples:
        data = json.dumps(ex).encode()
        if origin == "openai" and ex["type"] in OPENAI_EXAMPLES_AGAINST_THEIR_SCHEMA:
            with pytest.raises(orm.DecodeError, match=re.escape(OPENAI_EXAMPLES_AGAINST_THEIR_SCHEMA[ex["type"]])):
                decode(data)
            continue
        ev = decode(data)
        assert type(ev) is EVENT_TYPES[ex["type"]], (origin, ex["type"])
        assert ev.type == ex["type"]
        assert_wire_values(ev, ex, exact=False)
        checked += 1
    assert checked >= 90


# ------------------------------------------------------------------------------------ generated instances


def _union_args(tp: Any) -> tuple[Any, ...] | None:
    return typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else None


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.text(max_size=8))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6,
)


def strategy_for(tp: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of a Struct field type, nested Structs and tagged unions included."""
    args = _union_args(tp)
    if args is not None:
        return st.one_of(*[strategy_for(a, depth) for a in args])
    origin = typing.get_origin(tp)
    if tp is type(None):
        return st.none()
    if tp is Any:
        return json_values
    if tp is str:
        return st.text(max_size=12)
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(-(2**63), 2**63 - 1)
    if tp is float:
        return st.floats(allow_nan=False, allow_infinity=False)
    if origin is tuple:
        return st.lists(strategy_for(typing.get_args(tp)[0], depth + 1), max_size=2 if depth < 3 else 0).map(tuple)
    if origin is dict:
        return st.dictionaries(st.text(max_size=5), json_values, max_size=2)
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return struct_strategy(tp, depth + 1)
    raise AssertionError(f"no strategy for {tp!r}")


def struct_strategy(cls: type, depth: int = 0) -> st.SearchStrategy[Any]:
    fields = msgspec.structs.fields(cls)
    required = {f.name: strategy_for(f.type, depth) for f in fields if f.required}
    optional = {f.name: strategy_for(f.type, depth) for f in fields if not f.required} if depth < 3 else {}
    return st.fixed_dictionaries(required, optional=optional).map(lambda kw: cls(**kw))


events = st.sampled_from(sorted(EVENT_TYPES)).flatmap(lambda tag: struct_strategy(EVENT_TYPES[tag]))


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events)
def test_generated_events_round_trip(ev: Any) -> None:
    assert decode(encode(ev)) == _normalised(ev)


def _normalised(ev: Any) -> Any:
    """What decoding gives back: defaults written out by encode are omitted, so compare after one trip."""
    return decode(msgspec.json.encode(ev))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(events)
def test_encode_is_stable(ev: Any) -> None:
    once = encode(decode(encode(ev)))
    assert encode(decode(once)) == once


@pytest.mark.parametrize("tag", sorted(EVENT_TYPES))
def test_every_variant_decodes_a_minimal_instance(tag: str) -> None:
    """Each of the 70 variants, built from its required fields only, decodes to itself."""
    cls = EVENT_TYPES[tag]
    kw = {f.name: _minimal(f.type) for f in msgspec.structs.fields(cls) if f.required}
    ev = cls(**kw)
    wire = encode(ev)
    assert json.loads(wire)["type"] == tag
    assert decode(wire) == ev


def _minimal(tp: Any) -> Any:
    args = _union_args(tp)
    if args is not None:
        return _minimal(next(a for a in args if a is not type(None)))
    origin = typing.get_origin(tp)
    if origin is tuple:
        return ()
    if origin is dict:
        return {"k": 1}
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return tp(**{f.name: _minimal(f.type) for f in msgspec.structs.fields(tp) if f.required})
    return {str: "s", int: 7, float: 1.5, bool: True}.get(tp, "any")


# ------------------------------------------------------------------------------------------- garbage in


SAMPLE = orm.corpus.ndjson(orm.corpus.events("mixed", 60, image_kb=1)).splitlines()


def _non_blank(data: bytes) -> int:
    data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data  # a BOM at the start is skipped (issue #11)
    return sum(1 for line in data.split(b"\n") if line.strip(b" \t\r"))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_raise_in_replace_mode(data: bytes) -> None:
    out = decode_lines(data, errors="replace")
    assert len(out) == _non_blank(data)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(SAMPLE),
            st.integers(0, 10_000),
            st.binary(max_size=3),
            st.sampled_from(["keep", "cut", "insert", "replace"]),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from([b"\n", b"\r\n"]),
)
def test_mutated_lines_keep_one_item_per_line(mutations: list[tuple[bytes, int, bytes, str]], sep: bytes) -> None:
    lines = []
    for line, at, junk, how in mutations:
        i = at % (len(line) + 1)
        if how == "cut":
            line = line[:i]
        elif how == "insert":
            line = line[:i] + junk + line[i:]
        elif how == "replace":
            line = line[:i] + junk + line[i + len(junk) :]
        lines.append(line)
    data = sep.join(lines)
    out = decode_lines(data, errors="replace")
    assert len(out) == _non_blank(data)
    physical = data.split(b"\n")
    for ev in out:
        if isinstance(ev, InvalidEvent):
            assert physical[ev.line - 1].rstrip(b"\r") == ev.raw
            assert data[ev.offset : ev.offset + len(ev.raw)] == ev.raw
