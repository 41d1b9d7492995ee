"""Issue 17, cases 7 and 8 against the real services: a Kafka value with a BOM decodes the same wherever it sits
in a consumed batch (Tansu broker); any entry a Redis stream can hold is either handed over decoded or
dead-lettered, never a reason for ``read()`` to raise, and the good entries of its batch are handed over."""

from __future__ import annotations

import gc
from typing import Any

import msgspec

from openresponses_msgspec import corpus, decode
from openresponses_msgspec.kafka import KafkaInvalidEvent, decode_messages
from openresponses_msgspec.redis import StreamConsumer

from .integ_support import need
from .test_kafka import _assigned_consumer, _consume_all, _produce, _topic

BOM = b"\xef\xbb\xbf"
GEN = (
    b'{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,'
    b'"delta":"Hi","logprobs":[],"sequence_number":1}'
)
BAD = b'{"type":"response.output_text.delta","item_id":"m","output_index":"zero"}'


def test_kafka_bom_values_decode_in_every_position_of_a_consumed_batch(kafka: Any) -> None:
    """Before: only a BOM value that was the first of a batch of two or more decoded."""
    need("confluent_kafka")
    values = [BOM + GEN, GEN, BOM + GEN, GEN, BOM + BAD, GEN, BOM + GEN]
    topic = _topic(kafka.bootstrap)
    _produce(kafka.bootstrap, topic, values)  # type: ignore[arg-type]
    c = _assigned_consumer(kafka.bootstrap, topic)
    try:
        msgs = _consume_all(c, len(values))
    finally:
        c.close()
    for batch in (msgs, msgs[1:], msgs[2:3], msgs[4:5], msgs[-1:]):  # first, middle, alone
        got = decode_messages(batch)
        for m, ev in zip(batch, got, strict=True):
            if m.value() == BOM + BAD:
                assert isinstance(ev, KafkaInvalidEvent) and ev.offset == 3 and ev.message_offset == 4
                assert ev.error.path == "$.output_index" and ev.raw == BOM + BAD
            else:
                assert ev == decode(GEN), (m.offset(), ev)


def _entries(n: int) -> list[bytes]:
    return [msgspec.json.encode(e) for e in corpus.events("mixed", n)]


def test_redis_any_entry_is_decoded_or_dead_lettered(redis_client: Any) -> None:
    """Binary field names, non-UTF-8 and empty values, a missing field, a BOM, huge values: read() never
    raises; each entry is handed over (decoded) or dead-lettered (with its binary fields as they were) and
    acknowledged, and a restart finds nothing stuck. Before: a non-UTF-8 field name raised UnicodeDecodeError
    in every read(), and the good entries of the batch stayed pending forever."""
    r = redis_client
    good = _entries(6)
    huge_good = msgspec.json.encode(
        {
            "type": "response.output_text.delta",
            "item_id": "m",
            "output_index": 0,
            "content_index": 0,
            "delta": "x" * (8 << 20),
            "logprobs": [],
            "sequence_number": 1,
        }
    )
    huge_bad = b'{"type":"response.output_text.delta","delta":"' + b"\xff" * (4 << 20) + b'"}'
    plan: list[tuple[dict[bytes, bytes], bytes | None]] = [  # fields, the value handed over (None: dead)
        ({b"data": good[0]}, good[0]),
        ({b"data": good[1], b"\xff\xfe\x00name": b"v\xff"}, good[1]),  # binary field name, good value
        ({b"\xc3(": b"x"}, None),  # binary name, no data field
        ({b"data": b"\xff\xfe{not utf-8", b"\x80": b"\x81"}, None),
        ({b"data": b""}, None),
        ({b"data": BOM + good[2]}, BOM + good[2]),
        ({b"data": huge_good}, huge_good),
        ({b"data": huge_bad}, None),
        ({b"data": BAD, b"stream": b"mine", b"orig_stream": b"mine too"}, None),  # names clashing with ours
        ({b"data": good[3], "é".encode(): "ü".encode()}, good[3]),
        ({b"data": good[4]}, good[4]),
    ]
    ids = [r.xadd("s", f).decode() for f, _ in plan]
    c = StreamConsumer(r, "s", "g", "w", count=100, block_ms=50)
    gc.collect()
    got = c.read()
    want = [(i, v) for i, (_, v) in zip(ids, plan, strict=True) if v is not None]
    assert [e.id for e in got] == [i for i, _ in want]
    assert [e.event for e in got] == [decode(v.removeprefix(BOM)) for _, v in want]
    binary = next(e for e in got if e.id == ids[1])
    assert binary.fields == {"data": good[1], b"\xff\xfe\x00name".decode("utf-8", "surrogateescape"): b"v\xff"}
    assert {k.encode("utf-8", "surrogateescape") for k in binary.fields} == {b"data", b"\xff\xfe\x00name"}
    assert next(e for e in got if e.id == ids[9]).fields["é"] == "ü".encode()
    dead_ids = [i for i, (_, v) in zip(ids, plan, strict=True) if v is None]
    assert c.dead_lettered == len(dead_ids) == 5
    dead = r.xrange("s:dead")
    assert [f[b"id"].decode() for _, f in dead] == dead_ids
    by_id = {f[b"id"].decode(): f for _, f in dead}
    assert by_id[ids[2]][b"\xc3("] == b"x" and by_id[ids[2]][b"error"] == b"no field 'data'"
    assert by_id[ids[3]][b"\x80"] == b"\x81" and b"UTF-8" in by_id[ids[3]][b"error"]
    assert by_id[ids[7]][b"data"] == huge_bad
    clash = by_id[ids[8]]
    assert clash[b"stream"] == b"s" and clash[b"orig_stream"] == b"mine"
    assert clash[b"orig_orig_stream"] == b"mine too" and clash[b"data"] == BAD
    assert c.pending() == len(got)  # the dead ones are acknowledged, the handed-over ones wait for ack()
    assert c.ack([e.id for e in got]) == len(got) and c.pending() == 0
    again = StreamConsumer(r, "s", "g", "w", count=100, block_ms=50)
    assert again.read() == [] and again.read() == []


def test_redis_poison_entries_do_not_stop_a_restarted_consumer(redis_client: Any) -> None:
    """The history path (own pending entries after a restart) meets the same entries: a consumer that died
    before acknowledging a batch holding them hands over the good ones when restarted."""
    r = redis_client
    good = _entries(3)
    ids = [
        r.xadd("s", {b"data": good[0]}).decode(),
        r.xadd("s", {b"\xff": b"\xfe", b"data": good[1]}).decode(),
        r.xadd("s", {b"\xff": b"x"}).decode(),
        r.xadd("s", {b"data": good[2]}).decode(),
    ]
    r.xgroup_create("s", "g", id="0")
    assert len(r.xreadgroup("g", "w", {"s": ">"})[0][1]) == 4  # delivered to "w", which dies
    r.xdel("s", ids[3])  # an entry deleted while pending: its fields come back empty
    c = StreamConsumer(r, "s", "g", "w", block_ms=50)
    got = c.read()
    assert [e.id for e in got] == ids[:2] and [e.event for e in got] == [decode(good[0]), decode(good[1])]
    assert c.dead_lettered == 2 and c.pending() == 2
    assert c.read() == [] and c.ack(ids[:2]) == 2 and c.pending() == 0


def test_redis_consumer_leaks_no_stand_in(redis_client: Any) -> None:
    """Case 1 through StreamConsumer: batches holding every stand-in kind, read, dead-lettered and acknowledged
    in a loop, leave the count of tracked objects where it was (tests/test_no_leak.py covers the other APIs)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hostile"))
    try:
        from test_no_leak import TOLERANCE, VALUES
    finally:
        sys.path.pop(0)
    r = redis_client
    c = StreamConsumer(r, "leak", "g", "w", count=1000, block_ms=1)

    def rounds(n: int) -> int:
        for _ in range(n):
            pipe = r.pipeline()
            for v in VALUES * 10:
                pipe.xadd("leak", {"data": v})
            pipe.execute()
            got = c.read()
            assert len(got) == 40 and c.ack([e.id for e in got]) == 40  # 20 of 60 dead-lettered
            r.delete("leak:dead")
        gc.collect()
        gc.collect()
        return len(gc.get_objects())

    base = rounds(3)
    assert rounds(15) - base < TOLERANCE


def test_redis_client_with_decode_responses_is_refused(redis_server: Any) -> None:
    """With decode_responses=True, redis-py itself raised UnicodeDecodeError on every read() of a batch holding
    a non-UTF-8 value (the entry could never be dead-lettered): such a client is refused up front."""
    import pytest
    import redis

    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        with pytest.raises(ValueError, match="decode_responses"):
            StreamConsumer(client, "s", "g", "w")
    finally:
        client.close()
