"""Deterministic, realistic batches of Responses stream events, for the demo, tests and benchmarks.

Every stream starts with ``response.created`` and ``response.in_progress``, adds items, streams deltas and
ends with ``response.completed``; sequence numbers count up per stream. Kinds:

* ``text``: assistant messages streamed as many small ``response.output_text.delta`` events;
* ``reasoning``: a reasoning item with summary deltas, then a function call with argument deltas;
* ``image``: image generation with base64 partial images (``image_kb`` KiB each, or a range);
* ``generating``: the ``response.image_generation_call.generating`` event alone;
* ``mixed``: all of the above plus ``response.keep_alive`` and an event type from the future.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from typing import Any

__all__ = ["KINDS", "array", "events", "ndjson", "sse"]

KINDS = ("text", "reasoning", "image", "generating", "mixed")
_WORDS = "the quick brown fox jumps over a lazy dog while streaming tokens arrive fast — naïve café 東京".split()


def _response(rid: str, status: str, output: list[Any], usage: Any = None) -> dict[str, Any]:
    return {
        "id": rid,
        "object": "response",
        "created_at": 1741290958,
        "status": status,
        "completed_at": 1741290960 if status == "completed" else None,
        "error": None,
        "incomplete_details": None,
        "instructions": "You are terse.",
        "max_output_tokens": None,
        "model": "openai/gpt-4o",
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": "low", "summary": None},
        "store": False,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}, "strict": True}],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
        "presence_penalty": 0.0,
        "frequency_penalty": 0.0,
    }


def _usage(n_in: int, n_out: int) -> dict[str, Any]:
    return {
        "input_tokens": n_in,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": n_out,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": n_in + n_out,
    }


class _Stream:
    def __init__(self) -> None:
        self.seq = 0
        self.out: list[dict[str, Any]] = []

    def add(self, ev: dict[str, Any]) -> None:
        ev["sequence_number"] = self.seq
        self.seq += 1
        self.out.append(ev)


def _message(s: _Stream, rnd: random.Random, mid: str, idx: int, n_deltas: int) -> dict[str, Any]:
    s.add(
        {
            "type": "response.output_item.added",
            "output_index": idx,
            "item": {"id": mid, "type": "message", "status": "in_progress", "content": [], "role": "assistant"},
        }
    )
    s.add(
        {
            "type": "response.content_part.added",
            "item_id": mid,
            "output_index": idx,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": [], "logprobs": []},
        }
    )
    text: list[str] = []
    for _ in range(n_deltas):
        d = " " + rnd.choice(_WORDS)
        text.append(d)
        s.add(
            {
                "type": "response.output_text.delta",
                "item_id": mid,
                "output_index": idx,
                "content_index": 0,
                "delta": d,
                "logprobs": [],
            }
        )
    full = "".join(text)
    s.add(
        {
            "type": "response.output_text.done",
            "item_id": mid,
            "output_index": idx,
            "content_index": 0,
            "text": full,
            "logprobs": [],
        }
    )
    part: dict[str, Any] = {"type": "output_text", "text": full, "annotations": [], "logprobs": []}
    s.add({"type": "response.content_part.done", "item_id": mid, "output_index": idx, "content_index": 0, "part": part})
    item: dict[str, Any] = {"id": mid, "type": "message", "status": "completed", "content": [part], "role": "assistant"}
    s.add({"type": "response.output_item.done", "output_index": idx, "item": item})
    return item


def _text_stream(i: int, rnd: random.Random, n_deltas: int = 200) -> list[dict[str, Any]]:
    s, rid = _Stream(), f"resp_{i:08x}"
    s.add({"type": "response.created", "response": _response(rid, "in_progress", [])})
    s.add({"type": "response.in_progress", "response": _response(rid, "in_progress", [])})
    item = _message(s, rnd, f"msg_{i:08x}", 0, n_deltas)
    s.add({"type": "response.completed", "response": _response(rid, "completed", [item], _usage(36, n_deltas))})
    return s.out


def _reasoning_stream(i: int, rnd: random.Random) -> list[dict[str, Any]]:
    s, rid, rsid, fcid = _Stream(), f"resp_r{i:07x}", f"rs_{i:08x}", f"fc_{i:08x}"
    s.add({"type": "response.created", "response": _response(rid, "in_progress", [])})
    s.add({"type": "response.in_progress", "response": _response(rid, "in_progress", [])})
    s.add(
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"id": rsid, "type": "reasoning", "summary": [], "encrypted_content": None},
        }
    )
    s.add(
        {
            "type": "response.reasoning_summary_part.added",
            "item_id": rsid,
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": ""},
        }
    )
    summary: list[str] = []
    for _ in range(40):
        d = " " + rnd.choice(_WORDS)
        summary.append(d)
        s.add(
            {
                "type": "response.reasoning_summary_text.delta",
                "item_id": rsid,
                "output_index": 0,
                "summary_index": 0,
                "delta": d,
            }
        )
    text = "".join(summary)
    s.add(
        {
            "type": "response.reasoning_summary_text.done",
            "item_id": rsid,
            "output_index": 0,
            "summary_index": 0,
            "text": text,
        }
    )
    s.add(
        {
            "type": "response.reasoning_summary_part.done",
            "item_id": rsid,
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": text},
        }
    )
    reasoning = {
        "id": rsid,
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": text}],
        "encrypted_content": "gAAAAB" + "x" * 64,
    }
    s.add({"type": "response.output_item.done", "output_index": 0, "item": reasoning})
    s.add(
        {
            "type": "response.output_item.added",
            "output_index": 1,
            "item": {
                "id": fcid,
                "type": "function_call",
                "status": "in_progress",
                "call_id": f"call_{i}",
                "name": "get_weather",
                "arguments": "",
            },
        }
    )
    args = json.dumps({"city": rnd.choice(["Paris", "Zürich", "東京"]), "unit": "celsius"})
    for k in range(0, len(args), 4):
        s.add(
            {
                "type": "response.function_call_arguments.delta",
                "item_id": fcid,
                "output_index": 1,
                "delta": args[k : k + 4],
            }
        )
    s.add(
        {
            "type": "response.function_call_arguments.done",
            "item_id": fcid,
            "output_index": 1,
            "name": "get_weather",
            "arguments": args,
        }
    )
    call = {
        "id": fcid,
        "type": "function_call",
        "status": "completed",
        "call_id": f"call_{i}",
        "name": "get_weather",
        "arguments": args,
    }
    s.add({"type": "response.output_item.done", "output_index": 1, "item": call})
    s.add({"type": "response.completed", "response": _response(rid, "completed", [reasoning, call], _usage(80, 60))})
    return s.out


def _image_stream(
    i: int, rnd: random.Random, image_kb: int | tuple[int, int], partials: int = 2
) -> list[dict[str, Any]]:
    s, rid, iid = _Stream(), f"resp_i{i:07x}", f"ig_{i:08x}"
    if not isinstance(image_kb, int):
        image_kb = rnd.randint(*image_kb)
    s.add({"type": "response.created", "response": _response(rid, "in_progress", [])})
    s.add(
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"id": iid, "type": "image_generation_call", "status": "in_progress", "result": None},
        }
    )
    s.add({"type": "response.image_generation_call.in_progress", "item_id": iid, "output_index": 0})
    s.add({"type": "response.image_generation_call.generating", "item_id": iid, "output_index": 0})
    img = base64.b64encode(rnd.randbytes(image_kb * 1024 * 3 // 4)).decode()
    for k in range(partials):
        s.add(
            {
                "type": "response.image_generation_call.partial_image",
                "item_id": iid,
                "output_index": 0,
                "partial_image_index": k,
                "partial_image_b64": img,
            }
        )
    s.add({"type": "response.image_generation_call.completed", "item_id": iid, "output_index": 0})
    item = {"id": iid, "type": "image_generation_call", "status": "completed", "result": img}
    s.add({"type": "response.output_item.done", "output_index": 0, "item": item})
    s.add({"type": "response.completed", "response": _response(rid, "completed", [item], _usage(20, 1))})
    return s.out


def _streams(kind: str, rnd: random.Random, image_kb: int | tuple[int, int]) -> Iterator[list[dict[str, Any]]]:
    i = 0
    while True:
        if kind == "text":
            yield _text_stream(i, rnd)
        elif kind == "reasoning":
            yield _reasoning_stream(i, rnd)
        elif kind == "image":
            yield _image_stream(i, rnd, image_kb)
        elif kind == "generating":
            yield [
                {
                    "type": "response.image_generation_call.generating",
                    "item_id": f"ig_{i:08x}",
                    "output_index": 0,
                    "sequence_number": i,
                }
            ]
        elif kind == "mixed":
            pick = i % 4
            if pick == 0:
                stream = _text_stream(i, rnd, n_deltas=rnd.randint(5, 60))
            elif pick == 1:
                stream = _reasoning_stream(i, rnd)
            elif pick == 2:
                kb = image_kb if isinstance(image_kb, int) else image_kb[0]
                stream = _image_stream(i, rnd, max(1, kb // 8), partials=1)
            else:
                stream = _text_stream(i, rnd, n_deltas=10)
                stream.insert(3, {"type": "response.keep_alive", "sequence_number": 3})
                stream.insert(
                    5,
                    {
                        "type": "response.future_feature.delta",
                        "item_id": "x",
                        "payload": {"a": [1]},
                        "sequence_number": 5,
                    },
                )
                for seq, ev in enumerate(stream):  # one numbering per stream, as a server sends it
                    ev["sequence_number"] = seq
            yield stream
        else:
            raise ValueError(f"unknown corpus kind {kind!r}; expected one of {KINDS}")
        i += 1


def events(kind: str, n: int, *, seed: int = 7, image_kb: int | tuple[int, int] = 20) -> list[dict[str, Any]]:
    """The first ``n`` events (as dicts) of a deterministic batch of ``kind``.

    ``image_kb``: the size of each base64 partial image in KiB, or a ``(low, high)`` range drawn per stream.
    """
    rnd = random.Random(seed)
    out: list[dict[str, Any]] = []
    for stream in _streams(kind, rnd, image_kb):
        out += stream
        if len(out) >= n:
            return out[:n]
    raise AssertionError("unreachable")  # pragma: no cover


def _dumps(ev: dict[str, Any]) -> bytes:
    return json.dumps(ev, separators=(",", ":"), ensure_ascii=False).encode()


def ndjson(evs: list[dict[str, Any]]) -> bytes:
    """NDJSON bytes: one compact UTF-8 JSON object per line."""
    return b"".join(_dumps(e) + b"\n" for e in evs)


def array(evs: list[dict[str, Any]]) -> bytes:
    """A JSON array of the events, as one compact UTF-8 document."""
    return b"[" + b",".join(_dumps(e) for e in evs) + b"]"


def sse(evs: list[dict[str, Any]], *, comments: bool = True, done: bool = True) -> bytes:
    """An SSE byte stream as OpenRouter sends it: ``data:`` frames, keep-alive comments, ``[DONE]``."""
    parts = [b": OPENROUTER PROCESSING\n\n"] if comments else []
    for k, e in enumerate(evs):
        parts.append(b"data: " + _dumps(e) + b"\n\n")
        if comments and k % 50 == 49:
            parts.append(b": OPENROUTER PROCESSING\n\n")
    if done:
        parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)
