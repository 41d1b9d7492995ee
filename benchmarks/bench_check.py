"""Conformance checking (issue #21): ``openresponses-msgspec check`` against ``stats`` on the same NDJSON log,
interleaved, through the CLI's ``main`` (decode, then check or fold; output to a buffer). The target: check runs
at least half as fast as stats, so a 1 GB log is checked in the time of two stats runs."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile

from benchmarks.support.corpora import get_corpus
from benchmarks.support.harness import Case, InterleavedSet
from benchmarks.support.targets import Target, register
from openresponses_msgspec._cli import main

CHECK = InterleavedSet("toolkit: check")
GROUP = "cli: check vs stats (mixed NDJSON)"
_PATH: list[str] = []


def _log() -> tuple[str, int, int]:
    c = get_corpus("mixed")
    if not _PATH:
        fd, path = tempfile.mkstemp(suffix=".ndjson", prefix="bench-check-")
        with os.fdopen(fd, "wb") as f:
            f.write(c.ndjson)
        _PATH.append(path)
    return _PATH[0], c.n, len(c.ndjson)


def _run(*argv: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()):
        return main(list(argv))


@CHECK.case("stats")
def stats() -> Case:
    path, n, size = _log()
    assert _run("stats", path, "--json") == 0
    return Case(group=GROUP, lib="stats", fn=lambda: _run("stats", path, "--json"), events=n, bytes=size)


@CHECK.case("check")
def check() -> Case:
    path, n, size = _log()
    assert _run("check", path, "--json") == 0  # its last stream is cut (no_terminal): not fatal
    return Case(group=GROUP, lib="check", fn=lambda: _run("check", path, "--json"), events=n, bytes=size)


test_check = CHECK.make_test()

register(
    Target(
        "check speed / stats speed (mixed NDJSON)",
        issue=21,
        num=(GROUP, "check"),
        den=(GROUP, "stats"),
        goal=0.5,
        metric="speed",
    )
)
