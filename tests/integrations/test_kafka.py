"""openresponses_msgspec.kafka against a real Kafka-protocol broker (Tansu on 127.0.0.1, started by conftest)."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from typing import Any

import msgspec
import pytest

import openresponses_msgspec as orm
from openresponses_msgspec import InvalidEvent, corpus, decode
from openresponses_msgspec.kafka import (
    ConfluentDeserializer,
    KafkaDecodeError,
    KafkaInvalidEvent,
    KafkaPythonDeserializer,
    aiokafka_deserializer,
    decode_messages,
)

from .integ_support import need

BAD = b'{"type":"response.output_text.delta","item_id":"m","output_index":"zero"}'  # wrong type at a known path
NOT_JSON = b'{"type": "response.output_text.delta", oops'


def _values(n: int, kind: str = "mixed") -> list[bytes]:
    return [msgspec.json.encode(e) for e in corpus.events(kind, n)]


def _topic(admin_bootstrap: str, partitions: int = 1) -> str:
    from confluent_kafka.admin import AdminClient, NewTopic

    name = f"t-{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": admin_bootstrap})  # kept alive until the futures resolve
    fs = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    for f in fs.values():
        f.result(10)
    return name


def _produce(
    bootstrap: str,
    topic: str,
    values: list[bytes | None],
    partition: int | None = None,
    keys: list[bytes] | None = None,
) -> None:
    from confluent_kafka import Producer

    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i, v in enumerate(values):
        kw: dict[str, Any] = {"value": v}
        if partition is not None:
            kw["partition"] = partition
        if keys is not None:
            kw["key"] = keys[i]
        p.produce(topic, **kw)
    assert p.flush(10) == 0


def _assigned_consumer(bootstrap: str, topic: str, partitions: int = 1, **conf: Any) -> Any:
    """A confluent-kafka consumer reading ``topic`` from the start, without a group (no join wait)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    c = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"g-{uuid.uuid4().hex[:6]}", "enable.auto.commit": False, **conf}
    )
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    return c


def _consume_all(consumer: Any, n: int, timeout: float = 20.0) -> list[Any]:
    msgs: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(msgs) < n and time.monotonic() < deadline:
        msgs += consumer.consume(min(n - len(msgs), 1000), 0.5)
    assert len(msgs) == n, f"consumed {len(msgs)} of {n}"
    return msgs


class TestConfluent:
    def test_consume_batch_decodes_every_value_like_decode(self, kafka: Any) -> None:
        """consume(n) + decode_messages: one event per message, equal to decode(value), bad ones in place."""
        need("confluent_kafka")
        values: list[bytes] = _values(3000)
        values[17] = BAD
        values[2500] = NOT_JSON
        topic = _topic(kafka.bootstrap)
        _produce(kafka.bootstrap, topic, values)  # type: ignore[arg-type]
        c = _assigned_consumer(kafka.bootstrap, topic)
        try:
            msgs = _consume_all(c, len(values))
        finally:
            c.close()
        events = decode_messages(msgs)
        assert len(events) == len(values)
        for i in (17, 2500):
            ev = events[i]
            assert isinstance(ev, KafkaInvalidEvent) and isinstance(ev, InvalidEvent)
            assert (ev.topic, ev.partition, ev.message_offset, ev.offset) == (topic, 0, i, 0)
            assert ev.raw == values[i]
            assert isinstance(ev.error, KafkaDecodeError) and ev.error.message_offset == i
        assert events[17].error.path == "$.output_index"
        assert events[2500].error.path is None and events[2500].error.pos is not None
        good = [i for i in range(len(values)) if i not in (17, 2500)]
        assert [events[i] for i in good] == [decode(values[i]) for i in good]
        types = {type(events[i]).__name__ for i in good}
        assert {"ResponseOutputTextDeltaEvent", "ResponseCompletedEvent"} <= types

    def test_decode_messages_locates_bad_messages_across_partitions(self, kafka: Any) -> None:
        """Three partitions: each bad message is named by its own topic, partition and offset."""
        need("confluent_kafka")
        topic = _topic(kafka.bootstrap, partitions=3)
        per = {p: _values(200) for p in range(3)}
        per[1][50] = BAD
        per[2][199] = b"\xff\xfe not utf-8"
        for p, vals in per.items():
            _produce(kafka.bootstrap, topic, vals, partition=p)  # type: ignore[arg-type]
        c = _assigned_consumer(kafka.bootstrap, topic, partitions=3)
        try:
            msgs = _consume_all(c, 600)
        finally:
            c.close()
        events = decode_messages(msgs)
        bad = [(e.partition, e.message_offset, e.topic) for e in events if isinstance(e, InvalidEvent)]
        assert sorted(bad) == [(1, 50, topic), (2, 199, topic)]
        for m, ev in zip(msgs, events, strict=True):
            if not isinstance(ev, InvalidEvent):
                assert ev == decode(m.value())
        utf8 = next(e for e in events if isinstance(e, InvalidEvent) and e.partition == 2)
        assert "UTF-8" in str(utf8.error) and "partition 2" in str(utf8.error)

    def test_deserializing_consumer_replace_keeps_going(self, kafka: Any) -> None:
        """DeserializingConsumer + ConfluentDeserializer: a bad message arrives as an InvalidEvent naming the
        topic (the client passes no partition/offset to a deserializer), and polling goes on."""
        ck = need("confluent_kafka")
        values = _values(40)
        values[5] = BAD
        topic = _topic(kafka.bootstrap)
        _produce(kafka.bootstrap, topic, values)  # type: ignore[arg-type]
        deser = ConfluentDeserializer()
        assert isinstance(deser, ck.serialization.Deserializer)
        c = ck.DeserializingConsumer(
            {
                "bootstrap.servers": kafka.bootstrap,
                "group.id": "g-deser",
                "value.deserializer": deser,
                "enable.auto.commit": False,
            }
        )
        c.assign([ck.TopicPartition(topic, 0, ck.OFFSET_BEGINNING)])
        got = []
        try:
            while len(got) < len(values):
                msg = c.poll(5)
                assert msg is not None
                got.append(msg.value())
        finally:
            c.close()
        assert isinstance(got[5], KafkaInvalidEvent) and got[5].topic == topic and got[5].partition is None
        assert [g for i, g in enumerate(got) if i != 5] == [decode(v) for i, v in enumerate(values) if i != 5]

    def test_deserializing_consumer_strict_raises_what_confluent_expects(self, kafka: Any) -> None:
        """errors='strict': the client wraps our SerializationError in ValueDeserializationError, and the next
        poll returns the next message (the consumer is not stuck)."""
        ck = need("confluent_kafka")
        from confluent_kafka.error import ValueDeserializationError
        from confluent_kafka.serialization import SerializationError

        values = _values(3)
        values[1] = NOT_JSON
        topic = _topic(kafka.bootstrap)
        _produce(kafka.bootstrap, topic, values)  # type: ignore[arg-type]
        c = ck.DeserializingConsumer(
            {
                "bootstrap.servers": kafka.bootstrap,
                "group.id": "g-strict",
                "value.deserializer": ConfluentDeserializer(errors="strict"),
                "enable.auto.commit": False,
            }
        )
        c.assign([ck.TopicPartition(topic, 0, ck.OFFSET_BEGINNING)])
        try:
            first = c.poll(5)
            assert first.value() == decode(values[0])
            with pytest.raises(ValueDeserializationError) as info:
                c.poll(5)
            inner = info.value.exception
            assert isinstance(inner, SerializationError) and isinstance(inner, KafkaDecodeError)
            assert inner.topic == topic and inner.raw == NOT_JSON
            assert info.value.kafka_message.offset() == 1
            assert c.poll(5).value() == decode(values[2])
        finally:
            c.close()

    def test_ndjson_and_sse_chunks(self, kafka: Any) -> None:
        """format='ndjson'/'sse': a message holds a chunk of a stream; the events of all messages come in order,
        a bad line located by its line and byte offset inside its message."""
        need("confluent_kafka")
        values = _values(90)
        nd = [b"\n".join(values[i : i + 30]) + b"\n" for i in range(0, 90, 30)]
        nd[1] = nd[1].replace(values[40], BAD)
        sse = [b"".join(b"data: " + v + b"\n\n" for v in values[i : i + 30]) for i in range(0, 90, 30)]
        for fmt, chunks in (("ndjson", nd), ("sse", sse)):
            topic = _topic(kafka.bootstrap)
            _produce(kafka.bootstrap, topic, chunks)  # type: ignore[arg-type]
            c = _assigned_consumer(kafka.bootstrap, topic)
            try:
                msgs = _consume_all(c, 3)
            finally:
                c.close()
            events = decode_messages(msgs, format=fmt)  # type: ignore[arg-type]
            assert len(events) == 90
            if fmt == "ndjson":
                bad = events[40]
                assert isinstance(bad, KafkaInvalidEvent)
                assert (bad.message_offset, bad.line, bad.offset) == (1, 11, nd[1].index(BAD))
                assert [e for i, e in enumerate(events) if i != 40] == [
                    decode(v) for i, v in enumerate(values) if i != 40
                ]
            else:
                assert events == [decode(v) for v in values]
            assert ConfluentDeserializer(format=fmt)(chunks[0]) == events[:30]  # type: ignore[arg-type]

    def test_error_messages_stay_in_place(self, kafka: Any) -> None:
        """A confluent-kafka message that carries an error instead of a record (here the partition-EOF marker of
        enable.partition.eof) keeps its place as a KafkaInvalidEvent with no bytes; the records around it decode."""
        need("confluent_kafka")
        values = _values(5)
        topic = _topic(kafka.bootstrap)
        _produce(kafka.bootstrap, topic, values)  # type: ignore[arg-type]
        c = _assigned_consumer(kafka.bootstrap, topic, **{"enable.partition.eof": True})
        try:
            msgs = _consume_all(c, 6)
        finally:
            c.close()
        assert msgs[-1].error() is not None
        events = decode_messages(msgs)
        assert events[:5] == [decode(v) for v in values]
        eof = events[5]
        assert isinstance(eof, KafkaInvalidEvent) and eof.raw == b"" and (eof.topic, eof.partition) == (topic, 0)
        assert "Kafka error instead of a record" in str(eof.error)
        with pytest.raises(KafkaDecodeError, match="Kafka error"):
            decode_messages(msgs, errors="strict")


class TestAiokafka:
    def test_getmany_and_value_deserializer(self, kafka: Any) -> None:
        """aiokafka: getmany() + decode_messages names partition and offset; value_deserializer gets bytes only,
        so its InvalidEvent names nothing but the byte offset."""
        need("aiokafka")
        from aiokafka import AIOKafkaConsumer, TopicPartition

        values = _values(500)
        values[123] = BAD
        topic = _topic(kafka.bootstrap, partitions=2)
        _produce(kafka.bootstrap, topic, values[:250], partition=0)  # type: ignore[arg-type]
        _produce(kafka.bootstrap, topic, values[250:], partition=1)  # type: ignore[arg-type]

        async def consume(deser: Any) -> list[Any]:
            c = AIOKafkaConsumer(
                bootstrap_servers=kafka.bootstrap,
                enable_auto_commit=False,
                value_deserializer=deser,
                auto_offset_reset="earliest",
            )
            await c.start()
            try:
                tps = [TopicPartition(topic, 0), TopicPartition(topic, 1)]
                c.assign(tps)
                await c.seek_to_beginning(*tps)
                out: list[Any] = []
                deadline = time.monotonic() + 20
                while len(out) < 500 and time.monotonic() < deadline:
                    batch = await c.getmany(timeout_ms=500)
                    if deser is None:
                        out += list(
                            zip(itertools.chain.from_iterable(batch.values()), decode_messages(batch), strict=True)
                        )
                    else:
                        out += [r.value for r in itertools.chain.from_iterable(batch.values())]
                return out
            finally:
                await c.stop()

        pairs = asyncio.run(consume(None))
        assert len(pairs) == 500
        bad = [ev for _, ev in pairs if isinstance(ev, InvalidEvent)]
        assert len(bad) == 1 and (bad[0].topic, bad[0].partition, bad[0].message_offset) == (topic, 0, 123)
        assert all(ev == decode(rec.value) for rec, ev in pairs if not isinstance(ev, InvalidEvent))

        decoded = asyncio.run(consume(aiokafka_deserializer()))
        inv = [e for e in decoded if isinstance(e, InvalidEvent)]
        assert len(inv) == 1 and (inv[0].topic, inv[0].partition, inv[0].message_offset) == (None, None, None)
        assert inv[0].offset == 0 and inv[0].error.path == "$.output_index"
        assert sorted(map(orm.encode, (e for e in decoded if e is not inv[0]))) == sorted(
            orm.encode(decode(v)) for i, v in enumerate(values) if i != 123
        )


@pytest.mark.filterwarnings("ignore:(read|open)_text is deprecated:DeprecationWarning")  # kafka-python 3.0 import
class TestKafkaPython:
    def test_value_deserializer_and_poll_batches(self, kafka: Any) -> None:
        """kafka-python 3.x: deserialize(topic, headers, data) names the topic; poll() dicts go through
        decode_messages with partition and offset."""
        need("kafka")
        from kafka import KafkaConsumer, TopicPartition

        values = _values(300)
        values[7] = NOT_JSON
        topic = _topic(kafka.bootstrap)
        _produce(kafka.bootstrap, topic, values)  # type: ignore[arg-type]
        tp = TopicPartition(topic, 0)

        def consume(**kw: Any) -> list[Any]:
            c = KafkaConsumer(bootstrap_servers=kafka.bootstrap, enable_auto_commit=False, **kw)
            c.assign([tp])
            c.seek_to_beginning(tp)
            out: list[Any] = []
            deadline = time.monotonic() + 20
            try:
                while len(out) < len(values) and time.monotonic() < deadline:
                    batch = c.poll(timeout_ms=500)
                    out += decode_messages(batch) if not kw else [r.value for r in batch.get(tp, [])]
            finally:
                c.close()
            return out

        via_deser = consume(value_deserializer=KafkaPythonDeserializer())
        via_batch = consume()
        for got in (via_deser, via_batch):
            assert len(got) == 300
            assert [e for i, e in enumerate(got) if i != 7] == [decode(v) for i, v in enumerate(values) if i != 7]
            assert isinstance(got[7], KafkaInvalidEvent) and got[7].topic == topic
        assert via_deser[7].message_offset is None and via_batch[7].message_offset == 7
        with pytest.raises(KafkaDecodeError, match=f"topic '{topic}'"):
            KafkaPythonDeserializer(errors="strict").deserialize(topic, [], NOT_JSON)


@pytest.mark.filterwarnings("ignore:(read|open)_text is deprecated:DeprecationWarning")  # kafka-python 3.0 import
def test_tombstones_and_argument_checks() -> None:
    """No broker needed: a None value (tombstone) stays None; bad options are refused up front."""
    assert ConfluentDeserializer()(None) is None
    assert aiokafka_deserializer(format="ndjson")(None) == []
    with pytest.raises(ValueError, match="format"):
        KafkaPythonDeserializer(format="json")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="errors"):
        aiokafka_deserializer(errors="ignore")  # type: ignore[arg-type]


def test_decode_messages_keeps_tombstones_in_place_in_one_call(kafka: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tombstones (messages without a value) among real messages: None in their place, every other value decoded
    as decode() does, the bad one located, all in one bulk call (a tombstone used to send the whole batch down
    the message-by-message path); the chunk formats skip them."""
    need("confluent_kafka")
    from openresponses_msgspec import kafka as kmod

    values: list[bytes | None] = list(_values(400))
    for i in (0, 3, 200, 399):
        values[i] = None
    values[50] = BAD
    topic = _topic(kafka.bootstrap)
    _produce(kafka.bootstrap, topic, values)
    c = _assigned_consumer(kafka.bootstrap, topic)
    try:
        msgs = _consume_all(c, len(values))
    finally:
        c.close()
    assert [m.value() for m in msgs] == values
    calls: list[int] = []
    real = kmod.bulk_values
    monkeypatch.setattr(kmod, "bulk_values", lambda vs, d: calls.append(len(vs)) or real(vs, d))
    events = decode_messages(msgs)
    assert calls == [396]  # the 396 values (the bad one included), in one call
    assert [i for i, e in enumerate(events) if e is None] == [0, 3, 200, 399]
    bad = events[50]
    assert isinstance(bad, KafkaInvalidEvent) and (bad.topic, bad.message_offset, bad.raw) == (topic, 50, BAD)
    good = [i for i, v in enumerate(values) if v is not None and i != 50]
    assert [events[i] for i in good] == [decode(values[i]) for i in good]  # type: ignore[arg-type]
    assert decode_messages(msgs, format="ndjson")[:3] == [decode(values[i]) for i in (1, 2, 4)]  # type: ignore[arg-type]


def test_decode_messages_raw_pairs_each_event_with_its_value(kafka: Any) -> None:
    """raw=True (issue #16): each message's event beside the value as received (a leading BOM excepted), a
    tombstone as (None, b""), bad and unknown values in place with their bytes; chunk formats pair each event
    with its NDJSON line or SSE data inside the value. The events are those of raw=False."""
    need("confluent_kafka")
    values: list[bytes | None] = list(_values(300))
    values[5] = None
    values[10] = BAD
    values[11] = NOT_JSON
    values[12] = b'{"type":"response.future_event","x":{"kept":true},"n":1.50}'
    values[13] = b"\xef\xbb\xbf" + values[14]  # type: ignore[operator]
    topic = _topic(kafka.bootstrap)
    _produce(kafka.bootstrap, topic, values)
    c = _assigned_consumer(kafka.bootstrap, topic)
    try:
        msgs = _consume_all(c, len(values))
    finally:
        c.close()
    framed = decode_messages(msgs, raw=True)
    assert [f.event for f in framed] == decode_messages(msgs)
    assert [f.raw for f in framed] == [b"" if v is None else v.removeprefix(b"\xef\xbb\xbf") for v in values]
    assert framed[5] == (None, b"")
    assert isinstance(framed[10].event, KafkaInvalidEvent) and framed[10].event.message_offset == 10
    assert framed[12].raw == values[12] and decode(framed[12].raw) == framed[12].event
    assert all(decode(f.raw) == f.event for i, f in enumerate(framed) if i not in (5, 10, 11))

    lines = _values(40, "text")
    chunk_values: list[bytes | None] = [b"\n".join(lines[:20]) + b"\n", None, b"\r\n".join(lines[20:]) + b"\n{bad\n"]
    sse_values: list[bytes | None] = [b"".join(b"data: " + v + b"\n\n" for v in lines[:5]) + b"data: [DONE]\n\n"]
    for fmt, vals, raws in (("ndjson", chunk_values, [*lines, b"{bad"]), ("sse", sse_values, lines[:5])):
        topic = _topic(kafka.bootstrap)
        _produce(kafka.bootstrap, topic, vals)
        c = _assigned_consumer(kafka.bootstrap, topic)
        try:
            msgs = _consume_all(c, len(vals))
        finally:
            c.close()
        framed = decode_messages(msgs, format=fmt, raw=True)  # type: ignore[call-overload]
        assert [f.raw for f in framed] == raws
        assert [f.event for f in framed] == decode_messages(msgs, format=fmt)  # type: ignore[arg-type]
