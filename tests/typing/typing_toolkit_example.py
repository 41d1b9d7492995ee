"""A user's typed code over the toolkit (files, accumulator, rows): checked by mypy --strict in test_toolkit."""

from __future__ import annotations

import io
from collections.abc import Iterator

import openresponses_msgspec as orm

data = orm.corpus.ndjson(orm.corpus.events("text", 300))

events: Iterator[orm.Event] = orm.iter_events(io.BytesIO(data))
replaced: Iterator[orm.Event | orm.InvalidEvent] = orm.iter_events(data, format="ndjson", errors="replace")
batches: Iterator[list[orm.Event]] = orm.iter_batches(data, batch_size=100)
limited: Iterator[orm.Event | orm.InvalidEvent] = orm.iter_events(data, errors="replace", max_line_size=1 << 20)
limited_batches: Iterator[list[orm.Event]] = orm.iter_batches(data, max_line_size=orm.DEFAULT_MAX_LINE_SIZE)

acc = orm.ResponseAccumulator()
for batch in batches:
    acc.feed(batch)
acc.close()
status: orm.Status = acc.status
text: str = acc.output_text
response: orm.Response | None = acc.response
problems: list[orm.Problem] = acc.problems
kinds: list[str] = [p.kind for p in problems]
usage: orm.Usage | None = acc.usage
texts: dict[tuple[str, int], str] = acc.texts
arguments: dict[str, str] = acc.arguments
steering: tuple[orm.SteerEvent | orm.InjectEvent, ...] = acc.steering
steers: list[orm.ResponseSteerAcceptedEvent] = [e for e in steering if isinstance(e, orm.ResponseSteerAcceptedEvent)]
steered: bool = acc.steered
linked: tuple[str | None, str | None] = (acc.steered_into, acc.steered_from)
assert not steering and not steers and not steered and linked == (None, None)

accs: list[orm.ResponseAccumulator] = orm.accumulate(replaced)
row: object = orm.to_builtins(next(iter(orm.iter_events(data))))
assert status == "completed" and text and response is not None and accs and row

# original bytes beside each event (raw=True): files and Kafka batches
framed: Iterator[orm.Framed[orm.Event]] = orm.iter_events(io.BytesIO(data), raw=True)
framed_batches: Iterator[list[orm.Framed[orm.Event | orm.InvalidEvent]]] = orm.iter_batches(
    data, errors="replace", raw=True
)
first_event, first_raw = next(framed)
assert first_raw == data.split(b"\n")[0] and orm.decode(first_raw) == first_event
assert sum(len(b) for b in framed_batches) == 300

checker = orm.ConformanceChecker()
checker.feed(orm.decode_lines(data))
checker.close()
violations: list[orm.Violation] = checker.violations
rules: list[str] = [v.rule for v in violations if v.fatal]
rule: orm.Rule = orm.RULES["no_terminal"]
found: list[orm.Violation] = orm.check_events(orm.decode_lines(data))
telemetry: orm.GenAITelemetry = orm.genai_telemetry(acc, times=[0.1, 0.2], request_time=0.0)
attrs: dict[str, orm.AttributeValue] = telemetry.attributes
measured: list[orm.Measurement] = telemetry.measurements
values: list[int | float] = [m.value for m in measured]
assert not rules and rule.fatal is False and found == violations and attrs and values
