"""WebSocket mode end to end (issue #18): a real WebSocket server on 127.0.0.1 (the ``websockets`` package)
plays a Responses WebSocket connection with two interleaved lanes (``stream_id``) and a steer; its client is the
loop of docs/websocket.md (taken from the page and run here), which decodes each message as one event; ``accumulate()``
keeps the lanes apart by ``stream_id``.

The server's events are hand-written after the shapes of OpenAI's WebSocket mode (the SDK's
``ResponsesServerEvent``): every event names its lane; a steered response ends ``response.incomplete`` with
``incomplete_details.reason: "steered"`` and its successor's ``response.created`` follows on the same lane."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets  # the 'test' extra has it
from websockets.sync.server import ServerConnection, serve

import openresponses_msgspec as orm

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "websocket.md"
sys.path.insert(0, str(ROOT / "tests" / "docs"))

from doc_snippets import blocks, make_samples, run_page  # noqa: E402


def _lane(
    lane: str, rid: str, words: list[str], *, steered: bool = False, previous: str | None = None, at: int = 0
) -> list[dict[str, Any]]:
    """One response's events on one lane; sequence numbers per response, from 0."""
    mid = f"msg_{rid[5:]}"
    text = "".join(words)
    resp = {
        "id": rid,
        "object": "response",
        "created_at": 1764000000 + at,
        "model": "gpt-5.2",
        "status": "in_progress",
        "output": [],
        **({"previous_response_id": previous} if previous else {}),
    }
    evs: list[dict[str, Any]] = [
        {"type": "response.created", "response": resp},
        {"type": "response.in_progress", "response": resp},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "message", "id": mid, "status": "in_progress", "role": "assistant", "content": []},
        },
        {
            "type": "response.content_part.added",
            "item_id": mid,
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
    ]
    evs += [
        {
            "type": "response.output_text.delta",
            "item_id": mid,
            "output_index": 0,
            "content_index": 0,
            "delta": w,
            "logprobs": [],
        }
        for w in words
    ]
    part = {"type": "output_text", "text": text, "annotations": []}
    item = {
        "type": "message",
        "id": mid,
        "status": "incomplete" if steered else "completed",
        "role": "assistant",
        "content": [part],
    }
    usage = {
        "input_tokens": 20,
        "output_tokens": len(words),
        "total_tokens": 20 + len(words),
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    }
    evs += [
        {
            "type": "response.output_text.done",
            "item_id": mid,
            "output_index": 0,
            "content_index": 0,
            "text": text,
            "logprobs": [],
        },
        {"type": "response.content_part.done", "item_id": mid, "output_index": 0, "content_index": 0, "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
    ]
    end = dict(resp, status="incomplete" if steered else "completed", output=[item], usage=usage)
    if steered:
        end["incomplete_details"] = {"reason": "steered"}
        evs.append({"type": "response.incomplete", "response": end})
    else:
        evs.append({"type": "response.completed", "response": end})
    for n, ev in enumerate(evs):
        ev["sequence_number"] = n
        ev["stream_id"] = lane
    return evs


A1 = _lane("lane-a", "resp_a1", ["Once", " upon"], steered=True)
A2 = _lane("lane-a", "resp_a2", ["Shorter", ":", " a", " fox."], previous="resp_a1", at=3)
B1 = _lane("lane-b", "resp_b1", ["Paris", " is", " the", " capital."], at=1)
STEER_INPUT = "Make it shorter."


class Server:
    """The server side: waits for both response.create requests, interleaves the lanes message by message, and
    answers the client's response.steer (after lane a's first delta) with response.steer.accepted."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []

    def handler(self, ws: ServerConnection) -> None:
        try:
            creates = [json.loads(ws.recv(timeout=10)) for _ in range(2)]
            self.received += creates
            assert sorted(c["stream_id"] for c in creates) == ["lane-a", "lane-b"]
            steer_seq = A1.index(next(e for e in A1 if e["type"] == "response.output_text.delta"))
            a = A1[: steer_seq + 1]
            accepted = {
                "type": "response.steer.accepted",
                "sequence_number": steer_seq + 1,
                "stream_id": "lane-a",
                "steer": {"id": "steer_1", "previous_response_id": "resp_a1"},
            }
            rest_a = [dict(e, sequence_number=e["sequence_number"] + 1) for e in A1[steer_seq + 1 :]] + A2
            b = list(B1)
            # round-robin: a, b, a, b, ...; after lane a's first delta, wait for the steer, then accept it
            while a or b:
                if a:
                    self._send(ws, a.pop(0))
                    if not a and rest_a is not None:
                        steer = json.loads(ws.recv(timeout=10))
                        self.received.append(steer)
                        assert steer == {
                            "type": "response.steer",
                            "previous_response_id": "resp_a1",
                            "input": STEER_INPUT,
                        }
                        a = [accepted, *rest_a]
                        rest_a = None  # type: ignore[assignment]
                if b:
                    self._send(ws, b.pop(0))
            ws.recv(timeout=10)  # the client closes once both lanes are done
        except websockets.ConnectionClosed:
            pass
        except BaseException as exc:
            self.errors.append(exc)

    def _send(self, ws: ServerConnection, ev: dict[str, Any]) -> None:
        self.sent.append(ev)
        ws.send(json.dumps(ev, separators=(",", ":")))


@pytest.fixture()
def server() -> Iterator[tuple[Server, str]]:
    s = Server()
    with serve(s.handler, "127.0.0.1", 0) as ws_server:
        port = ws_server.socket.getsockname()[1]
        t = threading.Thread(target=ws_server.serve_forever, daemon=True)
        t.start()
        try:
            yield s, f"ws://127.0.0.1:{port}/v1/responses"
        finally:
            ws_server.shutdown()
            t.join(10)


def page_client() -> Any:
    """The page's WebSocket client loop (its first python block), as a function."""
    first = next(b for b in blocks(PAGE) if b.lang == "python")
    assert "def consume(" in first.code and first.needs is None, "docs/websocket.md: the client loop first"
    namespace: dict[str, Any] = {"__name__": "page_websocket"}
    exec(compile(first.code, first.where, "exec", dont_inherit=True), namespace)
    return namespace["consume"]


def test_two_interleaved_lanes_and_a_steer_over_a_real_websocket(server: tuple[Server, str]) -> None:
    srv, url = server
    consume = page_client()
    requests = [
        {"type": "response.create", "stream_id": "lane-a", "model": "gpt-5.2", "input": "A fable."},
        {"type": "response.create", "stream_id": "lane-b", "model": "gpt-5.2", "input": "Capital of France?"},
    ]
    events = consume(url, requests, steer_input=STEER_INPUT, steer_lane="lane-a")
    assert not srv.errors, srv.errors
    assert srv.received[:2] == requests and srv.received[2]["type"] == "response.steer"

    # each message is one event, typed, with every wire value kept (nothing the model lacks)
    assert len(events) == len(srv.sent) == len(A1) + 1 + len(A2) + len(B1)
    for ev, sent in zip(events, srv.sent, strict=True):
        assert type(ev) is orm.EVENT_TYPES[sent["type"]], sent
        assert orm.to_builtins(ev) == sent
        assert ev.stream_id == sent["stream_id"]
    assert [e.stream_id for e in events[:6]] == ["lane-a", "lane-b"] * 3  # interleaved on the wire
    accepted = next(e for e in events if isinstance(e, orm.ResponseSteerAcceptedEvent))
    assert accepted.steer is not None and accepted.steer.previous_response_id == "resp_a1"
    incomplete = next(e for e in events if isinstance(e, orm.ResponseIncompleteEvent))
    assert incomplete.response.incomplete_details is not None
    assert incomplete.response.incomplete_details.reason == "steered"

    # per lane, the accumulator folds each response of the lane: the steered one and its successor
    by_lane = {lane: orm.accumulate([e for e in events if e.stream_id == lane]) for lane in ("lane-a", "lane-b")}
    assert [(a.response_id, a.status, a.output_text) for a in by_lane["lane-a"]] == [
        ("resp_a1", "incomplete", "Once upon"),
        ("resp_a2", "completed", "Shorter: a fox."),
    ]
    assert [(a.response_id, a.status, a.output_text) for a in by_lane["lane-b"]] == [
        ("resp_b1", "completed", "Paris is the capital.")
    ]
    successor = by_lane["lane-a"][1].response
    assert successor is not None and successor.previous_response_id == "resp_a1"  # linked to the steered one
    # the steered response and its successor are linked both ways; the steer is kept by the response it steered
    first, second = by_lane["lane-a"]
    assert (first.steered, first.steered_into, first.steered_from) == (True, "resp_a2", None)
    assert (second.steered, second.steered_into, second.steered_from) == (False, None, "resp_a1")
    assert first.steering == (accepted,) and second.steering == () and not first.problems
    assert [(a.steered_into, a.steered_from, a.steering) for a in by_lane["lane-b"]] == [(None, None, ())]
    # the page's steering lines run on these events (its last python block)
    last = [b for b in blocks(PAGE) if b.lang == "python"][-1]
    assert "steered_into" in last.code and last.needs == "websocket"
    exec(compile(last.code, last.where, "exec", dont_inherit=True), {"orm": orm, "events": events})

    # the whole connection at once: accumulate() keeps the lanes apart by stream_id
    def summary(accs: list[orm.ResponseAccumulator]) -> list[tuple[Any, ...]]:
        return sorted(
            (
                a.response_id,
                a.status,
                a.output_text,
                a.events,
                len(a.problems),
                a.steered_into or "",
                a.steered_from or "",
                len(a.steering),
            )
            for a in accs
        )

    whole = orm.accumulate(events)
    assert summary(whole) == summary(by_lane["lane-a"] + by_lane["lane-b"])
    assert sum(a.events for a in whole) == len(events)


def test_the_page_runs_against_a_real_server(server: tuple[Server, str], tmp_path: Path) -> None:
    """Every block of docs/websocket.md, the ones marked ``needs: websocket`` too, in order, on the server."""
    srv, url = server
    make_samples(tmp_path)
    ran = run_page(PAGE, tmp_path, services=["websocket"], env={"RESPONSES_WS_URL": url})
    assert [b.line for b in ran] == [b.line for b in blocks(PAGE) if b.lang == "python"]
    assert [b.needs for b in ran].count("websocket") == 2
    assert not srv.errors, srv.errors
    assert srv.received[2] == {"type": "response.steer", "previous_response_id": "resp_a1", "input": STEER_INPUT}
