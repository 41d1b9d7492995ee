"""The generated Structs against the three OpenAPI specs, read with a resolver written independently of the
generator: every tag maps to a class, every wire field exists, nullable follows the merge rule (nullable if any
spec allows null), and required follows the rule of docs/model.md (on an event only the ``delta`` of a ``*.delta``
event and the ``response`` of a lifecycle event; in a nested object what every source requires and no server
was seen to omit); fields beyond the specs are exactly the observations' added fields and the
fields the pinned SDKs define (tests/sdk_walk.py; tests/test_sdk_drift.py checks that none is missing)."""

from __future__ import annotations

import fnmatch
import json
import re
import sys
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sdk_walk

import openresponses_msgspec as orm
from openresponses_msgspec import EVENT_TYPES, FAMILIES

Schemas = dict[str, Any]

# Request-echo fields that are deliberately loose (plain JSON values, documented in docs/events.md). Fields typed
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
    """{tag: member schema} of a tagged union, looking through arrays and nullable wrappers; a lone tagged
    object (Open Responses' ``Annotation`` is a plain $ref with a discriminator) is a union of one."""
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
    if not out and "properties" in s and tag_of(schemas, s):
        out[tag_of(schemas, s)] = s  # type: ignore[index]
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


def args_of(tp: Any) -> set[Any]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return set(typing.get_args(tp))
    return {tp}


SPEC_NAMES = ("openrouter", "openai", "openresponses")


def openresponses_events(doc: dict[str, Any]) -> dict[str, Any]:
    """Open Responses: the text/event-stream oneOf of POST /responses, plus the WebSocket error message."""
    schemas = doc["components"]["schemas"]
    post = doc["paths"]["/responses"]
    union = post["post"]["responses"]["200"]["content"]["text/event-stream"]["schema"]
    out = members(schemas, union)
    ws = post["x-openresponses-websocket"]["errorMessage"]
    out.setdefault(tag_of(schemas, ws), ws)  # same tag as the SSE error event: both define "error"
    return out


def union_sources(specs: dict[str, Schemas], doc: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """family -> spec -> {tag: schema}, located in each spec by hand (their names differ)."""
    o, a, r = specs["openrouter"], specs["openai"], specs["openresponses"]
    return {
        "events": {
            "openrouter": members(o, o["StreamEvents"]),
            "openai": members(a, a["ResponseStreamEvent"]),
            "openresponses": openresponses_events(doc),
        },
        "OutputItem": {
            "openrouter": members(o, o["OutputItems"]),
            "openai": members(a, a["OutputItem"]),
            "openresponses": members(r, r["ItemField"]),
        },
        "ContentPart": {
            "openrouter": members(o, prop(o, "ContentPartAddedEvent", "part")),
            "openai": members(a, a["OutputContent"]),
            "openresponses": members(r, prop(r, "Message", "content")),
        },
        "Annotation": {
            "openrouter": members(o, o["OpenAIResponsesAnnotation"]),
            "openai": members(a, a["Annotation"]),
            "openresponses": members(r, r["Annotation"]),
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


OBSERVATIONS = tomllib.loads((Path(__file__).resolve().parents[2] / "tools" / "observations.toml").read_text())[
    "observation"
]


def observed(key: str) -> dict[type, set[str]]:
    """class -> field names of the observations' ``add`` (or ``omitted``) tables."""
    out: dict[type, set[str]] = {}
    for o in OBSERVATIONS:
        if o["shape"] == "event":
            classes = [EVENT_TYPES[o["tag"]]]
        else:
            classes = []
            for t in o["targets"]:
                if t.startswith("event:"):
                    classes += [c for tag, c in EVENT_TYPES.items() if fnmatch.fnmatchcase(tag, t[6:])]
                else:
                    classes.append(getattr(orm, t))
        for c in classes:
            out.setdefault(c, set()).update(o.get(key, ()) if key == "omitted" else o.get(key, {}))
    return out


ADDED = observed("add")
OMITTED = observed("omitted")
SDK = sdk_walk.walk()  # what the pinned SDKs define, walked beside the model
LIFECYCLE = {
    "response.created",
    "response.queued",
    "response.in_progress",
    "response.completed",
    "response.failed",
    "response.incomplete",
}


def _absent_in_examples() -> dict[type, set[str]]:
    """class -> fields absent from some object of that class in an observation's example line (decoded, and
    walked beside its JSON)."""
    out: dict[type, set[str]] = {}

    def walk(decoded: Any, wire: Any) -> None:
        if isinstance(decoded, msgspec.Struct) and isinstance(wire, dict):
            fields = {f.encode_name: f.name for f in msgspec.structs.fields(decoded)}
            out.setdefault(type(decoded), set()).update(set(fields) - set(wire))
            for k, v in wire.items():
                if k in fields:
                    walk(getattr(decoded, fields[k]), v)
        elif isinstance(decoded, tuple) and isinstance(wire, list):
            for d, w in zip(decoded, wire, strict=True):
                walk(d, w)

    for o in OBSERVATIONS:
        for line in o["examples"]:
            walk(orm.decode(line.encode()), json.loads(line))
    return out


SEEN_ABSENT = _absent_in_examples()


def must_require(cls: type, tag: str | None, name: str, every_spec_requires: bool, nullable: bool) -> bool:
    """The rule (docs/model.md, "Required fields"), written again here. On an event: only what it means nothing
    without. In a nested object but the response object: what every spec requires, none allows null, no SDK
    lets be absent or null, and no observation (nor an observation's example line) saw absent."""
    if tag is not None:
        return (name == "delta" and tag.endswith(".delta")) or (name == "response" and tag in LIFECYCLE)
    return (
        cls is not orm.Response
        and every_spec_requires
        and not nullable
        and name not in OMITTED.get(cls, ())
        and name not in SEEN_ABSENT.get(cls, ())
        and name not in SDK.optional.get(cls, ())
    )


def is_number(schemas: Schemas, s: Any) -> bool:
    s = deref(schemas, s)
    return s.get("type") == "number" or any(is_number(schemas, m) for m in s.get("anyOf", s.get("oneOf", [])))


def check_struct(cls: type, defs: list[tuple[Schemas, Any]], *, tag: str | None, loose: set[str] = frozenset()) -> None:
    """Assert that ``cls`` has every spec field, nullable where any spec allows null, required by the rule,
    numbers as ``int | float``, and no field beyond the specs but the observed ones."""
    fields = {f.encode_name: f for f in msgspec.structs.fields(cls)}
    spec_fields: dict[str, list[tuple[bool, bool]]] = {}
    spec_required: dict[str, int] = {}
    for schemas, schema in defs:
        props, req = obj(schemas, schema)
        for name, p in props.items():
            spec_fields.setdefault(name, []).append((is_nullable(schemas, p), is_number(schemas, p)))
            spec_required[name] = spec_required.get(name, 0) + (name in req)
    if tag is not None or issubclass(cls, orm._base._Tagged):
        spec_fields.pop("type", None)
        assert "type" not in fields
    problems = []
    for name, seen in spec_fields.items():
        f = fields.get(name)
        if f is None:
            problems.append(f"{name}: missing")
            continue
        nullable = any(n for n, _ in seen)
        required = must_require(cls, tag, name, spec_required[name] == len(defs), nullable) and name not in OMITTED.get(
            cls, ()
        )
        if f.required != required:
            problems.append(f"{name}: required={f.required}, the rule says {required}")
        if (nullable or not required) and not admits_none(f.type):
            problems.append(f"{name}: may be null or absent, type {f.type} does not admit None")
        if required and not nullable and admits_none(f.type) and f.type is not Any and name not in loose:
            problems.append(f"{name}: required non-null, but type {f.type} admits None")
        if all(num for _, num in seen) and f.type is not Any and not {int, float} <= args_of(f.type):
            problems.append(f"{name}: a JSON number, typed {f.type} (an integer must stay an int)")
    extra = set(fields) - set(spec_fields)
    known = ADDED.get(cls, set()) | SDK.defined.get(cls, set())
    if extra != known - set(spec_fields):
        problems.append(f"fields in no spec: {sorted(extra)}, observed or in an SDK: {sorted(known)}")
    assert not problems, f"{cls.__name__}: " + "; ".join(problems)


FAMILY_NAMES = [
    "events",
    "OutputItem",
    "ContentPart",
    "Annotation",
    "CodeInterpreterOutput",
    "ApplyPatchOperation",
    "WebSearchAction",
]


def registry(family: str) -> dict[str, type]:
    return EVENT_TYPES if family == "events" else FAMILIES[family]


NEW_EVENTS = {o["tag"] for o in OBSERVATIONS if o["shape"] == "event"}


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_every_spec_tag_maps_to_a_struct(specs: dict[str, Schemas], openresponses_doc: Any, family: str) -> None:
    """Each tag of each spec's union has exactly one class, and the registry holds nothing else (but the
    events of the observations table and the tags the pinned SDKs define)."""
    src = union_sources(specs, openresponses_doc)[family]
    tags = set().union(*map(set, src.values()))
    sdk = SDK.tags if family == "events" else SDK.member_tags.get(family, set())
    assert set(registry(family)) == tags | (NEW_EVENTS if family == "events" else set()) | sdk
    for tag, cls in registry(family).items():
        assert cls.__struct_config__.tag == tag
        assert cls.type == tag
        assert typing.get_type_hints(cls, include_extras=True)["type"] == typing.ClassVar[typing.Literal[tag]]


def test_event_counts_per_source(specs: dict[str, Schemas], openresponses_doc: Any) -> None:
    """49 OpenRouter tags, 58 OpenAI, 24 Open Responses; 72 in all, plus response.compaction.compacting and
    keepalive (observed), plus the SDKs' steer (3) and inject (2) events."""
    src = union_sources(specs, openresponses_doc)["events"]
    assert {k: len(v) for k, v in src.items()} == {"openrouter": 49, "openai": 58, "openresponses": 24}
    assert len(set(src["openrouter"]) & set(src["openai"])) == 37
    assert set(src["openresponses"]) - set(src["openrouter"]) - set(src["openai"]) == {
        "response.reasoning.delta",
        "response.reasoning.done",
    }
    assert NEW_EVENTS == {"response.compaction.compacting", "keepalive"}
    assert SDK.tags - set().union(*map(set, src.values())) == {
        "response.compaction.compacting",
        "response.steer.accepted",
        "response.steer.pending",
        "response.steer.failed",
        "response.inject.created",
        "response.inject.failed",
    }
    assert len(EVENT_TYPES) == 79


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_fields_follow_the_rule(specs: dict[str, Schemas], openresponses_doc: Any, family: str) -> None:
    src = union_sources(specs, openresponses_doc)[family]
    for tag, cls in registry(family).items():
        defs = [(specs[name], src[name][tag]) for name in SPEC_NAMES if tag in src.get(name, {})]
        check_struct(cls, defs, tag=tag if family == "events" else None)


def test_response_object_follows_the_rule(specs: dict[str, Schemas]) -> None:
    """OpenRouter's OpenResponsesResult, OpenAI's Response and Open Responses' ResponseResource merge into one
    Response struct, which requires nothing."""
    o, a, r = specs["openrouter"], specs["openai"], specs["openresponses"]
    check_struct(
        orm.Response,
        [(o, o["OpenResponsesResult"]), (a, a["Response"]), (r, r["ResponseResource"])],
        tag=None,
        loose=LOOSE_RESPONSE_FIELDS,
    )
    for ev in LIFECYCLE:
        f = msgspec.structs.fields(EVENT_TYPES[ev])
        assert [x.type for x in f if x.name == "response"] == [orm.Response]


def test_usage_follows_the_rule(specs: dict[str, Schemas]) -> None:
    o, a, r = specs["openrouter"], specs["openai"], specs["openresponses"]
    defs = [
        (o, prop(o, "OpenResponsesResult", "usage")),
        (a, prop(a, "Response", "usage")),
        (r, prop(r, "ResponseResource", "usage")),
    ]
    check_struct(orm.Usage, [(schemas, deref(schemas, s)) for schemas, s in defs], tag=None)


def test_error_event_has_both_forms(specs: dict[str, Schemas], openresponses_doc: Any) -> None:
    """Nested ``error: ErrorPayload`` (Open Responses, real OpenAI streams), WebSocket ``status``, and the flat
    ``code``/``message``/``param`` of the OpenRouter and OpenAI specs, all optional."""
    fields = {f.name: f for f in msgspec.structs.fields(orm.ErrorEvent)}
    assert fields["error"].type == orm.ErrorPayload | None
    assert fields["status"].type == int | None
    for name in ("code", "message", "param", "sequence_number", "error", "status"):
        assert not fields[name].required, name
    r = specs["openresponses"]
    check_struct(orm.ErrorPayload, [(r, r["ErrorPayload"]), (r, prop(r, "WebSocketErrorEvent", "error"))], tag=None)


@pytest.mark.parametrize("tag", ["response.image_generation_call.generating", "error", "response.output_text.delta"])
def test_seed_events_have_the_documented_fields(tag: str) -> None:
    """Spot values from EVENTS.md, independent of any resolver: optional but typed; the delta required."""
    fields = {f.name: f for f in msgspec.structs.fields(EVENT_TYPES[tag])}
    expected = {
        "response.image_generation_call.generating": {"item_id": str, "output_index": int, "sequence_number": int},
        "error": {"code": str, "message": str, "param": str, "sequence_number": int},
        "response.output_text.delta": {"item_id": str, "output_index": int, "content_index": int},
    }[tag]
    for name, tp in expected.items():
        assert fields[name].type == tp | None and not fields[name].required, name
    if tag == "response.output_text.delta":
        assert fields["delta"].type is str and fields["delta"].required


def test_every_generated_class_is_frozen_and_has_a_whole_sentence_docstring() -> None:
    """frozen=True is stated on each class (type checkers need it), and docstrings end a sentence."""
    import inspect

    source = inspect.getsource(orm._models)
    classes = re.findall(r"^class (\w+)\((\w+)(.*)\):$", source, re.M)
    defined = [
        n
        for n, v in vars(orm._models).items()
        if isinstance(v, type)
        and issubclass(v, msgspec.Struct)
        and v.__name__ == n
        and v.__module__ == orm._models.__name__
    ]
    assert sorted(n for n, _, _ in classes) == sorted(defined)
    for name, _, opts in classes:
        assert "frozen=True" in opts, name
        cls = getattr(orm._models, name)
        assert cls.__struct_config__.frozen, name
        assert cls.__doc__ and cls.__doc__.rstrip().endswith((".", "!", "?", ".)")), (name, cls.__doc__)
    assert "_set_tags" not in source


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
    item = orm.decode(
        b'{"type":"response.output_item.done","output_index":0,"sequence_number":1,'
        b'"item":{"type":"openrouter:bash","status":"completed","exitCode":3}}'
    ).item
    assert (item.type, item.exit_code) == ("openrouter:bash", 3)


def test_generated_module_is_up_to_date(specs: dict[str, Schemas]) -> None:
    """tools/generate_models.py run on ../shared/spec reproduces the committed _models.py byte for byte."""
    from helpers import SPEC_DIR

    gen = _generator()
    assert gen.build(SPEC_DIR) == gen.OUT.read_text(), "stale: run python tools/generate_models.py"


def _generator() -> Any:
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "tools" / "generate_models.py"
    spec = importlib.util.spec_from_file_location("generate_models", path)
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    sys.modules["generate_models"] = gen
    spec.loader.exec_module(gen)
    return gen


def test_generator_says_where_the_specs_come_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$OPENRESPONSES_SPEC_DIR is honoured, and a missing spec is named with the ways to provide it."""
    gen = _generator()
    monkeypatch.setenv("OPENRESPONSES_SPEC_DIR", str(tmp_path))
    assert gen.spec_dir_from(None) == tmp_path
    assert gen.spec_dir_from(Path("/x")) == Path("/x")
    with pytest.raises(SystemExit) as ei:
        gen.build(gen.spec_dir_from(None))
    msg = str(ei.value)
    for rel in ("in.openapi.yaml", "openai/openapi.yaml", "openresponses/openapi.json"):
        assert str(tmp_path / rel) in msg
    assert "OPENRESPONSES_SPEC_DIR" in msg and "../shared/spec" in msg


def test_generated_header_names_each_spec_with_its_sha256(specs: dict[str, Schemas]) -> None:
    import hashlib

    from helpers import SPEC_DIR

    head = Path(orm._models.__file__).read_text().split('"""', 2)[1]
    for rel in ("in.openapi.yaml", "openai/openapi.yaml", "openresponses/openapi.json"):
        digest = hashlib.sha256((SPEC_DIR / rel).read_bytes()).hexdigest()
        assert f"{rel}  sha256 {digest}" in head
