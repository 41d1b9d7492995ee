"""examples/usage_worker.py as a real process against the real broker / server: one usage record per finished
response, at-least-once across a bad message, a killed and restarted worker, and a stopped broker/server."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from openresponses_msgspec import corpus

from .integ_support import need, start

ROOT = Path(__file__).resolve().parents[2]
WORKER = ROOT / "examples" / "usage_worker.py"
BAD = b'{"type":"response.output_text.delta","item_id":"m","output_index":"zero"}'


def streams(n_events: int, seed: int = 3) -> list[tuple[str, list[bytes]]]:
    """(response id, its events' JSON) per response, from the corpus."""
    out: list[tuple[str, list[bytes]]] = []
    for ev in corpus.events("mixed", n_events, seed=seed):
        if ev["type"] == "response.created":
            out.append((ev["response"]["id"], []))
        out[-1][1].append(msgspec.json.encode(ev))
    done = []  # each stream up to its response.completed (the corpus cuts the last one short)
    for rid, evs in out:
        ends = [i for i, v in enumerate(evs) if v.startswith(b'{"type":"response.completed"')]
        if ends:
            done.append((rid, evs[: ends[-1] + 1]))
    return done


def interleave(parts: list[tuple[str, list[bytes]]]) -> list[tuple[str, bytes]]:
    """Round-robin over the responses, each in its own order (as concurrent streams arrive)."""
    msgs: list[tuple[str, bytes]] = []
    iters = [(rid, iter(evs)) for rid, evs in parts]
    while iters:
        alive = []
        for rid, it in iters:
            v = next(it, None)
            if v is not None:
                msgs.append((rid, v))
                alive.append((rid, it))
        iters = alive
    return msgs


def expected(parts: list[tuple[str, list[bytes]]]) -> dict[str, dict[str, Any]]:
    """The record each response must produce, from its response.completed event."""
    want = {}
    for rid, evs in parts:
        last = msgspec.json.decode(evs[-1])
        assert last["type"] == "response.completed"
        u = last["response"]["usage"]
        want[rid] = {"response_id": rid, "model": last["response"]["model"], "status": "completed",
                     "input_tokens": u["input_tokens"], "output_tokens": u["output_tokens"],
                     "total_tokens": u["total_tokens"], "events": len(evs)}
    return want


class Worker:
    def __init__(self, *args: str, log: Path) -> None:
        self.log = log
        self._f = open(log, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, str(WORKER), *args], stdout=self._f, stderr=subprocess.STDOUT)
        wait_for(lambda: b"ready" in log.read_bytes(), 30, "worker start")

    def text(self) -> str:
        return self.log.read_text()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._f.close()


def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def check_records(records: list[dict[str, Any]], want: dict[str, dict[str, Any]], *, once: bool) -> None:
    by_id: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_id.setdefault(r["response_id"], []).append(r)
    assert set(by_id) == set(want)
    for rid, recs in by_id.items():
        if once:
            assert len(recs) == 1, f"{rid}: {len(recs)} records"
        for r in recs:
            assert {k: r[k] for k in want[rid]} == want[rid]


# -- Kafka -----------------------------------------------------------------------------------------------------


@pytest.fixture
def kafka_io(kafka: Any) -> Iterator[dict[str, Any]]:
    need("confluent_kafka")
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    topic, out = f"ev-{uuid.uuid4().hex[:8]}", f"usage-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap})
    for f in admin.create_topics([NewTopic(topic, num_partitions=3), NewTopic(out, num_partitions=1)]).values():
        f.result(10)
    producer = Producer({"bootstrap.servers": kafka.bootstrap, "linger.ms": 5})

    ends: dict[int, int] = {}  # partition -> offset after the last message produced (from delivery reports)

    firsts: dict[str, tuple[int, int]] = {}  # response id -> (partition, offset) of its first message

    def delivered(err: Any, msg: Any) -> None:
        assert err is None, err
        ends[msg.partition()] = max(ends.get(msg.partition(), 0), msg.offset() + 1)
        firsts.setdefault(msg.key().decode(), (msg.partition(), msg.offset()))

    def send(msgs: list[tuple[str, bytes]]) -> None:
        for key, value in msgs:
            producer.produce(topic, key=key.encode(), value=value, on_delivery=delivered)
        assert producer.flush(10) == 0

    yield {"bootstrap": kafka.bootstrap, "topic": topic, "out": out, "send": send, "ends": ends, "firsts": firsts,
           "group": f"g-{uuid.uuid4().hex[:6]}"}


def kafka_records(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader", "enable.auto.commit": False,
                  "enable.partition.eof": True})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    out = []
    try:
        while True:
            msgs = c.consume(1000, 2.0)
            if not msgs:
                break
            out += [msgspec.json.decode(m.value()) for m in msgs if m.error() is None]
            if any(m.error() is not None for m in msgs):
                break
    finally:
        c.close()
    return out


def committed(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        return {tp.partition: tp.offset for tp in c.committed([TopicPartition(topic, p) for p in range(3)], 10)}
    finally:
        c.close()


def test_kafka_worker_one_record_per_response(kafka_io: dict[str, Any], tmp_path: Path) -> None:
    """All streams at once (a bad message inside one): one record per response, equal to its
    response.completed usage; the bad message is folded as a problem, not a crash; SIGTERM exits 0 with every
    offset committed."""
    parts = streams(3000)
    bad_rid = parts[2][0]
    parts[2][1].insert(5, BAD)
    want = expected(parts)
    want[bad_rid]["events"] = len(parts[2][1])
    kafka_io["send"](interleave(parts))
    w = Worker("kafka", "--bootstrap", kafka_io["bootstrap"], "--topic", kafka_io["topic"], "--group",
               kafka_io["group"], "--out-topic", kafka_io["out"], log=tmp_path / "w.log")
    wait_for(lambda: len(kafka_records(kafka_io["bootstrap"], kafka_io["out"])) >= len(want), 60, "records")
    assert w.stop() == 0
    records = kafka_records(kafka_io["bootstrap"], kafka_io["out"])
    check_records(records, want, once=True)
    assert next(r for r in records if r["response_id"] == bad_rid)["problems"] >= 1
    assert committed(kafka_io["bootstrap"], kafka_io["group"], kafka_io["topic"]) == kafka_io["ends"]
    assert f"stopped: {len(want)} records published, 0 responses open" in w.text()


def test_kafka_worker_killed_and_restarted(kafka_io: dict[str, Any], tmp_path: Path) -> None:
    """SIGKILL in the middle of a response: its offsets were never committed, so a new worker in the group
    replays it from its first message and publishes its record, correct, after the restart."""
    parts = streams(2500)
    first, last = parts[:-1], parts[-1]
    cut = len(last[1]) // 2
    kafka_io["send"](interleave([*first, (last[0], last[1][:cut])]))
    args = ("kafka", "--bootstrap", kafka_io["bootstrap"], "--topic", kafka_io["topic"], "--group",
            kafka_io["group"], "--out-topic", kafka_io["out"])
    w1 = Worker(*args, log=tmp_path / "w1.log")
    wait_for(lambda: len(kafka_records(kafka_io["bootstrap"], kafka_io["out"])) >= len(first), 60, "records")
    # what may be committed: everything, but in the open response's partition nothing from its first message on
    p_open, off_open = kafka_io["firsts"][last[0]]
    safe = {**kafka_io["ends"], p_open: off_open}
    wait_for(lambda: committed(kafka_io["bootstrap"], kafka_io["group"], kafka_io["topic"]) == safe, 30,
             f"commits up to {safe}")
    w1.stop(signal.SIGKILL)
    assert committed(kafka_io["bootstrap"], kafka_io["group"], kafka_io["topic"]) == safe
    kafka_io["send"]([(last[0], v) for v in last[1][cut:]])
    w2 = Worker(*args, log=tmp_path / "w2.log")
    want = expected(parts)
    wait_for(lambda: {r["response_id"] for r in kafka_records(kafka_io["bootstrap"], kafka_io["out"])} == set(want),
             90, "the replayed response's record")
    assert w2.stop() == 0
    # responses that ended after the open one's start are replayed without their start: not published again
    check_records(kafka_records(kafka_io["bootstrap"], kafka_io["out"]), want, once=True)
    assert "replayed without its start" in Path(tmp_path / "w2.log").read_text()


def test_kafka_worker_survives_a_stopped_broker(tmp_path: Path) -> None:
    """The broker stops while a response is open: the worker neither crashes nor commits; SIGTERM during the
    outage still exits 0 and reports the open response (nothing was acknowledged for it)."""
    need("confluent_kafka")
    import services
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    broker = start(services.Kafka(), "Kafka broker (Tansu)")
    try:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        for f in admin.create_topics([NewTopic("events", num_partitions=3), NewTopic("usage", num_partitions=1)]
                                     ).values():
            f.result(10)
        parts = streams(1200)
        first, last = parts[:-1], parts[-1]
        p = Producer({"bootstrap.servers": broker.bootstrap})
        ends: dict[int, int] = {}
        first_of_open: list[tuple[int, int]] = []

        def delivered(err: Any, msg: Any) -> None:
            ends[msg.partition()] = msg.offset() + 1
            if msg.key().decode() == last[0] and not first_of_open:
                first_of_open.append((msg.partition(), msg.offset()))

        for key, value in interleave([*first, (last[0], last[1][:5])]):
            p.produce("events", key=key.encode(), value=value, on_delivery=delivered)
        assert p.flush(10) == 0
        w = Worker("kafka", "--bootstrap", broker.bootstrap, "--topic", "events", "--group", "g",
                   "--out-topic", "usage", "--flush-timeout", "2", log=tmp_path / "w.log")
        wait_for(lambda: len(kafka_records(broker.bootstrap, "usage")) >= len(first), 60, "records")
        safe = {**ends, first_of_open[0][0]: first_of_open[0][1]}
        wait_for(lambda: committed(broker.bootstrap, "g", "events") == safe, 30, f"commits up to {safe}")
        broker.stop()
        time.sleep(3)  # the worker sees connection failures, loses its group; it must keep running
        assert w.proc.poll() is None, w.text()
        assert w.stop(timeout=60) == 0, w.text()
        log = w.text()
        assert f"stopped: {len(first)} records published" in log and "Traceback" not in log
    finally:
        broker.cleanup()


# -- Redis -----------------------------------------------------------------------------------------------------


def redis_send(client: Any, msgs: list[tuple[str, bytes]], stream: str = "events") -> None:
    pipe = client.pipeline()
    for key, value in msgs:
        pipe.xadd(stream, {"response_id": key, "data": value})
    pipe.execute()


def redis_records(client: Any) -> list[dict[str, Any]]:
    return [msgspec.json.decode(f[b"record"]) for _, f in client.xrange("usage")]


def test_redis_worker_one_record_per_response(redis_client: Any, redis_server: Any, tmp_path: Path) -> None:
    """A bad entry goes to the dead-letter stream (the response is still folded from its other events);
    one record per response; SIGTERM exits 0 with nothing left pending."""
    parts = streams(3000)
    bad_rid = parts[1][0]
    msgs = interleave(parts)
    msgs.insert(10, (bad_rid, BAD))
    redis_send(redis_client, msgs)
    w = Worker("redis", "--url", redis_server.url, log=tmp_path / "w.log")
    want = expected(parts)
    wait_for(lambda: len(redis_records(redis_client)) >= len(want), 60, "records")
    assert w.stop() == 0
    check_records(redis_records(redis_client), want, once=True)
    assert redis_client.xpending("events", "usage-worker")["pending"] == 0
    dead = redis_client.xrange("events:dead")
    assert len(dead) == 1 and dead[0][1][b"response_id"] == bad_rid.encode() and dead[0][1][b"data"] == BAD


def test_redis_worker_killed_and_restarted(redis_client: Any, redis_server: Any, tmp_path: Path) -> None:
    """SIGKILL with a response open: its entries stay pending; the restarted worker (same consumer name) gets
    them back first and publishes the record exactly once."""
    parts = streams(2500)
    first, last = parts[:-1], parts[-1]
    cut = len(last[1]) // 2
    redis_send(redis_client, interleave([*first, (last[0], last[1][:cut])]))
    w1 = Worker("redis", "--url", redis_server.url, log=tmp_path / "w1.log")
    wait_for(lambda: len(redis_records(redis_client)) >= len(first), 60, "records")
    w1.stop(signal.SIGKILL)
    assert redis_client.xpending("events", "usage-worker")["pending"] == cut
    redis_send(redis_client, [(last[0], v) for v in last[1][cut:]])
    w2 = Worker("redis", "--url", redis_server.url, log=tmp_path / "w2.log")
    want = expected(parts)
    wait_for(lambda: len(redis_records(redis_client)) >= len(want), 60, "the replayed response's record")
    assert w2.stop() == 0
    check_records(redis_records(redis_client), want, once=True)
    assert redis_client.xpending("events", "usage-worker")["pending"] == 0


def test_redis_worker_survives_a_stopped_server(tmp_path: Path) -> None:
    """redis-server (append-only file) stops with a response open: the worker retries instead of crashing;
    restarted on the same port, it carries on and every record is published exactly once."""
    redis = need("redis")
    import services

    server = start(services.Redis(persist=True), "redis-server")
    try:
        client = redis.Redis.from_url(server.url)
        parts = streams(1500)
        first, last = parts[:-1], parts[-1]
        cut = len(last[1]) // 2
        redis_send(client, interleave([*first, (last[0], last[1][:cut])]))
        w = Worker("redis", "--url", server.url, log=tmp_path / "w.log")
        try:
            wait_for(lambda: len(redis_records(client)) >= len(first), 60, "records")
            port = server.port
            server.stop()
            wait_for(lambda: "redis unavailable" in w.text(), 30, "the worker to notice")
            assert w.proc.poll() is None
            server.start(port)
            client = redis.Redis.from_url(server.url)
            redis_send(client, [(last[0], v) for v in last[1][cut:]])
            want = expected(parts)
            wait_for(lambda: len(redis_records(client)) >= len(want), 60, "records after the restart")
            assert w.stop() == 0
            check_records(redis_records(client), want, once=True)
            assert client.xpending("events", "usage-worker")["pending"] == 0
        finally:
            w.stop()  # idempotent: a failed wait must not leak the worker or its log file
        client.close()
    finally:
        server.cleanup()


