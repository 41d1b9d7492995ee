"""The generated Structs against both OpenAPI specs, read with a resolver written independently of the
generator: every tag maps to a class, every wire field exists, and required/nullable follow the merge rule
(required only if every spec defining the object requires it; nullable if any spec allows null)."""

from __future__ import annotations

import re
import sys
import types
import typing
from typing import Any

import msgspec
import pytest

import openresponses_msgspec as orm
from openresponses_msgspec import EVENT_TYPES, FAMILIES

Schemas = dict[str, Any]

# Request-echo fields that are deliberately loose (plain JSON values, documented in the README). Fields typed
# ``Any`` elsewhere are untagged unions (string-or-array and the like) and admit any JSON value by design.
LOOSE_RESPONSE_FIELDS = {"instructions", "tools", "tool_choice", "prompt", "text", "reasoning", "conversation"}


def deref(schemas: Schemas, s: Any) -> Any:
    while isinstance(s, dict) and "$ref" in s:
        s = schemas[s["$ref"].split("/")[-1]]
    return s


def obj(schemas: Schemas, s: Any) -> tuple[dict[str, Any], set[str]]:
    """(properties, required) of an object schema, allOf parts merged (later parts win); a nullable wrapper
    (``anyOf: [X, null]``) is looked through."""
    s = deref(schemas, s)
    alts = [m for m in s.get("anyOf", s.get("oneOf", [])) if deref(schemas, m).get("type") != "null"]
    if len(alts) == 1 and "properties" not in s:
        return obj(schemas, alts[0])
    props: dict[str, Any] = {}
    req: set[str] = set()
    for part in s.get("allOf", []):
        p, r = obj(schemas, part)
        props.update(p)
        req |= r
    props.update(s.get("properties", {}))
    req |= set(s.get("required", []))
    return props, req


def is_nullable(schemas: Schemas, s: Any) -> bool:
    s = deref(schemas, s)
    t = s.get("type")
    if t == "null" or (isinstance(t, list) and "null" in t) or s.get("nullable") or None in s.get("enum", [1]):
        return True
    return any(is_nullable(schemas, m) for k in ("anyOf", "oneOf", "allOf") for m in s.get(k, []))


def tag_of(schemas: Schemas, s: Any) -> str | None:
    t = obj(schemas, s)[0].get("type")
    if t is None:
        return None
    t = deref(schemas, t)
    return t.get("const") or (t["enum"][0] if len(t.get("enum", [])) == 1 else None)


def members(schemas: Schemas, s: Any) -> dict[str, Any]:
    """{tag: member schema} of a tagged union, looking through arrays and nullable wrappers."""
    s = deref(schemas, s)
    alts = [m for m in s.get("anyOf", s.get("oneOf", [])) if deref(schemas, m).get("type") != "null"]
    if len(alts) == 1:
        return members(schemas, alts[0])
    t = s.get("type")
    if t == "array" or (isinstance(t, list) and "array" in t):
        return members(schemas, s["items"])
    out = {}
    for m in s.get("oneOf", s.get("anyOf", [])):
        tag = tag_of(schemas, m)
        if tag:
            out[tag] = m
    return out


def prop(schemas: Schemas, schema_name: str, *path: str) -> Any:
    s: Any = schemas[schema_name]
    for p in path:
        s = obj(schemas, s)[0][p]
    return s


def admits_none(tp: Any) -> bool:
    if tp is Any or tp is type(None):
        return True
    return typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


def union_sources(specs: dict[str, Schemas]) -> dict[str, dict[str, dict[str, Any]]]:
    """family -> spec -> {tag: schema}, located in each spec by hand (their names differ)."""
    o, a = specs["openrouter"], specs["openai"]
    return {
        "events": {"openrouter": members(o, o["StreamEvents"]), "openai": members(a, a["ResponseStreamEvent"])},
        "OutputItem": {"openrouter": members(o, o["OutputItems"]), "openai": members(a, a["OutputItem"])},
        "ContentPart": {
            "openrouter": members(o, prop(o, "ContentPartAddedEvent", "part")),
            "openai": members(a, a["OutputContent"]),
        },
        "Annotation": {
            "openrouter": members(o, o["OpenAIResponsesAnnotation"]),
            "openai": members(a, a["Annotation"]),
        },
        "CodeInterpreterOutput": {
            "openrouter": members(o, prop(o, "OutputCodeInterpreterCallItem", "outputs")),
            "openai": members(a, prop(a, "CodeInterpreterToolCall", "outputs")),
        },
        "ApplyPatchOperation": {
            "openrouter": members(o, o["ApplyPatchCallOperation"]),
            "openai": members(a, prop(a, "ApplyPatchToolCall", "operation")),
        },
        "WebSearchAction": {
            "openrouter": members(o, prop(o, "OutputWebSearchCallItem", "action")),
            "openai": members(a, prop(a, "WebSearchToolCall", "action")),
        },
    }


def registry(family: str) -> dict[str, type]:
    return EVENT_TYPES if family == "events" else FAMILIES[family]


def check_struct(cls: type, defs: list[tuple[Schemas, Any]], *, tagged: bool, loose: set[str] = frozenset()) -> None:
    """Assert that ``cls`` has every spec field with the merged required/nullable status."""
    fields = {f.encode_name: f for f in msgspec.structs.fields(cls)}
    spec_fields: dict[str, list[tuple[bool, bool]]] = {}
    for schemas, schema in defs:
        props, req = obj(schemas, schema)
        for name, p in props.items():
            spec_fields.setdefault(name, []).append((name in req, is_nullable(schemas, p)))
    if tagged:
        spec_fields.pop("type", None)
        assert "type" not in fields
    problems = []
    for name, seen in spec_fields.items():
        f = fields.get(name)
        if f is None:
            problems.append(f"{name}: missing")
            continue
        required = len(seen) == len(defs) and all(r for r, _ in seen)
        nullable = any(n for _, n in seen)
        if f.required != required:
            problems.append(f"{name}: required={f.required}, spec merge says {required}")
        if nullable and not admits_none(f.type):
            problems.append(f"{name}: spec allows null, type {f.type} does not")
        if required and not nullable and admits_none(f.type) and f.type is not Any and name not in loose:
            problems.append(f"{name}: required non-null, but type {f.type} admits None")
    extra = set(fields) - set(spec_fields)
    if extra:
        problems.append(f"fields in no spec: {sorted(extra)}")
    assert not problems, f"{cls.__name__}: " + "; ".join(problems)


FAMILY_NAMES = ["events", "OutputItem", "ContentPart", "Annotation", "CodeInterpreterOutput",
                "ApplyPatchOperation", "WebSearchAction"]


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_every_spec_tag_maps_to_a_struct(specs: dict[str, Schemas], family: str) -> None:
    """Each tag of each spec's union has exactly one class, and the registry holds nothing else."""
    src = union_sources(specs)[family]
    tags = set(src["openrouter"]) | set(src["openai"])
    assert set(registry(family)) == tags
    for tag, cls in registry(family).items():
        assert cls.__struct_config__.tag == tag
        assert cls.type == tag


def test_event_counts_match_the_issue(specs: dict[str, Schemas]) -> None:
    """49 OpenRouter variants, 58 OpenAI ones, 37 shared: 70 tags."""
    src = union_sources(specs)["events"]
    assert (len(src["openrouter"]), len(src["openai"])) == (49, 58)
    assert len(set(src["openrouter"]) & set(src["openai"])) == 37
    assert len(EVENT_TYPES) == 70


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_fields_required_and_nullable_follow_the_merge_rule(specs: dict[str, Schemas], family: str) -> None:
    src = union_sources(specs)[family]
    for tag, cls in registry(family).items():
        defs = [(specs[name], src[name][tag]) for name in ("openrouter", "openai") if tag in src[name]]
        check_struct(cls, defs, tagged=True)


def test_response_object_follows_the_merge_rule(specs: dict[str, Schemas]) -> None:
    """OpenRouter's OpenResponsesResult and OpenAI's Response merge into one Response struct."""
    o, a = specs["openrouter"], specs["openai"]
    check_struct(orm.Response, [(o, o["OpenResponsesResult"]), (a, a["Response"])], tagged=False,
                 loose=LOOSE_RESPONSE_FIELDS)
    for ev in ("response.created", "response.in_progress", "response.completed", "response.failed",
               "response.incomplete", "response.queued"):
        assert msgspec.structs.fields(EVENT_TYPES[ev])[0].type is orm.Response


def test_usage_follows_the_merge_rule(specs: dict[str, Schemas]) -> None:
    o, a = specs["openrouter"], specs["openai"]
    defs = [(o, prop(o, "OpenResponsesResult", "usage")), (a, prop(a, "Response", "usage"))]
    check_struct(orm.Usage, [(schemas, deref(schemas, s)) for schemas, s in defs], tagged=False)


@pytest.mark.parametrize("tag", ["response.image_generation_call.generating", "error", "response.output_text.delta"])
def test_seed_events_have_the_documented_fields(tag: str) -> None:
    """Spot values from EVENTS.md, independent of any resolver."""
    fields = {f.name: f for f in msgspec.structs.fields(EVENT_TYPES[tag])}
    expected = {
        "response.image_generation_call.generating": {"item_id": str, "output_index": int, "sequence_number": int},
        "error": {"code": str | None, "message": str, "param": str | None, "sequence_number": int},
        "response.output_text.delta": {"item_id": str, "output_index": int, "content_index": int, "delta": str},
    }[tag]
    for name, tp in expected.items():
        assert fields[name].type == tp and fields[name].required, name


def test_class_names_follow_the_tag_rule() -> None:
    """split on '.' and '_', capitalise, append 'Event'."""
    for tag, cls in EVENT_TYPES.items():
        assert cls.__name__ == "".join(p.capitalize() for p in re.split(r"[._]", tag)) + "Event"
        assert getattr(orm, cls.__name__) is cls
    assert orm.ResponseImageGenerationCallGeneratingEvent.type == "response.image_generation_call.generating"
    assert orm.ErrorEvent.type == "error"


def test_camel_case_wire_names_are_kept_on_the_wire() -> None:
    """EVENTS.md 0.7: exitCode etc. stay camelCase on the wire; Python attributes are snake_case."""
    f = {x.name: x.encode_name for x in msgspec.structs.fields(orm.OpenrouterBashItem)}
    assert f["exit_code"] == "exitCode"
    item = orm.decode(b'{"type":"response.output_item.done","output_index":0,"sequence_number":1,'
                      b'"item":{"type":"openrouter:bash","status":"completed","exitCode":3}}').item
    assert (item.type, item.exit_code) == ("openrouter:bash", 3)


def test_generated_module_is_up_to_date(specs: dict[str, Schemas]) -> None:
    """tools/generate_models.py run on ../shared/spec reproduces the committed _models.py byte for byte."""
    import importlib.util
    from pathlib import Path

    from conftest import SPEC_DIR

    path = Path(__file__).resolve().parents[1] / "tools" / "generate_models.py"
    spec = importlib.util.spec_from_file_location("generate_models", path)
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    sys.modules["generate_models"] = gen  # dataclasses look their module up there
    spec.loader.exec_module(gen)
    assert gen.build(SPEC_DIR) == gen.OUT.read_text(), "stale: run python tools/generate_models.py"
