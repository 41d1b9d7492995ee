"""The command line: output and exit status of every verb, run as a user runs it (a subprocess) where the
process boundary matters (stdin, exit status, stderr), in-process elsewhere."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest

from openresponses_msgspec import accumulate, corpus, decode_lines, iter_events
from openresponses_msgspec._cli import main

EVENTS = corpus.events("mixed", 400)
NDJSON = corpus.ndjson(EVENTS)


def _run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "openresponses_msgspec", *args], input=stdin, capture_output=True, timeout=300
    )


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
    @pytest.mark.parametrize(
        "argv",
        [
            ["frob"],
            [],
            ["demo", "--repeat", "0"],
            ["demo", "--events", "-1"],
            ["demo", "--events", "x"],
            ["stats"],
            ["validate", "--max-errors", "-2", "x"],
            ["convert", "a", "--to", "xml"],
        ],
    )
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

    @pytest.mark.slow
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
        accs = accumulate(
            decode_lines(
                corpus.ndjson(
                    corpus.events("text", 1200)
                    + corpus.events("reasoning", 900)
                    + corpus.events("mixed", 750)
                    + corpus.events("image", 150)
                )
            )
        )
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
            e["type"] == "response.output_text.delta" for e in EVENTS
        )
        assert report["unknown_events"] == sum(
            e["type"] in ("response.keep_alive", "response.future_feature.delta") for e in EVENTS
        )
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
        r = _run(
            "cat",
            "-",
            "--type",
            "response.output_text.d*",
            "--fields",
            "sequence_number,delta",
            stdin=(logs / "log.sse.gz").read_bytes(),
        )
        assert r.returncode == 0
        got = [json.loads(line) for line in r.stdout.splitlines()]
        want = [
            {"sequence_number": e["sequence_number"], "delta": e.get("delta")}
            for e in EVENTS
            if e["type"] in ("response.output_text.delta", "response.output_text.done")
        ]
        assert got == want

    def test_dotted_fields(self, logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert (
            main(
                [
                    "cat",
                    str(logs / "log.ndjson"),
                    "--type",
                    "response.completed",
                    "--fields",
                    "response.id,response.usage.total_tokens",
                ]
            )
            == 0
        )
        got = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert got == [
            {"response.id": e["response"]["id"], "response.usage.total_tokens": e["response"]["usage"]["total_tokens"]}
            for e in EVENTS
            if e["type"] == "response.completed"
        ]

    def test_bad_line_strict_and_replace(self, logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["cat", str(logs / "bad.ndjson")]) == 1
        cap = capsys.readouterr()
        assert len(cap.out.splitlines()) == 10 and cap.err.startswith(f"{logs / 'bad.ndjson'}:11:")
        assert main(["cat", str(logs / "bad.ndjson"), "--errors", "replace", "--type", "*"]) == 0
        assert len(capsys.readouterr().out.splitlines()) == len(EVENTS) - 2  # invalid events have no type


# -- failures: one line, their own exit status, never a traceback (issue #16) --------------------------------

API_ERROR = b'{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}'
HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>\n"


def _one_line(err: bytes) -> str:
    text = err.decode()
    assert text.count("\n") == 1 and "Traceback" not in text, text
    return text


class TestNotAStream:
    @pytest.mark.parametrize("verb", ["stats", "validate", "convert", "cat"])
    def test_api_error_body(self, tmp_path: Path, verb: str) -> None:
        (tmp_path / "body.json").write_bytes(API_ERROR)
        r = _run(verb, str(tmp_path / "body.json"))
        assert r.returncode == 1
        assert (r.stdout if verb == "validate" else r.stderr).decode() == (
            f"{tmp_path / 'body.json'}: not an event stream: an API error body: 'Incorrect API key' "
            "(invalid_request_error, invalid_api_key)\n"
        )

    def test_pretty_printed_error_body_and_whole_response(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        (tmp_path / "e.json").write_bytes(
            b'{\n  "error": {\n    "message": "Rate limit reached",\n'
            b'    "type": "requests",\n    "code": "rate_limit_exceeded"\n  }\n}\n'
        )
        assert main(["stats", str(tmp_path / "e.json")]) == 1
        assert "an API error body: 'Rate limit reached' (requests, rate_limit_exceeded)" in capsys.readouterr().err
        (tmp_path / "r.json").write_bytes(b'{"id":"resp_1","object":"response","status":"completed","output":[]}')
        assert main(["stats", str(tmp_path / "r.json")]) == 1
        assert "one whole response object (a request without stream=true?)" in capsys.readouterr().err

    def test_html_page_and_plain_text(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        (tmp_path / "page").write_bytes(HTML_502)
        assert main(["stats", str(tmp_path / "page")]) == 1
        assert capsys.readouterr().err == (
            f"{tmp_path / 'page'}: not an event stream: an HTML page "
            "('502 Bad Gateway'), as a proxy or server error sends\n"
        )
        (tmp_path / "t").write_bytes(b"upstream connect error or disconnect/reset before headers\n")
        assert main(["stats", str(tmp_path / "t")]) == 1
        assert "text without SSE fields ('upstream connect error" in capsys.readouterr().err
        (tmp_path / "b").write_bytes(b"\x00\x00\x00\x00" + NDJSON)  # a log file preallocated with NULs
        assert main(["cat", str(tmp_path / "b")]) == 1
        assert capsys.readouterr().err == (
            f"{tmp_path / 'b'}: not an event stream: binary data (first bytes: 00 00 00 00 7b 22 74 79)\n"
        )

    def test_empty_input(self, tmp_path: Path) -> None:
        (tmp_path / "empty.ndjson").write_bytes(b"")
        r = _run("stats", str(tmp_path / "empty.ndjson"))
        assert (r.returncode, r.stdout) == (1, b"")
        assert _one_line(r.stderr) == f"{tmp_path / 'empty.ndjson'}: empty input: no events\n"
        r = _run("cat", "-", stdin=b"\n \n")
        assert (r.returncode, r.stderr) == (1, b"-: empty input: no events (only whitespace)\n")

    @pytest.mark.parametrize("verb", ["stats", "convert"])
    def test_truncated_gzip_says_how_far(self, tmp_path: Path, verb: str) -> None:
        data = gzip.compress(NDJSON)
        (tmp_path / "cut.ndjson.gz").write_bytes(data[: len(data) // 2])
        r = _run(verb, str(tmp_path / "cut.ndjson.gz"))
        assert r.returncode == 1
        err = _one_line(r.stderr)
        assert err.startswith(
            f"{tmp_path / 'cut.ndjson.gz'}: gzip data ends early (truncated file): compressed byte "
            f"{len(data) // 2}, uncompressed byte "
        )
        reached = int(err.split("uncompressed byte ")[1])
        assert 0 < reached < len(NDJSON)
        assert zlib.decompressobj(31).decompress(data[: len(data) // 2]) == NDJSON[:reached]  # all it holds


class TestPaths:
    def test_directory(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["stats", str(tmp_path)]) == 2
        assert capsys.readouterr().err == (
            f"openresponses-msgspec stats: error: {tmp_path} is a directory, not a "
            f"file (name the files in it, e.g. {tmp_path}/*.ndjson)\n"
        )

    def test_fifo_and_process_substitution(self, tmp_path: Path) -> None:
        fifo = tmp_path / "in.fifo"
        os.mkfifo(fifo)
        p = subprocess.Popen(
            [sys.executable, "-m", "openresponses_msgspec", "stats", "--json", str(fifo)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        with open(fifo, "wb") as w:
            w.write(NDJSON)
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert json.loads(out)["events"] == len(EVENTS)
        r = subprocess.run(
            ["bash", "-c", f"{sys.executable} -m openresponses_msgspec stats --json <(cat {logs_path(tmp_path)})"],
            capture_output=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["events"] == len(EVENTS)

    def test_output_over_its_input_is_refused(self, logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
        src = logs / "log.ndjson"
        assert main(["convert", str(src), "-o", str(src)]) == 2
        assert capsys.readouterr().err == (
            f"openresponses-msgspec convert: error: the output {src} is also an "
            "input: write to another file, then rename it\n"
        )
        assert src.read_bytes() == NDJSON  # not truncated
        os.link(src, logs / "hard.ndjson")  # the same file under another name
        assert main(["convert", str(src), "-o", str(logs / "hard.ndjson")]) == 2
        assert src.read_bytes() == NDJSON

    def test_missing_directory_and_unwritable_place(self, logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["convert", str(logs / "log.ndjson"), "-o", str(logs / "no" / "out.ndjson")]) == 2
        assert capsys.readouterr().err == (
            f"openresponses-msgspec convert: error: cannot write "
            f"{logs / 'no' / 'out.ndjson'}: no such directory: {logs / 'no'}\n"
        )
        assert main(["convert", str(logs / "log.ndjson"), "-o", "/proc/out.ndjson"]) == 2  # root cannot either
        err = capsys.readouterr().err
        assert err.startswith("openresponses-msgspec convert: error: cannot write in /proc: ") and err.count("\n") == 1
        assert main(["convert", str(logs / "log.ndjson"), "--to", "ndjson", "-o", str(logs)]) == 2
        assert "is a directory: name a file" in capsys.readouterr().err

    def test_output_renamed_when_complete(self, logs: Path) -> None:
        out = logs / "out.ndjson"
        out.write_bytes(b"old\n")
        # a bad line half way: strict mode stops, and the old output stays as it was (no partial file)
        assert main(["convert", str(logs / "bad.ndjson"), "-o", str(out)]) == 1
        assert out.read_bytes() == b"old\n"
        assert sorted(p.name for p in logs.iterdir()) == ["bad.ndjson", "log.ndjson", "log.sse.gz", "out.ndjson"]
        assert main(["convert", str(logs / "log.ndjson"), "-o", str(out)]) == 0
        assert out.read_bytes() == NDJSON
        assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())

    def test_output_keeps_an_existing_files_mode_and_never_flips_the_umask(
        self, logs: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        umask = _umask()
        out = logs / "secret.ndjson"
        out.write_bytes(b"old\n")
        out.chmod(0o600)

        def no_umask(mask: int) -> int:  # process-wide: another thread creating a file would get this mask
            raise AssertionError(f"os.umask({mask:o}) called")

        monkeypatch.setattr(os, "umask", no_umask)
        assert main(["convert", str(logs / "log.ndjson"), "-o", str(out)]) == 0
        assert out.read_bytes() == NDJSON and oct(out.stat().st_mode & 0o777) == oct(0o600)
        new = logs / "new.ndjson"
        assert main(["convert", str(logs / "log.ndjson"), "-o", str(new)]) == 0
        assert oct(new.stat().st_mode & 0o777) == oct(0o666 & ~umask)
        assert sorted(p.name for p in logs.iterdir()) == [
            "bad.ndjson",
            "log.ndjson",
            "log.sse.gz",
            "new.ndjson",
            "secret.ndjson",
        ]

    def test_dev_null_output_is_written_in_place(self, logs: Path) -> None:
        assert main(["convert", str(logs / "log.ndjson"), "-o", os.devnull, "--to", "ndjson"]) == 0
        assert Path(os.devnull).is_char_device()


def logs_path(tmp_path: Path) -> Path:
    p = tmp_path / "plain.ndjson"
    p.write_bytes(NDJSON)
    return p


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


class TestIOFailures:
    @pytest.mark.slow
    def test_full_disk_on_stdout(self, logs: Path) -> None:
        for argv in (
            ["stats", str(logs / "log.ndjson")],
            ["convert", str(logs / "log.ndjson"), "--to", "sse"],
            ["cat", str(logs / "log.ndjson")],
        ):
            with open("/dev/full", "wb") as full:
                r = subprocess.run(
                    [sys.executable, "-m", "openresponses_msgspec", *argv],
                    stdout=full,
                    stderr=subprocess.PIPE,
                    timeout=120,
                )
            assert r.returncode == 74, argv
            assert _one_line(r.stderr) == (
                f"openresponses-msgspec {argv[0]}: error: cannot write stdout: No space left on device\n"
            )

    def test_file_too_large_leaves_no_partial_output(self, logs: Path) -> None:
        import resource
        import signal

        def limit() -> None:  # the file size limit: writes past 16 KiB fail (EFBIG), like a full disk
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))

        out = logs / "big.sse"
        r = subprocess.run(
            [sys.executable, "-m", "openresponses_msgspec", "convert", str(logs / "log.ndjson"), "-o", str(out)],
            capture_output=True,
            timeout=120,
            preexec_fn=limit,
        )
        assert r.returncode == 74
        assert _one_line(r.stderr) == f"openresponses-msgspec convert: error: cannot write {out}: File too large\n"
        assert sorted(p.name for p in logs.iterdir()) == ["bad.ndjson", "log.ndjson", "log.sse.gz"]

    def test_tmpfs_full(self, logs: Path, tmp_path: Path) -> None:
        disk = tmp_path / "tiny"
        disk.mkdir()
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True)
        if mounted.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
        try:
            r = _run("convert", str(logs / "log.ndjson"), "--to", "sse", "-o", str(disk / "out.sse"))
            assert r.returncode == 74
            assert _one_line(r.stderr) == (
                f"openresponses-msgspec convert: error: cannot write {disk / 'out.sse'}: No space left on device\n"
            )
            assert list(disk.iterdir()) == []
        finally:
            subprocess.run(["umount", str(disk)], check=True)


class TestInterrupt:
    def test_ctrl_c_while_reading_exit_130(self) -> None:
        """SIGINT while a verb reads a stream that has not ended: exit status 130, one line, no traceback."""
        import signal

        big = corpus.ndjson(corpus.events("text", 8000))  # > 1 MiB: write() returns once most of it was read
        p = subprocess.Popen(
            [sys.executable, "-m", "openresponses_msgspec", "stats", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert p.stdin is not None and len(big) > 1 << 20
        p.stdin.write(big)  # blocks until the reader has taken all but a pipe buffer of it: it is reading
        p.stdin.flush()
        time.sleep(0.2)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
        assert (p.returncode, out, err) == (130, b"", b"openresponses-msgspec stats: interrupted\n")

    @pytest.mark.parametrize("how", ["-m", "script"])
    def test_ctrl_c_while_the_package_imports_exit_130(self, how: str) -> None:
        """SIGINT while Python still imports the package (msgspec, the model), before the command line's own
        handlers exist: one line and 130, no traceback. ``-X importtime`` reports each import as it completes,
        so the signal is sent once msgspec is in: from inside the package's own import."""
        import signal

        script = Path(sys.executable).with_name("openresponses-msgspec")
        cmd = [sys.executable, "-X", "importtime"] + (["-m", "openresponses_msgspec"] if how == "-m" else [str(script)])
        p = subprocess.Popen(
            cmd + ["stats", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert p.stderr is not None
        watchdog = threading.Timer(120, p.kill)  # a start-up that never imports msgspec fails, never hangs
        watchdog.start()
        for line in p.stderr:
            if re.search(rb"\|\s+msgspec$", line.rstrip()):
                p.send_signal(signal.SIGINT)
                break
        out, err = p.communicate(timeout=120)
        watchdog.cancel()
        assert (p.returncode, out, err) == (130, b"", b"openresponses-msgspec: interrupted\n")

    def test_a_program_importing_the_package_keeps_its_own_sigint(self) -> None:
        code = (
            "import signal, openresponses_msgspec; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
        )
        got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert (got.returncode, got.stdout) == (0, "True\n")


class TestInternalError:
    def test_one_line_exit_70(
        self, logs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        import openresponses_msgspec._cli as cli

        def broken(self: object, events: object) -> None:
            raise TypeError("unsupported operand type(s) for +: 'NoneType' and 'int'")

        monkeypatch.setattr(cli.StreamSplitter, "feed", broken)
        assert main(["stats", str(logs / "log.ndjson")]) == 70
        assert capsys.readouterr().err == (
            "openresponses-msgspec stats: internal error: TypeError: unsupported operand type(s) for +: 'NoneType' "
            "and 'int' (a bug in openresponses-msgspec: please report it with the command line; exit status 70)\n"
        )


class TestMissingExtra:
    def test_parquet_and_progress_without_their_extras(self, logs: Path) -> None:
        code = (
            "import sys; sys.modules['pyarrow'] = None; sys.modules['tqdm'] = None\n"
            "from openresponses_msgspec._cli import main\n"
            f"print(main(['convert', {str(logs / 'log.ndjson')!r}, '-o', {str(logs / 'x.parquet')!r}]))\n"
            f"print(main(['stats', '--progress', {str(logs / 'log.ndjson')!r}]))\n"
        )
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
        assert r.stdout.decode().split() == ["2", "2"]
        assert r.stderr.decode().splitlines() == [
            "openresponses-msgspec convert: error: Parquet output needs pyarrow: "
            "pip install 'openresponses-msgspec[arrow]'",
            "openresponses-msgspec stats: error: --progress needs tqdm: pip install 'openresponses-msgspec[cli]'",
        ]
        assert not (logs / "x.parquet").exists()


# -- lossless convert (issue #16) -------------------------------------------------------------------------------

# hand-written from the shape of a real image_generation stream: the done item carries "action":"generate"
# (a field the model does not declare), explicit nulls, spacing and key order as a server writes them
WIRE = [
    b'{"type":"response.created","sequence_number":0,"response":{"id":"resp_img","object":"response",'
    b'"created_at":1741290958,"status":"in_progress","error":null,"incomplete_details":null,"model":"gpt-4.1",'
    b'"output":[],"usage":null}}',
    b'{"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"ig_1",'
    b'"type":"image_generation_call","status":"in_progress"}}',
    b'{"type": "response.output_item.done", "sequence_number": 2, "output_index": 0, "item": {"id": "ig_1", '
    b'"type": "image_generation_call", "status": "completed", "action": "generate", "background": "opaque", '
    b'"output_format": "png", "quality": "high", "result": "iVBORw0KGgo=", "revised_prompt": null, "size": '
    b'"1024x1024"}}',
    b'{"type":"response.completed","sequence_number":3,"response":{"id":"resp_img","object":"response",'
    b'"created_at":1741290958,"status":"completed","error":null,"model":"gpt-4.1","output":[],'
    b'"usage":{"input_tokens":12,"output_tokens":1056,"total_tokens":1068,"x_future":1e400},"obfuscation":null}}',
]
WIRE_NDJSON = b"\r\n".join(WIRE) + b"\r\n\n"


class TestLossless:
    def test_ndjson_to_ndjson_sse_array_keeps_the_bytes(self, tmp_path: Path) -> None:
        src = tmp_path / "in.ndjson.gz"
        src.write_bytes(gzip.compress(WIRE_NDJSON))
        for to in ("ndjson", "sse", "array"):
            out = tmp_path / f"out.{to}"
            assert main(["convert", str(src), "--to", to, "-o", str(out)]) == 0
            data = out.read_bytes()
            if to == "ndjson":
                assert data == b"\n".join(WIRE) + b"\n"
            elif to == "sse":
                types = [json.loads(w.replace(b"1e400", b"0"))["type"] for w in WIRE]
                assert data == b"".join(
                    b"event: " + t.encode() + b"\ndata: " + w + b"\n\n" for t, w in zip(types, WIRE, strict=True)
                )
            else:
                assert data == b"[\n" + b",\n".join(WIRE) + b"\n]\n"

    def test_sse_event_line_never_splits_on_a_line_break_in_the_type(self, tmp_path: Path) -> None:
        # an unknown event's type is any JSON string: a CR or LF in it must not start a new SSE field
        line = b'{"type":"x\\ndata: {\\"type\\":\\"evil\\"}\\r","sequence_number":1}'
        (tmp_path / "in.ndjson").write_bytes(line + b"\n")
        out = tmp_path / "out.sse"
        assert main(["convert", str(tmp_path / "in.ndjson"), "--to", "sse", "-o", str(out)]) == 0
        assert out.read_bytes() == b"data: " + line + b"\n\n"
        [ev] = iter_events(out)
        assert ev.type == 'x\ndata: {"type":"evil"}\r'

    def test_reencode_writes_the_model(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        (tmp_path / "in.ndjson").write_bytes(WIRE_NDJSON)
        assert main(["convert", str(tmp_path / "in.ndjson"), "--reencode"]) == 0
        lines = capsys.readouterr().out.encode().splitlines()
        assert len(lines) == 4 and lines[2] != WIRE[2]
        assert b'"revised_prompt"' not in lines[2] and b"x_future" not in lines[3]  # the model's view
        assert json.loads(lines[2])["item"]["result"] == "iVBORw0KGgo="

    def test_parquet_keeps_raw_and_bad_lines(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        pq = pytest.importorskip("pyarrow.parquet", reason="the arrow extra is part of the test extra")
        bad = b'{"type":"response.output_text.delta" oops}'
        (tmp_path / "in.ndjson").write_bytes(b"\n".join([WIRE[0], WIRE[1], bad, WIRE[2], WIRE[3]]) + b"\n")
        assert main(["convert", str(tmp_path / "in.ndjson"), "-o", str(tmp_path / "o.parquet")]) == 1
        assert not (tmp_path / "o.parquet").exists()
        capsys.readouterr()
        assert (
            main(["convert", str(tmp_path / "in.ndjson"), "--errors", "replace", "-o", str(tmp_path / "o.parquet")])
            == 0
        )
        assert capsys.readouterr().err == (
            f"{tmp_path / 'in.ndjson'}:3:{len(WIRE[0]) + len(WIRE[1]) + 2}: kept as "
            "a row with known=false: JSON is malformed: expected ',' or '}' (byte 37)\n"
        )
        t = pq.read_table(tmp_path / "o.parquet")
        assert t.column("raw").to_pylist() == [WIRE[0], WIRE[1], bad, WIRE[2], WIRE[3]]
        assert t.column("known").to_pylist() == [True, True, False, True, True]
        assert t.column("type").to_pylist() == [
            "response.created",
            "response.output_item.added",
            None,
            "response.output_item.done",
            "response.completed",
        ]
        assert b'"action": "generate"' in t.column("raw")[3].as_py()
        assert t.column("total_tokens").to_pylist()[4] == 1068

    def test_cat_prints_the_wire_values(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        (tmp_path / "in.ndjson").write_bytes(WIRE_NDJSON)
        assert (
            main(
                [
                    "cat",
                    str(tmp_path / "in.ndjson"),
                    "--type",
                    "response.output_item.done,response.completed",
                    "--fields",
                    "item.action,item.revised_prompt,response.usage.x_future,response.obfuscation",
                ]
            )
            == 0
        )
        assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [
            {
                "item.action": "generate",
                "item.revised_prompt": None,
                "response.usage.x_future": None,
                "response.obfuscation": None,
            },
            {
                "item.action": None,
                "item.revised_prompt": None,
                "response.usage.x_future": "1e400",
                "response.obfuscation": None,
            },
        ]


class TestOldStreams:
    # March 2025 OpenAI shape: no sequence_number on any event (hand-written)
    OLD = (
        b"\n".join(
            [
                b'{"type":"response.created","response":{"id":"resp_old","object":"response","created_at":1741290958,'
                b'"status":"in_progress","model":"gpt-4o-2024-08-06","output":[]}}',
                b'{"type":"response.output_item.added","output_index":0,"item":{"id":"msg_1","type":"message",'
                b'"status":"in_progress","role":"assistant","content":[]}}',
                b'{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"}',
                b'{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"!"}',
                b'{"type":"response.output_text.done","item_id":"msg_1","output_index":0,"content_index":0,"text":"Hi!"}',
                b'{"type":"response.completed","response":{"id":"resp_old","object":"response","created_at":1741290958,'
                b'"status":"completed","model":"gpt-4o-2024-08-06","output":[],"usage":{"input_tokens":9,'
                b'"output_tokens":2,"total_tokens":11}}}',
            ]
        )
        + b"\n"
    )

    def test_stats_and_responses(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        (tmp_path / "old.ndjson").write_bytes(self.OLD)
        assert main(["stats", "--json", str(tmp_path / "old.ndjson")]) == 0
        report = json.loads(capsys.readouterr().out)
        assert (report["events"], report["responses"], report["responses_by_status"]) == (6, 1, {"completed": 1})
        assert report["tokens"]["total"] == 11
        assert main(["convert", "--responses", str(tmp_path / "old.ndjson")]) == 0
        [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert (row["response_id"], row["status"], row["output_text"], row["total_tokens"]) == (
            "resp_old",
            "completed",
            "Hi!",
            11,
        )


class TestStatsOverManyFiles:
    def test_a_non_stream_among_streams(self, logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
        (logs / "401.json").write_bytes(API_ERROR)
        assert (
            main(["stats", "--json", str(logs / "log.ndjson"), str(logs / "401.json"), str(logs / "log.sse.gz")]) == 1
        )
        cap = capsys.readouterr()
        report = json.loads(cap.out)
        assert (report["events"], report["failed_files"]) == (2 * len(EVENTS), 1)
        assert report["responses"] == 2 * len(accumulate(decode_lines(NDJSON)))
        assert cap.err == (
            f"{logs / '401.json'}: not an event stream: an API error body: 'Incorrect API key' "
            "(invalid_request_error, invalid_api_key)\n"
        )
        (logs / "page.html").write_bytes(HTML_502)
        assert main(["stats", str(logs / "401.json"), str(logs / "page.html")]) == 1
        cap = capsys.readouterr()
        assert cap.out == "" and cap.err.splitlines()[-1] == "openresponses-msgspec stats: no input was an event stream"


class TestLosslessAcrossLines:
    def test_multiline_json_line_ends(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """An event whose bytes hold a line end the output's framing cannot carry: its JSON minified, every
        value kept (an explicit null, a field the model does not declare), not the model's encoding."""
        ev = (
            b'{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,\r'
            b'"delta":"a","x_new":{"k":null},"logprobs":null,"sequence_number":1}'
        )
        (tmp_path / "in.ndjson").write_bytes(ev + b"\n")
        assert main(["convert", str(tmp_path / "in.ndjson"), "--to", "sse"]) == 0
        out = capsys.readouterr().out.encode()
        assert out == (
            b'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", '
            b'"item_id": "m", "output_index": 0, "content_index": 0, "delta": "a", "x_new": {"k": null}, '
            b'"logprobs": null, "sequence_number": 1}\n\n'
        )
        assert main(["convert", str(tmp_path / "in.ndjson"), "--to", "ndjson"]) == 0
        assert capsys.readouterr().out.encode() == ev + b"\n"  # a CR is fine inside an NDJSON line
