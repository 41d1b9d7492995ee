"""The collector pause shared by the decoders and the accumulator (``_gc.run_paused``): counted across
threads, so that a batch finishing first never switches the collector back on under one still running, and a
collector the application switched off stays off."""

from __future__ import annotations

import gc
import threading

from openresponses_msgspec._gc import run_paused


def test_the_last_call_to_finish_switches_the_collector_back_on() -> None:
    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def long_batch() -> int:
        inside.set()
        release.wait(10)
        seen["long, after the short one ended"] = gc.isenabled()
        return 1

    worker = threading.Thread(target=run_paused, args=(long_batch,))
    worker.start()
    assert inside.wait(10)
    assert run_paused(lambda: gc.isenabled()) is False  # a second batch joins the pause
    seen["between"] = gc.isenabled()  # the short batch ended; the long one still runs
    release.set()
    worker.join(10)
    assert seen == {"between": False, "long, after the short one ended": False}
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_application_stays_off() -> None:
    gc.disable()
    try:
        assert run_paused(lambda x: (x, gc.isenabled()), 7, age=True) == (7, False)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_in_the_batch_still_switches_it_back_on() -> None:
    def boom() -> None:
        raise ValueError("boom")

    try:
        run_paused(boom, age=True)
    except ValueError as err:
        assert str(err) == "boom"
    assert gc.isenabled()
