"""The collector pause shared by the decoders and the accumulator (``_gc.run_paused``): a batch finishing first
never switches the collector back on under one still running; threads folding back to back cannot keep it off
for good; a collector the application switched off stays off."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable

import pytest

import openresponses_msgspec._gc as pause


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(pause, "_clock", c)
    return c


def _held(body: Callable[[], None]) -> tuple[threading.Thread, threading.Event, dict[str, bool]]:
    """A batch in another thread, paused, that runs ``body`` and then waits until released."""
    inside, release = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def batch() -> None:
        inside.set()
        release.wait(10)
        seen["at its end"] = gc.isenabled()
        body()

    worker = threading.Thread(target=pause.run_paused, args=(batch,))
    worker.start()
    assert inside.wait(10)
    return worker, release, seen


def test_a_batch_joining_the_pause_never_switches_the_collector_on_under_another(clock: Clock) -> None:
    assert gc.isenabled()
    worker, release, seen = _held(lambda: None)
    clock.now += pause._JOIN_FOR / 2  # within the join window
    assert pause.run_paused(gc.isenabled) is False
    seen["between"] = gc.isenabled()  # the second batch ended; the first still runs
    release.set()
    worker.join(10)
    assert seen == {"between": False, "at its end": False}
    assert gc.isenabled()


def test_a_late_batch_does_not_extend_the_pause(clock: Clock) -> None:
    """Threads folding back to back: a batch that begins after the join window runs unpaused, so the pause
    ends with the batches that began it, and the collector comes back on while the late batch still runs."""
    late_inside, late_release = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def late_batch() -> None:
        late_inside.set()
        late_release.wait(10)
        seen["late, after the pause ended"] = gc.isenabled()

    worker, release, first = _held(lambda: None)
    clock.now += pause._JOIN_FOR * 2
    late = threading.Thread(target=pause.run_paused, args=(late_batch,))
    late.start()
    assert late_inside.wait(10)
    release.set()
    worker.join(10)
    late_release.set()
    late.join(10)
    assert first == {"at its end": False} and seen == {"late, after the pause ended": True}
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_application_stays_off() -> None:
    gc.disable()
    try:
        assert pause.run_paused(lambda x: (x, gc.isenabled()), 7) == (7, False)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_in_the_batch_still_switches_it_back_on() -> None:
    def boom() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        pause.run_paused(boom)
    assert gc.isenabled()
