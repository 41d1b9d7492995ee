"""Redis Streams: a consumer-group reader that decodes entries to typed events (redis-py's sync client).

Importing this module imports no Redis client; :class:`StreamConsumer` only calls the client it is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from ._decoder import Decoder
from ._errors import InvalidEvent
from ._messages import DEFAULT, bulk_values, one_value

if TYPE_CHECKING:
    import redis
    from redis.typing import EncodableT, FieldT

__all__ = ["StreamConsumer", "StreamEntry"]

EntryId = str | bytes


class StreamEntry(NamedTuple):
    """One decoded stream entry: its ``id`` (``"1700000000000-0"``), the typed ``event`` decoded from the
    entry's value field, and all its ``fields`` (names as ``str``, values as received: ``bytes``). Field names
    are binary in Redis: one that is not UTF-8 is decoded with ``surrogateescape``
    (``name.encode("utf-8", "surrogateescape")`` gives its bytes back)."""

    id: str
    event: Any
    fields: dict[str, bytes]


def _s(x: str | bytes) -> str:
    return x.decode() if isinstance(x, bytes) else x


def _name(x: str | bytes) -> str:
    """A field name (binary in Redis) as ``str``, losslessly: bytes that are not UTF-8 as surrogates."""
    return x.decode("utf-8", "surrogateescape") if isinstance(x, bytes) else x


def _name_bytes(x: str) -> bytes:
    return x.encode("utf-8", "surrogateescape")


def _b(x: str | bytes) -> bytes:
    return x.encode() if isinstance(x, str) else x


class StreamConsumer:
    """Read a Redis stream as one consumer of a consumer group, decoding every entry's ``field`` to an event.

    ``read()`` returns the next batch of :class:`StreamEntry` (at most ``count``; ``[]`` after ``block_ms``
    without news); iterating yields entries until :meth:`stop`. Acknowledge what was handled with
    :meth:`ack` (nothing is acknowledged for you: at-least-once).

    In order, ``read()`` hands over:

    1. after a (re)start, this consumer's own pending entries: delivered before, never acknowledged
       (``XREADGROUP ... 0``);
    2. entries pending at other consumers for over ``min_idle_ms`` (a crashed worker), claimed with
       ``XAUTOCLAIM`` (checked at most every ``min_idle_ms / 2``);
    3. new entries (``XREADGROUP ... >``, blocking up to ``block_ms``).

    The values of a batch are decoded in one call. An entry whose value does not decode (or that has no
    ``field``) is not handed over: it is copied at once to the ``dead_letter`` stream (default
    ``"<stream>:dead"``) with its id, the error and its original fields, and acknowledged, in one
    ``MULTI``/``EXEC``. So is an entry delivered more than ``max_deliveries`` times (one that keeps crashing
    its handler). ``dead_lettered`` counts them. The group is created (``MKSTREAM``, from the start of the
    stream) if it does not exist.
    """

    def __init__(
        self,
        client: redis.Redis,
        stream: str,
        group: str,
        consumer: str,
        *,
        field: str = "data",
        decoder: Decoder[Any] | None = None,
        count: int = 500,
        block_ms: int = 1000,
        min_idle_ms: int = 60_000,
        dead_letter: str | None = None,
        max_deliveries: int = 5,
    ) -> None:
        if count < 1 or block_ms < 0 or min_idle_ms < 0 or max_deliveries < 1:
            raise ValueError("count and max_deliveries must be >= 1, block_ms and min_idle_ms >= 0")
        kwargs: Callable[[], dict[str, Any]] | None = getattr(client, "get_connection_kwargs", None)
        if callable(kwargs) and kwargs().get("decode_responses"):
            raise ValueError(
                "StreamConsumer needs a client without decode_responses=True: with it, redis-py "
                "fails on every read of a batch holding a value that is not UTF-8"
            )
        self.client = client
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.field = field
        self._field_b = field.encode()
        self.decoder = decoder if decoder is not None else DEFAULT
        self.count = count
        self.block_ms = block_ms
        self.min_idle_ms = min_idle_ms
        self.dead_letter = dead_letter if dead_letter is not None else f"{stream}:dead"
        self.max_deliveries = max_deliveries
        self.dead_lettered = 0
        self._ready = False
        self._history: str | None = "0-0"  # where to go on reading our own pending entries; None: done
        self._claim_cursor = "0-0"
        self._next_claim = 0.0
        self._stopped = False

    # -- reading --------------------------------------------------------------------------------------------

    def read(self) -> list[StreamEntry]:
        """The next batch of decoded entries (see the class docs for the order); ``[]`` if none came within
        ``block_ms``. Raises what the client raises when Redis is unreachable."""
        if not self._ready:
            self._create_group()
        if self._history is not None:
            raw = self._xreadgroup(self._history, block=None)
            if raw:
                self._history = _s(raw[-1][0])
                return self._handle(raw, check_deliveries=True)
            self._history = None
        now = time.monotonic()
        if now >= self._next_claim:
            claimed = self._autoclaim()
            if claimed:
                return self._handle(claimed, check_deliveries=True)
            self._next_claim = now + self.min_idle_ms / 2000
        return self._handle(self._xreadgroup(">", block=self.block_ms), check_deliveries=False)

    def __iter__(self) -> Iterator[StreamEntry]:
        """Entries, batch after batch, until :meth:`stop` is called (checked between batches)."""
        self._stopped = False
        while not self._stopped:
            yield from self.read()

    def stop(self) -> None:
        """End the iteration after the current batch (e.g. from a SIGTERM handler)."""
        self._stopped = True

    def ack(self, ids: Sequence[EntryId]) -> int:
        """Acknowledge handled entries (``XACK``); returns how many were pending."""
        if not ids:
            return 0
        return int(self.client.xack(self.stream, self.group, *ids))

    def pending(self) -> int:
        """How many entries of the group are delivered and not yet acknowledged (all consumers)."""
        return int(self.client.xpending(self.stream, self.group)["pending"])

    # -- internals ------------------------------------------------------------------------------------------

    def _create_group(self) -> None:
        try:
            self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except Exception as exc:  # redis.ResponseError, but the client module is not imported here
            if "BUSYGROUP" not in str(exc):
                raise
        self._ready = True

    def _xreadgroup(self, start: str, block: int | None) -> list[tuple[Any, Any]]:
        resp: Any = self.client.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=self.count, block=block
        )
        if not resp:
            return []
        if isinstance(resp, dict):  # RESP3
            entries = next(iter(cast("dict[Any, list[Any]]", resp).values()))
            return list(
                cast("list[tuple[Any, Any]]", entries[0]) if entries and isinstance(entries[0], list) else entries
            )
        return list(resp[0][1])

    def _autoclaim(self) -> list[tuple[Any, Any]]:
        resp: Any = self.client.xautoclaim(
            self.stream, self.group, self.consumer, self.min_idle_ms, start_id=self._claim_cursor, count=self.count
        )
        cursor, entries = resp[0], resp[1]
        self._claim_cursor = _s(cursor)
        return [e for e in entries if e is not None and e[1] is not None]

    def _deliveries(self, ids: list[str]) -> dict[str, int]:
        rows: Any = self.client.xpending_range(
            self.stream, self.group, min=ids[0], max=ids[-1], count=len(ids) + 100, consumername=self.consumer
        )
        return {_s(r["message_id"]): int(r["times_delivered"]) for r in rows}

    def _handle(self, raw: list[tuple[Any, Any]], *, check_deliveries: bool) -> list[StreamEntry]:
        if not raw:
            return []
        ids = [_s(i) for i, _ in raw]
        fields = [{_name(k): _b(v) for k, v in f.items()} for _, f in raw]
        values = [f.get(self.field) for f in fields]
        events: list[Any] | None = None
        if len(values) > 1 and all(v for v in values):
            events = bulk_values(cast("list[bytes]", values), self.decoder)  # all set: checked just above
        if events is None:
            events = [one_value(v, self.decoder) if v is not None else None for v in values]
        too_many = self._deliveries(ids) if check_deliveries else {}
        out: list[StreamEntry] = []
        dead: list[tuple[str, dict[str, bytes], str]] = []
        for entry_id, f, ev in zip(ids, fields, events, strict=True):
            if ev is None:
                dead.append((entry_id, f, f"no field {self.field!r}"))
            elif type(ev) is InvalidEvent:
                dead.append((entry_id, f, str(ev.error)))
            elif too_many.get(entry_id, 0) > self.max_deliveries:
                dead.append(
                    (entry_id, f, f"delivered {too_many[entry_id]} times (max_deliveries={self.max_deliveries})")
                )
            else:
                out.append(StreamEntry(entry_id, ev, f))
        if dead:
            self._dead_letter(dead)
        return out

    def _dead_letter(self, dead: list[tuple[str, dict[str, bytes], str]]) -> None:
        # redis-py leaves pipeline()'s shard_hint unannotated
        pipe = self.client.pipeline(transaction=True)  # pyright: ignore[reportUnknownMemberType]
        for entry_id, f, why in dead:
            record: dict[FieldT, EncodableT] = {
                b"stream": self.stream.encode(),
                b"group": self.group.encode(),
                b"id": entry_id.encode(),
                b"error": why.encode("utf-8", "replace"),
            }
            for k, v in f.items():  # the original fields (binary names as they were), renamed where they clash
                name = _name_bytes(k)
                while name in record:
                    name = b"orig_" + name
                record[name] = v
            pipe.xadd(self.dead_letter, record)
        pipe.xack(self.stream, self.group, *[d[0] for d in dead])
        pipe.execute()
        self.dead_lettered += len(dead)
