"""A Spark job over a directory of stream logs: events by type, usage by model, responses by status.

    python examples/spark_job.py LOGDIR          # *.ndjson / *.jsonl read by line, *.sse read whole
    python examples/spark_job.py --demo          # writes a demo log directory first, then runs on it

Every event is decoded to typed columns by ``openresponses_msgspec.spark.decode_arrow`` inside
``mapInArrow`` (executors need this package installed, the ``spark`` extra). ``read_json_job`` computes the
same answer with ``spark.read.json`` (NDJSON only: it cannot read SSE, nor tell event types apart beyond the
``type`` string), for the benchmark in ``benchmarks/bench_spark.py``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import msgspec

from openresponses_msgspec import corpus

TERMINAL = ("response.completed", "response.failed", "response.incomplete")
MODELS = ("openai/gpt-4o", "anthropic/claude-sonnet-4", "meta-llama/llama-3.3-70b")

Answer = dict[str, Any]  # {"by_type": {type: n}, "usage": {model: (responses, in, out, total)}, "status": {s: n}}


def session(app: str = "openresponses-spark-job", master: str = "local[2]") -> Any:
    """A local SparkSession on loopback (UI off, Python workers on this interpreter)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )


def _files(logdir: str | Path, suffixes: tuple[str, ...]) -> list[str]:
    return sorted(str(p) for p in Path(logdir).iterdir() if p.suffix in suffixes)


def events_frame(spark: Any, logdir: str | Path) -> Any:
    """One row per event of every log in ``logdir``, typed columns (``openresponses_msgspec.spark``)."""
    from openresponses_msgspec.spark import EVENT_SCHEMA, decode_arrow

    frames = []
    lines = _files(logdir, (".ndjson", ".jsonl"))
    if lines:
        frames.append(spark.read.text(lines))  # one event per row: decoded a whole Arrow batch per call
    whole = _files(logdir, (".sse",))
    if whole:
        frames.append(spark.read.text(whole, wholetext=True))  # SSE frames must not be split by lines
    if not frames:
        raise SystemExit(f"no *.ndjson, *.jsonl or *.sse files in {logdir}")
    df = frames[0]
    for f in frames[1:]:
        df = df.unionByName(f)
    return df.mapInArrow(decode_arrow, EVENT_SCHEMA)


def _answer(by_type: list[Any], usage: list[Any], status: list[Any]) -> Answer:
    return {
        "by_type": {r[0]: int(r[1]) for r in by_type},
        "usage": {r[0]: (int(r[1]), int(r[2] or 0), int(r[3] or 0), int(r[4] or 0)) for r in usage},
        "status": {r[0]: int(r[1]) for r in status},
    }


def decode_arrow_job(spark: Any, logdir: str | Path) -> Answer:
    """The job: decode with mapInArrow, then three aggregations over the cached event rows."""
    from pyspark.sql import functions as F

    ev = events_frame(spark, logdir).cache()
    try:
        by_type = ev.groupBy(F.coalesce("type", F.lit("(invalid)")).alias("type")).count().collect()
        term = ev.where(F.col("type").isin(*TERMINAL))
        usage = (
            term.groupBy("model")
            .agg(F.count("*"), F.sum("input_tokens"), F.sum("output_tokens"), F.sum("total_tokens"))
            .collect()
        )
        status = term.groupBy("status").count().collect()
    finally:
        ev.unpersist()
    return _answer(by_type, usage, status)


def read_json_job(spark: Any, logdir: str | Path) -> Answer:
    """The same answer with ``spark.read.json`` (schema inferred over the files; NDJSON only)."""
    from pyspark.sql import functions as F

    ev = spark.read.json(_files(logdir, (".ndjson", ".jsonl"))).cache()
    try:
        by_type = ev.groupBy("type").count().collect()
        term = ev.where(F.col("type").isin(*TERMINAL))
        usage = (
            term.groupBy(F.col("response.model"))
            .agg(
                F.count("*"),
                F.sum("response.usage.input_tokens"),
                F.sum("response.usage.output_tokens"),
                F.sum("response.usage.total_tokens"),
            )
            .collect()
        )
        status = term.groupBy(F.col("response.status")).count().collect()
    finally:
        ev.unpersist()
    return _answer(by_type, usage, status)


def demo_events(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``corpus`` streams with three models, and some responses ending failed or incomplete."""
    evs = corpus.events("mixed", n, seed=seed)
    rnd = random.Random(seed)
    k = -1
    model = MODELS[0]
    for ev in evs:
        if ev["type"] == "response.created":
            k += 1
            model = MODELS[rnd.randrange(len(MODELS))]
        resp = ev.get("response")
        if isinstance(resp, dict):
            resp["model"] = model
        if ev["type"] == "response.completed" and k % 5 == 3:
            ev["type"] = "response.incomplete"
            resp["status"] = "incomplete"  # type: ignore[index]
            resp["incomplete_details"] = {"reason": "max_output_tokens"}  # type: ignore[index]
        elif ev["type"] == "response.completed" and k % 7 == 4:
            ev["type"] = "response.failed"
            resp["status"] = "failed"  # type: ignore[index]
            resp["error"] = {"code": "server_error", "message": "upstream failed"}  # type: ignore[index]
    return evs


def write_logs(
    logdir: str | Path, *, files: int = 4, events_per_file: int = 5000, sse_files: int = 1, seed: int = 7
) -> list[dict[str, Any]]:
    """Write ``files`` logs (the last ``sse_files`` of them as SSE) and return the events written."""
    out = Path(logdir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[dict[str, Any]] = []
    for i in range(files):
        evs = demo_events(events_per_file, seed=seed + i)
        if i >= files - sse_files:
            (out / f"log-{i:03d}.sse").write_bytes(corpus.sse(evs))
        else:
            (out / f"log-{i:03d}.ndjson").write_bytes(b"".join(msgspec.json.encode(e) + b"\n" for e in evs))
        written += evs
    return written


def _print(answer: Answer) -> None:
    print("events by type:")
    for t, n in sorted(answer["by_type"].items(), key=lambda kv: -kv[1]):
        print(f"  {n:>10,}  {t}")
    print("usage by model:              responses   input_tokens  output_tokens   total_tokens")
    for m, (n, i, o, t) in sorted(answer["usage"].items()):
        print(f"  {m:<28} {n:>9,} {i:>14,} {o:>14,} {t:>14,}")
    print("responses by status:")
    for s, n in sorted(answer["status"].items()):
        print(f"  {n:>10,}  {s}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("logdir", nargs="?")
    ap.add_argument("--demo", action="store_true", help="write demo logs to a temporary directory first")
    args = ap.parse_args(argv)
    if not args.logdir and not args.demo:
        ap.error("give LOGDIR or --demo")
    with tempfile.TemporaryDirectory() as tmp:
        logdir = args.logdir or tmp
        if args.demo:
            write_logs(logdir)
        spark = session()
        try:
            _print(decode_arrow_job(spark, logdir))
        finally:
            spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
