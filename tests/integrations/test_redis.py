"""openresponses_msgspec.redis.StreamConsumer against a real redis-server on 127.0.0.1 (started by conftest)."""

from __future__ import annotations

import threading
import time
from typing import Any

import msgspec
import pytest

from openresponses_msgspec import corpus, decode
from openresponses_msgspec.redis import StreamConsumer, StreamEntry

BAD = b'{"type":"response.output_text.delta","item_id":"m","output_index":"zero"}'


def _values(n: int, kind: str = "mixed") -> list[bytes]:
    return [msgspec.json.encode(e) for e in corpus.events(kind, n)]


def _add(r: Any, stream: str, values: list[bytes], **extra: bytes) -> list[str]:
    pipe = r.pipeline()
    for v in values:
        pipe.xadd(stream, {"data": v, **extra})
    return [i.decode() for i in pipe.execute()]


def test_batch_decodes_every_entry_and_ack_clears_pending(redis_client: Any) -> None:
    """XREADGROUP batches of `count`: every entry decoded like decode(value), ids in stream order; XACK."""
    values = _values(1200)
    ids = _add(redis_client, "events", values)
    c = StreamConsumer(redis_client, "events", "workers", "w1", count=500, block_ms=100)
    batches = [c.read() for _ in range(4)]
    assert [len(b) for b in batches] == [500, 500, 200, 0]
    got = [e for b in batches for e in b]
    assert [e.id for e in got] == ids
    assert [e.event for e in got] == [decode(v) for v in values]
    assert isinstance(got[0], StreamEntry) and got[0].fields == {"data": values[0]}
    assert c.pending() == 1200
    assert c.ack([e.id for e in got[:700]]) == 700
    assert c.pending() == 500
    assert c.ack([e.id for e in got]) == 500 and c.pending() == 0


def test_bad_entry_goes_to_dead_letter_at_once(redis_client: Any) -> None:
    """An entry that does not decode (or has no value field) is never handed over nor left pending: it is in
    the dead-letter stream with its id, the error and its fields, and acknowledged."""
    values = _values(10)
    ids = _add(redis_client, "s", values[:3])
    bad_id = _add(redis_client, "s", [BAD], response_id=b"resp_9")[0]
    ids += _add(redis_client, "s", values[3:])
    nofield = redis_client.xadd("s", {"other": b"x"}).decode()
    c = StreamConsumer(redis_client, "s", "g", "w", block_ms=50)
    got = c.read()
    assert [e.id for e in got] == ids
    assert [e.event for e in got] == [decode(v) for v in values]
    assert c.dead_lettered == 2 and c.pending() == 10
    dead = redis_client.xrange("s:dead")
    assert len(dead) == 2
    f = {k.decode(): v for k, v in dead[0][1].items()}
    assert f["id"].decode() == bad_id and f["data"] == BAD and f["response_id"] == b"resp_9"
    assert f["stream"] == b"s" and f["group"] == b"g" and b"$.output_index" in f["error"]
    f2 = {k.decode(): v for k, v in dead[1][1].items()}
    assert f2["id"].decode() == nofield and f2["error"] == b"no field 'data'" and f2["other"] == b"x"


def test_restarted_consumer_gets_its_unacked_entries_first(redis_client: Any) -> None:
    """A consumer that dies before XACK: the same consumer name, restarted, is handed its pending entries
    again (before any new entry); what was acknowledged is not redelivered."""
    values = _values(30)
    _add(redis_client, "s", values[:20])
    first = StreamConsumer(redis_client, "s", "g", "w1", count=20, block_ms=50)
    got = first.read()
    first.ack([e.id for e in got[:5]])
    del first  # crash: 15 entries delivered, not acknowledged
    _add(redis_client, "s", values[20:])
    again = StreamConsumer(redis_client, "s", "g", "w1", count=100, block_ms=50)
    redelivered = again.read()
    assert [e.event for e in redelivered] == [decode(v) for v in values[5:20]]
    fresh = again.read()
    assert [e.event for e in fresh] == [decode(v) for v in values[20:]]
    assert again.read() == []


def test_stale_pending_entries_of_a_dead_consumer_are_claimed(redis_client: Any) -> None:
    """XAUTOCLAIM: entries pending at another (dead) consumer for over min_idle_ms move to this one; an entry
    delivered more than max_deliveries times goes to the dead-letter stream instead."""
    values = _values(12)
    _add(redis_client, "s", values)
    dead = StreamConsumer(redis_client, "s", "g", "dead", block_ms=10)
    assert len(dead.read()) == 12  # never acknowledged
    patient = StreamConsumer(redis_client, "s", "g", "patient", block_ms=10, min_idle_ms=30_000)
    assert patient.read() == []  # not idle long enough for it
    live = StreamConsumer(redis_client, "s", "g", "live", block_ms=10, min_idle_ms=200, max_deliveries=2)
    time.sleep(0.3)
    claimed = live.read()
    assert [e.event for e in claimed] == [decode(v) for v in values]
    owners = {r["consumer"] for r in redis_client.xpending_range("s", "g", "-", "+", 100)}
    assert owners == {b"live"}
    live.ack([e.id for e in claimed[:10]])
    # the last two keep failing their handler: claimed again and again until past max_deliveries
    other = StreamConsumer(redis_client, "s", "g", "other", block_ms=10, min_idle_ms=100, max_deliveries=2)
    time.sleep(0.15)
    assert other.read() == []  # a third delivery: past max_deliveries=2
    assert other.dead_lettered == 2 and other.pending() == 0
    dl = redis_client.xrange("s:dead")
    assert [f[b"id"].decode() for _, f in dl] == [e.id for e in claimed[10:]]
    assert all(f[b"error"] == b"delivered 3 times (max_deliveries=2)" for _, f in dl)


def test_iteration_blocks_for_new_entries_and_stops(redis_client: Any) -> None:
    """Iterating waits (XREADGROUP BLOCK) for entries added later by another client, until stop()."""
    values = _values(6)
    c = StreamConsumer(redis_client, "live", "g", "w", block_ms=200)
    import redis

    producer = redis.Redis(connection_pool=redis_client.connection_pool)

    def later() -> None:
        time.sleep(0.3)
        _add(producer, "live", values)

    t = threading.Thread(target=later)
    t.start()
    seen = []
    for entry in c:
        seen.append(entry.event)
        c.ack([entry.id])
        if len(seen) == len(values):
            c.stop()
    t.join()
    assert seen == [decode(v) for v in values] and c.pending() == 0


def test_argument_checks(redis_client: Any) -> None:
    with pytest.raises(ValueError):
        StreamConsumer(redis_client, "s", "g", "w", count=0)
