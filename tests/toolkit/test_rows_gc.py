"""to_arrow runs with the cyclic collector paused (issue #16: its cost against decoding), and leaves it as found."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from openresponses_msgspec import corpus, decode_lines, to_arrow

pytest.importorskip("pyarrow")


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generations of the collections that run while the test runs, with a threshold that collects often."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    old = gc.get_threshold()
    gc.set_threshold(50, 1, 1)
    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)
        gc.set_threshold(*old)
        gc.enable()


def test_to_arrow_trips_no_collection(collections: list[int]) -> None:
    """With the collector on, building a 3,000-row table (tens of thousands of temporary containers) runs no
    collection, and the collector is on again after it."""
    events = decode_lines(corpus.ndjson(corpus.events("mixed", 3000)))
    gc.collect()
    collections.clear()
    table = to_arrow(events)
    assert table.num_rows == 3000 and collections == []
    assert gc.isenabled()


def test_to_arrow_leaves_a_disabled_collector_off(collections: list[int]) -> None:
    events = decode_lines(corpus.ndjson(corpus.events("text", 500)))
    gc.disable()
    assert to_arrow(events).num_rows == 500
    assert not gc.isenabled()
