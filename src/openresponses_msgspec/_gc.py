"""Pausing the cyclic garbage collector around one large batch, shared by every caller in the process.

Why pause at all: a batch of decoded events, Framed pairs or folded state allocates tens of thousands of
tracked containers that hold no cycles. With the collector on, they trip a young collection every 700
allocations and, as they survive, full collections whose cost grows with the whole heap: one full collection
of a process holding a corpus costs more than the fold that triggered it. Nothing a batch builds can be
freed by those collections, so they are skipped while it runs.

``gc.disable()``/``gc.enable()`` are process-wide. Two threads that each switched the collector off and
back on as they found it could leave it off for good (the second one finds it off, and restores "off"). So
the pause is counted here, under a lock: the first caller to pause switches the collector off, the last one
to finish switches it back on, and a collector that was already off when the first one came (the
application's own choice) is left off and never switched on.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")

_lock = threading.RLock()  # re-entrant: a finalizer run by collect(1) may decode too
_holders = 0  # calls running inside a pause this module began


def run_paused(fn: Callable[..., R], *args: object, age: bool = False) -> R:
    """``fn(*args)`` with the collector paused (if it is on, or paused by another call of this module).

    ``age=True``: what the call built is moved straight to the oldest generation afterwards (``collect(1)``
    before, so that no young garbage of the caller's is promoted unexamined; ``freeze()``/``unfreeze()``
    after, an O(1) move), so that the next young collections do not walk it again. Skipped when the process
    froze objects itself (``gc.freeze()`` before a fork)."""
    global _holders
    with _lock:
        if _holders == 0 and not gc.isenabled():
            joined = False  # off by the application's choice: not ours to switch on
        else:
            joined = True
            if _holders == 0:
                if age and gc.get_freeze_count() == 0:
                    gc.collect(1)
                gc.disable()
            _holders += 1
    if not joined:
        return fn(*args)
    try:
        return fn(*args)
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                if age and gc.get_count()[0] > _AGE_ABOVE and gc.get_freeze_count() == 0:
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()


_AGE_ABOVE = 2_000  # tracked objects allocated (net) during the pause before they are moved as a block
