"""Folding a stream's events into its final state: the response, texts, tool arguments, usage, problems.

One :class:`ResponseAccumulator` per stream. It never raises on anything a decoder returns (any event class in
any order, fields absent or ``None``, ``UnknownEvent``/``InvalidEvent``, kept ``UnknownValue``/``InvalidValue``,
projections, camelCase twins): it folds what it gets and lists what looked wrong in
:attr:`ResponseAccumulator.problems`. Every path is linear in the stream's size, and no index read from the
wire sizes anything (indices are dictionary keys, ordered by sorting).

Speed: the events are dispatched by class (one dict lookup; a subclass such as a camelCase twin is resolved
once and cached), the next delta of the same part in sequence takes a three-check path inlined in the loop,
containers are created only when a stream needs them, and :class:`StreamSplitter` cuts streams inside the same
loop. A stream's state lives in untracked objects (no collector header: the accumulator and its slots are
``gc=False`` Structs), so a fold allocates 3-5 objects the garbage collector counts per stream, and a large
batch is folded with the collector paused (see ``_PAUSE_AT``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Hashable, Iterable, Iterator
from itertools import compress, repeat
from operator import attrgetter, length_hint
from typing import Any, Literal, NamedTuple

import msgspec

from ._errors import InvalidEvent, InvalidValue, UnknownEvent
from ._gc import run_paused
from ._kernel import Framed
from ._models import (
    EVENT_TYPES,
    ErrorEvent,
    ImageGenerationCallItem,
    MessageItem,
    OutputTextPart,
    ReasoningItem,
    ReasoningTextPart,
    RefusalPart,
    Response,
    ResponseInjectCreatedEvent,
    ResponseInjectFailedEvent,
    ResponseSteerAcceptedEvent,
    ResponseSteerFailedEvent,
    ResponseSteerPendingEvent,
    SummaryTextPart,
    Usage,
)

__all__ = [
    "PROBLEM_KINDS",
    "InjectEvent",
    "Problem",
    "ResponseAccumulator",
    "Status",
    "SteerEvent",
    "StreamSplitter",
    "accumulate",
]

# What happened to a response on a WebSocket (issue #18): steering input accepted, still queued after the response
# ended, or rejected (GA); input injected into the active response, or not (beta). Kept by the accumulator.
SteerEvent = ResponseSteerAcceptedEvent | ResponseSteerPendingEvent | ResponseSteerFailedEvent
InjectEvent = ResponseInjectCreatedEvent | ResponseInjectFailedEvent

Status = Literal["queued", "in_progress", "completed", "failed", "incomplete", "cancelled", "cut_short"]

PROBLEM_KINDS = (
    "gap",  # sequence numbers were skipped (the message names the missing range)
    "duplicate",  # a sequence number came a second time (the repeat is not folded again)
    "out_of_order",  # a sequence number lower than one already seen, not seen before (a late event: folded)
    "after_terminal",  # a known event after response.completed/.failed/.incomplete (not folded; steer/inject
    # events are kept in .steering instead)
    "delta_mismatch",  # the joined deltas differ from their .done text (the .done text is kept)
    "invalid_event",  # an InvalidEvent (a bad line kept by errors="replace") was fed
    "other_response",  # a response.created/.queued of another response (a second stream fed to one accumulator)
    "unsequenced",  # events without sequence_number (reported once): folded in arrival order, order not checked
    "resumed",  # the stream starts after sequence number 0 without its start event (reported once; resumed_at)
    "id_changed",  # the response id changed inside the stream (reported once; folded all the same)
    "missing_field",  # an event lacks a field it needs (item_id, an index, a .done text): once per event type
    "item_id_changed",  # an event names an item id no output item has, at the index of another item (reported
    # once; filed under that item: GitHub Copilot gives each event of one item a new id)
    "invalid_value",  # an output item, content part or usage that failed validation (InvalidValue) was fed
)


class Problem(NamedTuple):
    """Something a stream did wrong, found while folding it. ``kind`` is one of :data:`PROBLEM_KINDS`."""

    kind: str
    sequence_number: int | None
    message: str


_TERMINAL = {"response.completed": "completed", "response.failed": "failed", "response.incomplete": "incomplete"}
# events that say nothing about the response (sequence-checked, never folded, tolerated after the terminal event,
# as unknown events are): OpenAI's keep-alive between partial images, a debug event
_QUIET = frozenset({"keepalive", "response.debug"})
# steer/inject events: kept (ResponseAccumulator.steering), also after the terminal event (response.steer.pending
# follows response.completed), never a problem
_STEERING = frozenset(
    {
        "response.steer.accepted",
        "response.steer.pending",
        "response.steer.failed",
        "response.inject.created",
        "response.inject.failed",
    }
)
_STATUSES = ("queued", "in_progress", "completed", "failed", "incomplete", "cancelled")
_BIG = 1 << 62  # the position of an item whose output_index is unknown (after every known one)
_NOSEQ: Any = float("nan")  # "no sequence number seen yet": equal to nothing, so the hot path never matches
# A batch of at least this many events is folded with the garbage collector paused. A fold allocates only
# acyclic objects (lists of strings, dicts of untracked structs), so pausing loses nothing to collect; it keeps a
# full collection of the whole heap (100-200 ms with a large batch in memory, more than folding the batch) out of
# the fold, and the fold's few survivors are then looked at once (one young collection) instead of once per 700.
# The pause is the process's one (``_gc.run_paused``, counted across threads; never switched on when the
# application had it off): another thread's garbage waits at most one batch's fold. Single events and small
# batches (a worker's messages) never pause.
_PAUSE_AT = 1000

# delta event -> (channel, index field or None, .done event, field of the .done text)
_CHANNELS: dict[str, tuple[str, str | None, str, str]] = {
    "response.output_text.delta": ("text", "content_index", "response.output_text.done", "text"),
    "response.refusal.delta": ("refusal", "content_index", "response.refusal.done", "refusal"),
    "response.reasoning_text.delta": ("reasoning", "content_index", "response.reasoning_text.done", "text"),
    "response.reasoning.delta": ("reasoning", "content_index", "response.reasoning.done", "text"),  # Open Responses
    "response.reasoning_summary_text.delta": (
        "summary",
        "summary_index",
        "response.reasoning_summary_text.done",
        "text",
    ),
    "response.function_call_arguments.delta": ("arguments", None, "response.function_call_arguments.done", "arguments"),
    "response.mcp_call_arguments.delta": ("arguments", None, "response.mcp_call_arguments.done", "arguments"),
    "response.custom_tool_call_input.delta": ("input", None, "response.custom_tool_call_input.done", "input"),
    "response.code_interpreter_call_code.delta": ("code", None, "response.code_interpreter_call_code.done", "code"),
    "response.apply_patch_call_operation_diff.delta": (
        "diff",
        None,
        "response.apply_patch_call_operation_diff.done",
        "diff",
    ),
}

# event codes (what the fold does with an event class)
_IGNORE, _UNKNOWN, _INVALID, _DELTA, _START, _EVENT = range(6)


class _Item(msgspec.Struct, gc=False):
    """An output item of the stream (untracked: no collector work per stream)."""

    item: Any = None  # from output_item.done, else the latest output_item.added
    done: bool = False
    pos: int | None = None  # its output_index


class _Part(msgspec.Struct, gc=False):
    """One channel of one part: ``(channel, item id, index)`` -> its deltas, .done text and content part."""

    deltas: list[str] | None = None
    done: str | None = None  # the .done text (for "image": the last partial image)
    part: Any = None  # the content part from content_part.added/.done (kept on the "text" channel)
    part_done: bool = False
    pos: int | None = None  # the output_index of the first event that named it


Key = tuple[str, str, int]  # (channel, item id, content/summary index)


def as_batch(x: object) -> list[Any]:
    """What ``feed`` was given, as a list of values: a batch (list or other iterable) or one value (anything
    else, a ``str``/``bytes``/``dict`` included), with ``raw=True``'s Framed pairs unwrapped to their events
    (the first value tells: a decoder's raw results are all pairs)."""
    # pyright narrows an object by `type(x) is list` to list[Unknown] (mypy: list[Any]), and a cast per call
    # would cost a feed of one event a call: hence the pyright ignores
    if type(x) is list:
        events: list[Any] = x  # pyright: ignore[reportUnknownVariableType]
    elif type(x) is Framed:  # one pair (a tuple: not a batch)
        return [x.event]  # pyright: ignore[reportUnknownMemberType]
    elif isinstance(
        x, (str, bytes, bytearray, memoryview, dict, msgspec.Struct, UnknownEvent, InvalidEvent)
    ) or not isinstance(x, Iterable):
        return [x]  # one value (anything not a batch is one value: folded if it is an event)
    else:
        events = list(x)  # pyright: ignore[reportUnknownArgumentType]
    if events and type(events[0]) is Framed:
        return [e.event if type(e) is Framed else e for e in events]  # pyright: ignore[reportUnknownMemberType]
    return events


class ResponseAccumulator(msgspec.Struct, gc=False, eq=False):
    """The state of one response stream, folded from its events; read it at any moment.

    ``feed(event_or_events)`` takes one event or a batch (any iterable) of decoded events: typed events (snake
    or camelCase), :class:`UnknownEvent` and :class:`InvalidEvent` alike. ``close()`` marks the end of the
    stream: a stream that ended without ``response.completed``/``.failed``/``.incomplete`` is then
    ``"cut_short"``. Its state lives in untracked slots (a ``gc=False`` Struct: compare accumulators by
    identity, read them through the properties).
    """

    events: int = 0  # events fed
    closed: bool = False
    first_sequence_number: int | None = None  # the first sequence number seen
    _expect: Any = _NOSEQ  # the next sequence number in order (an int once one was seen)
    _problems: list[Problem] | None = None
    _errors: list[ErrorEvent] | None = None
    _gap_lo: list[int] | None = None  # the missing ranges [lo, hi), in increasing order (appended)
    _gap_hi: list[int] | None = None
    _late: set[int] | None = None  # numbers of a missing range that arrived late
    _reported: set[str] | None = None  # problems reported once (unsequenced, resumed, id_changed, missing fields)
    _resumed_at: int | None = None
    _started: bool = False  # a start event or a sequence number was seen (the first one decides `resumed`)
    _snapshot: Any = None  # the latest response object seen
    _rid: str | None = None  # the first response id seen
    _model: str | None = None  # the latest model seen
    _terminal: str | None = None  # the terminal event's type
    _status: str = "queued"
    _chan: dict[Key, _Part] | None = None  # parts by (channel, item id, index)
    _items: dict[Any, _Item] | None = None  # item id (or (None, output_index)) -> item
    _id_at: dict[int, str] | None = None  # output_index -> item id (built when first needed)
    _seen_ids: dict[str, str] | None = None  # an item id that names no output item -> the item it was filed under
    _ended_ids: set[str] | None = None  # (cutting a log) the item ids of this stream, once it has ended
    _steering: list[Any] | None = None  # the steer/inject events, in order
    _steered_into: str | None = None  # (cutting a log) the response id of this steered response's successor
    _steered_from: str | None = None  # (cutting a log) the response id of the steered response this one succeeds
    _cache: Any = None

    # -- feeding ------------------------------------------------------------------------------------------

    def feed(self, event_or_events: object | Iterable[object]) -> None:
        """Fold one event, or a batch of events, into the state. Never raises on stream content."""
        if self.closed:
            raise ValueError("feed() after close()")
        events = as_batch(event_or_events)
        if len(events) < _PAUSE_AT:
            self._run(events, None)
        else:
            run_paused(self._run, events, None)  # see _PAUSE_AT

    def close(self) -> None:
        """The stream has ended: without a terminal event its status becomes ``"cut_short"``."""
        self.closed = True
        self._cache = None

    def _run(
        self, events: list[Any], out: list[ResponseAccumulator] | None, start: int = 0, lanes: bool = False
    ) -> tuple[ResponseAccumulator, int | None]:
        """Fold ``events[start:]``. With ``out`` (cutting a log into streams), an event that starts another stream
        closes this accumulator, appends it to ``out`` and goes on with a new one, in the same loop. With
        ``lanes``, stop at the first event that names a WebSocket lane (``stream_id``) and return its index: the
        caller routes the rest by lane. Returns the accumulator folding at the end and that index (or None)."""
        self._cache = None
        split = out is not None
        first = start  # where this accumulator's events begin in the batch
        spec_of = _SPEC.get
        expect = self._expect  # kept in a local, written back around every call that reads it
        on_done = ResponseAccumulator._on_done
        run: Any = None  # the part of the last run of deltas, its channel, raw item id and raw index
        run_chan: Any = None
        run_id: Any = None
        run_ci: Any = None
        it = iter(events)
        if start:
            it.__setstate__(start)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
        for ev in it:
            cls = type(ev)  # pyright: ignore[reportUnknownVariableType]  # type[Unknown] of an Any
            spec = spec_of(cls) or _spec_of(cls)  # pyright: ignore[reportUnknownArgumentType]
            code = spec[0]
            if lanes and (ev.stream_id is not None if code >= _DELTA else _names_lane(ev)):
                at = len(events) - length_hint(it) - 1  # a WebSocket lane: the caller routes from here
                self._expect = expect
                self.events += at - first
                return self, at
            if code == _EVENT and self._terminal is None:  # the common slow event, on the shortest path
                s = ev.sequence_number
                chan, run_chan = run_chan, None
                if s == expect:
                    expect = s + 1
                else:
                    self._expect = expect
                    fold = self._sequence(s, spec[1])
                    expect = self._expect
                    if not fold:
                        continue
                handler = spec[2]
                if (
                    handler is on_done
                    and chan == spec[3]
                    and ev.item_id == run_id
                    and (spec[4] is None or getattr(ev, spec[4]) == run_ci)
                ):
                    # the .done right after the run of its deltas: its part is at hand
                    self._done_into(run, ev, spec, s)
                else:
                    handler(self, ev, spec, s)
                continue
            run_chan = None
            if code < _DELTA:  # not a wire event: ignored, unknown or invalid
                if code:
                    self._expect = expect
                    self._foreign(ev, code)
                    expect = self._expect
                continue
            s = ev.sequence_number
            if code == _START:
                if (
                    self._snapshot is not None
                    or self._terminal is not None
                    or (split and (self.events or len(events) - length_hint(it) - 1 > first))
                ):
                    self._expect = expect
                    what = self._start(ev, s, split)
                    if what == 2:  # another stream starts here: this one is done, a new one folds it
                        at = len(events) - length_hint(it) - 1
                        self.events += at - first
                        self.closed = True
                        out.append(self)  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]
                        prev = self
                        self = ResponseAccumulator()
                        if prev._terminal == "response.incomplete":
                            _link(prev, self, ev)
                        first, expect = at, _NOSEQ
                    else:
                        expect = self._expect
                        if what:
                            continue
                self._started = True
            elif split and self._terminal is not None and self._headless(ev, code, spec[1]):
                # an event of an item or response this ended stream did not have: the next stream begins
                # without its start event (a resumed stream in a log)
                at = len(events) - length_hint(it) - 1
                self._expect = expect
                self.events += at - first
                self.closed = True
                out.append(self)  # type: ignore[union-attr]
                self = ResponseAccumulator()
                first, expect = at, _NOSEQ
            if s == expect:
                expect = s + 1
            else:
                self._expect = expect
                fold = self._sequence(s, spec[1])
                expect = self._expect
                if not fold:
                    continue
            if self._terminal is not None:
                self._after_terminal(ev, spec[1], s)
                continue
            if code != _DELTA:
                spec[2](self, ev, spec, s)
                continue
            # a delta (text, arguments, reasoning, ...) of another part, or out of sequence
            raw_id = ev.item_id
            ci = spec[3](ev)
            items = self._items
            if type(raw_id) is str and items is not None and raw_id in items:
                item_id = raw_id
            else:
                item_id = self._item_id(ev, spec[1])
            if spec[4] is None:
                index = 0
            elif type(ci) is int:
                index = ci
            else:
                index = 0
                self._missing(spec[1], spec[4], s)
            key = (spec[2], item_id, index)
            chan = self._chan
            if chan is None:
                chan = self._chan = {}
            got = chan.get(key)
            if got is None:
                got = chan[key] = _Part(deltas=[], pos=ev.output_index)
                if self._status == "queued":
                    self._status = "in_progress"
            elif got.deltas is None:
                got.deltas = []
            append = got.deltas.append  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]
            append(ev.delta)
            if type(raw_id) is str and (spec[4] is None or type(ci) is int):  # (else .done reports what it lacks)
                run, run_chan, run_id, run_ci = got, spec[2], raw_id, ci
            if type(expect) is not int or type(raw_id) is not str:
                continue  # (no sequence numbers, no item id: every delta takes the path above)
            # The hot path: the next deltas of the same part (and lane), in sequence, read without a call. The
            # first event that is not one goes back to the iterator, for the path above.
            lane = ev.stream_id
            if spec[5] == 1:
                for ev in it:
                    if (
                        type(ev) is cls
                        and ev.sequence_number == expect
                        and ev.item_id == raw_id
                        and ev.content_index == ci
                        and ev.stream_id == lane
                    ):
                        expect += 1
                        append(ev.delta)
                    else:
                        it.__setstate__(len(events) - length_hint(it) - 1)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
                        break
            elif spec[5] == 2:
                for ev in it:
                    if (
                        type(ev) is cls
                        and ev.sequence_number == expect
                        and ev.item_id == raw_id
                        and ev.summary_index == ci
                        and ev.stream_id == lane
                    ):
                        expect += 1
                        append(ev.delta)
                    else:
                        it.__setstate__(len(events) - length_hint(it) - 1)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
                        break
            else:
                for ev in it:
                    if (
                        type(ev) is cls
                        and ev.sequence_number == expect
                        and ev.item_id == raw_id
                        and ev.output_index == ci
                        and ev.stream_id == lane
                    ):
                        expect += 1
                        append(ev.delta)
                    else:
                        it.__setstate__(len(events) - length_hint(it) - 1)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
                        break
        self._expect = expect
        self.events += len(events) - first
        return self, None

    # -- the slow paths -------------------------------------------------------------------------------------

    def _problem(self, kind: str, s: int | None, message: str) -> None:
        if self._problems is None:
            self._problems = []
        self._problems.append(Problem(kind, s, message))

    def _once(self, what: str) -> bool:
        """True the first time ``what`` is reported."""
        if self._reported is None:
            self._reported = set()
        if what in self._reported:
            return False
        self._reported.add(what)
        return True

    def _missing(self, tag: str, field: str, s: int | None) -> None:
        if self._once(f"missing {tag} {field}"):
            self._problem("missing_field", s, f"{tag} without {field}")

    def _sequence(self, s: Any, tag: str | None) -> bool:
        """Check one sequence number against the ones before (the in-order case is inlined by the caller).
        False: a duplicate, not to be folded again."""
        if type(s) is not int:
            if self._once("unsequenced"):
                self._problem(
                    "unsequenced",
                    None,
                    f"{tag} without sequence_number: events are folded in arrival order, which could not be checked",
                )
            return True
        exp = self._expect
        if exp is _NOSEQ:
            self.first_sequence_number = s
            self._expect = s + 1
            if not self._started and s > 0:  # no start event before it: a stream resumed after s - 1
                self._resumed_at = s
                self._problem(
                    "resumed",
                    s,
                    f"the stream starts at sequence number {s} ({tag}), without its start: resumed after {s - 1}",
                )
                self._gap(0, s)
            self._started = True
            return True
        if s > exp:
            self._gap(exp, s)
            missing = f"{exp}" if s == exp + 1 else f"{exp}-{s - 1}"
            self._problem("gap", s, f"sequence numbers {missing} missing before {s}")
            self._expect = s + 1
            return True
        if s < exp:
            lo = self._gap_lo
            if lo is not None:
                k = bisect_right(lo, s) - 1
                if k >= 0 and s < self._gap_hi[k]:  # type: ignore[index]  # pyright: ignore[reportOptionalSubscript]
                    late = self._late
                    if late is None:
                        late = self._late = set()
                    if s not in late:
                        late.add(s)
                        self._problem("out_of_order", s, f"sequence number {s} arrived after {exp - 1}")
                        return True
            self._problem("duplicate", s, f"sequence number {s} seen before ({tag}): not folded again")
            return False
        self._expect = s + 1
        return True

    def _gap(self, lo: int, hi: int) -> None:
        if self._gap_lo is None:
            self._gap_lo, self._gap_hi = [], []
        self._gap_lo.append(lo)
        self._gap_hi.append(hi)  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]

    def _foreign(self, ev: Any, code: int) -> None:
        """An UnknownEvent (its sequence number, if any, is checked) or an InvalidEvent (a problem)."""
        if code == _INVALID:
            where = f"line {ev.line}" if ev.line is not None else f"index {ev.index}"
            self._problem("invalid_event", None, f"{where}: {ev.error}")
            return
        s = _sequence_of(ev.raw)  # e.g. {"type":"keepalive","sequence_number":466}: numbered too
        if s is not None:
            if s == self._expect:
                self._expect = s + 1
            else:
                self._sequence(s, ev.type)

    def _after_terminal(self, ev: Any, tag: str, s: int | None) -> None:
        if tag in _QUIET:
            return
        if tag in _STEERING:  # what happened to the response (response.steer.pending follows response.completed)
            self._on_steer(ev)
            return
        if tag == "error":
            self._error(ev, tag, None, s)
        self._problem("after_terminal", s, f"{tag} after {self._terminal}: not folded")

    def _item_id(self, ev: Any, tag: str) -> str:
        """The item an event belongs to: its ``item_id``; but when that names no output item while an item with
        another id is at its ``output_index`` (GitHub Copilot gives every event of one item a new id), that
        item (reported once); without an ``item_id``, the item at its output_index, else ``""``. An id that
        names no output item is resolved once and kept: its later events go where its first one went."""
        raw_id = ev.item_id
        items = self._items
        if type(raw_id) is str:
            if items is not None and raw_id in items:
                return raw_id
            seen = self._seen_ids
            if seen is None:
                seen = self._seen_ids = {}
            else:
                got = seen.get(raw_id)
                if got is not None:
                    return got
        at = getattr(ev, "output_index", None)
        id_at = self._id_at
        if id_at is None and items is not None:
            id_at = self._id_at = {v.pos: k for k, v in items.items() if type(k) is str and v.pos is not None}
        alias = None if id_at is None or type(at) is not int else id_at.get(at)
        if type(raw_id) is str:
            if alias is not None and self._once("item_id_changed"):
                self._problem(
                    "item_id_changed",
                    ev.sequence_number,
                    f"{tag} names item {raw_id}, the item at "
                    f"output_index {at} is {alias}: filed under {alias} (reported once)",
                )
            got = raw_id if alias is None else alias
            # (created above for a str id)
            self._seen_ids[raw_id] = got  # type: ignore[index]  # pyright: ignore[reportOptionalSubscript]
            return got
        self._missing(tag, "item_id", getattr(ev, "sequence_number", None))
        return alias or ""

    def _headless(self, ev: Any, code: int, tag: str) -> bool:
        """(Cutting a log, after the terminal event) ``ev`` belongs to another stream: it names a response or an
        item this stream never had (a redelivered event of this stream names one it had: it stays here, as
        ``after_terminal``)."""
        if tag in _QUIET or tag == "error":
            return False
        resp = getattr(ev, "response", None)
        if resp is not None:
            rid = getattr(resp, "id", None)
            return type(rid) is str and rid != self._rid and rid != getattr(self._snapshot, "id", None)
        item = getattr(ev, "item", None)
        iid = getattr(item, "id", None) if item is not None else getattr(ev, "item_id", None)
        if type(iid) is not str:
            return False
        known = self._ended_ids
        if known is None:
            known = self._ended_ids = {k for k in self._items or () if type(k) is str}
            known.update(k[1] for k in self._chan or ())
            known.update(self._seen_ids or ())
        return iid not in known

    def _start(self, ev: Any, s: Any, split: bool) -> int:
        """A response.created/.queued in a stream that has begun. 2 (cutting a log): it starts another stream:
        after the terminal event, when no response object came before it, or when it is of another response
        whose sequence number does not continue this stream (GitHub Copilot rotates the response id on every
        event; its numbers continue: the same stream). 1 (one stream fed): of another response: not folded,
        reported as ``other_response``. 0: fold it."""
        if split and (self._terminal is not None or self._snapshot is None):
            return 2
        rid = ev.response.id
        if type(rid) is not str or self._rid is None or rid == self._rid:
            return 0
        if type(s) is int and s == self._expect and s > 0:
            return 0
        if split:
            return 2
        if type(s) is int:
            if s == self._expect:
                self._expect = s + 1
            else:
                self._sequence(s, ev.type)
        self._problem("other_response", s, f"{ev.type} of {rid} in the stream of {self._rid}: not folded")
        return 1

    # handlers: (self, event, spec, sequence number), called after the sequence and terminal checks

    def _error(self, ev: Any, tag: str | None = None, spec: Any = None, s: int | None = None) -> None:
        if self._errors is None:
            self._errors = []
        self._errors.append(ev)

    def _on_error(self, ev: Any, spec: tuple[Any, ...], s: int | None) -> None:
        self._error(ev)

    def _on_quiet(self, ev: Any, spec: tuple[Any, ...], s: int | None) -> None:
        return None

    def _on_steer(self, ev: Any, spec: Any = None, s: int | None = None) -> None:
        if self._steering is None:
            self._steering = []
        self._steering.append(ev)

    def _on_default(self, ev: Any, spec: tuple[Any, ...], s: int | None) -> None:
        """Any event without a handler of its own: it says the response is running (nothing to fold)."""
        if self._status == "queued":
            self._status = "in_progress"

    def _on_response(self, ev: Any, spec: tuple[Any, ...], s: int | None) -> None:
        resp = ev.response  # (a required field: always a Response)
        rid = resp.id
        if rid != self._rid and type(rid) is str:
            if self._rid is None:
                self._rid = rid
            elif self._once("id_changed"):
                self._problem(
                    "id_changed",
                    s,
                    f"{spec[1]} names response {rid}, the stream began as {self._rid}: "
                    "folded as one stream (reported once)",
                )
        if resp.model is not None:
            self._model = resp.model
        if type(resp.usage) is InvalidValue:
            self._problem("invalid_value", s, f"{spec[1]}: usage: {resp.usage.error}")
        self._snapshot = resp
        status = resp.status
        term = spec[3]
        if term is not None:
            self._terminal = spec[1]
            self._status = status if status in _STATUSES and status not in ("in_progress", "queued") else term
        elif spec[1] == "response.queued":
            self._status = "queued"
        else:
            self._status = status if status == "queued" or status == "in_progress" else "in_progress"

    def _part_of(self, ev: Any, tag: str, chan: str, idx: str | None, s: int | None) -> _Part:
        """The part an event names (created when new)."""
        item_id = ev.item_id
        items = self._items
        if type(item_id) is not str or items is None or item_id not in items:
            item_id = self._item_id(ev, tag)
        index = 0
        if idx is not None:
            ci = getattr(ev, idx)
            if type(ci) is int:
                index = ci
            else:
                self._missing(tag, idx, s)
        key = (chan, item_id, index)
        chan_d = self._chan
        if chan_d is None:
            chan_d = self._chan = {}
        got = chan_d.get(key)
        if got is None:
            got = chan_d[key] = _Part(pos=ev.output_index)
        return got

    def _on_done(self, ev: Any, spec: tuple[Any, ...], s: int | None) -> None:
        _, tag, _, chan, idx, _ = spec
        if self._status == "queued":
            self._status = "in_progress"
        self._done_into(self._part_of(ev, tag, chan, idx, s), ev, spec, s)

    def _done_into(self, got: _Part, ev: Any, spec: tuple[Any, ...], s: int | None) -> None:
        tag, field = spec[1], spec[5]
        text = getattr(ev, field)
        if not isinstance(text, str):
            self._missing(tag, field, s)
            return
        got.done = text
        if got.deltas is not None:
            joined = "".join(got.deltas)
            if joined != text:
                at = _common_prefix(joined, text)
                self._problem(
                    "delta_mismatch",
                    s,
                    f"{tag} for {ev.item_id}: the deltas ({len(joined)} characters) "
                    f"differ from the .done text ({len(text)}) from character {at}: {_clip(joined[at:])} "
                    f"vs {_clip(text[at:])}",
                )

    def _on_part(self, ev: Any, spec: tuple[Any, ...], s: int | None) -> None:
        if self._status == "queued":
            self._status = "in_progress"
        got = self._part_of(ev, spec[1], "text", "content_index", s)
        part = ev.part
        if type(part) is InvalidValue:
            self._problem("invalid_value", s, f"{spec[1]}: content part: {part.error}")
        if spec[3]:
            got.part_done = True
        elif got.part_done:
            return
        if part is not None or got.part is None:
            got.part = part

    def _on_image(self, ev: Any, spec: tuple[Any, ...], s: int | None) -> None:
        if self._status == "queued":
            self._status = "in_progress"
        got = self._part_of(ev, spec[1], "image", None, s)
        img = ev.partial_image_b64
        if isinstance(img, str):
            got.done = img

    def _on_item(self, ev: Any, spec: tuple[Any, ...], s: int | None) -> None:
        if self._status == "queued":
            self._status = "in_progress"
        done = spec[3]
        item = ev.item
        i = ev.output_index
        item_id = getattr(item, "id", None)
        if type(item) is InvalidValue:
            self._problem("invalid_value", s, f"{spec[1]} at output_index {i}: {item.error}")
        if type(i) is not int:
            self._missing(spec[1], "output_index", s)
            i = None
        items = self._items
        if items is None:
            items = self._items = {}
        key: Any = item_id if type(item_id) is str else (None, i)
        slot = items.get(key)
        if slot is None and done and type(item_id) is str and i is not None:
            # an item whose id changed since it was added (GitHub Copilot): the item at its output_index
            id_at = self._id_at
            if id_at is None:
                id_at = self._id_at = {v.pos: k for k, v in items.items() if type(k) is str and v.pos is not None}
            alias = id_at.get(i)
            if alias is not None and not items[alias].done:
                if self._once("item_id_changed"):
                    self._problem(
                        "item_id_changed",
                        s,
                        f"{spec[1]} names item {item_id}, the item at "
                        f"output_index {i} is {alias}: filed under {alias} (reported once)",
                    )
                key, slot = alias, items[alias]
        if slot is None:
            slot = items[key] = _Item(item, done, i)
            if self._id_at is not None and i is not None and type(key) is str:
                self._id_at[i] = key
            return
        if slot.done and not done:
            return
        if item is not None:
            slot.item = item
        slot.done = slot.done or done

    # -- reading ------------------------------------------------------------------------------------------

    @property
    def problems(self) -> list[Problem]:
        """Everything that looked wrong, in the order found (a new empty list when nothing did)."""
        return self._problems if self._problems is not None else []

    @property
    def errors(self) -> list[ErrorEvent]:
        """Every ``error`` event, in order."""
        return self._errors if self._errors is not None else []

    @property
    def steering(self) -> tuple[SteerEvent | InjectEvent, ...]:
        """What happened to the response on a WebSocket: every ``response.steer.accepted``/``.pending``/
        ``.failed`` and ``response.inject.created``/``.failed`` event fed, in order (also after the terminal
        event: ``response.steer.pending`` follows ``response.completed``). Never a problem."""
        return tuple(self._steering) if self._steering is not None else ()

    @property
    def steered(self) -> bool:
        """The response was steered: it ended ``response.incomplete`` with ``incomplete_details.reason ==
        "steered"`` (its output stops where the steer cut it; a successor response continues it)."""
        if self._terminal != "response.incomplete":
            return False
        details = getattr(self._snapshot, "incomplete_details", None)
        return getattr(details, "reason", None) == "steered"

    @property
    def steered_into(self) -> str | None:
        """(From :func:`accumulate`/:class:`StreamSplitter`) the response id of the successor of this steered
        response: the next response on the same lane, started by the steer. ``None`` otherwise."""
        return self._steered_into

    @property
    def steered_from(self) -> str | None:
        """(From :func:`accumulate`/:class:`StreamSplitter`) the response id of the steered response this one
        succeeds (the previous response on its lane, which ended ``incomplete``, reason ``steered``)."""
        return self._steered_from

    @property
    def status(self) -> Status:
        """``queued``/``in_progress`` while running; ``completed``/``failed``/``incomplete``/``cancelled`` from
        the terminal event; ``cut_short`` after :meth:`close` when no terminal event came."""
        if self._terminal is None and self.closed:
            return "cut_short"
        return self._status  # type: ignore[return-value]  # pyright: ignore[reportReturnType]

    @property
    def last_sequence_number(self) -> int | None:
        """The highest sequence number seen."""
        return None if self._expect is _NOSEQ else self._expect - 1

    @property
    def resumed_at(self) -> int | None:
        """The first sequence number of a stream that starts after 0 without its start event (a stream resumed
        with ``starting_after``, fed alone); ``None`` for a stream fed from its start."""
        return self._resumed_at

    @property
    def response_id(self) -> str | None:
        """The first response id the stream named (it stays the same when a server rotates ids)."""
        return self._rid

    @property
    def model(self) -> str | None:
        return self._model

    @property
    def usage(self) -> Usage | None:
        """The token usage of the latest response object (``None`` when absent or not a valid usage object)."""
        usage = None if self._snapshot is None else self._snapshot.usage
        return usage if isinstance(usage, Usage) else None

    @property
    def output(self) -> tuple[Any, ...]:
        """The output items: the terminal event's when it carries them, else rebuilt from the events so far."""
        snap = self._snapshot
        if self._terminal is not None and snap is not None and snap.output:
            return tuple(snap.output)
        return self._rebuild()

    @property
    def response(self) -> Response | None:
        """The response: the terminal event's when it carries its output, else the latest response object
        with the output rebuilt from ``output_item``, content-part and delta events. ``None`` before any
        response object (``response.created``, …) was seen."""
        snap = self._snapshot
        if snap is None:
            return None
        if self._terminal is not None and snap.output:
            return snap  # type: ignore[no-any-return]
        if self._cache is None:
            self._cache = msgspec.structs.replace(snap, output=self._rebuild())
        return self._cache  # type: ignore[no-any-return]

    @property
    def output_text(self) -> str:
        """The text of every ``output_text`` part of every message item, in order (as the SDKs define it)."""
        out: list[str] = []
        for item in self.output:
            if isinstance(item, MessageItem):
                out += [p.text or "" for p in item.content or () if isinstance(p, OutputTextPart)]
        return "".join(out)

    def _positions(self) -> dict[str, int]:
        """item id -> output_index: the item's, else that of the first event of its parts."""
        pos: dict[str, int] = {}
        for key, part in (self._chan or {}).items():
            if type(part.pos) is int and key[1] not in pos:
                pos[key[1]] = part.pos
        for k, slot in (self._items or {}).items():
            if type(k) is str and slot.pos is not None:
                pos[k] = slot.pos
        return pos

    def _channel(self, chan: str) -> dict[tuple[str, int], str]:
        """Text by (item id, index) of one channel: the .done text, else the deltas joined, else (for items
        that streamed none) the text the output items carry."""
        got: dict[tuple[str, int], str] = {}
        for k, part in (self._chan or {}).items():
            if k[0] == chan:
                text = _text(part)
                if text is not None:
                    got[(k[1], k[2])] = text
        index_of = self._positions()
        streamed = {iid for iid, _ in got}
        taken = {index_of.get(iid) for iid in streamed}  # the positions of items that streamed this channel
        where: dict[str, int] = {}
        for n, item in enumerate(self.output):
            item_id = getattr(item, "id", None)
            if type(item_id) is not str or item_id in streamed or index_of.get(item_id, n) in taken:
                continue  # the channel's own text wins (also over an item whose id changed since it streamed)
            where.setdefault(item_id, n)
            for index, text in _item_texts(item, chan):
                got.setdefault((item_id, index), text)
        order = {iid: index_of.get(iid, _BIG) for iid, _ in got}
        order.update((iid, n) for iid, n in where.items() if iid not in index_of)
        return dict(sorted(got.items(), key=lambda kv: (order.get(kv[0][0], _BIG), kv[0][1])))

    @property
    def texts(self) -> dict[tuple[str, int], str]:
        """Output text by ``(item_id, content_index)``: the ``.done`` text, else the deltas joined, else the
        text of the message item's part (a server that sends items whole)."""
        return self._channel("text")

    @property
    def refusals(self) -> dict[tuple[str, int], str]:
        """Refusal text by ``(item_id, content_index)``."""
        return self._channel("refusal")

    @property
    def reasoning(self) -> dict[tuple[str, int], str]:
        """Reasoning text by ``(item_id, content_index)``."""
        return self._channel("reasoning")

    @property
    def summaries(self) -> dict[tuple[str, int], str]:
        """Reasoning summary text by ``(item_id, summary_index)``."""
        return self._channel("summary")

    @property
    def arguments(self) -> dict[str, str]:
        """Arguments by item id of every item that has them (function, MCP and other tool calls): from the
        ``.done`` event, else the deltas joined, else the item itself (xAI sends function calls whole)."""
        return {k[0]: v for k, v in self._channel("arguments").items()}

    @property
    def tool_inputs(self) -> dict[str, str]:
        """Custom-tool-call input by item id (from the events, else from the item itself)."""
        return {k[0]: v for k, v in self._channel("input").items()}

    @property
    def partial_images(self) -> dict[str, str]:
        """The last partial image (base64) by image-generation item id."""
        return {k[1]: p.done for k, p in (self._chan or {}).items() if k[0] == "image" and p.done is not None}

    def _rebuild(self) -> tuple[Any, ...]:
        """The output items from the events: linear (one pass to group, one sort by position)."""
        items = self._items or {}
        by_item: dict[str, dict[tuple[str, int], _Part]] = {}
        for k, part in (self._chan or {}).items():
            texts = by_item.get(k[1])
            if texts is None:
                texts = by_item[k[1]] = {}
            texts[(k[0], k[2])] = part
        index_of = self._positions()
        keys: list[Any] = list(items)
        keys += [iid for iid in by_item if iid not in items]

        def position(key: Any) -> int:
            if type(key) is str:
                return index_of.get(key, _BIG)
            return key[1] if type(key[1]) is int else _BIG

        out: list[Any] = []
        for key in sorted(keys, key=position):
            slot = items.get(key)
            item = None if slot is None else slot.item
            if (slot is not None and slot.done) or type(key) is not str:
                if item is not None:
                    out.append(item)
                continue
            built = _rebuild_item(item, key, by_item.get(key, {}))
            if built is not None:
                out.append(built)
        return tuple(out)

    def __repr__(self) -> str:
        return (
            f"<ResponseAccumulator {self.response_id} {self.status}: {self.events} events, "
            f"{len(self.problems)} problems>"
        )


def _link(prev: ResponseAccumulator, succ: ResponseAccumulator, ev: Any) -> None:
    """(Cutting a log) ``ev``, the start event of ``succ``, follows ``prev`` on the same lane: when ``prev`` was
    steered, ``succ`` is its successor (both must have a response id, and ``ev``'s response must not name
    another ``previous_response_id``). Ids, not accumulators, link them: no reference cycle between untracked
    objects."""
    if not prev.steered:
        return
    resp = ev.response
    rid = getattr(resp, "id", None)
    before = getattr(resp, "previous_response_id", None)
    if type(rid) is not str or prev._rid is None or (type(before) is str and before != prev._rid):
        return
    prev._steered_into = rid
    succ._steered_from = prev._rid


def _text(part: _Part) -> str | None:
    """A part's text: the .done text, else its deltas joined."""
    if part.done is not None:
        return part.done
    return None if part.deltas is None else "".join(part.deltas)


def _rebuild_item(item: Any, item_id: str, parts: dict[tuple[str, int], _Part]) -> Any:
    """One output item brought up to date with its parts' texts (an item without ``output_item.done``)."""
    replace = msgspec.structs.replace
    if item is None or isinstance(item, MessageItem):
        built: list[Any] = []
        for ci in sorted({i for c, i in parts if c in ("text", "refusal")}):
            tp, rp = parts.get(("text", ci)), parts.get(("refusal", ci))
            part = None if tp is None else tp.part
            text = None if tp is None else _text(tp)
            refusal = None if rp is None else _text(rp)
            if tp is None or not tp.part_done:
                if isinstance(part, OutputTextPart) and text is not None:
                    part = replace(part, text=text)
                elif isinstance(part, RefusalPart) and refusal is not None:
                    part = replace(part, refusal=refusal)
                elif part is None and text is not None:
                    part = OutputTextPart(text=text)
                elif part is None and refusal is not None:
                    part = RefusalPart(refusal=refusal)
            if part is not None:
                built.append(part)
        if item is None:
            if not built:
                return None
            return MessageItem(id=item_id, role="assistant", content=tuple(built), status="in_progress")
        if not built:
            return item
        return replace(item, content=tuple(built))
    if isinstance(item, ReasoningItem):
        summary = dict(enumerate(item.summary or ()))
        content = dict(enumerate(item.content or ()))
        for (c, i), p in parts.items():
            text = _text(p)
            if text is None:
                continue
            if c == "summary":
                summary[i] = SummaryTextPart(text=text)
            elif c == "reasoning":
                content[i] = ReasoningTextPart(text=text)
        return replace(
            item,
            summary=tuple(v for _, v in sorted(summary.items())),
            content=tuple(v for _, v in sorted(content.items())) or item.content,
        )
    if isinstance(item, ImageGenerationCallItem):
        img = parts.get(("image", 0))
        return item if img is None or img.done is None or item.result else replace(item, result=img.done)
    fields = getattr(item, "__struct_fields__", ())
    for chan in ("arguments", "input", "code"):
        got = parts.get((chan, 0))
        text = None if got is None else _text(got)
        if text is not None and chan in fields:
            return replace(item, **{chan: text})
    return item


def _specs() -> dict[type, tuple[Any, ...]]:
    """event class -> what the fold does with it: ``(code, tag, handler or channel, ...)``."""
    acc = ResponseAccumulator
    out: dict[type, tuple[Any, ...]] = {cls: (_EVENT, t, acc._on_default) for t, cls in EVENT_TYPES.items()}
    for t, (chan, idx, done, field) in _CHANNELS.items():
        # (code, tag, channel, getter of the part index (output_index for channels without one: a constant per
        # item, so the hot path's check is the same for every class), name of the part index or None, which
        # of the hot path's loops reads that index: 1 content_index, 2 summary_index, 0 output_index)
        out[EVENT_TYPES[t]] = (
            _DELTA,
            t,
            chan,
            attrgetter(idx or "output_index"),
            idx,
            {"content_index": 1, "summary_index": 2}.get(idx or "", 0),
        )
        out[EVENT_TYPES[done]] = (_EVENT, done, acc._on_done, chan, idx, field)
    for t, flag in (("added", False), ("done", True)):
        out[EVENT_TYPES[f"response.output_item.{t}"]] = (_EVENT, f"response.output_item.{t}", acc._on_item, flag)
        out[EVENT_TYPES[f"response.content_part.{t}"]] = (_EVENT, f"response.content_part.{t}", acc._on_part, flag)
    t = "response.image_generation_call.partial_image"
    out[EVENT_TYPES[t]] = (_EVENT, t, acc._on_image)
    for t in ("response.created", "response.queued"):
        out[EVENT_TYPES[t]] = (_START, t, acc._on_response, None)
    out[EVENT_TYPES["response.in_progress"]] = (_EVENT, "response.in_progress", acc._on_response, None)
    for t, term in _TERMINAL.items():
        out[EVENT_TYPES[t]] = (_EVENT, t, acc._on_response, term)
    out[EVENT_TYPES["error"]] = (_EVENT, "error", acc._on_error)
    for t in _STEERING:
        out[EVENT_TYPES[t]] = (_EVENT, t, acc._on_steer)
    for t in _QUIET:
        if t in EVENT_TYPES:
            out[EVENT_TYPES[t]] = (_EVENT, t, acc._on_quiet)
    out[UnknownEvent] = (_UNKNOWN, None)
    out[InvalidEvent] = (_INVALID, None)
    return out


_SPEC: dict[type, tuple[Any, ...]] = _specs()
_IGNORED = (_IGNORE, None)


def spec_by_base(table: dict[type, Any], cls: type, default: Any) -> Any:
    """The entry of a class not in ``table``: that of its nearest known base (a camelCase twin, a subclass),
    else ``default`` (a projection ``View``/``Skipped``, anything else). Cached in ``table`` (a benign race:
    every thread computes the same value). The accumulator's and the conformance checker's dispatch."""
    spec = default
    for base in cls.__mro__[1:]:
        got = table.get(base)
        if got is not None:
            spec = got
            break
    table[cls] = spec
    return spec


def _spec_of(cls: type) -> tuple[Any, ...]:
    spec: tuple[Any, ...] = spec_by_base(_SPEC, cls, _IGNORED)
    return spec


def _item_texts(item: Any, chan: str) -> Iterator[tuple[int, str]]:
    """(index, text) of one channel carried by an output item itself."""
    if chan in ("text", "refusal"):
        if isinstance(item, MessageItem):
            for i, p in enumerate(item.content or ()):
                if chan == "text" and isinstance(p, OutputTextPart) and isinstance(p.text, str):
                    yield i, p.text
                elif chan == "refusal" and isinstance(p, RefusalPart) and isinstance(p.refusal, str):
                    yield i, p.refusal
    elif chan in ("summary", "reasoning"):
        if isinstance(item, ReasoningItem):
            for i, p in enumerate((item.summary if chan == "summary" else item.content) or ()):
                text = getattr(p, "text", None)
                if isinstance(text, str):
                    yield i, text
    elif chan in getattr(item, "__struct_fields__", ()):
        text = getattr(item, chan)
        if isinstance(text, str):
            yield 0, text


def _common_prefix(a: str, b: str) -> int:
    """The length of the common prefix of two strings, in C-speed slices (linear: blocks, then halving)."""
    n = min(len(a), len(b))
    lo, step = 0, 4096
    while lo + step <= n and a[lo : lo + step] == b[lo : lo + step]:
        lo += step
    hi = min(n, lo + step)
    while lo < hi:  # the first difference is in [lo, hi]: halve
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


class _Numbered(msgspec.Struct):
    sequence_number: Any = None
    sequenceNumber: Any = None


_numbered = msgspec.json.Decoder(_Numbered)


def _sequence_of(raw: bytes) -> int | None:
    """The sequence number of an unknown event, if it has an integer one."""
    try:
        got = _numbered.decode(raw)
        s = got.sequence_number if got.sequence_number is not None else got.sequenceNumber
    except (msgspec.DecodeError, TypeError):
        return None
    return s if type(s) is int else None


def _clip(text: str, n: int = 24) -> str:
    return repr(text) if len(text) <= n else repr(text[: n - 3] + "...")


class _Lane(msgspec.Struct):
    stream_id: Any = None
    streamId: Any = None


_lane_of_raw = msgspec.json.Decoder(_Lane)
_NO_FIELD = object()  # truthy
_FOREIGN = frozenset({UnknownEvent, InvalidEvent})


def _stream_id(ev: Any) -> Hashable:
    """The WebSocket lane an event names: ``stream_id`` (an event type the model does not know, kept as an
    :class:`UnknownEvent`, is looked up in its bytes); ``None`` when it names none."""
    lane = getattr(ev, "stream_id", None)
    if lane is None and isinstance(ev, (UnknownEvent, InvalidEvent)) and ev.raw is not None:
        try:
            got = _lane_of_raw.decode(ev.raw)
            lane = got.stream_id if got.stream_id is not None else got.streamId
        except (msgspec.DecodeError, TypeError):
            return None
    return lane if isinstance(lane, str) else None


def _names_lane(ev: Any) -> bool:
    """(While folding one lane) a value that is not a wire event names a lane: an unknown or invalid event whose
    bytes name one, a projection that declares one."""
    if isinstance(ev, (UnknownEvent, InvalidEvent)):
        raw = ev.raw
        return isinstance(raw, bytes) and (b'"stream_id"' in raw or b'"streamId"' in raw) and _stream_id(ev) is not None
    return _stream_id(ev) is not None


def _lane_keys(events: list[Any]) -> list[Hashable] | None:
    """The lane of each event, for a log that interleaves streams (one accumulator per lane at a time);
    ``None``: every event is in one lane, cut into streams one after another. The one place to change to
    route interleaved lanes. WebSocket mode (issue #18): every event of a response whose ``response.create``
    gave a ``stream_id`` names it, and a connection multiplexes lanes, so events are kept apart by
    ``stream_id``; events that name none share one lane, cut by response as in an SSE log."""
    # C loops. First: no event names a lane and every event has the field (one pass; stops at the first event
    # that names one or lacks the field). Then, only when something may: a typed event that names a lane, else an
    # unknown or invalid event whose bytes name one (only those few events are looked at in Python, so a batch
    # with keep-alives costs no per-event Python work).
    if not any(map(getattr, events, repeat("stream_id"), repeat(_NO_FIELD))):
        return None
    if not any(map(getattr, events, repeat("stream_id"), repeat(None))) and not any(
        b'"stream_id"' in ev.raw or b'"streamId"' in ev.raw
        for ev in compress(events, map(_FOREIGN.__contains__, map(type, events)))
        if isinstance(ev.raw, bytes)
    ):
        return None
    keys = [_stream_id(ev) for ev in events]
    return keys if any(k is not None for k in keys) else None


class StreamSplitter:
    """Cuts a log of streams, fed batch by batch, into one accumulator per stream (see :func:`accumulate`).

    ``feed(batch)`` returns the accumulators of the streams that ended in the batch (closed); ``close()``
    returns the last ones. Memory: only the streams being folded are held.
    """

    def __init__(self) -> None:
        self._lanes: dict[Hashable, ResponseAccumulator] = {}
        self._laned = False  # an event named a lane: from then on every batch is routed by _lane_keys

    def feed(self, events: Iterable[Any]) -> list[ResponseAccumulator]:
        batch = as_batch(events)
        if len(batch) < _PAUSE_AT:
            return self._feed(batch)
        return run_paused(self._feed, batch)  # see _PAUSE_AT

    def _feed(self, batch: list[Any]) -> list[ResponseAccumulator]:
        out: list[ResponseAccumulator] = []
        if not self._laned:
            # one lane until an event names one: the fold itself looks (no pass over the batch before it)
            acc = self._lanes.get(None)
            if acc is None:
                acc = ResponseAccumulator()
            self._lanes[None], at = acc._run(batch, out, 0, True)
            if at is None:
                return out
            self._laned = True
            batch = batch[at:]
        keys = _lane_keys(batch)
        if keys is None:
            self._cut(None, batch, out)
            return out
        lanes: dict[Hashable, list[Any]] = {}
        for key, ev in zip(keys, batch, strict=True):
            lane = lanes.get(key)
            if lane is None:
                lane = lanes[key] = []
            lane.append(ev)
        for key, lane in lanes.items():
            self._cut(key, lane, out)
        return out

    def _cut(self, key: Hashable, events: list[Any], out: list[ResponseAccumulator]) -> None:
        acc = self._lanes.get(key)
        if acc is None:
            acc = ResponseAccumulator()
        self._lanes[key] = acc._run(events, out)[0]

    def close(self) -> list[ResponseAccumulator]:
        out = [acc for acc in self._lanes.values() if acc.events]
        self._lanes.clear()
        for acc in out:
            acc.close()
        return out


def accumulate(events: Iterable[object]) -> list[ResponseAccumulator]:
    """Fold a log of streams, one after another, into one closed accumulator per stream.

    A new stream starts at each ``response.created`` or ``response.queued`` event of another response (or of
    the same response after its terminal event). Events before the first start form a stream of their own. A
    start event of the response already being cut (``response.queued`` then ``response.created`` of one
    background response) stays in its stream unless that stream has ended, and so does one whose id changed
    but whose sequence number continues the stream (GitHub Copilot rotates ids). Interleaved WebSocket lanes
    are kept apart by their ``stream_id`` (each lane cut as above); other interleaved streams must be split by
    the caller. A steered response (``response.incomplete``, reason ``steered``) and the next response of its lane
    (its successor) are linked by response id: ``steered_into`` on the first, ``steered_from`` on the second.
    For a log read batch by batch (``iter_batches``), use :class:`StreamSplitter`.
    """
    splitter = StreamSplitter()
    out = splitter.feed(events if isinstance(events, list) else list(events))
    return out + splitter.close()
