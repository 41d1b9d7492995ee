"""What several test files share: the spec location, sample lines, the field walker that compares a decoded
event with its wire JSON, camelCase keys, chunking and feeding an SSEDecoder, Kafka records without a broker.

Importable as ``helpers`` from any test (``pythonpath`` in pyproject.toml puts ``tests/`` on ``sys.path``).
The hypothesis machine of mutated realistic streams is in ``mutated_streams.py`` beside this file."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

import openresponses_msgspec as orm

# the three OpenAPI specs, from ../shared/spec beside the checkout (never copied into this repo)
SPEC_DIR = Path(os.environ.get("OPENRESPONSES_SPEC_DIR", Path(__file__).resolve().parents[2] / "shared" / "spec"))
OPENRESPONSES_SPEC = SPEC_DIR / "openresponses" / "openapi.json"

# lines that many tests decode: an event without text, and a text delta
GEN = b'{"type":"response.image_generation_call.generating","item_id":"ig_1","output_index":0,"sequence_number":2}'
DELTA = (
    b'{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,'
    b'"delta":"Hi","logprobs":[],"sequence_number":4}'
)


def assert_wire_values(decoded: Any, wire: Any, *, exact: bool, where: str = "$") -> None:
    """Every value of ``wire`` (the event's JSON, loaded) is in ``decoded``, walked field by field by wire name.

    ``exact=True``: every key of ``wire`` must be a field (none dropped), no value may be a stand-in
    (``UnknownValue``, ``InvalidValue``, ``UnknownEvent``), and an integer stays an ``int``, a float a ``float``.
    ``exact=False``: keys that no field has are unknown fields, ignored by the policy, so they are skipped here
    too, and leaves compare with ``==``."""
    if exact:
        assert not isinstance(decoded, (orm.UnknownValue, orm.InvalidValue, orm.UnknownEvent)), (where, decoded)
    if isinstance(decoded, msgspec.Struct):
        assert isinstance(wire, dict), where
        fields = {f.encode_name: f.name for f in msgspec.structs.fields(decoded)}
        for k, v in wire.items():
            if k == "type" and k not in fields:
                assert decoded.type == v, where  # type: ignore[attr-defined]
            elif k in fields:
                assert_wire_values(getattr(decoded, fields[k]), v, exact=exact, where=f"{where}.{k}")
            else:
                assert not exact, f"{where}.{k}: wire field dropped by {type(decoded).__name__}"
    elif isinstance(wire, list) and isinstance(decoded, tuple):
        assert len(decoded) == len(wire), where
        for i, (d, w) in enumerate(zip(decoded, wire, strict=True)):
            assert_wire_values(d, w, exact=exact, where=f"{where}[{i}]")
    elif exact:
        assert decoded == wire and type(decoded) is type(wire), f"{where}: {decoded!r} != {wire!r}"
    else:
        assert decoded == wire, f"{where}: {decoded!r} != {wire!r}"


def camel_keys(x: Any) -> Any:
    """``x`` with every object key in camelCase (``output_index`` -> ``outputIndex``), as camelCase logs write it."""
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            head, *rest = k.split("_")
            out[head + "".join(p[:1].upper() + p[1:] for p in rest)] = camel_keys(v)
        return out
    if isinstance(x, list):
        return [camel_keys(v) for v in x]
    return x


def chunked(data: bytes, size: int) -> list[bytes]:
    """``data`` cut every ``size`` bytes (the last piece shorter)."""
    return [data[i : i + size] for i in range(0, len(data), size)]


def feed_sse(chunks: Sequence[bytes] | Sequence[str], **options: object) -> tuple[list[object], orm.SSEDecoder]:
    """Every event of ``chunks`` fed to one ``SSEDecoder(**options)`` and closed, and the decoder."""
    dec = orm.SSEDecoder(**options)  # type: ignore[call-overload]
    out: list[object] = []
    for c in chunks:
        out += dec.feed(c)
    out += dec.close()
    return out, dec


def kafka_records(values: Sequence[bytes | None]) -> list[Any]:
    """aiokafka ``ConsumerRecord``s of ``values`` on topic ``t``, partition 0, offsets 0.. (what ``getmany()``
    returns): Kafka messages without a broker."""
    from aiokafka.structs import ConsumerRecord

    return [ConsumerRecord("t", 0, i, 0, 0, None, v, None, 0, len(v or b""), ()) for i, v in enumerate(values)]
