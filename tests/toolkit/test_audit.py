"""audit() and ``openresponses-msgspec audit``: every wire tag and field the model does not keep, by path, with
counts and the first FILE:LINE; exit 1 when anything would be lost (issue #18). Lines are hand-written."""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import openresponses_msgspec as orm
from openresponses_msgspec import AuditFinding, audit, corpus
from openresponses_msgspec import _audit as audit_module
from openresponses_msgspec._audit import _Strict

LINES = [
    # 1: clean
    '{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,"delta":"Hi",'
    '"sequence_number":1}',
    # 2: a field on a tagged output item the model lacks
    '{"type":"response.output_item.done","output_index":0,"sequence_number":2,"item":{"type":"image_generation_call",'
    '"id":"ig_1","status":"completed","action":"generate","render_ms":412}}',
    # 3: an event type the model lacks
    '{"type":"response.teleport.started","sequence_number":3}',
    "",
    # 5: a nested tag the model lacks, and a field deep in the response (in an annotation, in usage)
    '{"type":"response.completed","sequence_number":5,"response":{"id":"r","status":"completed","output":['
    '{"type":"x_widget","id":"w"},{"type":"message","id":"m","role":"assistant","content":[{"type":"output_text",'
    '"text":"t","annotations":[{"type":"url_citation","url":"u","start_index":0,"end_index":1,"title":"x",'
    '"favicon":"f.ico"}]}]}],"usage":{"input_tokens":1,"output_tokens":1,"total_tokens":2,"carbon_g":0.1},'
    '"tools":[{"type":"brand_new_tool","anything":{"goes":1}}]}}',
    # 6: the same field again (counted, first line kept), and a null-valued unknown key (counted too)
    '{"type":"response.output_item.done","output_index":1,"sequence_number":6,"item":{"type":"image_generation_call",'
    '"id":"ig_2","render_ms":9}}',
    '{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,"delta":"x","trace":null}',
    "not json at all",
]
DATA = ("\n".join(LINES) + "\n").encode()
EXPECTED = [
    ("response.output_item.done", "$.item.render_ms", "image_generation_call", "field", 2, 2),
    ("response.teleport.started", "$", None, "event", 1, 3),
    ("response.completed", "$.response.output[]", "x_widget", "tag", 1, 5),
    ("response.completed", "$.response.output[].content[].annotations[].favicon", "url_citation", "field", 1, 5),
    ("response.completed", "$.response.usage.carbon_g", None, "field", 1, 5),
    ("response.output_text.delta", "$.trace", None, "field", 1, 7),
]


def _as(found: tuple[AuditFinding, ...], name: str) -> list[tuple[Any, ...]]:
    return [
        (f.event, f.path, f.variant, f.kind, f.count, int(f.first.rpartition(":")[2]))
        for f in found
        if f.first.startswith(name)
    ]


def test_every_lost_tag_and_field_by_path_with_count_and_first_line(tmp_path: Path) -> None:
    path = tmp_path / "log.ndjson"
    path.write_bytes(DATA)
    report = audit(path)
    assert sorted(_as(report.findings, str(path))) == sorted(EXPECTED)
    assert (report.events, report.malformed, report.ok, report.lost) == (7, 1, False, 7)
    assert [f.first for f in report.findings] == sorted(
        (f.first for f in report.findings), key=lambda s: int(s.rpartition(":")[2])
    )
    text = report.format()
    assert f"        2  {path}:2  response.output_item.done $.item.render_ms (image_generation_call)" in text
    assert f"{path}:3  response.teleport.started $: event" in text
    assert text.endswith("7 events: 6 tags and fields the model does not keep (7 occurrences); 1 malformed")


def test_the_same_findings_from_sse_arrays_gzip_and_several_files(tmp_path: Path) -> None:
    evs = [json.loads(line) for line in LINES if line.startswith("{")]
    sse = b"".join(b"event: %s\ndata: %s\n\n" % (e["type"].encode(), json.dumps(e).encode()) for e in evs)
    (tmp_path / "a.sse").write_bytes(b": hello\n\n" + sse + b"data: [DONE]\n\n")
    (tmp_path / "b.json.gz").write_bytes(gzip.compress(json.dumps(evs).encode()))
    clean = tmp_path / "c.ndjson"
    clean.write_bytes(b'{"type":"keepalive","sequence_number":7}\n')
    report = audit(tmp_path / "a.sse", tmp_path / "b.json.gz", clean)
    assert report.events == 2 * len(evs) + 1 and report.malformed == 0
    by = {(f.event, f.path, f.variant): f for f in report.findings}
    assert {k: f.count for k, f in by.items()} == {(e, p, v): 2 * n for e, p, v, _, n, _ in EXPECTED}
    # SSE: the line of the event's data line (its event: line is before it)
    assert (
        by[("response.output_item.done", "$.item.render_ms", "image_generation_call")].first
        == f"{tmp_path / 'a.sse'}:7"
    )
    assert by[("response.teleport.started", "$", None)].first == f"{tmp_path / 'a.sse'}:10"
    assert audit(clean).ok and audit(clean).format() == "1 events: the model keeps every tag and field"
    crlf = audit(b": x\r\n\r\n" + sse.replace(b"\n", b"\r\n"))
    assert {(f.event, f.path, f.variant, f.count, f.first) for f in crlf.findings} == {
        (f.event, f.path, f.variant, f.count // 2, f"<buffer>:{f.first.rpartition(':')[2]}")
        for f in report.findings
        if f.first.startswith(str(tmp_path / "a.sse"))
    }


def test_a_byte_order_mark_is_no_part_of_the_first_event() -> None:
    for data in (b"\xef\xbb\xbf" + DATA, b"\xef\xbb\xbfdata: " + LINES[1].encode() + b"\n\n"):
        report = audit(data)
        assert report.malformed == (1 if data.endswith(b"all\n") else 0)
        assert report.findings[0].path == "$.item.render_ms" and report.findings[0].first == "<buffer>:" + (
            "2" if data.endswith(b"all\n") else "1"
        )


def test_what_the_model_keeps_whole_is_not_looked_into() -> None:
    """``response.tools`` (a request echo, plain JSON) holds an unknown tool: nothing lost, nothing reported."""
    report = audit(LINES[4].encode())
    assert ("response.completed", "$.response.tools[]") not in {(f.event, f.path) for f in report.findings}
    assert orm.decode(LINES[4].encode()).response.tools == [{"type": "brand_new_tool", "anything": {"goes": 1}}]


def test_the_november_2026_surface_is_kept() -> None:
    """Shapes from issue #18 audit clean: WebSocket lanes, steering, multi-agent items, keepalive, new fields."""
    lines = [
        {
            "type": "response.created",
            "sequence_number": 0,
            "stream_id": "lane-a",
            "agent": {"agent_name": "main"},
            "response": {
                "id": "resp_1",
                "status": "in_progress",
                "prompt_cache_options": {"comparison_response_id": "r0"},
                "prompt_cache_diagnostics": {
                    "type": "cache_miss",
                    "cache_missed_tokens": 12,
                    "reason": "tools_changed",
                },
            },
        },
        {"type": "response.steer.accepted", "sequence_number": 4, "stream_id": "lane-a"},
        {
            "type": "response.output_item.done",
            "sequence_number": 5,
            "output_index": 0,
            "stream_id": "lane-b",
            "item": {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "c",
                "name": "f",
                "arguments": "{}",
                "async": True,
                "agent": {"agent_name": "worker"},
            },
        },
        {
            "type": "response.output_item.done",
            "sequence_number": 6,
            "output_index": 1,
            "item": {
                "type": "multi_agent_call",
                "id": "ma_1",
                "call_id": "c2",
                "action": "spawn_agent",
                "arguments": "{}",
            },
        },
        {"type": "keepalive", "sequence_number": 7},
        {
            "type": "response.incomplete",
            "sequence_number": 8,
            "stream_id": "lane-a",
            "response": {
                "id": "resp_1",
                "status": "incomplete",
                "incomplete_details": {"reason": "steered"},
                "usage": {
                    "input_tokens": 3,
                    "output_tokens": 1,
                    "total_tokens": 4,
                    "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens_details": {"ttl_30m_tokens": 3}},
                },
            },
        },
    ]
    report = audit(b"\n".join(json.dumps(x).encode() for x in lines))
    assert report.ok, report.format()
    assert report.events == len(lines)


def test_a_clean_large_corpus_is_ok_in_every_format() -> None:
    evs = corpus.events("text", 3000)
    for data in (corpus.ndjson(evs), corpus.sse(evs), corpus.array(evs)):
        report = audit(data)
        assert (report.ok, report.events, report.malformed) == (True, 3000, 0)


def test_learned_top_level_drift_counts_the_same_as_the_walk() -> None:
    """A new field on every event is learned per event type (fast path); the counts equal the walk's."""
    rnd = random.Random(3)
    evs = corpus.events("mixed", 4000)
    for e in evs:
        if rnd.random() < 0.5:
            e["lane_hint"] = None if rnd.random() < 0.2 else "a"
        if rnd.random() < 0.1:
            e["zz"] = [1]
    data = corpus.ndjson(evs)
    learned = audit(data)
    saved = _Strict.MAX_LEARNED
    try:
        _Strict.MAX_LEARNED = 0
        walked = audit(data)
    finally:
        _Strict.MAX_LEARNED = saved
    assert learned == walked
    counts: dict[tuple[str, str], int] = {}
    for e in evs:
        for k in ("lane_hint", "zz"):
            if k in e and e["type"] in orm.EVENT_TYPES:  # an unknown event is reported as one, not by field
                counts[(e["type"], f"$.{k}")] = counts.get((e["type"], f"$.{k}"), 0) + 1
    assert {(f.event, f.path): f.count for f in learned.findings if f.kind == "field"} == counts


# -- mutated realistic streams: audit never raises, and reports exactly what was added ---------------------------

_STREAM = corpus.events("mixed", 400)


@st.composite
def _mutated(draw: st.DrawFn) -> tuple[list[bytes], dict[tuple[str, str], int], int]:
    evs = [json.loads(json.dumps(e)) for e in _STREAM[: draw(st.integers(20, len(_STREAM)))]]
    ops = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["drop", "dup", "swap", "strip", "noseq", "add", "add_nested", "rotate"]),
                st.integers(0, 10_000),
            ),
            max_size=25,
        )
    )
    for op, k in ops:
        if not evs:
            break
        i = k % len(evs)
        if op == "drop":
            del evs[i]
        elif op == "dup":
            evs.insert(i, json.loads(json.dumps(evs[i])))
        elif op == "swap" and len(evs) > 1:
            j = (i + 1) % len(evs)
            evs[i], evs[j] = evs[j], evs[i]
        elif op == "strip":
            for key in [x for x in evs[i] if x not in ("type", "delta", "response")][: 1 + k % 3]:
                del evs[i][key]
        elif op == "noseq":
            evs[i].pop("sequence_number", None)
        elif op == "rotate" and "response" in evs[i] and isinstance(evs[i]["response"], dict):
            evs[i]["response"]["id"] = f"resp_rot{k}"
        elif op == "add":
            evs[i][f"zq_{k % 4}"] = k
        elif op == "add_nested" and isinstance(evs[i].get("response"), dict):
            evs[i]["response"][f"zr_{k % 3}"] = {"n": k}
    truncated = set(draw(st.lists(st.integers(0, len(evs) - 1), max_size=3))) if evs else set()
    lines = []
    expected: dict[tuple[str, str], int] = {}
    for n, e in enumerate(evs):
        line = json.dumps(e).encode()
        if n in truncated:
            lines.append(line[: max(1, len(line) // 2)])
            continue
        lines.append(line)
        if e["type"] not in orm.EVENT_TYPES:  # reported as an event the model lacks, not field by field
            expected[(e["type"], "$")] = expected.get((e["type"], "$"), 0) + 1
            continue
        for key in e:
            if key.startswith("zq_"):
                expected[(e["type"], f"$.{key}")] = expected.get((e["type"], f"$.{key}"), 0) + 1
        for key in e.get("response") or {}:
            if key.startswith("zr_"):
                expected[(e["type"], f"$.response.{key}")] = expected.get((e["type"], f"$.response.{key}"), 0) + 1
    return lines, expected, len(truncated)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated())
def test_mutated_streams_never_raise_and_report_exactly_what_was_added(
    case: tuple[list[bytes], dict[tuple[str, str], int], int],
) -> None:
    lines, expected, truncated = case
    report = audit(b"\n".join(lines) + b"\n")
    assert report.events == len(lines)
    assert report.malformed == truncated
    got = {(f.event, f.path): f.count for f in report.findings}
    assert got == expected
    # SSE of the same events (without the truncated ones) reports the same
    whole = [ln for ln in lines if ln.endswith(b"}")]
    sse = b"".join(b"data: " + ln + b"\n\n" for ln in whole)
    assert {(f.event, f.path): f.count for f in audit(sse).findings} == expected


@pytest.mark.slow
def test_cli_audit_prints_the_findings_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "log.ndjson"
    path.write_bytes(DATA)
    clean = tmp_path / "clean.ndjson"
    clean.write_bytes(corpus.ndjson(corpus.events("text", 50)))
    run = [sys.executable, "-m", "openresponses_msgspec", "audit"]
    r = subprocess.run([*run, str(path), str(clean)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert f"{path}:5  response.completed $.response.usage.carbon_g" in r.stdout
    assert "57 events: 6 tags and fields the model does not keep (7 occurrences); 1 malformed" in r.stdout
    r = subprocess.run([*run, "--json", "-"], input=clean.read_text(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert msgspec.json.decode(r.stdout) == {"events": 50, "malformed": 0, "findings": []}
    r = subprocess.run([*run, str(tmp_path / "missing.ndjson")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no such file" in r.stderr


@pytest.mark.slow
def test_a_file_read_block_by_block_gives_what_the_whole_buffer_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks cut at line (NDJSON) and blank-line (SSE) boundaries: the same counts and FILE:LINE, any size."""
    rnd = random.Random(9)
    evs = corpus.events("mixed", 1500)
    for e in evs:
        if rnd.random() < 0.05:
            e["zz_note"] = rnd.random()
    sse = corpus.sse(evs)
    inputs = {
        "log.ndjson": corpus.ndjson(evs),
        "log.sse": sse,
        "crlf.sse": sse.replace(b"\n", b"\r\n"),
        "log.ndjson.gz": gzip.compress(corpus.ndjson(evs)),
        "bom.ndjson": b"\xef\xbb\xbf" + DATA,
    }
    for name, data in inputs.items():
        path = tmp_path / name
        path.write_bytes(data)
        whole = audit(gzip.decompress(data) if name.endswith(".gz") else data)
        assert whole.findings, name
        for size in (3, 257, 4096):
            monkeypatch.setattr(audit_module, "BLOCK_SIZE", size)
            blocks = audit(path)
            assert (blocks.events, blocks.malformed) == (whole.events, whole.malformed), (name, size)
            assert [(f.event, f.path, f.count, f.first.replace(str(path), "<buffer>")) for f in blocks.findings] == [
                (f.event, f.path, f.count, f.first) for f in whole.findings
            ], (name, size)


def test_an_array_broken_midway_counts_the_break() -> None:
    # a syntax error in an array used to make the whole source "0 events: the model keeps every tag and field"
    good = json.loads(LINES[1])
    for data in (
        b"[" + json.dumps(good).encode() + b',\n{"type":"response.in_progress", oops}]',
        b"[" + json.dumps(good).encode() + b',{"type":"resp',
    ):
        report = audit(data)
        assert report.malformed == 1 and report.events >= 1, data
        assert report.format().endswith("; 1 malformed")
    many = b"[" + b",".join([json.dumps(good).encode()] * 20000) + b',{"type":"resp'  # the pieces before the break
    report = audit(many)
    assert (report.malformed, report.events) == (1, 20001)
    assert all(f.path == "$.item.render_ms" and f.count == report.events - 1 for f in report.findings)


def test_cli_audit_of_a_truncated_gzip_is_bad_input_not_an_internal_error(tmp_path: Path) -> None:
    (tmp_path / "t.ndjson.gz").write_bytes(gzip.compress(DATA)[:40])
    done = subprocess.run(
        [sys.executable, "-m", "openresponses_msgspec", "audit", str(tmp_path / "t.ndjson.gz")],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    err = done.stderr.decode()
    assert (
        err.startswith(f"{tmp_path / 't.ndjson.gz'}: gzip data is corrupt or ends early")
        and "internal error" not in err
        and "Traceback" not in err
        and err.count("\n") == 1
    ), err


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"", "empty input: no events"),
        (
            b'{"error":{"message":"Incorrect API key provided",'
            b'"type":"invalid_request_error","code":"invalid_api_key"}}',
            "not an event stream: an API error body: 'Incorrect API key provided'"
            " (invalid_request_error, invalid_api_key)",
        ),
        (b"<html><head><title>502 Bad Gateway</title></head></html>", "not an event stream: an HTML page"),
    ],
)
def test_cli_audit_refuses_what_is_no_event_stream(tmp_path: Path, body: bytes, why: str) -> None:
    """As stats and check do: a body that is no stream is bad input (exit 1, one line), not "0 events: the model
    keeps every tag and field" with exit 0; from a file and from stdin alike."""
    path = tmp_path / "body.txt"
    path.write_bytes(body)
    run = [sys.executable, "-m", "openresponses_msgspec", "audit"]
    for args, stdin in (([str(path)], None), (["-"], body)):
        done = subprocess.run([*run, *args], input=stdin, capture_output=True, timeout=120)
        err = done.stderr.decode()
        assert (done.returncode, done.stdout) == (1, b""), err
        assert err.startswith(f"{args[0]}: {why}") and err.count("\n") == 1, err


def test_cli_audit_reads_stdin_after_its_head_was_looked_at() -> None:
    data = corpus.ndjson(corpus.events("text", 300)) + DATA
    done = subprocess.run(
        [sys.executable, "-m", "openresponses_msgspec", "audit", "-"], input=data, capture_output=True, timeout=120
    )
    assert done.returncode == 1, done.stderr
    assert "307 events: 6 tags and fields the model does not keep (7 occurrences); 1 malformed" in done.stdout.decode()
    assert "-:305  response.completed $.response.usage.carbon_g" in done.stdout.decode()
