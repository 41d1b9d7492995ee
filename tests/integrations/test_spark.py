"""openresponses_msgspec.spark on a real local[2] Spark (Java 17+, started by conftest), and the example job."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
import pytest

from openresponses_msgspec import DecodeError, InvalidEvent, corpus, decode, decode_lines, decode_sse, to_arrow
from openresponses_msgspec.arrow import EVENT_COLUMNS

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

import spark_job

BAD = b'{"type":"response.output_text.delta","item_id":"m","output_index":"zero"}'


def _rows(table: Any) -> list[tuple[Any, ...]]:
    cols = table.to_pydict()
    return [tuple(cols[c][i] for c in EVENT_COLUMNS) for i in range(table.num_rows)]


def _plain(row: Any) -> tuple[Any, ...]:
    """A Spark Row as a tuple, its binary ``raw`` (a bytearray from Spark) as bytes."""
    return tuple(bytes(v) if isinstance(v, bytearray) else v for v in row)


def _one(value: bytes) -> Any:
    """A value decoded as the Kafka, Redis and Spark integrations all place it: a bad one at offset 0 of it."""
    try:
        return decode(value)
    except DecodeError as err:
        return InvalidEvent(err.relocated(offset=0, raw=value), value, offset=0)


def test_event_schema_is_the_toolkit_arrow_schema(spark: Any) -> None:
    """EVENT_SCHEMA converts to exactly openresponses_msgspec.arrow.EVENT_SCHEMA (names, order, types)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    from openresponses_msgspec import arrow
    from openresponses_msgspec.spark import EVENT_SCHEMA

    assert to_arrow_schema(EVENT_SCHEMA).remove_metadata() == arrow.EVENT_SCHEMA.remove_metadata()
    assert EVENT_SCHEMA.fieldNames() == list(EVENT_COLUMNS)


def test_value_column_one_event_per_row(spark: Any) -> None:
    """A column of payloads (a bad one among them): the rows Spark returns are the rows of to_arrow() over
    the same events and their bytes, the bad payload a row with known=false and the error; every row's raw
    column is its payload exactly (a field the model does not know and an explicit null kept)."""
    from openresponses_msgspec.spark import EVENT_SCHEMA, decode_arrow

    values = [msgspec.json.encode(e) for e in corpus.events("mixed", 1500)]
    values[1234] = BAD
    values[7] = (
        b'{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,'
        b'"delta":"hi","sequence_number":7,"logprobs":null,"action":"generate"}'
    )
    df = spark.createDataFrame([(v.decode(),) for v in values], "value string")  # 2 partitions: local[2]
    got = df.mapInArrow(decode_arrow, EVENT_SCHEMA).collect()
    want = _rows(to_arrow([_one(v) for v in values], raw=values))
    assert sorted(map(_plain, got), key=repr) == sorted(want, key=repr)
    assert sorted(bytes(r["raw"]) for r in got) == sorted(values)
    bad = [r for r in got if r["known"] is False and r["error"] is not None]
    assert len(bad) == 1 and "$.output_index" in bad[0]["error"] and bad[0]["rest"] == BAD.decode()


def test_whole_files_ndjson_and_sse(spark: Any, tmp_path: Path) -> None:
    """wholetext=True rows: an SSE file (frames intact) and an NDJSON file decode to all their events, each
    row's raw column the event's JSON as written (the NDJSON line, the SSE event's data)."""
    from openresponses_msgspec.spark import EVENT_SCHEMA, decode_arrow

    evs = corpus.events("mixed", 800)
    (tmp_path / "a.sse").write_bytes(corpus.sse(evs[:400]))
    (tmp_path / "b.ndjson").write_bytes(corpus.ndjson(evs[400:]))
    df = spark.read.text(str(tmp_path), wholetext=True)
    got = df.mapInArrow(decode_arrow, EVENT_SCHEMA).collect()
    want = _rows(
        to_arrow(decode_sse(corpus.sse(evs[:400]), raw=True) + decode_lines(corpus.ndjson(evs[400:]), raw=True))
    )
    assert sorted(map(_plain, got), key=repr) == sorted(want, key=repr)
    assert len(got) == 800
    assert sorted(bytes(r["raw"]) for r in got) == sorted(corpus.ndjson(evs).rstrip(b"\n").split(b"\n"))


def _expected(events: list[dict[str, Any]]) -> spark_job.Answer:
    by_type = Counter(e["type"] for e in events)
    usage: dict[str, list[int]] = {}
    status: Counter[str] = Counter()
    for e in events:
        if e["type"] in spark_job.TERMINAL:
            r = e["response"]
            u = r["usage"] or {}
            acc = usage.setdefault(r["model"], [0, 0, 0, 0])
            for i, n in enumerate((1, u.get("input_tokens", 0), u.get("output_tokens", 0), u.get("total_tokens", 0))):
                acc[i] += n
            status[r["status"]] += 1
    return {"by_type": dict(by_type), "usage": {m: tuple(v) for m, v in usage.items()}, "status": dict(status)}


def test_example_job_over_a_log_directory(spark: Any, tmp_path: Path) -> None:
    """examples/spark_job.py over NDJSON and SSE logs: events by type, usage by model and responses by status
    equal what plain Python counts on the source events; a bad line is counted as '(invalid)' and nothing else
    changes; spark.read.json gives the same answer on the NDJSON files."""
    written = spark_job.write_logs(tmp_path / "logs", files=3, events_per_file=1500, sse_files=1)
    want = _expected(written)
    assert len(want["usage"]) == 3 and set(want["status"]) == {"completed", "failed", "incomplete"}
    got = spark_job.decode_arrow_job(spark, tmp_path / "logs")
    assert got == want

    with open(tmp_path / "logs" / "log-000.ndjson", "ab") as f:
        f.write(BAD + b"\n")
    got = spark_job.decode_arrow_job(spark, tmp_path / "logs")
    assert got["by_type"].pop("(invalid)") == 1
    assert got == want

    ndjson_only = tmp_path / "nd"
    spark_job.write_logs(ndjson_only, files=2, events_per_file=1000, sse_files=0)
    assert spark_job.read_json_job(spark, ndjson_only) == spark_job.decode_arrow_job(spark, ndjson_only)


def test_empty_directory_of_logs_is_refused(spark: Any, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no \\*.ndjson"):
        spark_job.events_frame(spark, tmp_path)
