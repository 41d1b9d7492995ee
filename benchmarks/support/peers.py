"""Every stack a user might pick instead, as ``fn(bytes) -> list`` per wire format, with a correctness view.

A peer whose package is missing is reported as skipped with the reason (install the 'bench' extra). The SDK
peers are the code paths the SDKs themselves run on a stream, so the comparison is the one users face.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

import openresponses_msgspec as orm

Fn = Callable[[bytes], list[Any]]


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines()


def _sse_data(data: bytes) -> list[bytes]:
    """The ``data:`` payloads of a canonical SSE buffer (what a JSON-per-event peer gets to parse)."""
    return [f[6:] for f in data.split(b"\n\n") if f.startswith(b"data: {")]


# -- ours ------------------------------------------------------------------------------------------------


def _ours_sse_chunks(data: bytes, size: int = 65536) -> list[Any]:
    dec = orm.SSEDecoder()
    out: list[Any] = []
    for i in range(0, len(data), size):
        out += dec.feed(data[i : i + size])
    return out + dec.close()


OURS: dict[str, Fn] = {
    "ndjson": orm.decode_lines,
    "array": orm.decode_array,
    "sse": orm.decode_sse,
    "sse-chunks": _ours_sse_chunks,
    "sse-event": orm.decode_sse,  # the same call: the buffer has `event:` lines
    "ndjson-blank": orm.decode_lines,  # the same call: the buffer has blank lines
}

# -- baselines without a model ---------------------------------------------------------------------------


def msgspec_untyped(fmt: str) -> Fn | None:
    dec = msgspec.json.Decoder()
    if fmt == "ndjson":
        return dec.decode_lines
    if fmt == "array":
        return dec.decode
    return None


def _loads_per_event(fmt: str, loads: Callable[[bytes], Any]) -> Fn | None:
    """A ``loads`` function applied per line, per SSE data payload, or to the whole array."""
    if fmt == "ndjson":
        return lambda d: [loads(x) for x in _lines(d)]
    if fmt == "array":
        return loads
    if fmt == "sse":
        return lambda d: [loads(x) for x in _sse_data(d)]
    return None


def orjson_loads(fmt: str) -> Fn | None:
    orjson = pytest.importorskip("orjson", reason="orjson is in the 'bench' extra")
    return _loads_per_event(fmt, orjson.loads)


def json_loads(fmt: str) -> Fn | None:
    return _loads_per_event(fmt, json.loads)


def reference_prototype(fmt: str, reference: Any) -> Fn | None:
    dec = msgspec.json.Decoder(reference.Event)
    if fmt == "ndjson":
        return dec.decode_lines
    if fmt == "array":
        return msgspec.json.Decoder(list[reference.Event]).decode
    return None


# -- SDK peers (subsets: they run at thousands of events/s) ----------------------------------------------


def _validate_json_per_line(fmt: str, union: Any) -> Fn | None:
    from pydantic import TypeAdapter

    validate = TypeAdapter(union).validate_json
    return (lambda d: [validate(x) for x in _lines(d)]) if fmt == "ndjson" else None


def pydantic_openai_union(fmt: str) -> Fn | None:
    """pydantic ``TypeAdapter(openai ResponseStreamEvent).validate_json`` per event."""
    pytest.importorskip("openai", reason="openai is in the 'bench' extra")
    from openai.types.responses import ResponseStreamEvent

    return _validate_json_per_line(fmt, ResponseStreamEvent)


def openai_stream_path(fmt: str) -> Fn | None:
    """What ``openai.Stream`` does per SSE event: its SSE decoder, ``json.loads``, ``construct_type``."""
    pytest.importorskip("openai", reason="openai is in the 'bench' extra")
    from openai._models import construct_type
    from openai._streaming import SSEDecoder
    from openai.types.responses import ResponseStreamEvent

    def from_lines(d: bytes) -> list[Any]:
        return [construct_type(type_=ResponseStreamEvent, value=json.loads(x)) for x in _lines(d)]

    def from_sse(d: bytes) -> list[Any]:
        out = []
        for sse in SSEDecoder().iter_bytes(iter([d])):
            if sse.data.startswith("[DONE]"):
                break
            out.append(construct_type(type_=ResponseStreamEvent, value=json.loads(sse.data)))
        return out

    return {"ndjson": from_lines, "sse": from_sse}.get(fmt)


def openrouter_union(fmt: str) -> Fn | None:
    """pydantic ``TypeAdapter(openrouter StreamEvents).validate_json`` per event (the SDK's model)."""
    pytest.importorskip("openrouter", reason="openrouter is in the 'bench' extra")
    from openrouter.components.streamevents import StreamEvents

    return _validate_json_per_line(fmt, StreamEvents)


def openrouter_stream_decoder(fmt: str) -> Fn | None:
    """The openrouter SDK's own stream path: ``eventstreaming.stream_events`` over an ``httpx.Response`` with
    the decoder ``beta.responses.send(stream=True)`` installs (``unmarshal_json_response`` per event)."""
    pytest.importorskip("openrouter", reason="openrouter is in the 'bench' extra")
    import httpx
    from openrouter import components
    from openrouter.utils import eventstreaming
    from openrouter.utils.unmarshal_json_response import unmarshal_json_response

    def run(d: bytes) -> list[Any]:
        resp = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter([d]))
        decoder = lambda raw: unmarshal_json_response(components.ResponsesStreamingResponse, resp, raw).data  # noqa: E731
        return list(eventstreaming.stream_events(resp, decoder, sentinel="[DONE]"))

    return run if fmt == "sse" else None


def openresponses_types(fmt: str) -> Fn | None:
    """openresponses-types has one pydantic class per event and no union: dispatch on ``type`` by hand.
    Events it has no class for, or that its schema rejects, stay dicts (the share it types is reported)."""
    types = pytest.importorskip("openresponses_types.types", reason="openresponses-types is in the 'bench' extra")
    by_tag: dict[str, Any] = {}
    for name in dir(types):
        cls = getattr(types, name)
        if name.endswith("StreamingEvent") and isinstance(cls, type):
            ann = cls.model_fields.get("type")
            tp = getattr(ann, "annotation", None)
            if isinstance(tp, type) and issubclass(tp, enum.Enum) and len(tp) == 1:
                by_tag[next(iter(tp)).value] = cls

    from pydantic import ValidationError

    def run(d: bytes) -> list[Any]:
        out = []
        for x in _lines(d):
            obj = json.loads(x)
            cls = by_tag.get(obj.get("type"))
            if cls is not None:
                try:
                    obj = cls.model_validate(obj)
                except ValidationError:  # its schema requires fields real streams leave out
                    pass
            out.append(obj)
        return out

    run.by_tag = by_tag  # type: ignore[attr-defined]
    return run if fmt == "ndjson" else None


# name -> (factory, events to time on: None for the whole corpus, formats it has a path for)
PEERS: dict[str, tuple[Callable[..., Fn | None], str | None, tuple[str, ...]]] = {
    "msgspec untyped": (msgspec_untyped, None, ("ndjson", "array")),
    "orjson.loads": (orjson_loads, None, ("ndjson", "array", "sse")),
    "json.loads": (json_loads, None, ("ndjson", "array", "sse")),
    "pydantic TypeAdapter(openai ResponseStreamEvent)": (pydantic_openai_union, "subset", ("ndjson",)),
    "openai SDK stream path": (openai_stream_path, "subset", ("ndjson", "sse")),
    "openrouter SDK TypeAdapter(StreamEvents)": (openrouter_union, "subset", ("ndjson",)),
    "openrouter SDK stream decoder": (openrouter_stream_decoder, "tiny", ("sse",)),
    "openresponses-types (tag dispatch)": (openresponses_types, "subset", ("ndjson",)),
}


# -- correctness -----------------------------------------------------------------------------------------


def typed_share(out: list[Any]) -> float:
    """The share of events a stack turned into objects (not dicts)."""
    return sum(not isinstance(e, dict) for e in out) / max(1, len(out))


def _get(ev: Any, name: str) -> Any:
    val = ev.get(name) if isinstance(ev, dict) else getattr(ev, name, None)
    if isinstance(val, enum.Enum):
        val = val.value
    return val


def check(out: list[Any], source: list[dict[str, Any]], *, typed: bool = True) -> None:
    """The stack decoded every event, in order, with the right tag, sequence number and text deltas."""
    assert len(out) == len(source), (len(out), len(source))
    for ev, src in zip(out[:50] + out[-50:], source[:50] + source[-50:], strict=True):
        if typed and not isinstance(ev, (dict, orm.UnknownEvent)):
            assert _get(ev, "type") == src["type"]
        if "sequence_number" in src and not isinstance(ev, orm.UnknownEvent):
            assert _get(ev, "sequence_number") == src["sequence_number"]
    deltas = [e for e, s in zip(out, source, strict=True) if s["type"] == "response.output_text.delta"]
    want = [s["delta"] for s in source if s["type"] == "response.output_text.delta"]
    assert [_get(e, "delta") for e in deltas] == want
