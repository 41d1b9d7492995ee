"""The command line and the tables never fail on mutated realistic streams (issue #16): the accumulator's
hypothesis state machine (drop, duplicate, swap, truncate, strip/null fields, remove sequence numbers, rotate
ids, odd indices, stand-in values, foreign lines) drives ``stats``, ``convert`` (events and responses, NDJSON
and Parquet) and ``to_arrow``/``responses_to_arrow``; after every step: no internal error, no exception, and the
counts add up. Example counts are small (the suite's budget)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant
from mutated_streams import MutatedStreams

import openresponses_msgspec as orm
from openresponses_msgspec._cli import main
from openresponses_msgspec.arrow import EVENT_COLUMNS, _table, event_row

pytestmark = pytest.mark.slow  # a hypothesis state machine running the command line

EXAMPLES = int(os.environ.get("CLI_FUZZ_EXAMPLES", "8"))


class CommandLineOnMutatedStreams(MutatedStreams):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="cli-fuzz-"))

    def teardown(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def _run(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(list(argv))
        return status, out.getvalue(), err.getvalue()

    @invariant()
    def check(self) -> None:
        if not self.log:
            return
        data = self._bytes(False)
        src = self.dir / "log.ndjson"
        src.write_bytes(data)
        events = orm.decode_lines(data, errors="replace")
        lines = [line for line in data.split(b"\n") if line.strip()]

        status, out, err = self._run("stats", "--json", str(src))
        assert status in (0, 1) and "internal error" not in err, err
        if status == 0:
            report = json.loads(out)
            assert report["events"] == len(events) == sum(report["events_by_type"].values()) + report["invalid_events"]
            assert report["responses"] == len(orm.accumulate(events))
        else:  # only a non-stream body (a foreign line alone) is refused
            assert "not an event stream" in err, err

        for argv in (
            ["--responses", "-o", str(self.dir / "r.ndjson")],
            ["--errors", "replace", "-o", str(self.dir / "e.parquet")],
            ["--errors", "replace", "-o", str(self.dir / "e.ndjson")],
        ):
            status, _, err = self._run("convert", str(src), *argv)
            assert status in (0, 1) and "internal error" not in err and "Traceback" not in err, (argv, err)
        if (self.dir / "e.ndjson").exists():  # the kept events' bytes, unchanged
            kept = [line for line, ev in zip(lines, events, strict=True) if type(ev) is not orm.InvalidEvent]
            assert (self.dir / "e.ndjson").read_bytes() == b"".join(line + b"\n" for line in kept)

        t = orm.to_arrow(events, raw=lines)
        assert t.num_rows == len(events) and t.column("raw").to_pylist() == lines
        rows = _table(map(event_row, events, lines), EVENT_COLUMNS)
        assert t.to_pylist() == rows.to_pylist()
        assert orm.responses_to_arrow(orm.accumulate(events)).num_rows == len(orm.accumulate(events))


CommandLineOnMutatedStreams.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
test_command_line_on_mutated_streams = CommandLineOnMutatedStreams.TestCase
