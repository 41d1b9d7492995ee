"""examples/usage_worker.py as a real process against the real broker / server: one usage record per response,
across a bad message, a poison stream, a killed and restarted worker, a stopped broker/server, a stream that never
ends, tombstones, resumed and id-rotating streams (Kafka and Redis publish the same records)."""

from __future__ import annotations

import importlib.util
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

from openresponses_msgspec import Decoder, ResponseAccumulator, corpus

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
        want[rid] = {
            "response_id": rid,
            "model": last["response"]["model"],
            "status": "completed",
            "input_tokens": u["input_tokens"],
            "output_tokens": u["output_tokens"],
            "total_tokens": u["total_tokens"],
            "events": len(evs),
        }
    return want


def _rewrite(evs: list[bytes], fn: Callable[[dict[str, Any], int], dict[str, Any] | None]) -> list[bytes]:
    out = []
    for k, v in enumerate(evs):
        d = fn(msgspec.json.decode(v), k)
        if d is not None:
            out.append(msgspec.json.encode(d))
    return out


def without_seq(evs: list[bytes]) -> list[bytes]:
    """As OpenAI sent streams in March-May 2025: no sequence_number anywhere."""
    return _rewrite(evs, lambda d, _k: {k: v for k, v in d.items() if k != "sequence_number"})


def resumed(evs: list[bytes], after: int = 1) -> list[bytes]:
    """The stream of a background response resumed with starting_after=<after>: its first event is after+1."""
    return _rewrite(evs, lambda d, _k: d if d["sequence_number"] > after else None)


def rotating(evs: list[bytes]) -> list[bytes]:
    """As GitHub Copilot streams: a new response id on every response.* event (the first keeps the key's id)."""
    n = [0]

    def fn(d: dict[str, Any], _k: int) -> dict[str, Any]:
        if "response" in d:
            if n[0]:
                d["response"]["id"] = f"{d['response']['id']}-r{n[0]}"
            n[0] += 1
        return d

    return _rewrite(evs, fn)


def load_worker() -> Any:
    """examples/usage_worker.py as a module (its Folder is what both workers publish through)."""
    mod = sys.modules.get("usage_worker")
    if mod is None:
        spec = importlib.util.spec_from_file_location("usage_worker", WORKER)
        assert spec is not None and spec.loader is not None
        mod = sys.modules["usage_worker"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    return mod


class Worker:
    def __init__(self, *args: str, log: Path) -> None:
        self.log = log
        self._f = open(log, "ab")
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


# -- the Folder both workers share (no service needed) ---------------------------------------------------------


class _Poisoned(ResponseAccumulator):
    """An accumulator that raises on one event, as old ones did on streams without sequence numbers (any
    exception from any fold must stay inside its stream)."""

    def feed(self, event_or_events: object) -> None:
        events = event_or_events if isinstance(event_or_events, list) else [event_or_events]
        if any(getattr(ev, "item_id", None) == "poison" for ev in events):
            raise RuntimeError("boom")
        super().feed(event_or_events)


def test_worker_folder_isolates_a_raising_stream_and_closes_idle_ones() -> None:
    """One stream whose fold raises is flagged and published once, with the terminal event's usage; the others
    are exact; tombstones and a late duplicate of an ended stream are dropped; a stream that never ends is closed
    as cut_short once idle for idle_timeout (and not before); a resumed stream says where it resumed."""
    uw = load_worker()
    now = [0.0]
    folder = uw.Folder(10.0, clock=lambda: now[0], accumulator=_Poisoned)
    parts = streams(1500)
    poison_rid = parts[0][0]
    parts[0] = (poison_rid, _rewrite(parts[0][1], lambda d, k: {**d, "item_id": "poison"} if k == 5 else d))
    parts[1] = (parts[1][0], resumed(parts[1][1]))
    never = parts.pop()
    want = expected(parts)
    dec = Decoder()
    records: dict[str, Any] = {}
    for h, (rid, value) in enumerate(interleave([*parts, (never[0], never[1][:-5])])):
        if h % 100 == 99:
            folder.flush()  # as the workers do after each batch
        done = folder.feed(rid, dec.decode(value), h)
        if done is not None:
            assert rid not in records
            records[rid] = msgspec.to_builtins(folder.record(rid, done))
    assert set(records) == set(want)
    for rid, rec in records.items():
        assert {k: rec[k] for k in want[rid]} == want[rid]
        assert rec["flagged"] is (rid == poison_rid)
        assert rec["resumed_at"] == (2 if rid == parts[1][0] else None)
    assert records[poison_rid]["error"] == "RuntimeError: boom" and folder.flagged == 1
    # a late duplicate of an ended stream's terminal event, and tombstones: dropped, nothing opened
    assert folder.feed(parts[2][0], dec.decode(parts[2][1][-1]), "dup") is None
    assert folder.feed(parts[3][0], None, "tomb") is None
    assert folder.dropped == ["dup", "tomb"] and list(folder.open) == [never[0]]
    now[0] = 9.9
    assert folder.expire() == []
    now[0] = 10.0
    [(rid, st)] = folder.expire()
    rec = msgspec.to_builtins(folder.record(rid, st))
    assert (rid, rec["status"], rec["events"], rec["input_tokens"]) == (never[0], "cut_short", len(never[1]) - 5, None)
    assert folder.open == {}
    # the late-duplicate memory is forgotten after the idle time: the same id may start a new stream then
    now[0] = 25.0
    folder.expire()
    assert folder.ended == {}


def test_worker_folder_never_raises_on_mutated_streams() -> None:
    """Hypothesis: interleaved realistic streams, mutated (events dropped, duplicated, swapped, truncated, fields
    stripped, ids rotated, sequence numbers removed, bad values): the Folder never raises, and every event's handle
    ends exactly once in a published stream or among the dropped ones; one record per stream key and end."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    uw = load_worker()
    base = streams(400, seed=5)
    dec = Decoder()
    ops = st.sampled_from(["drop", "dup", "swap", "truncate", "strip", "rotate", "noseq", "bad", "none"])

    def mutate(evs: list[bytes], plan: list[tuple[str, int]]) -> list[bytes]:
        evs = list(evs)
        for op, at in plan:
            if not evs:
                break
            i = at % len(evs)
            if op == "drop":
                del evs[i]
            elif op == "dup":
                evs.insert(i, evs[i])
            elif op == "swap" and i + 1 < len(evs):
                evs[i], evs[i + 1] = evs[i + 1], evs[i]
            elif op == "truncate":
                del evs[i:]
            elif op == "strip":
                d = msgspec.json.decode(evs[i])
                for k in [k for k in d if k != "type"][: 1 + at % 3]:
                    del d[k]
                evs[i] = msgspec.json.encode(d)
            elif op == "rotate":
                evs = rotating(evs)
            elif op == "noseq":
                evs = without_seq(evs)
            elif op == "bad":
                evs.insert(i, BAD)
        return evs

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.tuples(ops, st.integers(0, 10_000)), max_size=8), st.integers(0, 3), st.integers(1, 60))
    def check(plan: list[tuple[str, int]], tombstones: int, flush_every: int) -> None:
        now = [0.0]
        folder = uw.Folder(5.0, clock=lambda: now[0])
        msgs = interleave([(rid, mutate(evs, plan)) for rid, evs in base[:4]])
        events: list[Any] = dec.decode_lines(b"\n".join(v for _, v in msgs), errors="replace") if msgs else []
        assert len(events) == len(msgs)
        events += [None] * tombstones
        keys = [rid for rid, _ in msgs] + [base[0][0]] * tombstones
        handles: list[int] = []
        for h, (key, ev) in enumerate(zip(keys, events, strict=True)):
            if h % flush_every == 0:
                folder.flush()
            done = folder.feed(key, ev, h)
            if done is not None:
                msgspec.json.encode(folder.record(key, done))
                handles += done.handles
        now[0] = 100.0
        for key, done in folder.expire():
            rec = folder.record(key, done)
            msgspec.json.encode(rec)
            assert rec.status == "cut_short" or rec.flagged
            handles += done.handles
        assert sorted(handles + folder.dropped) == list(range(len(events)))
        assert folder.open == {}

    check()


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
    where: list[tuple[str, int, int]] = []  # (key, partition, offset) of every message

    def delivered(err: Any, msg: Any) -> None:
        assert err is None, err
        ends[msg.partition()] = max(ends.get(msg.partition(), 0), msg.offset() + 1)
        firsts.setdefault(msg.key().decode(), (msg.partition(), msg.offset()))
        where.append((msg.key().decode(), msg.partition(), msg.offset()))

    def send(msgs: list[tuple[str, bytes | None]]) -> None:
        for key, value in msgs:
            producer.produce(topic, key=key.encode(), value=value, on_delivery=delivered)
        assert producer.flush(10) == 0

    yield {
        "bootstrap": kafka.bootstrap,
        "topic": topic,
        "out": out,
        "send": send,
        "ends": ends,
        "firsts": firsts,
        "where": where,
        "group": f"g-{uuid.uuid4().hex[:6]}",
    }


def kafka_records(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "reader",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "fetch.wait.max.ms": 10,
        }
    )
    c.assign([TopicPartition(topic, 0, 0)])  # (an explicit offset: OFFSET_BEGINNING costs 0.5 s here)
    out = []
    deadline = time.monotonic() + 10
    try:
        while time.monotonic() < deadline:  # short polls up to the end-of-partition event
            msgs = c.consume(1000, 0.05)
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
    w = Worker(
        "kafka",
        "--bootstrap",
        kafka_io["bootstrap"],
        "--topic",
        kafka_io["topic"],
        "--group",
        kafka_io["group"],
        "--out-topic",
        kafka_io["out"],
        log=tmp_path / "w.log",
    )
    wait_for(lambda: len(kafka_records(kafka_io["bootstrap"], kafka_io["out"])) >= len(want), 60, "records")
    assert w.stop() == 0
    records = kafka_records(kafka_io["bootstrap"], kafka_io["out"])
    check_records(records, want, once=True)
    assert next(r for r in records if r["response_id"] == bad_rid)["problems"] >= 1
    assert committed(kafka_io["bootstrap"], kafka_io["group"], kafka_io["topic"]) == kafka_io["ends"]
    assert f"stopped: {len(want)} records published, 0 responses open" in w.text()


def poisoned(parts: list[tuple[str, list[bytes]]]) -> tuple[str, list[bytes]]:
    """parts[1] made a poison stream: no sequence numbers (as OpenAI sent them in early 2025: the fold raised on
    them) and a message that does not decode."""
    rid, evs = parts[1]
    evs = without_seq(evs)
    evs.insert(5, BAD)
    parts[1] = (rid, evs)
    return parts[1]


def test_kafka_worker_poison_stream_and_restart(kafka_io: dict[str, Any], tmp_path: Path) -> None:
    """A poison stream among good ones, and a response open (its first message the first of its partition) when
    the worker is SIGKILLed. The poison stream is published once (flagged, or with its problems) and the worker
    goes on; the restarted worker replays the open response's partition from its first message, publishes it
    once and skips, by the records it reads back, every replayed message whose record is out: every response
    exactly once, the committed offsets past everything."""
    parts = streams(2500)
    prid, pevs = poisoned(parts)
    opened = parts.pop(0)
    cut = len(opened[1]) // 2
    kafka_io["send"](interleave([(opened[0], opened[1][:cut]), *parts]))
    args = (
        "kafka",
        "--bootstrap",
        kafka_io["bootstrap"],
        "--topic",
        kafka_io["topic"],
        "--group",
        kafka_io["group"],
        "--out-topic",
        kafka_io["out"],
    )
    w1 = Worker(*args, log=tmp_path / "w1.log")
    wait_for(lambda: len(kafka_records(kafka_io["bootstrap"], kafka_io["out"])) >= len(parts), 60, "records")
    p_open, off_open = kafka_io["firsts"][opened[0]]
    safe = {**kafka_io["ends"], p_open: off_open}
    wait_for(
        lambda: committed(kafka_io["bootstrap"], kafka_io["group"], kafka_io["topic"]) == safe,
        30,
        f"commits up to {safe}",
    )
    w1.stop(signal.SIGKILL)
    # what the restart replays: p_open from off_open on; all but the open response's messages have their record out
    replayed = sum(1 for k, p, o in kafka_io["where"] if p == p_open and o > off_open and k != opened[0])
    assert replayed > 0
    # the read-back the restarted worker does, in chunks of 7 records: every response of p_open but the open one,
    # with its last offset; nothing for the other partitions (committed past everything there)
    last: dict[str, int] = {}
    for k, p, o in kafka_io["where"]:
        if p == p_open and k != opened[0]:
            last[k] = max(last.get(k, -1), o)
    back = load_worker().published_since(kafka_io["bootstrap"], kafka_io["out"], kafka_io["topic"], safe, chunk=7)
    assert back == {p: (last if p == p_open else {}) for p in safe}
    kafka_io["send"]([(opened[0], v) for v in opened[1][cut:]])
    w2 = Worker(*args, log=tmp_path / "w2.log")
    want = expected([opened, *parts])
    wait_for(lambda: len(kafka_records(kafka_io["bootstrap"], kafka_io["out"])) >= len(want), 60, "every record")
    wait_for(
        lambda: committed(kafka_io["bootstrap"], kafka_io["group"], kafka_io["topic"]) == kafka_io["ends"],
        30,
        "commits past everything",
    )
    assert w2.stop() == 0
    records = kafka_records(kafka_io["bootstrap"], kafka_io["out"])
    check_records(records, want, once=True)
    bad = next(r for r in records if r["response_id"] == prid)
    assert bad["events"] == len(pevs) and bad["problems"] + bad["flagged"] >= 1  # the bad message, at least
    assert bad["flagged"] == (bad["error"] is not None)
    assert not any(r["flagged"] for r in records if r["response_id"] != prid)
    log = w2.text()
    assert f"{replayed} replayed messages skipped" in log and "0 responses open" in log, log


def test_kafka_worker_read_back_of_records_produced_in_one_batch(kafka: Any) -> None:
    """The restarted worker's read-back: 60 records produced in one batch (the broker then reports the end of the
    partition as the batch's first offset + 1), read in chunks of every size: every record produced past the start
    is found with its last offset, a record produced before it ends the search, other topics' records and foreign
    values are ignored."""
    need("confluent_kafka")
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    out = f"usage-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap})  # kept alive until the future resolves
    for f in admin.create_topics([NewTopic(out, num_partitions=1)]).values():
        f.result(10)
    p = Producer({"bootstrap.servers": kafka.bootstrap, "linger.ms": 50})
    want: dict[str, int] = {}
    for i in range(60):
        src = {"topic": "ev", "partition": i % 2, "first": i, "last": 10 + i, "next": 11 + i}
        p.produce(out, value=msgspec.json.encode({"response_id": f"r{i}", "source": src}))
        if i % 2 == 0 and 11 + i > 30:
            want[f"r{i}"] = 10 + i
    p.produce(out, value=msgspec.json.encode({"response_id": "x", "source": {**src, "topic": "other"}}))
    p.produce(out, value=b"not a record")
    assert p.flush(10) == 0
    uw = load_worker()
    for chunk in (1, 2, 7, 100):
        assert uw.published_since(kafka.bootstrap, out, "ev", {0: 30}, chunk=chunk) == {0: want}


@pytest.mark.slow
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
        for f in admin.create_topics(
            [NewTopic("events", num_partitions=3), NewTopic("usage", num_partitions=1)]
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
        w = Worker(
            "kafka",
            "--bootstrap",
            broker.bootstrap,
            "--topic",
            "events",
            "--group",
            "g",
            "--out-topic",
            "usage",
            "--flush-timeout",
            "2",
            log=tmp_path / "w.log",
        )
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


def test_redis_worker_poison_stream_and_restart(redis_client: Any, redis_server: Any, tmp_path: Path) -> None:
    """The same poison stream and SIGKILL with a response open: the bad entry alone goes to the dead-letter stream,
    the poison stream is published once; only the open response's entries stay pending, and the restarted worker
    publishes it once: every response exactly once, nothing pending."""
    parts = streams(2500)
    prid, pevs = poisoned(parts)
    opened = parts.pop(0)
    cut = len(opened[1]) // 2
    redis_send(redis_client, interleave([(opened[0], opened[1][:cut]), *parts]))
    w1 = Worker("redis", "--url", redis_server.url, log=tmp_path / "w1.log")
    wait_for(lambda: len(redis_records(redis_client)) >= len(parts), 60, "records")
    w1.stop(signal.SIGKILL)
    assert redis_client.xpending("events", "usage-worker")["pending"] == cut
    redis_send(redis_client, [(opened[0], v) for v in opened[1][cut:]])
    w2 = Worker("redis", "--url", redis_server.url, log=tmp_path / "w2.log")
    want = expected([opened, *parts])
    want[prid]["events"] = len(pevs) - 1  # the bad entry is dead-lettered, not folded
    wait_for(lambda: len(redis_records(redis_client)) >= len(want), 60, "every record")
    assert w2.stop() == 0
    records = redis_records(redis_client)
    check_records(records, want, once=True)
    bad = next(r for r in records if r["response_id"] == prid)
    assert bad["flagged"] == (bad["error"] is not None)
    assert not any(r["flagged"] for r in records if r["response_id"] != prid)
    assert redis_client.xpending("events", "usage-worker")["pending"] == 0
    dead = redis_client.xrange("events:dead")
    assert [(f[b"response_id"], f[b"data"]) for _, f in dead] == [(prid.encode(), BAD)]


@pytest.mark.slow
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


# -- Kafka and Redis on the same input -------------------------------------------------------------------------


def test_worker_same_records_from_kafka_and_redis(
    kafka_io: dict[str, Any], redis_client: Any, redis_server: Any, tmp_path: Path
) -> None:
    """The same streams through both workers at once: a resumed one (starting_after=1), an id-rotating one
    (Copilot), one that never ends (closed after --idle-timeout as cut_short, without pinning the committed
    offset), one with a late duplicate of its terminal event (dropped), and, on Kafka, tombstones (skipped).
    Both publish exactly one record per stream, and the same records."""
    parts = streams(1500)
    res = (parts[0][0], resumed(parts[0][1]))
    rot = (parts[1][0], rotating(parts[1][1]))
    never = (parts[2][0], parts[2][1][:-4])
    dup = (parts[3][0], [*parts[3][1], parts[3][1][-1]])
    goods = parts[4:]
    msgs: list[tuple[str, bytes | None]] = list(interleave([res, rot, never, dup, *goods]))
    redis_send(redis_client, msgs)  # type: ignore[arg-type]
    msgs.insert(len(msgs) // 2, (goods[0][0], None))  # a tombstone in the middle of a stream, one of its own
    msgs.append(("deleted", None))
    kafka_io["send"](msgs)
    kw = Worker(
        "kafka",
        "--bootstrap",
        kafka_io["bootstrap"],
        "--topic",
        kafka_io["topic"],
        "--group",
        kafka_io["group"],
        "--out-topic",
        kafka_io["out"],
        "--idle-timeout",
        "5",
        log=tmp_path / "k.log",
    )
    rw = Worker("redis", "--url", redis_server.url, "--idle-timeout", "5", log=tmp_path / "r.log")
    want = expected([res, rot, parts[3], *goods])
    want[never[0]] = {
        "response_id": never[0],
        "status": "cut_short",
        "input_tokens": None,
        "output_tokens": None,
        "total_tokens": None,
        "events": len(never[1]),
    }
    for rid in want:
        want[rid]["resumed_at"] = 2 if rid == res[0] else None
    try:
        wait_for(lambda: len(kafka_records(kafka_io["bootstrap"], kafka_io["out"])) >= len(want), 60, "Kafka")
        wait_for(lambda: len(redis_records(redis_client)) >= len(want), 60, "Redis records")
        wait_for(
            lambda: committed(kafka_io["bootstrap"], kafka_io["group"], kafka_io["topic"]) == kafka_io["ends"],
            30,
            "commits past everything, the never-ending stream included",
        )
    finally:
        assert kw.stop() == 0 and rw.stop() == 0
    k_recs, r_recs = kafka_records(kafka_io["bootstrap"], kafka_io["out"]), redis_records(redis_client)
    check_records(k_recs, want, once=True)
    check_records(r_recs, want, once=True)

    def same(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(({k: v for k, v in r.items() if k != "source"} for r in recs), key=lambda r: r["response_id"])

    assert same(k_recs) == same(r_recs)
    assert redis_client.xpending("events", "usage-worker")["pending"] == 0
    assert "2 tombstones skipped" in kw.text()
    for log in (kw.text(), rw.text()):
        assert f"{never[0]}: no event for 5 s, closed (cut_short)" in log
