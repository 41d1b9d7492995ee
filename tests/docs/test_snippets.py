"""Every code block of README.md, CONTRIBUTING.md and docs/**/*.md runs, prints what the page shows, and passes
``mypy --strict`` and basedpyright strict (the rules: ``doc_snippets.py``)."""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from doc_snippets import (
    ROOT,
    SERVICES,
    blocks,
    doc_files,
    make_samples,
    page_line,
    python_source,
    run_page,
    sample_sse,
)

PAGES = [f for f in doc_files() if any(b.lang in ("python", "console") for b in blocks(f))]
API_KEY = "sk-or-test"


class _Responses(http.server.BaseHTTPRequestHandler):
    """A Responses endpoint on 127.0.0.1 that streams the captured ``stream.sse`` in small chunks."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("Authorization") != f"Bearer {API_KEY}" or body.get("stream") is not True:
            self.send_response(401)
            self.end_headers()
            return
        data = sample_sse()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for k in range(0, len(data), 97):  # chunks that cut lines and frames anywhere
            self.wfile.write(data[k : k + 97])
            self.wfile.flush()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def responses_url() -> Iterator[str]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Responses)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/api/v1/responses"
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(10)


def page_env(url: str) -> dict[str, str]:
    """What the pages' code reads from the environment (documented beside each use)."""
    return {"RESPONSES_URL": url, "OPENROUTER_API_KEY": API_KEY}


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_blocks_run_and_print_what_the_page_shows(page: Path, tmp_path: Path, responses_url: str) -> None:
    make_samples(tmp_path)
    ran = run_page(page, tmp_path, env=page_env(responses_url))
    expected = [b for b in blocks(page) if b.lang in ("python", "console") and not b.needs and "skip" not in b.marks]
    assert [b.line for b in ran] == [b.line for b in expected]


def test_marks_are_known_and_no_python_block_is_skipped() -> None:
    seen = []
    for page in doc_files():
        for b in blocks(page):
            assert set(b.marks) <= {"needs", "skip"}, b.where
            if b.lang == "python":
                assert "skip" not in b.marks, f"{b.where}: a python block always runs (needs: SERVICE at most)"
                assert b.needs is None or b.needs in SERVICES, f"{b.where}: unknown service {b.needs!r}"
            else:
                assert b.needs is None, f"{b.where}: only python blocks take needs:"
            if "skip" in b.marks:
                assert b.lang == "console" and len(b.marks["skip"]) > 10, f"{b.where}: say why it is not run"
            if b.lang in ("bash", "sh", "shell", "pycon"):
                raise AssertionError(f"{b.where}: shell commands go in ```console blocks with `$ ` prompts")
            seen.append(b)
    assert sum(b.lang == "python" for b in seen) >= 20


# -- type checks: every page's python blocks as one module, all pages in one call per checker ---------------


@pytest.fixture(scope="module")
def snippet_modules(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, tuple[Path, list[tuple[int, int]]]]:
    out_dir = tmp_path_factory.mktemp("snippets")
    mods: dict[Path, tuple[Path, list[tuple[int, int]]]] = {}
    for page in doc_files():
        source, spans = python_source(page)
        if not source:
            continue
        slug = "snippets_" + "_".join(page.relative_to(ROOT).with_suffix("").parts).replace("-", "_").lower()
        mod = out_dir / f"{slug}.py"
        mod.write_text(source)
        mods[page] = (mod, spans)
    return mods


def _located(report: str, mods: dict[Path, tuple[Path, list[tuple[int, int]]]]) -> str:
    """The checker's report with each module:line replaced by the page and its line."""
    for page, (mod, spans) in mods.items():
        rel = str(page.relative_to(ROOT))
        lines = []
        for ln in report.splitlines():
            for name in (str(mod), mod.name):
                if name + ":" in ln:
                    head, _, rest = ln.partition(name + ":")
                    num, _, tail = rest.partition(":")
                    if num.isdigit():
                        ln = f"{head}{rel}:{page_line(spans, int(num))}:{tail}"
                    break
            lines.append(ln)
        report = "\n".join(lines)
    return report


@pytest.mark.slow
def test_snippets_pass_mypy_strict(snippet_modules: dict[Path, tuple[Path, list[tuple[int, int]]]]) -> None:
    files = [str(m) for m, _ in snippet_modules.values()]
    cache = next(iter(snippet_modules.values()))[0].parent / ".mypy_cache"
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--cache-dir", str(cache), *files],
        capture_output=True,
        text=True,
        timeout=900,
        env=dict(os.environ, MYPYPATH=str(ROOT / "src")),
    )
    assert r.returncode == 0, _located(r.stdout, snippet_modules)[-8000:] + r.stderr[-2000:]


@pytest.mark.slow
def test_snippets_pass_basedpyright_strict(
    snippet_modules: dict[Path, tuple[Path, list[tuple[int, int]]]],
) -> None:
    folder = next(iter(snippet_modules.values()))[0].parent
    config = folder / "pyrightconfig.json"
    config.write_text(
        json.dumps(
            {
                "typeCheckingMode": "strict",
                "reportUnnecessaryTypeIgnoreComment": "error",
                "enableTypeIgnoreComments": False,
                "pythonVersion": "3.11",
                "extraPaths": [str(ROOT / "src")],
            }
        )
    )
    exe = Path(sys.executable).with_name("basedpyright")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "basedpyright"]
    files = [str(m) for m, _ in snippet_modules.values()]
    r = subprocess.run(
        [*cmd, "-p", str(config), "--pythonpath", sys.executable, *files],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, _located(r.stdout, snippet_modules)[-8000:] + r.stderr[-2000:]
    assert re.search(r"^0 errors, ", r.stdout, re.M), r.stdout[-2000:]
