"""Each line of tools/observations.toml (what real servers were seen to send) decodes to its typed class with
every wire value in it: no field dropped, integers kept as integers, nothing kept as Unknown/InvalidValue."""

from __future__ import annotations

import fnmatch
import json
import tomllib
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers import assert_wire_values

import openresponses_msgspec as orm
from openresponses_msgspec import EVENT_TYPES, decode, encode

TABLE = Path(__file__).resolve().parents[2] / "tools" / "observations.toml"
OBSERVATIONS = tomllib.loads(TABLE.read_text())["observation"]
CASES = [(o["id"], i, line) for o in OBSERVATIONS for i, line in enumerate(o["examples"])]


@pytest.mark.parametrize(("obs", "index", "line"), CASES, ids=[f"{o}-{i}" for o, i, _ in CASES])
def test_observed_line_decodes_typed_with_every_value(obs: str, index: int, line: str) -> None:
    wire = json.loads(line)
    ev = decode(line.encode())
    assert type(ev) is EVENT_TYPES[wire["type"]]
    assert_wire_values(ev, wire, exact=True)
    assert decode(encode(ev)) == ev


def test_table_seeds_every_fact_of_issue_9() -> None:
    """One entry per fact listed in the issue, each with at least one example line."""
    assert {o["id"] for o in OBSERVATIONS} == {
        "function-call-done-without-name",
        "error-nested-payload",
        "error-flat-form",
        "error-websocket-status",
        "xai-response-without-error-and-instructions",
        "xai-url-citation-type-and-url-only",
        "xai-output-text-done-without-logprobs",
        "openai-web-search-api-source",
        "output-text-delta-without-logprobs",
        "output-item-added-null-item",
        "event-without-sequence-number",
        "codex-completed-output-null",
        "minimal-response-object",
        "obfuscation-on-delta-events",
        "tool-usage-on-response",
        "content-filters",
        "image-generation-call-extras",
        "custom-tool-call-status",
        "xai-web-search-call-arguments",
        "xai-usage-extras",
        "copilot-usage-on-completed",
        "integer-numbers",
        "compaction-compacting",
        "open-responses-additions",
        "openai-keepalive",
        "websocket-stream-id-on-every-event",
    }
    for o in OBSERVATIONS:
        assert o["examples"] and o["server"], o["id"]


def test_added_fields_are_typed_fields() -> None:
    """The generator turned the table's ``add`` entries into typed, optional fields."""
    for o in OBSERVATIONS:
        if o["shape"] == "event" or "add" not in o:
            continue
        for target in o["targets"]:
            classes = (
                [c for t, c in EVENT_TYPES.items() if fnmatch.fnmatchcase(t, target[6:])]
                if target.startswith("event:")
                else [getattr(orm, target)]
            )
            assert classes, target
            for cls in classes:
                fields = {f.encode_name: f for f in msgspec.structs.fields(cls)}
                for name in o["add"]:
                    assert name in fields and not fields[name].required, (cls.__name__, name)


def test_error_event_nested_and_flat() -> None:
    """The real OpenAI error event, the WebSocket one and the spec's flat form, read the way docs/decoding.md does."""
    nested = decode(
        b'{"type":"error","sequence_number":2,"error":{"type":"invalid_request_error","code":"x",'
        b'"message":"y","param":null}}'
    )
    flat = decode(
        b'{"type":"error","sequence_number":4,"code":"rate_limit_exceeded","message":"slow down","param":null}'
    )
    ws = decode(
        b'{"type":"error","status":429,"error":{"type":"rate_limit_error","code":"too_many",'
        b'"message":"wait","param":null}}'
    )
    seen = []
    for ev in (nested, flat, ws):
        match ev:
            case orm.ErrorEvent(error=orm.ErrorPayload(code=code, message=msg)):
                seen.append((code, msg, ev.status))
            case orm.ErrorEvent(code=code, message=msg):
                seen.append((code, msg, ev.status))
    assert seen == [("x", "y", None), ("rate_limit_exceeded", "slow down", None), ("too_many", "wait", 429)]
    assert nested.error.type == "invalid_request_error" and nested.sequence_number == 2
    assert nested.code is None and flat.error is None


def test_integers_stay_integers_on_encode() -> None:
    line = (
        b'{"type":"response.completed","sequence_number":60,"response":{"created_at":1764000000,'
        b'"temperature":1,"top_p":0.5,"presence_penalty":0}}'
    )
    ev = decode(line)
    assert (ev.response.created_at, ev.response.temperature, ev.response.top_p) == (1764000000, 1, 0.5)
    assert type(ev.response.created_at) is int and type(ev.response.top_p) is float
    assert json.loads(encode(ev)) == json.loads(line)
    assert b'"created_at":1764000000,' in encode(ev)


def test_new_event_from_the_table() -> None:
    ev = decode(b'{"type":"response.compaction.compacting","item_id":"cmp_1","output_index":0,"sequence_number":14}')
    assert type(ev) is orm.ResponseCompactionCompactingEvent
    assert (ev.type, ev.item_id, ev.output_index, ev.sequence_number) == (
        "response.compaction.compacting",
        "cmp_1",
        0,
        14,
    )


def test_unseen_omission_keeps_the_event_typed() -> None:
    """The rule beyond the list: an event missing everything but its tag and delta is still typed."""
    ev = decode(b'{"type":"response.mcp_call_arguments.delta","delta":"{"}')
    assert type(ev) is orm.ResponseMcpCallArgumentsDeltaEvent and ev.delta == "{"
    assert ev.item_id is None and ev.sequence_number is None
    ev = decode(b'{"type":"response.output_item.done","item":{"type":"function_call","call_id":"c"}}')
    # a nested object lacking a field every source requires (and no server was seen to omit) is kept in its
    # slot as an InvalidValue naming the field; the event itself stays typed (docs/model.md)
    assert type(ev) is orm.ResponseOutputItemDoneEvent and ev.output_index is None
    assert isinstance(ev.item, orm.InvalidValue) and ev.item.type == "function_call"
    assert ev.item.raw == b'{"type":"function_call","call_id":"c"}'
    assert str(ev.item.error) == "Object missing required field `name` - at `$.item`"
    ev = decode(
        b'{"type":"response.output_item.done","item":{"type":"function_call","call_id":"c","name":"f",'
        b'"arguments":"{}"}}'
    )
    assert type(ev.item) is orm.FunctionCallItem and (ev.item.name, ev.item.id, ev.item.status) == ("f", None, None)


WIRE_ORDER = tomllib.loads(TABLE.read_text())["wire_order"]


@pytest.mark.parametrize("entry", WIRE_ORDER, ids=[",".join(e["targets"]) for e in WIRE_ORDER])
def test_classes_list_their_fields_in_recorded_wire_order(entry: dict[str, Any]) -> None:
    """A ``[[wire_order]]`` entry (the order servers write an object's keys) is the order of the class's fields,
    so msgspec matches each key with one comparison; every field it names exists."""
    for target in entry["targets"]:
        wire_names = [f.encode_name for f in msgspec.structs.fields(getattr(orm, target))]
        assert set(entry["order"]) <= set(wire_names), target
        assert [n for n in wire_names if n in entry["order"]] == entry["order"], target


def test_events_put_sequence_number_right_after_the_tag() -> None:
    """Where recorded servers write it (OpenAI's documented examples put it last)."""
    for tag, cls in EVENT_TYPES.items():
        names = [f.encode_name for f in msgspec.structs.fields(cls)]
        if "sequence_number" in names:
            assert names[0] == "sequence_number", tag
