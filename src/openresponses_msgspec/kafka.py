"""Kafka: value deserializers for confluent-kafka, aiokafka and kafka-python, and a batch decoder for the
message lists of ``Consumer.consume(n)`` / ``getmany()``.

No Kafka client is imported by this module (confluent-kafka is imported on the first
:class:`ConfluentDeserializer`, to make it a real ``confluent_kafka.serialization.Deserializer``).

A message value holds one event (``format="event"``, the default), or a whole NDJSON or SSE chunk of a stream
(``format="ndjson"`` / ``"sse"``: complete lines / frames; the result is then a list of events). With
``errors="replace"`` (the default here: a bad message must never stop a consumer) a value that does not decode
becomes a :class:`KafkaInvalidEvent` in its place, which carries ``.topic``, ``.partition`` and
``.message_offset`` where the client gives them (``.offset`` stays the byte offset inside the value). With
``errors="strict"`` a :class:`KafkaDecodeError` is raised (for confluent-kafka it is also a
``SerializationError``, which ``DeserializingConsumer`` wraps in ``ValueDeserializationError``).
A ``None`` value (a tombstone) decodes to ``None`` (``[]`` for the chunk formats).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any, Literal, cast, overload

from ._bytes import BOM as _BOM
from ._decoder import Decoder
from ._errors import DecodeError, InvalidEvent
from ._kernel import Framed, check_errors, paused
from ._messages import DEFAULT, bulk_values, decode_value

__all__ = [
    "ConfluentDeserializer",
    "KafkaDecodeError",
    "KafkaInvalidEvent",
    "KafkaPythonDeserializer",
    "aiokafka_deserializer",
    "decode_messages",
]

Format = Literal["event", "ndjson", "sse"]
Errors = Literal["strict", "replace"]


class KafkaDecodeError(DecodeError):
    """A :class:`DecodeError` located in Kafka terms: ``topic``, ``partition`` and ``message_offset`` (the
    record's offset in its partition), each ``None`` where the client did not say. ``offset``/``line`` stay
    positions inside the message value."""

    def __init__(
        self,
        msg: str,
        *,
        topic: str | None = None,
        partition: int | None = None,
        message_offset: int | None = None,
        **kw: Any,
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.message_offset = message_offset
        super().__init__(msg, **kw)

    def _render(self) -> str:
        where: list[str] = []
        if self.topic is not None:
            where.append(f"topic {self.topic!r}")
        if self.partition is not None:
            where.append(f"partition {self.partition}")
        if self.message_offset is not None:
            where.append(f"message offset {self.message_offset}")
        inner = super()._render()
        return f"{', '.join(where)}: {inner}" if where else inner

    @classmethod
    def _wrap(
        cls, err: DecodeError, raw: bytes, topic: str | None, partition: int | None, message_offset: int | None
    ) -> KafkaDecodeError:
        return cls(
            err.msg,
            topic=topic,
            partition=partition,
            message_offset=message_offset,
            path=err.path,
            pos=err.pos,
            line=err.line,
            offset=err.offset,
            index=err.index,
            raw=raw,
        )


class KafkaInvalidEvent(InvalidEvent):
    """An :class:`InvalidEvent` from a Kafka message: also ``topic``, ``partition``, ``message_offset``."""

    __slots__ = ("topic", "partition", "message_offset")

    def __init__(
        self,
        error: DecodeError,
        raw: bytes,
        *,
        topic: str | None = None,
        partition: int | None = None,
        message_offset: int | None = None,
        line: int | None = None,
        offset: int | None = None,
        index: int | None = None,
    ) -> None:
        super().__init__(error, raw, line=line, offset=offset, index=index)
        self.topic = topic
        self.partition = partition
        self.message_offset = message_offset

    def __eq__(self, other: object) -> bool:
        same = super().__eq__(other)
        if same is not True or not isinstance(other, KafkaInvalidEvent):
            return same
        return (self.topic, self.partition, self.message_offset) == (other.topic, other.partition, other.message_offset)

    __hash__ = None

    def __repr__(self) -> str:
        return (
            f"KafkaInvalidEvent(topic={self.topic!r}, partition={self.partition}, "
            f"message_offset={self.message_offset}, line={self.line}, offset={self.offset}, "
            f"error={str(self.error)!r})"
        )


def _check(format: str, errors: str) -> None:
    if format not in ("event", "ndjson", "sse"):
        raise ValueError(f"format must be 'event', 'ndjson' or 'sse', not {format!r}")
    check_errors(errors)


class _Codec:
    """Decodes one message value under (decoder, format, errors), locating failures by topic/partition/offset.
    ``error_type`` is the exception strict mode raises (a client-specific subclass of KafkaDecodeError)."""

    __slots__ = ("_decoder", "format", "errors", "_error_type")

    def __init__(
        self,
        decoder: Decoder[Any] | None,
        format: Format,
        errors: Errors,
        error_type: type[KafkaDecodeError] = KafkaDecodeError,
    ) -> None:
        _check(format, errors)
        self._decoder = decoder if decoder is not None else DEFAULT
        self.format: Format = format
        self.errors: Errors = errors
        self._error_type = error_type

    def value(
        self,
        value: bytes | None,
        topic: str | None,
        partition: int | None,
        message_offset: int | None,
        raw: bool = False,
    ) -> Any:
        """The value decoded: an event (format "event") or a list of them; with ``raw`` (chunk formats only)
        a list of Framed pairs, each with its line / SSE data."""
        if value is None:
            return None if self.format == "event" else []
        data = bytes(value) if not isinstance(value, bytes) else value
        dec = self._decoder
        try:
            if self.format == "event":
                return decode_value(data, dec)
            if self.format == "ndjson":
                out = dec.decode_lines(data, errors=self.errors, raw=raw)
            else:
                out = dec.decode_sse(data, errors=self.errors, raw=raw)
        except DecodeError as err:
            if self.format == "event" and err.offset is None:
                err = err.relocated(offset=0)
            if self.errors == "strict":
                raise self._error_type._wrap(err, data, topic, partition, message_offset) from None
            return self.invalid(err, data, topic, partition, message_offset)
        items: list[Any] = out
        for i, ev in enumerate(items):
            bad = ev.event if raw else ev
            if type(bad) is InvalidEvent:
                kept = KafkaInvalidEvent(
                    KafkaDecodeError._wrap(bad.error, bad.raw, topic, partition, message_offset),
                    bad.raw,
                    topic=topic,
                    partition=partition,
                    message_offset=message_offset,
                    line=bad.line,
                    offset=bad.offset,
                    index=bad.index,
                )
                items[i] = Framed(kept, ev.raw) if raw else kept
        return items

    def invalid(
        self, err: DecodeError, raw: bytes, topic: str | None, partition: int | None, message_offset: int | None
    ) -> KafkaInvalidEvent:
        located = KafkaDecodeError._wrap(err, raw, topic, partition, message_offset)
        return KafkaInvalidEvent(
            located,
            raw,
            topic=topic,
            partition=partition,
            message_offset=message_offset,
            line=err.line,
            offset=err.offset,
            index=err.index,
        )


class _Deserializer:
    __slots__ = ("_codec",)

    def __init__(
        self, *, decoder: Decoder[Any] | None = None, format: Format = "event", errors: Errors = "replace"
    ) -> None:
        self._codec = _Codec(decoder, format, errors, self._error_type())

    def _error_type(self) -> type[KafkaDecodeError]:
        return KafkaDecodeError

    @property
    def format(self) -> Format:
        return self._codec.format

    @property
    def errors(self) -> Errors:
        return self._codec.errors


@cache
def _confluent_error_type() -> type[KafkaDecodeError]:
    from confluent_kafka.serialization import SerializationError

    class ConfluentDecodeError(KafkaDecodeError, SerializationError):
        """A KafkaDecodeError that is also the ``SerializationError`` confluent-kafka expects."""

    return ConfluentDecodeError


class ConfluentDeserializer(_Deserializer):
    """A confluent-kafka ``Deserializer`` (``value.deserializer`` of ``DeserializingConsumer``).

    ``deserializer(value, ctx)`` -> event (or list of events for the chunk formats). A failure names
    ``ctx.topic``; strict mode raises a :class:`KafkaDecodeError` that is also a confluent-kafka
    ``SerializationError``. The first instance makes this class a subclass of
    ``confluent_kafka.serialization.Deserializer`` (so that importing this module imports no client).
    """

    __slots__ = ()

    def __init__(
        self, *, decoder: Decoder[Any] | None = None, format: Format = "event", errors: Errors = "replace"
    ) -> None:
        _make_confluent_subclass()
        super().__init__(decoder=decoder, format=format, errors=errors)

    def _error_type(self) -> type[KafkaDecodeError]:
        return _confluent_error_type()

    def __call__(self, value: bytes | None, ctx: Any = None) -> Any:
        return self._codec.value(value, getattr(ctx, "topic", None), None, None)


@cache
def _make_confluent_subclass() -> None:
    from confluent_kafka.serialization import Deserializer

    if Deserializer not in ConfluentDeserializer.__mro__:
        ConfluentDeserializer.__bases__ = (_Deserializer, Deserializer)


class KafkaPythonDeserializer(_Deserializer):
    """A kafka-python (3.x) ``Deserializer``: ``deserialize(topic, headers, data)`` (``value_deserializer`` of
    ``KafkaConsumer``). A failure names the topic. Never raises ``TypeError`` (kafka-python would retry the
    call with the old two-argument signature)."""

    __slots__ = ()

    def __init__(
        self, *, decoder: Decoder[Any] | None = None, format: Format = "event", errors: Errors = "replace"
    ) -> None:
        _register_kafka_python()
        super().__init__(decoder=decoder, format=format, errors=errors)

    def deserialize(self, topic: str, headers: Any = None, data: bytes | None = None) -> Any:
        return self._codec.value(data, topic, None, None)

    def close(self) -> None:
        pass


@cache
def _register_kafka_python() -> None:
    """kafka-python checks ``isinstance(d, kafka.serializer.Deserializer)`` (an ABC): register the class on
    first use when kafka-python is installed (this module does not import it before)."""
    try:
        from kafka.serializer import Deserializer  # type: ignore[import-untyped]
    except ImportError:
        return
    Deserializer.register(KafkaPythonDeserializer)


class _AioKafkaDeserializer(_Deserializer):
    __slots__ = ()

    def __call__(self, value: bytes | None) -> Any:
        return self._codec.value(value, None, None, None)


def aiokafka_deserializer(
    *, decoder: Decoder[Any] | None = None, format: Format = "event", errors: Errors = "replace"
) -> _AioKafkaDeserializer:
    """A callable for aiokafka's ``value_deserializer=`` (aiokafka passes only the bytes, so a failure names
    no topic; use :func:`decode_messages` over ``getmany()`` to get topic, partition and offset)."""
    return _AioKafkaDeserializer(decoder=decoder, format=format, errors=errors)


def _fields(msg: Any) -> tuple[bytes | None, str | None, int | None, int | None, Any]:
    """(value, topic, partition, offset, error) of a confluent-kafka ``Message`` (methods) or an
    aiokafka / kafka-python ``ConsumerRecord`` (attributes)."""
    value: bytes | None | Callable[[], bytes | None] = msg.value
    if callable(value):  # confluent-kafka Message
        err = msg.error()
        return value(), msg.topic(), msg.partition(), msg.offset(), err
    return value, msg.topic, msg.partition, msg.offset, None


@overload
def decode_messages(
    msgs: Iterable[Any] | Mapping[Any, Iterable[Any]],
    *,
    decoder: Decoder[Any] | None = None,
    format: Format = "event",
    errors: Errors = "replace",
    raw: Literal[False] = False,
) -> list[Any]: ...
@overload
def decode_messages(
    msgs: Iterable[Any] | Mapping[Any, Iterable[Any]],
    *,
    decoder: Decoder[Any] | None = None,
    format: Format = "event",
    errors: Errors = "replace",
    raw: Literal[True],
) -> list[Framed[Any]]: ...
def decode_messages(
    msgs: Iterable[Any] | Mapping[Any, Iterable[Any]],
    *,
    decoder: Decoder[Any] | None = None,
    format: Format = "event",
    errors: Errors = "replace",
    raw: bool = False,
) -> list[Any]:
    """Decode the values of a batch of Kafka messages: the list of ``Consumer.consume(n)`` (confluent-kafka),
    or the ``{TopicPartition: [ConsumerRecord, ...]}`` of aiokafka's ``getmany()`` / kafka-python's ``poll()``
    (or a list of those records). Values must be raw bytes (no value deserializer on the consumer).

    ``format="event"``: one item per message, in order (partition by partition for a dict), all decoded in one
    msgspec call when the values allow it; a tombstone (``None`` value) is ``None`` in its place (skip it). The
    chunk formats return the events of all messages, in order.
    A bad message becomes a :class:`KafkaInvalidEvent` with ``.topic``, ``.partition`` and ``.message_offset``
    (``errors="strict"`` raises :class:`KafkaDecodeError` instead). A confluent-kafka message that carries an
    error instead of a record (``msg.error()``) becomes a :class:`KafkaInvalidEvent` too (``raw == b""``).

    ``raw=True`` returns :class:`Framed` ``(event, raw)`` pairs: with ``format="event"`` one per message,
    ``raw`` the message value as received (after a UTF-8 BOM, which is not part of the event; ``b""`` for a
    tombstone, whose event is ``None``, and for a record-less error); with the chunk formats one per event,
    ``raw`` its NDJSON line or SSE data inside the value.
    """
    codec = _Codec(decoder, format, errors)
    records: Iterable[Any]
    if isinstance(msgs, Mapping):
        records = [m for batch in cast("Mapping[Any, Iterable[Any]]", msgs).values() for m in batch]
    else:
        records = msgs
    fields = [_fields(m) for m in records]
    if format == "event":
        events: list[Any] | None = _bulk_events(codec, fields)
        if events is None:
            events = [
                codec.value(value, topic, partition, offset)
                if kerr is None
                else _kafka_error(codec, kerr, topic, partition, offset)
                for value, topic, partition, offset, kerr in fields
            ]
        if raw:
            return paused(len(events) << 8, _framed_values, events, fields)  # type: ignore[no-any-return]
        return events
    events = []  # a chunk decodes to a list of events, flattened in order
    for value, topic, partition, offset, kerr in fields:
        if kerr is not None:
            bad = _kafka_error(codec, kerr, topic, partition, offset)
            events.append(Framed(bad, b"") if raw else bad)
        else:
            got: list[Any] = codec.value(value, topic, partition, offset, raw)
            events += got
    return events


def _framed_values(events: list[Any], fields: list[tuple[Any, ...]]) -> list[Any]:
    """Each message's event beside its value (a BOM before the JSON is not part of it; b"" for no value)."""
    raws = [b"" if (v := f[0]) is None or f[4] is not None else bytes(v[3:] if v[:3] == _BOM else v) for f in fields]
    return [Framed(ev, r) for ev, r in zip(events, raws, strict=True)]


def _kafka_error(
    codec: _Codec, kerr: Any, topic: str | None, partition: int | None, offset: int | None
) -> KafkaInvalidEvent:
    err = DecodeError(f"Kafka error instead of a record: {kerr}")
    if codec.errors == "strict":
        raise KafkaDecodeError._wrap(err, b"", topic, partition, offset)
    return codec.invalid(err, b"", topic, partition, offset)


def _bulk_events(
    codec: _Codec, fields: list[tuple[bytes | None, str | None, int | None, int | None, Any]]
) -> list[Any] | None:
    """All values decoded in one call (see :func:`._messages.bulk_values`); ``None``: go message by message."""
    if len(fields) < 2:
        return None
    values: list[bytes] = []
    at: list[int] = []  # where each value's event goes (tombstones, None values, keep None in their place)
    for i, (value, _t, _p, _o, kerr) in enumerate(fields):
        if kerr is not None:
            return None
        if type(value) is not bytes:
            if value is not None:
                return None
            continue
        values.append(value)
        at.append(i)
    if len(values) < 2:
        return None
    out = bulk_values(values, codec._decoder)
    if out is None:
        return None
    if len(values) < len(fields):
        spread: list[Any] = [None] * len(fields)
        for i, ev in zip(at, out, strict=True):
            spread[i] = ev
        out = spread
    for i, ev in enumerate(out):
        if type(ev) is InvalidEvent:
            value, topic, partition, offset, _ = fields[i]
            assert value is not None
            if codec.errors == "strict":
                raise KafkaDecodeError._wrap(ev.error, value, topic, partition, offset)
            out[i] = codec.invalid(ev.error, value, topic, partition, offset)
    return out
