"""Interleaved measurement: the cases a ratio compares are timed in alternating rounds of the same run.

pytest-benchmark times one test after another, so the two sides of a ratio would be seconds or minutes apart
on a machine whose load changes (here: five people on two cores). An :class:`InterleavedSet` instead builds
all its (selected) cases first, then runs round-robin: round 1 of every case, round 2 of every case, ...,
timing each call with ``time.perf_counter``. Each case still is its own pytest test and its own row of the
pytest-benchmark JSON (group, ``extra_info["lib"]``, stats over its rounds): the first test of a set that
runs measures the whole set, every test then hands its own durations to its ``benchmark`` fixture (replayed
through ``pedantic``, so the medians, the terminal table and ``--benchmark-json`` are pytest-benchmark's own).
``extra_info["interleaved"]`` names the set, and ``check.py`` then also prints the spread of per-round ratios.

Declaring a set (in a ``bench_*.py``)::

    from benchmarks.support.harness import Case, InterleavedSet

    LINEAR = InterleavedSet("hostile: linearity")

    @LINEAR.case("all unknown, N")
    def _all_unknown_n() -> Case:
        data = make(N)
        out = decode_lines(data)            # check the result here: this call is also the warm-up
        assert len(out) == N
        return Case(group="linearity: all unknown", lib="N", fn=lambda: decode_lines(data),
                    events=N, bytes=len(data))

    test_linearity = LINEAR.make_test()     # one parametrized test, one benchmark per case

Builders run when the set is measured, never at import. A builder that raises (an assertion, or
``pytest.skip`` for a missing optional peer) fails or skips only its own case's test. Only the cases selected
for the run (``-k``, node ids) are built and timed, so ``-k`` makes a set cheaper, and a ratio's two sides are
only interleaved when both are selected. For parametrizations that do not map one-to-one onto a set, decorate
the test with :func:`interleaved` and call :meth:`InterleavedSet.bench` (see ``bench_decode.py``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from benchmarks.support.targets import REGISTRY

SMOKE = os.environ.get("BENCH_SCALE", "full") == "smoke"  # tiny corpora, one round: checks, not timings
ROUNDS = 1 if SMOKE else 3  # the default rounds of a case that no target compares
TARGET_ROUNDS = 1 if SMOKE else 7  # the default rounds of a case that is a side of a registered target

_ALL_SETS: list[InterleavedSet] = []


@dataclass
class Case:
    group: str  # the pytest-benchmark group (a table in the report)
    lib: str  # the row in that group (``extra_info["lib"]``): the stack or variant timed
    fn: Callable[[], object]  # the timed call, closed over its input
    events: int  # events one call decodes (speed = events / median)
    bytes: int  # input bytes one call reads
    rounds: int | None = None  # timed calls; None: TARGET_ROUNDS for a side of a registered target, else ROUNDS
    subset: bool = False  # timed on a subset of the corpus (ratios are then per event)
    extra: dict[str, Any] = field(default_factory=dict)  # more extra_info (numbers a target may use)
    before: Callable[[], object] | None = None  # called (untimed) before each of its rounds: e.g. a load check


class _Replay:
    """A timer that hands pytest-benchmark the durations measured earlier: start 0, end d, per round."""

    def __init__(self, durations: list[float]) -> None:
        self._ticks: Iterator[float] = iter([t for d in durations for t in (0.0, d)])

    def __call__(self) -> float:
        return next(self._ticks)


class InterleavedSet:
    """Cases measured together, round-robin. ``id``s are unique within the set."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._builders: dict[str, Callable[[], Case]] = {}
        self.selected: set[str] | None = None  # None: every case (set by conftest after collection)
        self._results: dict[str, tuple[Case, list[float]] | BaseException] | None = None
        _ALL_SETS.append(self)

    @property
    def ids(self) -> list[str]:
        return list(self._builders)

    def add(self, case_id: str, builder: Callable[[], Case]) -> None:
        if case_id in self._builders:
            raise ValueError(f"case {case_id!r} is already in set {self.name!r}")
        self._builders[case_id] = builder

    def case(self, case_id: str) -> Callable[[Callable[[], Case]], Callable[[], Case]]:
        def deco(builder: Callable[[], Case]) -> Callable[[], Case]:
            self.add(case_id, builder)
            return builder

        return deco

    def select(self, case_id: str) -> None:
        if self.selected is None:
            self.selected = set()
        self.selected.add(case_id)

    def measure(self, *, timed: bool = True) -> None:
        """Build the selected cases in declaration order, then time them in alternating rounds (once)."""
        if self._results is not None:
            return
        results: dict[str, tuple[Case, list[float]] | BaseException] = {}
        cases: list[tuple[str, Case]] = []
        for cid, build in self._builders.items():
            if self.selected is not None and cid not in self.selected:
                continue
            try:
                case = build()
            except (Exception, pytest.skip.Exception) as e:
                results[cid] = e
                continue
            cases.append((cid, case))
            results[cid] = (case, [])
        sides = {side for t in REGISTRY.values() for side in (t.num, t.den) if side is not None}
        for _, case in cases:
            if case.rounds is None:
                case.rounds = TARGET_ROUNDS if (case.group, case.lib) in sides else ROUNDS
        if timed:
            for r in range(max((c.rounds or 0 for _, c in cases), default=0)):
                for cid, case in cases:
                    if r < (case.rounds or 0):
                        if case.before is not None:
                            case.before()
                        fn = case.fn
                        t0 = time.perf_counter()
                        out = fn()
                        t1 = time.perf_counter()
                        del out
                        results[cid][1].append(t1 - t0)  # type: ignore[index]
        for _, case in cases:  # keep the durations, drop the inputs the closures hold
            case.fn = _dropped
        self._results = results

    def bench(self, benchmark: Any, case_id: str) -> Case:
        """Measure the set if not yet done and record ``case_id``'s rounds on ``benchmark``."""
        if case_id not in self._builders:
            raise KeyError(f"no case {case_id!r} in set {self.name!r}")
        if self._results is not None and case_id not in self._results:  # not selected at collection
            self._results, self.selected = None, {case_id}
        elif self._results is None and self.selected is not None:
            self.selected.add(case_id)
        self.measure(timed=not benchmark.disabled)
        assert self._results is not None
        got = self._results[case_id]
        if isinstance(got, BaseException):
            benchmark.skipped = True  # no "fixture was not used" warning on top of the builder's own error
            raise got
        case, durations = got
        benchmark.group = case.group
        benchmark.extra_info.update(
            lib=case.lib, events=case.events, bytes=case.bytes, subset=case.subset, interleaved=self.name, **case.extra
        )
        if durations:
            benchmark._timer = _Replay(durations)  # the only private name used: see the module docstring
            benchmark.pedantic(_noop, rounds=len(durations), iterations=1, warmup_rounds=0)
        else:
            benchmark.pedantic(_noop, rounds=1)  # --benchmark-disable: nothing timed
        return case

    def make_test(self) -> Callable[..., None]:
        """A test function parametrized over ``case`` (every id of the set); assign it to a ``test_*`` name."""

        @pytest.mark.parametrize("case", self.ids)
        def test(benchmark: Any, case: str) -> None:
            self.bench(benchmark, case)

        test._interleaved_key = lambda params: (self, params["case"])  # type: ignore[attr-defined]
        return test


def interleaved(key: Callable[[dict[str, Any]], tuple[InterleavedSet, str]]) -> Callable[[Any], Any]:
    """Mark a parametrized test whose params map to ``(set, case_id)``, so that collection knows which cases of
    which sets the run selects (``-k``)."""

    def deco(fn: Any) -> Any:
        fn._interleaved_key = key
        return fn

    return deco


def _noop() -> None:
    return None


def _dropped() -> object:
    raise RuntimeError("this case was measured already; its input was released")


def select_collected(items: list[Any]) -> None:
    """Called by conftest after collection and deselection: each set measures only its selected cases."""
    for item in items:
        key = getattr(getattr(item, "function", None), "_interleaved_key", None)
        callspec = getattr(item, "callspec", None)
        if key is None or callspec is None:
            continue
        s, cid = key(callspec.params)
        s.select(cid)
    for s in _ALL_SETS:
        if s.selected is None:
            s.selected = set()  # collected module, none of its cases selected
