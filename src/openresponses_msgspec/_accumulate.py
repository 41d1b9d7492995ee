"""Folding a stream's events into its final state: the response, texts, tool arguments, usage, problems.

One :class:`ResponseAccumulator` per stream. It never raises on what a stream does (gaps, duplicates, events
after the end, deltas that disagree with their ``.done`` text): it folds what it gets and lists what looked
wrong in :attr:`ResponseAccumulator.problems`. The hot path (text deltas) is inlined in :meth:`feed`: folding
a decoded batch must cost a fraction of decoding it.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import compress, count
from operator import attrgetter
from typing import Any, Literal, NamedTuple

import msgspec

from ._errors import InvalidEvent, UnknownEvent
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
    SummaryTextPart,
    Usage,
)

__all__ = ["PROBLEM_KINDS", "Problem", "ResponseAccumulator", "Status", "StreamSplitter", "accumulate"]

Status = Literal["queued", "in_progress", "completed", "failed", "incomplete", "cancelled", "cut_short"]

PROBLEM_KINDS = (
    "gap",  # sequence numbers were skipped (the message names the missing range)
    "duplicate",  # a sequence number came a second time (the event is folded all the same)
    "out_of_order",  # a sequence number lower than one already seen, not seen before (a late event)
    "after_terminal",  # a known event after response.completed/.failed/.incomplete (not folded)
    "delta_mismatch",  # the joined deltas differ from their .done text (the .done text is kept)
    "invalid_event",  # an InvalidEvent (a bad line kept by errors="replace") was fed
    "other_response",  # an event of another response id (a second stream fed to the same accumulator)
)


class Problem(NamedTuple):
    """Something a stream did wrong, found while folding it. ``kind`` is one of :data:`PROBLEM_KINDS`."""

    kind: str
    sequence_number: int | None
    message: str


_TERMINAL = {"response.completed": "completed", "response.failed": "failed", "response.incomplete": "incomplete"}
_SNAPSHOT = {"response.created", "response.in_progress", "response.queued", *_TERMINAL}
_STATUSES = ("queued", "in_progress", "completed", "failed", "incomplete", "cancelled")
_START = frozenset({EVENT_TYPES["response.created"], EVENT_TYPES["response.queued"]})
_MARKS = _START | {EVENT_TYPES[t] for t in _TERMINAL}

# delta event -> (channel, index field or None, .done event, field of the .done text)
_CHANNELS: dict[str, tuple[str, str | None, str, str]] = {
    "response.output_text.delta": ("text", "content_index", "response.output_text.done", "text"),
    "response.refusal.delta": ("refusal", "content_index", "response.refusal.done", "refusal"),
    "response.reasoning_text.delta": ("reasoning", "content_index", "response.reasoning_text.done", "text"),
    "response.reasoning_summary_text.delta": (
        "summary", "summary_index", "response.reasoning_summary_text.done", "text"),
    "response.function_call_arguments.delta": (
        "arguments", None, "response.function_call_arguments.done", "arguments"),
    "response.mcp_call_arguments.delta": ("arguments", None, "response.mcp_call_arguments.done", "arguments"),
    "response.custom_tool_call_input.delta": ("input", None, "response.custom_tool_call_input.done", "input"),
    "response.code_interpreter_call_code.delta": ("code", None, "response.code_interpreter_call_code.done", "code"),
    "response.apply_patch_call_operation_diff.delta": (
        "diff", None, "response.apply_patch_call_operation_diff.done", "diff"),
}
_DONE = {done: (chan, idx, field) for chan, idx, done, field in _CHANNELS.values()}
# delta class -> (channel, 1: content_index / 2: summary_index / 0: no index), for the hot path
# delta class -> (channel, getter of its part index, whether it has one): a delta without a part index gets
# the output_index getter, a constant per item, so that the hot path's check is the same for every class
_FAST = {EVENT_TYPES[t]: (c, attrgetter(i or "output_index"), i is not None) for t, (c, i, _, _) in _CHANNELS.items()}

Key = tuple[str, str, int]  # (channel, item id, content/summary index)


class ResponseAccumulator:
    """The state of one response stream, folded from its events; read it at any moment.

    ``feed(event_or_events)`` takes one event or a batch (any iterable) of decoded events: typed events,
    :class:`UnknownEvent` and :class:`InvalidEvent` alike. ``close()`` marks the end of the stream: a stream
    that ended without ``response.completed``/``.failed``/``.incomplete`` is then ``"cut_short"``.
    """

    def __init__(self) -> None:
        self.events = 0  # events fed
        self.problems: list[Problem] = []
        self.errors: list[ErrorEvent] = []  # every `error` event, in order
        self.closed = False
        self.first_sequence_number: int | None = None  # the first sequence number seen
        self._expect: int | None = None  # the next sequence number in order
        self._missing: list[range] = []  # sequence numbers reported as a gap
        self._snapshot: Response | None = None  # the latest response object seen
        self._terminal: str | None = None  # the terminal event's type
        self._status: str = "queued"
        self._items: dict[int, Any] = {}  # output_index -> the item from output_item.added or .done
        self._items_done: set[int] = set()
        self._parts: dict[tuple[str, int], Any] = {}  # (item id, content_index) -> content part (added/done)
        self._parts_done: set[tuple[str, int]] = set()
        self._chan: dict[Key, list[str]] = {}  # deltas by channel
        self._done: dict[Key, str] = {}  # .done texts by channel
        self._index_of: dict[str, int] = {}  # item id -> output_index (from any event naming both)
        self._images: dict[str, str] = {}  # item id -> last partial image (base64)
        self._cache: Response | None = None

    # -- feeding ------------------------------------------------------------------------------------------

    def feed(self, event_or_events: object | Iterable[object]) -> None:
        """Fold one event, or a batch of events, into the state. Never raises on stream content."""
        if self.closed:
            raise ValueError("feed() after close()")
        if isinstance(event_or_events, (list, tuple)):
            events: list[Any] | tuple[Any, ...] = event_or_events
        elif isinstance(event_or_events, (msgspec.Struct, UnknownEvent, InvalidEvent)):
            events = (event_or_events,)
        else:
            events = list(event_or_events)  # type: ignore[call-overload]
        self._cache = None
        chan = self._chan
        other = self._other
        fast = _FAST.get
        expect = self._expect  # kept in locals, written back around every call that reads them
        terminal = self._terminal
        cur_cls: Any = None  # the delta class, item, part index and text list of the event before
        cur_id: Any = None
        cur_ci: Any = None
        index_of: Any = None
        append: Any = None
        for ev in events:
            cls = type(ev)
            if cls is cur_cls:  # the hot path: the next delta of the same part, in sequence
                s = ev.sequence_number
                if s == expect and ev.item_id == cur_id and index_of(ev) == cur_ci:
                    expect = s + 1
                    append(ev.delta)
                    continue
            spec = fast(cls)
            if spec is None or terminal is not None:
                self._expect = expect
                other(ev)
                expect, terminal = self._expect, self._terminal
                cur_cls = None
                continue
            # a delta (text, arguments, reasoning, ...) of another part, or out of sequence
            s = ev.sequence_number
            if s == expect:
                expect = s + 1
            else:
                self._expect = expect
                self._sequence(s)
                expect = self._expect
            item_id = ev.item_id
            index_of = spec[1]
            index = index_of(ev)
            key = (spec[0], item_id, index if spec[2] else 0)
            got = chan.get(key)
            if got is None:
                got = chan[key] = []
                self._index_of.setdefault(item_id, ev.output_index)
                if self._status == "queued":
                    self._status = "in_progress"
            cur_cls, cur_id, cur_ci, append = cls, item_id, index, got.append
            append(ev.delta)
        self._expect = expect
        self.events += len(events)

    def close(self) -> None:
        """The stream has ended: without a terminal event its status becomes ``"cut_short"``."""
        self.closed = True
        self._cache = None

    def _sequence(self, s: Any) -> None:
        """Check one sequence number against the ones before (the in-order case is inlined by the caller)."""
        if not isinstance(s, int):
            return
        exp = self._expect
        if exp is None:
            self.first_sequence_number = s
            self._expect = s + 1
            return
        if s > exp:
            self._missing.append(range(exp, s))
            missing = f"{exp}" if s == exp + 1 else f"{exp}-{s - 1}"
            self.problems.append(Problem("gap", s, f"sequence numbers {missing} missing before {s}"))
            self._expect = s + 1
        elif s < exp:
            for k, r in enumerate(self._missing):
                if s in r:
                    self.problems.append(Problem("out_of_order", s, f"sequence number {s} arrived after {exp - 1}"))
                    parts = [range(r.start, s), range(s + 1, r.stop)]
                    self._missing[k : k + 1] = [p for p in parts if p]
                    return
            self.problems.append(Problem("duplicate", s, f"sequence number {s} seen before"))
        else:
            self._expect = s + 1

    def _other(self, ev: Any) -> None:
        t = ev.type
        if t is None:  # InvalidEvent
            where = f"line {ev.line}" if ev.line is not None else f"index {ev.index}"
            self.problems.append(Problem("invalid_event", None, f"{where}: {ev.error}"))
            return
        if type(ev) is not EVENT_TYPES.get(t) and not isinstance(ev, UnknownEvent):
            return  # a projection (View, Skipped): counted, not folded (its fields are the user's choice)
        if isinstance(ev, UnknownEvent):  # e.g. {"type":"keepalive","sequence_number":466}: numbered too
            s = _sequence_of(ev.raw)
            if s is not None:
                if s == self._expect:
                    self._expect = s + 1
                else:
                    self._sequence(s)
            return
        s = getattr(ev, "sequence_number", None)
        if s is not None:
            if s == self._expect:
                self._expect = s + 1
            else:
                self._sequence(s)
        if t in _SNAPSHOT:
            self._response_event(t, ev, s)
            return
        if self._terminal is not None:
            if t == "error":
                self.errors.append(ev)
            self.problems.append(Problem("after_terminal", s, f"{t} after {self._terminal}"))
            return
        if t == "error":
            self.errors.append(ev)
            return
        if self._status == "queued":
            self._status = "in_progress"
        handler = _HANDLERS.get(t)
        if handler is not None:
            handler(self, ev, t, s)

    def _delta(self, ev: Any, t: str, s: int | None) -> None:
        chan, idx, _, _ = _CHANNELS[t]
        key = (chan, ev.item_id, getattr(ev, idx) if idx else 0)
        got = self._chan.get(key)
        if got is None:
            got = self._chan[key] = []
            self._index_of.setdefault(ev.item_id, ev.output_index)
        got.append(ev.delta)

    def _done_text(self, ev: Any, t: str, s: int | None) -> None:
        chan, idx, field = _DONE[t]
        key = (chan, ev.item_id, getattr(ev, idx) if idx else 0)
        text = getattr(ev, field)
        self._done[key] = text
        self._index_of.setdefault(ev.item_id, ev.output_index)
        deltas = self._chan.get(key)
        if deltas is not None:
            joined = "".join(deltas)
            if joined != text:
                pairs = enumerate(zip(joined, text, strict=False))
                at = next((k for k, (a, b) in pairs if a != b), min(len(joined), len(text)))
                self.problems.append(Problem(
                    "delta_mismatch", s, f"{t} for {ev.item_id}: the deltas ({len(joined)} characters) differ from "
                    f"the .done text ({len(text)}) from character {at}: {_clip(joined[at:])} vs {_clip(text[at:])}"))

    def _item(self, ev: Any, t: str, s: int | None) -> None:
        i = ev.output_index
        if t == "response.output_item.done":
            self._items_done.add(i)
        elif i in self._items_done:
            return
        self._items[i] = ev.item
        item_id = getattr(ev.item, "id", None)
        if item_id is not None:
            self._index_of[item_id] = i

    def _part(self, ev: Any, t: str, s: int | None) -> None:
        key = (ev.item_id, ev.content_index)
        if t == "response.content_part.done":
            self._parts_done.add(key)
        elif key in self._parts_done:
            return
        self._parts[key] = ev.part
        self._index_of.setdefault(ev.item_id, ev.output_index)

    def _image(self, ev: Any, t: str, s: int | None) -> None:
        self._images[ev.item_id] = ev.partial_image_b64
        self._index_of.setdefault(ev.item_id, ev.output_index)

    def _response_event(self, t: str, ev: Any, s: int | None) -> None:
        resp = ev.response
        rid = getattr(resp, "id", None)
        if self._snapshot is not None and rid is not None and rid != self._snapshot.id:
            self.problems.append(Problem("other_response", s, f"{t} of {rid} in the stream of {self._snapshot.id}"))
            return
        if self._terminal is not None:
            self.problems.append(Problem("after_terminal", s, f"{t} after {self._terminal}"))
            return
        self._snapshot = resp
        term = _TERMINAL.get(t)
        status = getattr(resp, "status", None)
        if term is not None:
            self._terminal = t
            self._status = status if status in _STATUSES and status != "in_progress" else term
        elif t == "response.queued":
            self._status = "queued"
        else:
            self._status = status if status in ("queued", "in_progress") else "in_progress"

    # -- reading ------------------------------------------------------------------------------------------

    @property
    def status(self) -> Status:
        """``queued``/``in_progress`` while running; ``completed``/``failed``/``incomplete``/``cancelled`` from
        the terminal event; ``cut_short`` after :meth:`close` when no terminal event came."""
        if self._terminal is None and self.closed:
            return "cut_short"
        return self._status  # type: ignore[return-value]

    @property
    def last_sequence_number(self) -> int | None:
        """The highest sequence number seen."""
        return None if self._expect is None else self._expect - 1

    @property
    def response_id(self) -> str | None:
        return None if self._snapshot is None else self._snapshot.id

    @property
    def model(self) -> str | None:
        return None if self._snapshot is None else self._snapshot.model

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
            return snap
        if self._cache is None:
            self._cache = msgspec.structs.replace(snap, output=self._rebuild())
        return self._cache

    @property
    def output_text(self) -> str:
        """The text of every ``output_text`` part of every message item, in order (as the SDKs define it)."""
        out = []
        for item in self.output:
            if isinstance(item, MessageItem):
                out += [p.text or "" for p in item.content or () if isinstance(p, OutputTextPart)]
        return "".join(out)

    def _text(self, key: Key) -> str | None:
        done = self._done.get(key)
        if done is not None:
            return done
        deltas = self._chan.get(key)
        return None if deltas is None else "".join(deltas)

    def _channel(self, chan: str) -> dict[tuple[str, int], str]:
        keys = {k for k in self._chan if k[0] == chan} | {k for k in self._done if k[0] == chan}
        return {(k[1], k[2]): self._text(k) for k in sorted(keys, key=self._order)}  # type: ignore[misc]

    def _order(self, key: Key) -> tuple[int, int]:
        return (self._index_of.get(key[1], 1 << 30), key[2])

    @property
    def texts(self) -> dict[tuple[str, int], str]:
        """Output text by ``(item_id, content_index)``: the ``.done`` text, else the deltas joined."""
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
        """Function-call (and MCP-call) arguments by item id."""
        return {k[0]: v for k, v in self._channel("arguments").items()}

    @property
    def tool_inputs(self) -> dict[str, str]:
        """Custom-tool-call input by item id."""
        return {k[0]: v for k, v in self._channel("input").items()}

    @property
    def partial_images(self) -> dict[str, str]:
        """The last partial image (base64) by image-generation item id."""
        return dict(self._images)

    def _rebuild(self) -> tuple[Any, ...]:
        indices = set(self._items)
        for _, item_id, _ in self._chan:
            indices.add(self._index_of.get(item_id, -1))
        indices.discard(-1)
        out = []
        for i in sorted(indices):
            item = self._items.get(i)
            if i in self._items_done:
                out.append(item)
                continue
            ids = [k for k, v in self._index_of.items() if v == i]
            item_id: str | None = getattr(item, "id", None) or (ids[0] if ids else None)
            if item_id is None:
                if item is not None:
                    out.append(item)
                continue
            built = self._rebuild_item(item, item_id)
            if built is not None:
                out.append(built)
        return tuple(out)

    def _rebuild_item(self, item: Any, item_id: str) -> Any:
        replace = msgspec.structs.replace
        if item is None or isinstance(item, MessageItem):
            indices = {ci for (iid, ci) in self._parts if iid == item_id}
            indices |= {k[2] for k in (*self._chan, *self._done) if k[1] == item_id and k[0] in ("text", "refusal")}
            parts = []
            for ci in sorted(indices):
                part = self._parts.get((item_id, ci))
                text = self._text(("text", item_id, ci))
                refusal = self._text(("refusal", item_id, ci))
                if (item_id, ci) not in self._parts_done:
                    if isinstance(part, OutputTextPart) and text is not None:
                        part = replace(part, text=text)
                    elif isinstance(part, RefusalPart) and refusal is not None:
                        part = replace(part, refusal=refusal)
                    elif part is None and text is not None:
                        part = OutputTextPart(text=text)
                    elif part is None and refusal is not None:
                        part = RefusalPart(refusal=refusal)
                if part is not None:
                    parts.append(part)
            if item is None:
                if not parts:
                    return None
                return MessageItem(id=item_id, role="assistant", content=tuple(parts), status="in_progress")
            return replace(item, content=tuple(parts))
        if isinstance(item, ReasoningItem):
            summary = list(item.summary or ())
            for (_, si), text in self._channel_of("summary", item_id):
                while len(summary) <= si:
                    summary.append(SummaryTextPart(text=""))
                summary[si] = SummaryTextPart(text=text)
            content = list(item.content or ())
            for (_, ci), text in self._channel_of("reasoning", item_id):
                while len(content) <= ci:
                    content.append(ReasoningTextPart(text=""))
                content[ci] = ReasoningTextPart(text=text)
            return replace(item, summary=tuple(summary), content=tuple(content))
        if isinstance(item, ImageGenerationCallItem):
            img = self._images.get(item_id)
            return item if img is None or item.result else replace(item, result=img)
        for chan, field in (("arguments", "arguments"), ("input", "input"), ("code", "code")):
            text = self._text((chan, item_id, 0))
            if text is not None and field in item.__struct_fields__:
                return replace(item, **{field: text})
        return item

    def _channel_of(self, chan: str, item_id: str) -> list[tuple[tuple[str, int], str]]:
        keys = {k for k in (*self._chan, *self._done) if k[0] == chan and k[1] == item_id}
        return [((k[1], k[2]), self._text(k)) for k in sorted(keys)]  # type: ignore[misc]

    def __repr__(self) -> str:
        return (f"<ResponseAccumulator {self.response_id} {self.status}: {self.events} events, "
                f"{len(self.problems)} problems>")


_HANDLERS: dict[str, Any] = {
    **{t: ResponseAccumulator._delta for t in _CHANNELS},
    **{t: ResponseAccumulator._done_text for t in _DONE},
    "response.output_item.added": ResponseAccumulator._item,
    "response.output_item.done": ResponseAccumulator._item,
    "response.content_part.added": ResponseAccumulator._part,
    "response.content_part.done": ResponseAccumulator._part,
    "response.image_generation_call.partial_image": ResponseAccumulator._image,
}


class _Numbered(msgspec.Struct):
    sequence_number: int | None = None


_numbered = msgspec.json.Decoder(_Numbered)


def _sequence_of(raw: bytes) -> int | None:
    """The sequence number of an unknown event, if it has one."""
    try:
        return _numbered.decode(raw).sequence_number
    except msgspec.DecodeError:
        return None


def _clip(text: str, n: int = 24) -> str:
    return repr(text) if len(text) <= n else repr(text[: n - 3] + "...")


class StreamSplitter:
    """Cuts a log of streams, fed batch by batch, into one accumulator per stream (see :func:`accumulate`).

    ``feed(batch)`` returns the accumulators of the streams that ended before the batch's last stream start
    (closed); ``close()`` returns the last one. Memory: only the stream being folded is held.
    """

    def __init__(self) -> None:
        self._acc: ResponseAccumulator | None = None
        self._current: str | None = None  # the response id of the stream being cut
        self._ended = False  # that stream has had its terminal event

    def feed(self, events: list[Any]) -> list[ResponseAccumulator]:  # noqa: D102
        out: list[ResponseAccumulator] = []
        # start and terminal events, found at C speed (no Python-level loop over the batch)
        marks = compress(count(), map(_MARKS.__contains__, map(type, events)))
        a = 0
        for i in marks:
            ev = events[i]
            if type(ev) in _START:
                rid = ev.response.id
                if rid != self._current or self._ended:
                    if i > a:
                        self._take(events[a:i])
                    if self._acc is not None:
                        self._acc.close()
                        out.append(self._acc)
                    self._acc = None
                    a = i
                self._current, self._ended = rid, False
            else:
                self._ended = True
        if a < len(events):
            self._take(events[a:] if a else events)
        return out

    def _take(self, events: list[Any]) -> None:
        if self._acc is None:
            self._acc = ResponseAccumulator()
        self._acc.feed(events)

    def close(self) -> list[ResponseAccumulator]:
        acc, self._acc = self._acc, None
        if acc is None:
            return []
        acc.close()
        return [acc]


def accumulate(events: Iterable[object]) -> list[ResponseAccumulator]:
    """Fold a log of streams, one after another, into one closed accumulator per stream.

    A new stream starts at each ``response.created`` or ``response.queued`` event. Events before the first
    start form a stream of their own. A start event of the response already being cut (``response.queued``
    then ``response.created`` of one background response) stays in its stream unless that stream has ended.
    Interleaved streams must be split by the caller. For a log read batch by batch (``iter_batches``), use
    :class:`StreamSplitter`.
    """
    splitter = StreamSplitter()
    out = splitter.feed(events if isinstance(events, list) else list(events))
    return out + splitter.close()
