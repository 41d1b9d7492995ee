"""The command line: output and exit status of every verb, run as a user runs it (a subprocess) where the
process boundary matters (stdin, exit status, stderr), in-process elsewhere."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from openresponses_msgspec import accumulate, corpus, decode_lines, iter_events
from openresponses_msgspec._cli import main

EVENTS = corpus.events("mixed", 400)
NDJSON = corpus.ndjson(EVENTS)


def _run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "openresponses_msgspec", *args], input=stdin, capture_output=True,
                          timeout=300)


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    (tmp_path / "log.ndjson").write_bytes(NDJSON)
    (tmp_path / "log.sse.gz").write_bytes(gzip.compress(corpus.sse(EVENTS)))
    lines = NDJSON.split(b"\n")
    lines[10] = b'{"type":"response.output_text.delta" oops}'
    lines[20] = b'{"type":"error","code":5,"message":"m","param":null,"sequence_number":1}'
    (tmp_path / "bad.ndjson").write_bytes(b"\n".join(lines))
    return tmp_path


class TestArguments:
    @pytest.mark.parametrize("argv", [
        ["frob"], [], ["demo", "--repeat", "0"], ["demo", "--events", "-1"], ["demo", "--events", "x"],
        ["stats"], ["validate", "--max-errors", "-2", "x"], ["convert", "a", "--to", "xml"],
    ])
    def test_bad_arguments_one_line_exit_2(self, argv: list[str]) -> None:
        r = _run(*argv)
        assert r.returncode == 2
        err = r.stderr.decode()
        assert err.count("\n") == 1 and err.startswith("openresponses-msgspec") and "error: " in err
        assert r.stdout == b""

    def test_missing_file_and_unknown_output(self, logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["stats", str(logs / "nope.ndjson")]) == 2
        assert capsys.readouterr().err == f"openresponses-msgspec stats: error: no such file: {logs / 'nope.ndjson'}\n"
        assert main(["convert", str(logs / "log.ndjson"), "-o", str(logs / "x.txt")]) == 2
        assert "use --to" in capsys.readouterr().err
        assert main(["convert", str(logs / "log.ndjson"), "--to", "parquet"]) == 2
        assert "needs an output file" in capsys.readouterr().err

    def test_help_has_examples(self) -> None:
        r = _run("--help")
        assert r.returncode == 0 and b"examples:" in r.stdout and b"convert log.sse -o log.parquet" in r.stdout
        for verb in ("demo", "stats", "validate", "convert", "cat"):
            r = _run(verb, "--help")
            assert r.returncode == 0 and b"example" in r.stdout, verb


class TestDemo:
    def test_demo_small(self) -> None:
        r = _run("demo", "--events", "3000", "--repeat", "1")
        out = r.stdout.decode()
        assert r.returncode == 0, r.stderr
        assert "3,000 events decoded" in out
        accs = accumulate(decode_lines(corpus.ndjson(
            corpus.events("text", 1200) + corpus.events("reasoning", 900) + corpus.events("mixed", 750)
            + corpus.events("image", 150))))
        assert f"accumulate: {len(accs):,} responses" in out
        assert "first response with text: resp_00000000 completed" in out

    def test_demo_zero_events(self) -> None:
        r = _run("demo", "--events", "0")
        assert r.returncode == 0 and b"nothing to decode" in r.stdout


class TestStats:
    def test_json_counts_add_up(self, logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["stats", str(logs / "log.sse.gz"), "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["events"] == len(EVENTS) == sum(report["events_by_type"].values())
        assert report["events_by_type"]["response.output_text.delta"] == sum(
            e["type"] == "response.output_text.delta" for e in EVENTS)
        assert report["unknown_events"] == sum(e["type"] in ("response.keep_alive", "response.future_feature.delta")
                                              for e in EVENTS)
        assert report["invalid_events"] == 0
        done = [e for e in EVENTS if e["type"] == "response.completed"]
        created = [e for e in EVENTS if e["type"] == "response.created"]
        assert report["responses"] == len(created)
        assert report["responses_by_status"] == {"completed": len(done), "cut_short": len(created) - len(done)}
        assert report["tokens"]["total"] == sum(e["response"]["usage"]["total_tokens"] for e in done)
        assert report["responses_by_model"] == {"openai/gpt-4o": len(created)}

    def test_table_and_stdin(self, logs: Path) -> None:
        r = _run("stats", "-", stdin=(logs / "bad.ndjson").read_bytes())
        out = r.stdout.decode()
        assert r.returncode == 0
        assert f"{len(EVENTS):,} events (" in out and "2 invalid" in out and "events by type:" in out


class TestValidate:
    def test_compiler_style_lines_exit_1(self, logs: Path) -> None:
        r = _run("validate", str(logs / "bad.ndjson"), str(logs / "log.ndjson"))
        assert r.returncode == 1
        lines = (logs / "bad.ndjson").read_bytes().split(b"\n")
        offsets = [len(b"\n".join(lines[:k])) + 1 for k in (10, 20)]
        bad = str(logs / "bad.ndjson")
        assert r.stdout.decode().splitlines() == [
            f"{bad}:11:{offsets[0]}: JSON is malformed: expected ',' or '}}' (byte 37)",
            f"{bad}:21:{offsets[1]}: Expected `str | null`, got `int` - at `$.code`",
        ]
        assert r.stderr.decode() == "2 bad events\n"

    def test_max_errors_and_clean_file(self, logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["validate", str(logs / "bad.ndjson"), "--max-errors", "1"]) == 1
        assert len(capsys.readouterr().out.splitlines()) == 1
        assert main(["validate", str(logs / "log.ndjson"), str(logs / "log.sse.gz")]) == 0
        assert capsys.readouterr().out == ""

    def test_sse_lines(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        sse = corpus.sse(EVENTS[:5], comments=False, done=False) + b'data: {"type":"error" "x"}\n\n'
        (tmp_path / "c.sse").write_bytes(sse)
        assert main(["validate", str(tmp_path / "c.sse")]) == 1
        offset = sse.index(b'data: {"type":"error" "x"}')
        message = "JSON is malformed: expected ',' or '}' (byte 16)"
        assert capsys.readouterr().out == f"{tmp_path / 'c.sse'}:11:{offset}: {message}\n"


class TestConvert:
    @pytest.mark.parametrize("to", ["ndjson", "sse", "array"])
    def test_formats_round_trip(self, logs: Path, to: str) -> None:
        out = logs / f"out.{to}.gz"
        assert main(["convert", str(logs / "log.sse.gz"), "--to", to, "-o", str(out)]) == 0
        assert list(iter_events(out)) == decode_lines(NDJSON)

    def test_parquet_events_and_responses(self, logs: Path) -> None:
        pq = pytest.importorskip("pyarrow.parquet", reason="the arrow extra is part of the test extra")
        assert main(["convert", str(logs / "log.ndjson"), "-o", str(logs / "e.parquet")]) == 0
        t = pq.read_table(logs / "e.parquet")
        assert t.column("type").to_pylist() == [e["type"] for e in EVENTS]
        assert main(["convert", str(logs / "log.ndjson"), "--responses", "-o", str(logs / "r.parquet")]) == 0
        r = pq.read_table(logs / "r.parquet")
        accs = accumulate(decode_lines(NDJSON))
        assert r.column("response_id").to_pylist() == [a.response_id for a in accs]
        assert r.column("output_text").to_pylist() == [a.output_text for a in accs]

    def test_responses_as_ndjson(self, logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["convert", str(logs / "log.ndjson"), "--responses"]) == 0
        rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        accs = accumulate(decode_lines(NDJSON))
        assert [r["status"] for r in rows] == [a.status for a in accs]
        assert rows[0]["response"]["output"][0]["content"][0]["text"] == accs[0].output_text

    def test_bad_input_strict_exit_1_replace_skips(self, logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["convert", str(logs / "bad.ndjson")]) == 1
        assert capsys.readouterr().err.startswith(f"{logs / 'bad.ndjson'}:11:")
        assert main(["convert", str(logs / "bad.ndjson"), "--errors", "replace"]) == 0
        cap = capsys.readouterr()
        assert len(cap.out.splitlines()) == len(EVENTS) - 2
        assert cap.err.count("skipped") == 2


class TestCat:
    def test_filter_and_fields(self, logs: Path) -> None:
        r = _run("cat", "-", "--type", "response.output_text.d*", "--fields", "sequence_number,delta",
                 stdin=(logs / "log.sse.gz").read_bytes())
        assert r.returncode == 0
        got = [json.loads(line) for line in r.stdout.splitlines()]
        want = [{"sequence_number": e["sequence_number"], "delta": e.get("delta")} for e in EVENTS
                if e["type"] in ("response.output_text.delta", "response.output_text.done")]
        assert got == want

    def test_dotted_fields(self, logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["cat", str(logs / "log.ndjson"), "--type", "response.completed",
                     "--fields", "response.id,response.usage.total_tokens"]) == 0
        got = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert got == [{"response.id": e["response"]["id"],
                        "response.usage.total_tokens": e["response"]["usage"]["total_tokens"]}
                       for e in EVENTS if e["type"] == "response.completed"]

    def test_bad_line_strict_and_replace(self, logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["cat", str(logs / "bad.ndjson")]) == 1
        cap = capsys.readouterr()
        assert len(cap.out.splitlines()) == 10 and cap.err.startswith(f"{logs / 'bad.ndjson'}:11:")
        assert main(["cat", str(logs / "bad.ndjson"), "--errors", "replace", "--type", "*"]) == 0
        assert len(capsys.readouterr().out.splitlines()) == len(EVENTS) - 2  # invalid events have no type
