"""Protocol conformance: the lifecycle rules of a Responses stream, checked event by event (issue #21).

:class:`ConformanceChecker` is fed the same decoded events as a :class:`ResponseAccumulator` (one event or a
batch at a time, a log of streams one after another) and lists every broken rule as a :class:`Violation`
naming the rule, the sequence number and the position of the event that broke it. It never raises on stream
content, keeps a few fields per output item and content part (a part's deltas only until its ``.done``), and
does constant work per event: linear in the stream. It is separate from the accumulator, whose hot loop it
leaves alone; :data:`RULES` lists the rules (``docs/conformance.md``: the table with sources and tests).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import msgspec

from ._accumulate import _CHANNELS, as_batch, spec_by_base
from ._errors import InvalidEvent, UnknownEvent
from ._models import EVENT_TYPES

__all__ = ["RULES", "ConformanceChecker", "Rule", "Violation", "check_events"]


class Rule(NamedTuple):
    """One conformance rule. ``fatal``: False for rules real servers break on purpose (``broken_by`` names
    them): reported all the same, but ``openresponses-msgspec check`` exits 0 for them unless ``--strict``."""

    name: str
    fatal: bool
    summary: str
    broken_by: str = ""


_RULES = (
    Rule("invalid_event", True, "every line/event decodes as JSON with a type"),
    Rule(
        "no_start",
        True,
        "a stream starts with response.created (or response.queued); a stream resumed after "
        "a sequence number > 0 is exempt",
    ),
    Rule(
        "missing_sequence_number",
        False,
        "every event carries an integer sequence_number",
        "OpenAI streams before sequence numbers (2025), LiteLLM (PR #28899)",
    ),
    Rule(
        "sequence_gap",
        True,
        "sequence numbers increase by one: none skipped",
        "GoModel before PR #953 (a guardrail dropped events, numbers stamped upstream)",
    ),
    Rule("sequence_order", True, "a sequence number is above every one before it (no repeat, no late event)"),
    Rule(
        "response_id_changed",
        False,
        "every response object of a stream names the same response id",
        "GitHub Copilot (a new id on every event)",
    ),
    Rule(
        "missing_field",
        True,
        "an event carries the fields the lifecycle needs (item_id, output_index, "
        "content_index/summary_index, the .done text), not null",
    ),
    Rule(
        "null_item",
        True,
        "response.output_item.added/.done carry an item object",
        "OpenAI-compatible servers (openai-python #3125, PRs #3131, #3399)",
    ),
    Rule(
        "item_not_added",
        True,
        "an event of an item comes after its response.output_item.added",
        "vLLM gpt-oss/harmony (vllm-project/agentic-api #62: a message's text without output_item.added)",
    ),
    Rule("item_added_twice", True, "response.output_item.added comes once per item"),
    Rule(
        "item_id_changed",
        False,
        "the events of an item name the id it was added with",
        "GitHub Copilot (a new item id on every event)",
    ),
    Rule("output_index_order", True, "items are added at output_index 0, 1, 2, ... in order"),
    Rule("output_index_mismatch", True, "an item's events carry the output_index it was added at"),
    Rule(
        "part_not_added",
        True,
        "an output_text/refusal delta or .done comes after its content_part.added, a "
        "summary delta after its reasoning_summary_part.added",
    ),
    Rule("part_added_twice", True, "a content or summary part is added once"),
    Rule("delta_after_done", True, "no delta of a part after its .done text event or its part's .done"),
    Rule("delta_mismatch", True, "the deltas of a part, joined, equal its .done text"),
    Rule(
        "text_not_done", True, "a part that streamed deltas gets its .done text event before its part's or item's .done"
    ),
    Rule("part_not_done", True, "an added part gets its .done before its item's response.output_item.done"),
    Rule("event_after_item_done", True, "no event of an item after its response.output_item.done"),
    Rule("item_not_done", True, "every added item gets its response.output_item.done before response.completed"),
    Rule(
        "terminal_status",
        True,
        "response.completed/.failed/.incomplete carry a response whose status is "
        "completed/failed/incomplete (response.failed: cancelled too)",
    ),
    Rule(
        "no_usage",
        False,
        "the terminal response.completed/.incomplete carries usage",
        "OpenAI-compatible servers without usage in the stream (LiteLLM before PR #28899)",
    ),
    Rule(
        "error_not_failed",
        False,
        'an error event is followed by response.failed (Open Responses: "Any error '
        'incurred while streaming will be followed by a response.failed event")',
        "OpenAI (an error event ends the stream)",
    ),
    Rule(
        "event_after_terminal",
        True,
        "nothing after response.completed/.failed/.incomplete (one terminal "
        "event per stream; WebSocket mode's response.steer.pending/.failed may follow it)",
        "praxis-proxy (#841: an error after response.completed)",
    ),
    Rule(
        "no_terminal",
        False,
        "a stream ends with response.completed/.failed/.incomplete",
        "OpenRouter (closes after the last output_item.done: moeru-ai/airi #2589)",
    ),
)

# WebSocket mode (issue #18): queued steering input is reported after the response ended (response.steer.pending
# follows response.completed; a steer that came too late fails with response_already_completed)
_AFTER_TERMINAL_OK = frozenset({"response.steer.pending", "response.steer.failed"})

RULES: dict[str, Rule] = {r.name: r for r in _RULES}
"""Every conformance rule by name, in the order of ``docs/conformance.md``."""


class Violation(NamedTuple):
    """A broken :class:`Rule`: ``rule`` (a name in :data:`RULES`), the ``sequence_number`` of the event that
    broke it (``None`` when it has none, or for a rule broken by the end of a stream), ``position``: the event's
    position (0-based) among all events fed to the checker, and a message naming items and values."""

    rule: str
    sequence_number: int | None
    position: int
    message: str

    @property
    def fatal(self) -> bool:
        return RULES[self.rule].fatal


# event codes
(
    _IGNORE,
    _INVALID,
    _UNKNOWN,
    _START,
    _SNAP,
    _TERM,
    _ERROR,
    _ITEM_ADDED,
    _ITEM_DONE,
    _PART_ADDED,
    _PART_DONE,
    _DELTA,
    _TEXT_DONE,
    _OF_ITEM,
    _OTHER,
) = range(15)

_NOSEQ: Any = float("nan")  # "no sequence number seen yet": equal to nothing, so the fast path never matches
_TERMINAL = {"response.completed": "completed", "response.failed": "failed", "response.incomplete": "incomplete"}
# channel -> (part group, whether the part must be added first)
_GROUP = {
    "text": ("content", True),
    "refusal": ("content", True),
    "reasoning": ("content", False),
    "summary": ("summary", True),
}


def _specs() -> dict[type, tuple[Any, ...]]:
    out: dict[type, tuple[Any, ...]] = {}
    for t, cls in EVENT_TYPES.items():
        fields = getattr(cls, "__struct_fields__", ())
        out[cls] = (_OF_ITEM, t) if "item_id" in fields else (_OTHER, t)
    for t, (chan, idx, done, field) in _CHANNELS.items():
        group, need = _GROUP.get(chan, (chan, False))
        # (code, tag, channel, index field or None, part group, part must be added, .done text field)
        out[EVENT_TYPES[t]] = (_DELTA, t, chan, idx, group, need, None)
        out[EVENT_TYPES[done]] = (_TEXT_DONE, done, chan, idx, group, need, field)
    for t in ("response.created", "response.queued"):
        out[EVENT_TYPES[t]] = (_START, t)
    out[EVENT_TYPES["response.in_progress"]] = (_SNAP, "response.in_progress")
    for t in _TERMINAL:
        out[EVENT_TYPES[t]] = (_TERM, t)
    out[EVENT_TYPES["error"]] = (_ERROR, "error")
    out[EVENT_TYPES["response.output_item.added"]] = (_ITEM_ADDED, "response.output_item.added")
    out[EVENT_TYPES["response.output_item.done"]] = (_ITEM_DONE, "response.output_item.done")
    for t, group, idx in (
        ("response.content_part", "content", "content_index"),
        ("response.reasoning_summary_part", "summary", "summary_index"),
    ):
        out[EVENT_TYPES[t + ".added"]] = (_PART_ADDED, t + ".added", group, idx)
        out[EVENT_TYPES[t + ".done"]] = (_PART_DONE, t + ".done", group, idx)
    out[UnknownEvent] = (_UNKNOWN, None)
    out[InvalidEvent] = (_INVALID, None)
    return out


_SPEC: dict[type, tuple[Any, ...]] = _specs()
_IGNORED = (_IGNORE, None)


def _spec_of(cls: type) -> tuple[Any, ...]:
    spec: tuple[Any, ...] = spec_by_base(_SPEC, cls, _IGNORED)
    return spec


class _Item:
    __slots__ = ("id", "index", "done", "parts")

    def __init__(self, item_id: str, index: int | None) -> None:
        self.id = item_id
        self.index = index
        self.done = False
        self.parts: list[_Part] = []  # the parts and channels of the item, in order first seen


class _Part:
    __slots__ = ("key", "added", "done", "text_done", "deltas", "reported")

    def __init__(self, key: tuple[str, str, int]) -> None:
        self.key = key
        self.added = False  # content_part.added / reasoning_summary_part.added seen
        self.done = False  # content_part.done / reasoning_summary_part.done seen
        self.text_done = False  # the channel's .done text event seen
        self.deltas: list[str] | None = None  # the deltas since the part began (dropped at .done)
        self.reported = False  # delta_after_done reported


class _Numbered(msgspec.Struct):
    sequence_number: Any = None
    sequenceNumber: Any = None


_numbered = msgspec.json.Decoder(_Numbered)


class ConformanceChecker(msgspec.Struct, gc=False, eq=False, dict=False):
    """Checks the lifecycle rules of :data:`RULES` on a stream of decoded events, or on a log of streams one
    after another: a new stream starts at each ``response.created``/``response.queued``, except a
    ``response.created`` that follows its own ``response.queued``. ``feed()`` one event or a batch; ``close()``
    at the end (the end-of-stream rules: ``no_terminal``, ``item_not_done``). Never raises on stream content.
    """

    events: int = 0  # events fed
    streams: int = 0  # streams seen (a stream is counted at its first event)
    closed: bool = False
    _violations: list[Violation] | None = None
    # per stream (reset at each new stream)
    _start: int = 0  # the index of the stream's first event
    _real: bool = False  # an event other than an unknown, invalid or keep-alive one was seen in the stream
    _resumed: bool = False  # the stream starts after sequence number 0 without its start event
    _expect: Any = _NOSEQ  # the next sequence number in order (an int once one was seen)
    _rid: str | None = None
    _queued_only: bool = False  # only response.queued came so far
    _terminal: str | None = None
    _error_at: tuple[int | None, int] | None = None  # an error event not yet followed by response.failed
    _items: dict[str, _Item] | None = None
    _at: dict[int, _Item] | None = None  # output_index -> item
    _parts: dict[tuple[str, str, int], _Part] | None = None
    _next_index: int = 0
    _once: set[Any] | None = None
    _last_item: _Item | None = None  # the item of the last events seen, for a fast lookup

    # -- feeding ------------------------------------------------------------------------------------------

    def feed(self, event_or_events: object | Iterable[object]) -> None:
        """Check one event, or a batch of events. Never raises on stream content."""
        if self.closed:
            raise ValueError("feed() after close()")
        events = as_batch(event_or_events)  # (raw=True's Framed pairs: their events are checked)
        spec_of = _SPEC.get
        cur_cls: Any = None
        cur_id: Any = None
        cur_ci: Any = None
        cur_oi: Any = None
        cur_idx: Any = None
        append: Any = None
        expect = self._expect
        at = self.events
        for ev in events:
            cls = type(ev)  # pyright: ignore[reportUnknownVariableType]  # type[Unknown] of an Any
            if cls is cur_cls:  # the next delta of the same part, in sequence
                s = ev.sequence_number
                if (
                    s == expect
                    and ev.item_id == cur_id
                    and getattr(ev, cur_idx) == cur_ci
                    and ev.output_index == cur_oi
                ):
                    expect = s + 1
                    append(ev.delta)
                    at += 1
                    continue
            spec = spec_of(cls) or _spec_of(cls)  # pyright: ignore[reportUnknownArgumentType]
            self._expect = expect
            self.events = at
            got = self._event(ev, spec, at)
            expect = self._expect
            at += 1
            if got is None:
                cur_cls = None
            else:
                cur_cls, cur_id, cur_idx, cur_ci, cur_oi, append = (  # pyright: ignore[reportUnknownVariableType]
                    cls,
                    ev.item_id,
                    spec[3] or "item_id",
                    getattr(ev, spec[3] or "item_id"),
                    ev.output_index,
                    got.append,
                )
        self._expect = expect
        self.events = at

    def close(self) -> None:
        """The log has ended: checks the end-of-stream rules of its last stream."""
        if not self.closed:
            self.closed = True
            if self._real:
                self._end(self.events)

    # -- reading ------------------------------------------------------------------------------------------

    @property
    def violations(self) -> list[Violation]:
        """Every violation, in the order found (a new empty list when none)."""
        return self._violations if self._violations is not None else []

    # -- rules ----------------------------------------------------------------------------------------------

    def _v(self, rule: str, s: Any, at: int, message: str) -> None:
        if self._violations is None:
            self._violations = []
        self._violations.append(Violation(rule, s if type(s) is int else None, at, message))

    def _first(self, key: Any) -> bool:
        if self._once is None:
            self._once = set()
        if key in self._once:
            return False
        self._once.add(key)
        return True

    def _reset(self, at: int) -> None:
        self._start = at
        self._real = False
        self._resumed = False
        self._expect = _NOSEQ
        self._rid = None
        self._queued_only = False
        self._terminal = None
        self._error_at = None
        self._items = self._at = self._parts = self._once = None
        self._next_index = 0
        self._last_item = None

    def _end(self, at: int) -> None:
        """End-of-stream rules of the current stream."""
        if self._error_at is not None:
            s, k = self._error_at
            self._v("error_not_failed", s, k, "an error event without a response.failed after it")
        if self._terminal is None:
            self._v(
                "no_terminal",
                None,
                at - 1,
                f"the stream ends without response.completed/.failed/.incomplete (after {at - self._start} events)",
            )

    def _seq(self, s: Any, tag: str | None, at: int) -> bool:
        """Check a sequence number; False for a repeated or late one (its event is not checked further)."""
        if type(s) is not int:
            if self._first("unsequenced"):
                self._v(
                    "missing_sequence_number", None, at, f"{tag} without sequence_number (reported once per stream)"
                )
            return True
        exp = self._expect
        if exp is _NOSEQ or s == exp:
            self._expect = s + 1
        elif s > exp:
            missing = f"{exp}" if s == exp + 1 else f"{exp}-{s - 1}"
            self._v("sequence_gap", s, at, f"sequence numbers {missing} missing before {s} ({tag})")
            self._expect = s + 1
        else:
            self._v("sequence_order", s, at, f"sequence number {s} ({tag}) after {exp - 1}: not checked further")
            return False
        return True

    def _event(self, ev: Any, spec: tuple[Any, ...], at: int) -> Any:
        """Check one event; returns the delta list to append to when the event was a delta (the fast path's
        state), else None."""
        code = spec[0]
        if code == _IGNORE:
            return None
        tag = spec[1]
        if code == _START and self._real and not (self._queued_only and tag == "response.created"):
            self._end(at)  # a new stream
            self._reset(at)
        if not self._real and code != _UNKNOWN and code != _INVALID and tag != "keepalive":
            self._real = True
            self.streams += 1
            if code != _START:
                s = getattr(ev, "sequence_number", None)
                if type(s) is int and s > 0:  # a resumed stream starts after 0 without its start: its items'
                    self._resumed = True  # and parts' starts are missing by design
                else:
                    self._v("no_start", s, at, f"the stream starts with {tag}, not response.created")
        if code == _INVALID:
            where = f"line {ev.line}" if ev.line is not None else f"index {ev.index}"
            self._v("invalid_event", None, at, f"{where}: {ev.error}")
            return None
        if code == _UNKNOWN:
            try:
                got = _numbered.decode(ev.raw)
                s = got.sequence_number if got.sequence_number is not None else got.sequenceNumber
            except (msgspec.DecodeError, TypeError):
                s = None
            if type(s) is int:
                self._seq(s, ev.type, at)
            return None
        s = ev.sequence_number
        if s == self._expect:
            self._expect = s + 1
        elif not self._seq(s, tag, at):
            return None
        if self._terminal is not None:
            if tag in _AFTER_TERMINAL_OK:
                return None
            if self._first(("after_terminal", tag)):
                self._v("event_after_terminal", s, at, f"{tag} after {self._terminal}")
            return None
        if code == _START or code == _SNAP or code == _TERM:
            self._queued_only = tag == "response.queued" and (self._rid is None or self._queued_only)
            self._response(ev, tag, code, s, at)
            return None
        if self._queued_only:
            self._queued_only = False
        if code == _ERROR:
            self._error_at = (s, at)
            return None
        if code == _OTHER:
            return None
        if code == _ITEM_ADDED or code == _ITEM_DONE:
            self._item_event(ev, tag, code == _ITEM_DONE, s, at)
            return None
        item = self._item_of(ev, tag, s, at)
        if item is None:
            return None
        if code == _OF_ITEM:
            return None
        if code == _PART_ADDED or code == _PART_DONE:
            self._part_event(ev, spec, item, s, at)
            return None
        # a delta or a .done text
        _, _, chan, idx, group, need, field = spec
        if idx is None:
            index = 0
        else:
            index = getattr(ev, idx)
            if type(index) is not int:
                self._missing(tag, idx, s, at)
                index = 0
        part = self._part(item, group if need or group == "content" else chan, index)
        if need and not part.added and not self._resumed and self._first(("part", part.key)):
            what = "reasoning_summary_part.added" if group == "summary" else "content_part.added"
            self._v("part_not_added", s, at, f"{tag} for {item.id} {idx} {index} without {what} before it")
        if code == _DELTA:
            if part.text_done or part.done:
                if not part.reported:
                    part.reported = True
                    self._v("delta_after_done", s, at, f"{tag} for {item.id} {idx or 'item'} {index} after its .done")
                return None
            if part.deltas is None:
                part.deltas = []
            delta = ev.delta
            if type(delta) is not str:
                self._missing(tag, "delta", s, at)
                return None
            part.deltas.append(delta)
            return part.deltas
        text = getattr(ev, field)
        if type(text) is not str:
            self._missing(tag, field, s, at)
        elif part.deltas is not None and not (self._resumed and not part.added):  # (resumed: deltas missed)
            try:
                joined = "".join(part.deltas)
            except TypeError:  # a delta that was no string came on the fast path
                joined = "".join(d for d in part.deltas if type(d) is str)
                self._missing(tag.replace(".done", ".delta"), "delta", s, at)
            if joined != text:
                self._v(
                    "delta_mismatch",
                    s,
                    at,
                    f"{tag} for {item.id}: the deltas ({len(joined)} characters) "
                    f"differ from the .done {field} ({len(text)} characters)",
                )
        part.deltas = None
        part.text_done = True
        return None

    def _missing(self, tag: str, field: str, s: Any, at: int) -> None:
        if self._first(("missing", tag, field)):
            self._v("missing_field", s, at, f"{tag} without {field} (reported once per stream and event type)")

    def _response(self, ev: Any, tag: str, code: int, s: Any, at: int) -> None:
        resp = getattr(ev, "response", None)
        rid = getattr(resp, "id", None)
        if type(rid) is str:
            if self._rid is None:
                self._rid = rid
            elif rid != self._rid and self._first("rid"):
                self._v(
                    "response_id_changed",
                    s,
                    at,
                    f"{tag} names response {rid}, the stream began as {self._rid} (reported once per stream)",
                )
        if code != _TERM:
            return
        self._terminal = tag
        status = getattr(resp, "status", None)
        want = _TERMINAL[tag]
        if status != want and not (tag == "response.failed" and status == "cancelled"):
            self._v("terminal_status", s, at, f"{tag} carries a response with status {status!r}")
        if tag == "response.failed":
            self._error_at = None
        elif getattr(resp, "usage", None) is None:
            self._v("no_usage", s, at, f"{tag} without usage")
        if tag == "response.completed":
            for item in (self._items or {}).values():
                if not item.done:
                    self._v(
                        "item_not_done",
                        s,
                        at,
                        f"item {item.id} (output_index {item.index}) has no "
                        "response.output_item.done before response.completed",
                    )

    def _item_event(self, ev: Any, tag: str, done: bool, s: Any, at: int) -> None:
        i = ev.output_index
        if type(i) is not int:
            self._missing(tag, "output_index", s, at)
            i = None
        obj = ev.item
        item_id = getattr(obj, "id", None)
        if obj is None:
            self._v("null_item", s, at, f"{tag} at output_index {i} without an item")
        if self._items is None:
            self._items, self._at, self._parts = {}, {}, {}
        items, by_index = self._items, self._at
        assert by_index is not None
        if type(item_id) is not str:  # an item without an id (several servers): known by its output_index
            item_id = f"@{i}"
        item = items.get(item_id)
        if not done:
            if item is not None:
                self._v("item_added_twice", s, at, f"item {item_id} added again (at output_index {i})")
                return
            if i is not None:
                if i != self._next_index:
                    self._v(
                        "output_index_order",
                        s,
                        at,
                        f"item {item_id} added at output_index {i}, the next index is {self._next_index}",
                    )
                self._next_index = max(self._next_index, i + 1)
            item = items[item_id] = _Item(item_id, i)
            if i is not None:
                by_index[i] = item
            return
        if item is None and i is not None:
            alias = by_index.get(i)
            if alias is not None and not alias.done:
                if alias.id[:1] == "@":  # added without an id (or item): this id names it
                    items[item_id] = alias
                elif self._first("item_id_changed"):
                    self._v(
                        "item_id_changed",
                        s,
                        at,
                        f"{tag} names item {item_id}, the item at output_index {i} "
                        f"is {alias.id} (reported once per stream)",
                    )
                item = alias
        if item is None:
            if not self._resumed and self._first(("item", item_id)):
                self._v("item_not_added", s, at, f"{tag} of item {item_id} without response.output_item.added")
            item = items[item_id] = _Item(item_id, i)
            if i is not None:
                by_index.setdefault(i, item)
        elif item.done:
            if self._first(("item_done", item.id)):
                self._v("event_after_item_done", s, at, f"{tag} of item {item.id} after its response.output_item.done")
            return
        elif i is not None and item.index is not None and i != item.index and self._first(("index", item.id, i)):
            self._v(
                "output_index_mismatch", s, at, f"{tag} of item {item.id} at output_index {i}, added at {item.index}"
            )
        for part in item.parts:
            self._close_part(part, item, tag, s, at)
        item.done = True

    def _close_part(self, part: _Part, item: _Item, tag: str, s: Any, at: int) -> None:
        if part.deltas is not None and not part.text_done:
            part.text_done = True
            part.deltas = None
            self._v(
                "text_not_done",
                s,
                at,
                f"{part.key[1]} {part.key[2]} of item {item.id}: deltas without their .done text event before {tag}",
            )
        if part.added and not part.done and tag == "response.output_item.done":
            part.done = True
            self._v(
                "part_not_done",
                s,
                at,
                f"{part.key[1]} part {part.key[2]} of item {item.id} has no .done before response.output_item.done",
            )

    def _item_of(self, ev: Any, tag: str, s: Any, at: int) -> _Item | None:
        """The item an event of an item belongs to (checking that it was added, is not done, and is at the
        output_index the event names)."""
        item_id = ev.item_id
        i = getattr(ev, "output_index", None)
        last = self._last_item
        if last is not None and last.id == item_id:
            item: _Item | None = last
        else:
            if self._items is None:
                self._items, self._at, self._parts = {}, {}, {}
            item = self._items.get(item_id) if type(item_id) is str else None
            if item is None:
                if type(item_id) is not str:
                    self._missing(tag, "item_id", s, at)
                alias = self._at.get(i) if type(i) is int else None  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]
                if alias is not None and not alias.done and type(item_id) is str:
                    if alias.id[:1] == "@":  # added without an id (or item): this id names it
                        self._items[item_id] = alias
                    elif self._first("item_id_changed"):
                        self._v(
                            "item_id_changed",
                            s,
                            at,
                            f"{tag} names item {item_id}, the item at output_index "
                            f"{i} is {alias.id} (reported once per stream)",
                        )
                    item = alias
                elif alias is not None and type(item_id) is not str:
                    item = alias
                else:
                    key = item_id if type(item_id) is str else f"@{i}"
                    if not self._resumed:
                        self._v("item_not_added", s, at, f"{tag} of item {key} without response.output_item.added")
                    item = self._items[key] = _Item(key, i if type(i) is int else None)
                    if type(i) is int:
                        self._at.setdefault(i, item)  # type: ignore[union-attr]  # pyright: ignore[reportOptionalMemberAccess]
            self._last_item = item
        assert item is not None
        if item.done:
            if self._first(("item_done", item.id)):
                self._v("event_after_item_done", s, at, f"{tag} of item {item.id} after its response.output_item.done")
            return None
        if type(i) is int and item.index is not None and i != item.index:
            if self._first(("index", item.id, i)):
                self._v(
                    "output_index_mismatch",
                    s,
                    at,
                    f"{tag} of item {item.id} at output_index {i}, added at {item.index}",
                )
        return item

    def _part(self, item: _Item, group: str, index: int) -> _Part:
        key = (item.id, group, index)
        parts = self._parts
        assert parts is not None
        part = parts.get(key)
        if part is None:
            part = parts[key] = _Part(key)
            item.parts.append(part)
        return part

    def _part_event(self, ev: Any, spec: tuple[Any, ...], item: _Item, s: Any, at: int) -> None:
        _, tag, group, idx = spec
        index = getattr(ev, idx)
        if type(index) is not int:
            self._missing(tag, idx, s, at)
            index = 0
        part = self._part(item, group, index)
        if tag.endswith(".added"):
            if part.added:
                self._v("part_added_twice", s, at, f"{group} part {index} of item {item.id} added again")
            part.added = True
            return
        if not part.added and not self._resumed and self._first(("part", part.key)):
            self._v("part_not_added", s, at, f"{tag} for {item.id} {idx} {index} without its .added before it")
        part.added = True
        self._close_part(part, item, tag, s, at)
        part.done = True


def check_events(events: Iterable[object]) -> list[Violation]:
    """Every violation in a log of streams (one after another), its end included."""
    checker = ConformanceChecker()
    checker.feed(events if isinstance(events, list) else list(events))
    checker.close()
    return checker.violations
