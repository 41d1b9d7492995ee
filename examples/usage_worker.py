"""A stream-processing worker: one usage record per finished response, from Kafka or from a Redis stream.

    python examples/usage_worker.py kafka --bootstrap 127.0.0.1:9092 --topic events --out-topic usage
    python examples/usage_worker.py redis --url redis://127.0.0.1:6379/0 --stream events --out-stream usage

Messages are keyed by response id (the Kafka message key, or the ``response_id`` field of the Redis entry)
and each holds one whole event. Each response's events are folded with a ``ResponseAccumulator``; once it is
finished (completed, failed, incomplete, cancelled) one usage record (JSON) is published, keyed by the
response id. At-least-once: Kafka offsets are committed, Redis entries acknowledged, only after the record is
out (delivery confirmed / XADD done), and never past the first message of a response still open, so a crash
replays every open response from its start (a record may then be published twice; it is keyed by response
id). SIGTERM (or Ctrl-C) stops cleanly: the current batch is finished, records flushed, offsets committed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import msgspec

from openresponses_msgspec import ResponseAccumulator

FINISHED = frozenset({"completed", "failed", "incomplete", "cancelled"})


class UsageRecord(msgspec.Struct, frozen=True):
    response_id: str
    model: str | None
    status: str
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None
    events: int
    problems: int


@dataclass
class Open:
    """A response being folded, and where its messages are (to commit/ack only what is safe)."""

    acc: ResponseAccumulator = field(default_factory=ResponseAccumulator)
    handles: list[Any] = field(default_factory=list)  # Kafka (partition, offset) / Redis entry ids


class Folder:
    """Folds events per response id; hands back the responses that finished."""

    def __init__(self) -> None:
        self.open: dict[str, Open] = {}

    def feed(self, key: str, event: Any, handle: Any) -> Open | None:
        st = self.open.get(key)
        if st is None:
            st = self.open[key] = Open()
        st.acc.feed(event)
        st.handles.append(handle)
        return st if st.acc.status in FINISHED else None

    @staticmethod
    def replayed(st: Open) -> bool:
        """Finished, but its first event (sequence number 0) was not seen: nothing is ever committed past
        the first message of an open response, so its start was committed, hence its record already
        published before a restart; this is the tail of it, replayed."""
        return st.acc.first_sequence_number not in (None, 0)

    @staticmethod
    def record(key: str, st: Open) -> UsageRecord:
        acc, u = st.acc, st.acc.usage
        return UsageRecord(key, acc.model, acc.status, u.input_tokens if u else None,
                           u.output_tokens if u else None, u.total_tokens if u else None, acc.events,
                           len(acc.problems))


class Stop:
    """Set by SIGTERM/SIGINT; the loops check it between batches."""

    def __init__(self) -> None:
        self.requested = False
        signal.signal(signal.SIGTERM, self._set)
        signal.signal(signal.SIGINT, self._set)

    def _set(self, *_: object) -> None:
        self.requested = True


def log(msg: str) -> None:
    print(f"usage_worker: {msg}", file=sys.stderr, flush=True)


# -- Kafka -----------------------------------------------------------------------------------------------------


def run_kafka(args: argparse.Namespace, stop: Stop) -> int:
    from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

    from openresponses_msgspec.kafka import decode_messages

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap, "group.id": args.group, "enable.auto.commit": False,
        "auto.offset.reset": "earliest", "session.timeout.ms": 2000, "heartbeat.interval.ms": 200,
        "reconnect.backoff.max.ms": 1000,
    })
    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5, "enable.idempotence": True,
                         "message.timeout.ms": 30_000})
    folder = Folder()
    delivered: list[str] = []
    failed: list[str] = []
    unpublished: dict[str, Open] = {}  # finished, record produced, delivery not yet confirmed
    consumed: dict[int, int] = {}  # partition -> next offset after the last message consumed
    published = 0

    def on_delivery(err: Any, msg: Any) -> None:
        (failed if err is not None else delivered).append(msg.key().decode())

    def on_revoke(_c: Any, parts: list[Any]) -> None:  # another worker owns these now: forget their state
        gone = {p.partition for p in parts}
        for key in [k for k, st in folder.open.items() if st.handles and st.handles[0][0] in gone]:
            del folder.open[key]
        for p in gone:
            consumed.pop(p, None)

    def commit() -> None:
        safe = dict(consumed)
        for st in list(folder.open.values()) + list(unpublished.values()):
            p, off = st.handles[0]
            if p in safe:
                safe[p] = min(safe[p], off)
        if safe:
            consumer.commit(offsets=[TopicPartition(args.topic, p, off) for p, off in safe.items()],
                            asynchronous=False)

    consumer.subscribe([args.topic], on_revoke=on_revoke)
    try:
        while not stop.requested:
            msgs = [m for m in consumer.consume(args.batch, 0.5) if m.error() is None]
            events = decode_messages(msgs)
            for msg, ev in zip(msgs, events, strict=True):
                part, offset, raw_key = msg.partition(), msg.offset(), msg.key()
                assert part is not None and offset is not None  # (set on every record)
                consumed[part] = offset + 1
                if raw_key is None:
                    continue
                key = raw_key.decode()
                done = folder.feed(key, ev, (part, offset))
                if done is not None:
                    del folder.open[key]
                    if folder.replayed(done):
                        log(f"{key}: replayed without its start, its record is out already")
                        continue
                    unpublished[key] = done
                    producer.produce(args.out_topic, key=key, value=msgspec.json.encode(folder.record(key, done)),
                                     on_delivery=on_delivery)
            if unpublished:
                producer.flush(args.flush_timeout)
            for key in delivered:
                if unpublished.pop(key, None) is not None:
                    published += 1
            retry, failed[:] = list(failed), []
            delivered.clear()
            for key in retry:  # not delivered (broker away?): produce it again; its offsets stay uncommitted
                log(f"record for {key} not delivered; retrying")
                producer.produce(args.out_topic, key=key, on_delivery=on_delivery,
                                 value=msgspec.json.encode(folder.record(key, unpublished[key])))
            if msgs or not unpublished:
                try:
                    commit()
                except KafkaException as exc:  # e.g. the broker is away: the next batch commits again
                    log(f"commit failed: {exc}")
        producer.flush(args.flush_timeout)
        for key in delivered:
            unpublished.pop(key, None)
            published += 1
        try:
            commit()
        except KafkaException as exc:
            log(f"commit failed: {exc}")
    finally:
        consumer.close()
    log(f"stopped: {published} records published, {len(folder.open) + len(unpublished)} responses open")
    return 0


# -- Redis -----------------------------------------------------------------------------------------------------


def run_redis(args: argparse.Namespace, stop: Stop) -> int:
    import redis

    from openresponses_msgspec.redis import StreamConsumer

    client = redis.Redis.from_url(args.url)
    sc = StreamConsumer(client, args.stream, args.group, args.consumer, count=args.batch, block_ms=500,
                        min_idle_ms=args.min_idle_ms)
    folder = Folder()
    published = 0
    while not stop.requested:
        try:
            batch = sc.read()
            for entry in batch:
                key = entry.fields.get("response_id")
                if key is None:
                    sc.ack([entry.id])  # not ours to fold
                    continue
                done = folder.feed(key.decode(), entry.event, entry.id)
                if done is None:
                    continue
                client.xadd(args.out_stream, {"response_id": key,
                                              "record": msgspec.json.encode(folder.record(key.decode(), done))})
                sc.ack(done.handles)  # only after the record is in the output stream
                del folder.open[key.decode()]
                published += 1
        except redis.ConnectionError as exc:  # Redis away: keep the state, retry (entries stay pending)
            log(f"redis unavailable ({exc}); retrying")
            time.sleep(0.5)
    client.close()
    log(f"stopped: {published} records published, {len(folder.open)} responses open")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="source", required=True)
    k = sub.add_parser("kafka")
    k.add_argument("--bootstrap", required=True)
    k.add_argument("--topic", default="events")
    k.add_argument("--group", default="usage-worker")
    k.add_argument("--out-topic", default="usage")
    k.add_argument("--flush-timeout", type=float, default=10.0)
    r = sub.add_parser("redis")
    r.add_argument("--url", required=True)
    r.add_argument("--stream", default="events")
    r.add_argument("--group", default="usage-worker")
    r.add_argument("--consumer", default="worker-1")
    r.add_argument("--out-stream", default="usage")
    r.add_argument("--min-idle-ms", type=int, default=60_000)
    for p in (k, r):
        p.add_argument("--batch", type=int, default=500)
    args = ap.parse_args(argv)
    stop = Stop()
    log("ready")
    return run_kafka(args, stop) if args.source == "kafka" else run_redis(args, stop)


if __name__ == "__main__":
    sys.exit(main())
