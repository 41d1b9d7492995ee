"""The example Spark job (events by type, usage by model, responses by status) over a directory of NDJSON logs:
``mapInArrow(decode_arrow)`` vs ``spark.read.json`` on the same files, interleaved, on ``local[2]``.

Both jobs must give the same answer (checked before timing). ``BENCH_SPARK_EVENTS`` sets the events (default
200,000, in 4 files).

    python -m pytest benchmarks/bench_spark.py --benchmark-json=spark.json && python benchmarks/check.py spark.json
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.support.harness import SMOKE, Case, InterleavedSet
from benchmarks.support.targets import OURS, Target, register

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT / "tools"))

N = 400 if SMOKE else int(os.environ.get("BENCH_SPARK_EVENTS", "200000"))
FILES = 4
ROUNDS = 1 if SMOKE else 3
GROUP = "spark job: 3 aggregations over NDJSON logs"
READ_JSON = "spark.read.json"

_state: dict[str, Any] = {}


@pytest.fixture(scope="module", autouse=True)
def _spark() -> Iterator[None]:
    pytest.importorskip("pyspark", reason="pyspark is in the 'spark' extra")
    import services

    java = services.java_version()
    if java is None or java < services.JAVA_MIN:
        msg = f"Java {services.JAVA_MIN}+ not found"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    import spark_job

    with tempfile.TemporaryDirectory() as tmp:
        spark_job.write_logs(Path(tmp) / "logs", files=FILES, events_per_file=N // FILES, sse_files=0)
        spark = spark_job.session("openresponses-bench")
        _state.update(spark=spark, logdir=Path(tmp) / "logs", job=spark_job)
        try:
            yield
        finally:
            _state.clear()
            spark.stop()


SPARK = InterleavedSet("spark: log job")


def _case(lib: str, name: str) -> Case:
    job = _state["job"]
    run = getattr(job, name)
    spark, logdir = _state["spark"], _state["logdir"]
    answer = run(spark, logdir)  # the warm-up, and the check: both jobs give the same answer
    answers = _state.setdefault("answers", {})
    answers[name] = answer
    other = "read_json_job" if name == "decode_arrow_job" else "decode_arrow_job"
    if SMOKE and other in answers:  # a smoke run checks against the other side's own warm-up (a job less each)
        assert answer == answers[other]
    else:
        assert answer == getattr(job, other)(spark, logdir)
    events = sum(answer["by_type"].values())
    size = sum(p.stat().st_size for p in Path(logdir).iterdir())
    return Case(group=GROUP, lib=lib, fn=lambda: run(spark, logdir), events=events, bytes=size, rounds=ROUNDS)


@SPARK.case(OURS)
def _ours() -> Case:
    return _case(OURS, "decode_arrow_job")


@SPARK.case(READ_JSON)
def _read_json() -> Case:
    return _case(READ_JSON, "read_json_job")


test_spark_job = SPARK.make_test()

register(
    Target(
        "Spark log job: mapInArrow(decode_arrow) vs spark.read.json",
        issue=13,
        num=(GROUP, OURS),
        den=(GROUP, READ_JSON),
        goal=1.0,
    ),
)
