"""Mutated realistic streams, shared by the property tests of everything that folds, checks or converts a stream
(the accumulator, the conformance checker, the command line and the tables): a hypothesis state machine whose
log starts as short realistic streams and is mutated step by step (drop, duplicate, swap, truncate, strip optional
fields, null them, renumber, rotate ids, remove sequence numbers, odd indices, stand-in values, foreign lines).
A test subclasses :class:`MutatedStreams` with its ``@invariant()`` over ``self.decoded()``."""

from __future__ import annotations

import copy
import json
import os
from typing import Any

from helpers import camel_keys
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

import openresponses_msgspec as orm
from openresponses_msgspec import View

# the suite's budget; ACC_FUZZ_EXAMPLES=2000 ACC_FUZZ_STEPS=30 runs a long fuzz
EXAMPLES = int(os.environ.get("ACC_FUZZ_EXAMPLES", "20"))
STEPS = int(os.environ.get("ACC_FUZZ_STEPS", "8"))


def _source_streams() -> list[list[dict[str, Any]]]:
    """Short realistic streams: the corpus kinds (text, reasoning with a function call, image, keep-alive and
    future events), an OpenAI 2025 stream without numbers, a refusal, a custom tool call and an MCP call whole."""
    out: list[list[dict[str, Any]]] = []
    for kind, n in (("text", 12), ("reasoning", 30), ("mixed", 120), ("image", 9)):
        evs = orm.corpus.events(kind, n, image_kb=1)
        cur: list[dict[str, Any]] = []
        for e in evs:
            if e["type"] == "response.created" and cur:
                out.append(cur)
                cur = []
            cur.append(e)
        out.append(cur)
    text = copy.deepcopy(out[0])
    for e in text:
        e.pop("sequence_number", None)
    out.append(text)
    rid, mid = "resp_rf", "msg_rf"
    out.append(
        [
            {"type": "response.created", "sequence_number": 0, "response": {"id": rid, "status": "in_progress"}},
            {
                "type": "response.output_item.added",
                "sequence_number": 1,
                "output_index": 0,
                "item": {"type": "message", "id": mid, "role": "assistant", "status": "in_progress", "content": []},
            },
            {
                "type": "response.refusal.delta",
                "sequence_number": 2,
                "item_id": mid,
                "output_index": 0,
                "content_index": 0,
                "delta": "I can't",
            },
            {
                "type": "response.refusal.done",
                "sequence_number": 3,
                "item_id": mid,
                "output_index": 0,
                "content_index": 0,
                "refusal": "I can't",
            },
            {
                "type": "response.output_item.added",
                "sequence_number": 4,
                "output_index": 1,
                "item": {"type": "custom_tool_call", "id": "ctc_1", "call_id": "c1", "name": "grep", "input": "TODO"},
            },
            {
                "type": "response.output_item.done",
                "sequence_number": 5,
                "output_index": 2,
                "item": {"type": "mcp_call", "id": "mcp_1", "server_label": "s", "name": "n", "arguments": "{}"},
            },
            {
                "type": "response.incomplete",
                "sequence_number": 6,
                "response": {
                    "id": rid,
                    "status": "incomplete",
                    "incomplete_details": {"reason": "max_output_tokens"},
                    "usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
                },
            },
        ]
    )
    # WebSocket steering (issue #18): a steered response (a steer accepted, an inject), its successor on the same
    # lane, and a response.steer.pending after response.completed
    lane = {"stream_id": "lane-s"}
    out.append(
        [
            {"type": "response.created", "sequence_number": 0, "response": {"id": "resp_st", "status": "in_progress"}},
            {
                "type": "response.output_text.delta",
                "sequence_number": 1,
                "item_id": "msg_st",
                "output_index": 0,
                "content_index": 0,
                "delta": "Once",
            },
            {
                "type": "response.steer.accepted",
                "sequence_number": 2,
                "steer": {"id": "steer_1", "previous_response_id": "resp_st"},
            },
            {"type": "response.inject.created", "sequence_number": 3, "response_id": "resp_st"},
            {
                "type": "response.incomplete",
                "sequence_number": 4,
                "response": {"id": "resp_st", "status": "incomplete", "incomplete_details": {"reason": "steered"}},
            },
            {
                "type": "response.created",
                "sequence_number": 0,
                "response": {"id": "resp_su", "status": "in_progress", "previous_response_id": "resp_st"},
            },
            {
                "type": "response.output_text.delta",
                "sequence_number": 1,
                "item_id": "msg_su",
                "output_index": 0,
                "content_index": 0,
                "delta": "Short.",
            },
            {"type": "response.completed", "sequence_number": 2, "response": {"id": "resp_su", "status": "completed"}},
            {
                "type": "response.steer.pending",
                "sequence_number": 3,
                "reason": "waiting_for_required_input",
                "required_input": [],
                "steer": {"id": "steer_2", "previous_response_id": "resp_su"},
            },
            {
                "type": "response.steer.failed",
                "sequence_number": 4,
                "error": {"code": "invalid_input"},
                "steer": {"input": "x", "previous_response_id": "resp_su"},
            },
        ]
    )
    out[-1] = [dict(e, **lane) for e in out[-1]]
    return out


SOURCES = _source_streams()
ODD_INDICES = [None, -1, 10**7, 2**63 - 1, 0, 1]
STAND_INS = [
    None,
    {"type": "a_future_item", "id": "x"},
    {"type": "message", "id": 5},
    {"type": "function_call"},
    {"no_type": True},
    "text",
    7,
]


class Delta(View, tag="response.output_text.delta"):
    delta: str
    sequence_number: int | None = None


class Completed(View, tag="response.completed"):
    sequence_number: int | None = None


DECODERS = {
    "snake": orm.Decoder(),
    "only": orm.Decoder(only=["response.output_text.delta", "response.completed", "response.created"]),
    "views": orm.Decoder(views=[Delta, Completed]),
}
CAMEL = orm.Decoder(naming="camel")


class MutatedStreams(RuleBasedStateMachine):
    """The state: a log (a list of event dicts, possibly several streams, and raw foreign lines). Subclasses add
    the ``@invariant()`` that folds, checks or converts ``self.decoded()`` after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[Any] = []

    @initialize(picks=st.lists(st.integers(0, len(SOURCES) - 1), min_size=1, max_size=3))
    def start(self, picks: list[int]) -> None:
        self.log = [copy.deepcopy(e) for k in picks for e in SOURCES[k]]

    def _dicts(self) -> list[int]:
        return [k for k, e in enumerate(self.log) if isinstance(e, dict)]

    @precondition(lambda self: len(self.log) > 1)
    @rule(data=st.data())
    def drop(self, data: st.DataObject) -> None:
        del self.log[data.draw(st.integers(0, len(self.log) - 1))]

    @precondition(lambda self: self.log)
    @rule(data=st.data())
    def duplicate(self, data: st.DataObject) -> None:
        k = data.draw(st.integers(0, len(self.log) - 1))
        self.log.insert(data.draw(st.integers(k, len(self.log))), copy.deepcopy(self.log[k]))

    @precondition(lambda self: len(self.log) > 1)
    @rule(data=st.data())
    def swap(self, data: st.DataObject) -> None:
        i, j = data.draw(st.integers(0, len(self.log) - 1)), data.draw(st.integers(0, len(self.log) - 1))
        self.log[i], self.log[j] = self.log[j], self.log[i]

    @precondition(lambda self: len(self.log) > 1)
    @rule(data=st.data())
    def truncate(self, data: st.DataObject) -> None:
        n = data.draw(st.integers(1, len(self.log)))
        self.log = self.log[:n] if data.draw(st.booleans()) else self.log[-n:]

    def _pick_field(self, data: st.DataObject) -> tuple[dict[str, Any], str] | None:
        ks = self._dicts()
        if not ks:
            return None
        ev = self.log[data.draw(st.sampled_from(ks))]
        # an event field, or one of its response / item / part
        holders = [ev] + [ev[f] for f in ("response", "item", "part") if isinstance(ev.get(f), dict)]
        holder = data.draw(st.sampled_from(holders))
        fields = [f for f in holder if f != "type" or holder is not ev]
        if not fields:
            return None
        return holder, data.draw(st.sampled_from(sorted(fields)))

    @rule(data=st.data())
    def strip_field(self, data: st.DataObject) -> None:
        got = self._pick_field(data)
        if got is not None:
            del got[0][got[1]]

    @rule(data=st.data())
    def null_field(self, data: st.DataObject) -> None:
        got = self._pick_field(data)
        if got is not None:
            got[0][got[1]] = None

    @rule(data=st.data(), every=st.booleans())
    def remove_sequence_numbers(self, data: st.DataObject, every: bool) -> None:
        for k in self._dicts():
            if every or data.draw(st.booleans()):
                self.log[k].pop("sequence_number", None)

    @rule(data=st.data())
    def renumber(self, data: st.DataObject) -> None:
        """Numbers from an offset (a resumed stream), or redelivered/shifted ones."""
        base = data.draw(st.sampled_from([0, 1, 2, 5, -3, 10**12]))
        for n, k in enumerate(self._dicts()):
            self.log[k]["sequence_number"] = base + n

    @rule(data=st.data(), item_ids=st.booleans())
    def rotate_ids(self, data: st.DataObject, item_ids: bool) -> None:
        """A new response id on every response event (GitHub Copilot), and optionally a new item id on every
        item event."""
        for n, k in enumerate(self._dicts()):
            ev = self.log[k]
            if isinstance(ev.get("response"), dict):
                ev["response"]["id"] = f"resp_rot{n}"
            if item_ids:
                if isinstance(ev.get("item"), dict):
                    ev["item"]["id"] = f"it_rot{n}"
                if "item_id" in ev:
                    ev["item_id"] = f"it_rot{n}"

    @rule(data=st.data(), value=st.sampled_from(ODD_INDICES))
    def odd_index(self, data: st.DataObject, value: Any) -> None:
        ks = [
            k
            for k in self._dicts()
            if any(f in self.log[k] for f in ("output_index", "content_index", "summary_index"))
        ]
        if ks:
            ev = self.log[data.draw(st.sampled_from(ks))]
            field = data.draw(
                st.sampled_from([f for f in ("output_index", "content_index", "summary_index") if f in ev])
            )
            ev[field] = value

    @rule(data=st.data(), value=st.sampled_from(STAND_INS))
    def stand_in(self, data: st.DataObject, value: Any) -> None:
        """An item/part/usage/output replaced by something that decodes to UnknownValue/InvalidValue/None."""
        ks = [
            k for k in self._dicts() if any(isinstance(self.log[k].get(f), dict) for f in ("item", "part", "response"))
        ]
        if ks:
            ev = self.log[data.draw(st.sampled_from(ks))]
            if isinstance(ev.get("response"), dict):
                field = data.draw(st.sampled_from(["usage", "output", "error"]))
                ev["response"][field] = [value] if field == "output" else value
            else:
                ev["item" if "item" in ev else "part"] = value

    @rule(
        data=st.data(),
        line=st.sampled_from(
            [
                b'{"type":"response.keep_alive","sequence_number":3}',
                b'{"type":"keepalive"}',
                b'{"type":',
                b"not json",
                b'{"type":"response.output_text.delta"}',
                b'{"type":"response.completed","response":7}',
                b'{"type":"error","code":"server_error","message":"boom","sequence_number":1}',
                b'{"type":"response.created","response":{"id":"resp_other","status":"in_progress"}}',
            ]
        ),
    )
    def foreign_line(self, data: st.DataObject, line: bytes) -> None:
        self.log.insert(data.draw(st.integers(0, len(self.log))), line)

    def _bytes(self, camel: bool) -> bytes:
        out = []
        for e in self.log:
            if isinstance(e, bytes) and camel:
                try:
                    e = json.loads(e)
                except ValueError:
                    pass
            out.append(e if isinstance(e, bytes) else json.dumps(camel_keys(e) if camel else e).encode())
        return b"\n".join(out) + b"\n"

    def decoded(self) -> dict[str, list[Any]]:
        """The log decoded in replace mode by each decoder of ``DECODERS`` and, from camelCase keys, by ``CAMEL``."""
        out = {name: d.decode_lines(self._bytes(False), errors="replace") for name, d in DECODERS.items()}
        out["camel"] = CAMEL.decode_lines(self._bytes(True), errors="replace")
        return out
