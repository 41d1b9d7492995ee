"""Fuzzing StreamConsumer against the real redis-server (issue 17): entries of any shape Redis can hold (binary
field names, non-UTF-8, empty, BOM-prefixed and huge values, no value field, names that clash with the
dead-letter record's) are each handed over decoded or dead-lettered; read() never raises and nothing stays
pending. ``FUZZ_REDIS_EXAMPLES`` (default: a quarter of ``FUZZ_EXAMPLES``); ``tools/fuzz.py`` runs it long."""

from __future__ import annotations

import json
import os
from typing import Any

from fuzz_invariants import check_redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openresponses_msgspec import corpus

# a quarter of the other properties' count in the test command (each example is a few round trips to the server)
EXAMPLES = int(os.environ.get("FUZZ_REDIS_EXAMPLES", int(os.environ.get("FUZZ_EXAMPLES", "100")) // 4 or 1))

_EVENTS = [json.dumps(e, separators=(",", ":")).encode() for e in corpus.events("mixed", 30, image_kb=1)]
_BIG = json.dumps(
    {
        "type": "response.output_text.delta",
        "item_id": "m",
        "output_index": 0,
        "content_index": 0,
        "delta": "x" * (1 << 20),
        "logprobs": [],
        "sequence_number": 1,
    }
).encode()
_values = st.one_of(
    st.sampled_from(_EVENTS),
    st.sampled_from(_EVENTS).map(lambda v: b"\xef\xbb\xbf" + v),
    st.binary(max_size=40),
    st.sampled_from(
        [
            b"",
            b"\xff\xfe",
            b'{"type":"x.y"}\n{"type":"x.z"}',
            b'{"type":"response.output_text.delta"}',
            b"\xef\xbb\xbf",
            b"[DONE]",
            _BIG,
            b'{"type":"x.y","s":"' + b"\xff" * (256 << 10) + b'"}',
        ]
    ),
)
_names = st.one_of(
    st.sampled_from([b"stream", b"group", b"id", b"error", b"orig_stream", b"orig_id"]),
    st.binary(min_size=1, max_size=6),
)


@st.composite
def entries(draw: st.DrawFn) -> dict[bytes, bytes]:
    f = draw(st.dictionaries(_names, st.binary(max_size=8), max_size=3))
    if draw(st.integers(0, 5)):
        f[b"data"] = draw(_values)
    return f


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(entries(), max_size=8), count=st.sampled_from([1, 3, 500]))
def test_redis_entry_invariants(redis_client: Any, batch: list[dict[bytes, bytes]], count: int) -> None:
    check_redis(redis_client, batch, count)
