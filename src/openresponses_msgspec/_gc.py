"""Pausing the cyclic garbage collector around one large batch, shared by every caller in the process.

Why pause at all: a batch of decoded events, Framed pairs or folded state allocates tens of thousands of
tracked containers that hold no cycles. With the collector on, they trip a young collection every 700
allocations and, as they survive, full collections whose cost grows with the whole heap: one full collection
of a process holding a corpus costs more than the fold that triggered it. Nothing a batch builds can be
freed by those collections, so they are skipped while it runs.

``gc.disable()``/``gc.enable()`` are process-wide, so the pause is kept here, under a lock, with two rules:

- A batch that begins while another thread's pause is young (``_JOIN_FOR``) joins it, and the collector is
  switched back on when the last batch of the pause ends: a batch finishing first never switches it on under
  one still running. A batch that begins later runs without pausing (the collector is still off until the
  pause ends): threads folding back to back therefore cannot keep the collector off for good; it is off at
  most for the batches that began within ``_JOIN_FOR`` of each other.
- A collector that was off when a pause would begin (the application's own choice) is left off, and never
  switched on by this module.

Nothing else is touched: no generation is collected, frozen or moved.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")

_JOIN_FOR = 0.05  # seconds after a pause began during which another thread's batch may join it
_clock = time.monotonic
_lock = threading.Lock()
_holders = 0  # batches running inside the current pause
_began = 0.0  # when the current pause began (its first batch)


def run_paused(fn: Callable[..., R], *args: object) -> R:
    """``fn(*args)`` with the collector paused (see the module's rules)."""
    global _holders, _began
    with _lock:
        if _holders:
            joined = _clock() - _began < _JOIN_FOR
        else:
            joined = gc.isenabled()
            if joined:
                gc.disable()
                _began = _clock()
        if joined:
            _holders += 1
    if not joined:
        return fn(*args)
    try:
        return fn(*args)
    finally:
        with _lock:
            _holders -= 1
            if not _holders:
                gc.enable()
