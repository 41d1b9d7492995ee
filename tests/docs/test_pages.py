"""What the pages promise besides their blocks: the README's two commands and its size, the typed snippets it
must hold, links that lead somewhere, figures that are the published measurement, no tracker numbers."""

from __future__ import annotations

import re

from doc_snippets import ROOT, blocks, console_script, doc_files

README = ROOT / "README.md"
DOCS = ROOT / "docs"
OWN_PAGES = [README, ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md"] + [
    p for p in sorted(DOCS.glob("*.md")) if p.name not in ("benchmarks.md", "conformance.md", "telemetry.md")
]


def _section(text: str, title: str) -> str:
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


# -- the README -------------------------------------------------------------------------------------------


def test_readme_starts_with_the_two_commands() -> None:
    """The first block, before any prose: the main job on a fresh machine, then the whole test suite, the very
    command .ci/run runs."""
    lines = [ln for ln in README.read_text().splitlines() if ln.strip() and not ln.startswith("<!--")]
    assert lines[0] == "# openresponses-msgspec" and lines[1] == "```console", "the commands come first"
    first = blocks(README)[0]
    script, shown = console_script(first.code)
    demo, suite = script.strip("\n").split("\n")
    assert shown == ""
    assert (
        demo
        == "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/python -m openresponses_msgspec demo"
    )
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert suite in ci, ".ci/run runs the README's test command, character for character"
    assert "pip install -q -e '.[test]'" in suite and "tools/services.py install" in suite and "pytest" in suite


def test_readme_is_a_front_door() -> None:
    text = README.read_text()
    assert len(text.encode()) <= 11_000, len(text.encode())
    titles = re.findall(r"^## (.+)$", text, re.M)
    assert titles == ["Install", "Quickstart", "Which function for my input", "Performance", "Documentation"]
    assert "pip install openresponses-msgspec" in text
    table = _section(text, "Which function for my input")
    for needle in (
        "decode(",
        "decode_lines(",
        "decode_array(",
        "decode_sse(",
        "iter_sse(",
        "aiter_sse(",
        "iter_events(",
        "kafka.",
        "redis.",
        "spark.",
        "to_arrow(",
        "openresponses-msgspec ",
    ):
        assert needle in table, needle


def test_readme_holds_the_three_typed_snippets() -> None:
    """The issue's three: the Quickstart on a captured SSE file, a projection with views=[A, B], and usage billed
    with two ints, on the full model and on a view (their type checks are test_snippets.py's)."""
    code = "".join(b.code for b in blocks(README) if b.lang == "python")
    quick = _section(README.read_text(), "Quickstart")
    assert 'iter_events("stream.sse")' in quick
    assert "def bill(input_tokens: int, output_tokens: int) -> None:" in code
    assert "if r.usage is not None:\n                bill(r.usage.input_tokens, r.usage.output_tokens)" in code
    assert "Decoder(views=[Completed, Delta])" in code
    assert "bill(event.response.usage.input_tokens, event.response.usage.output_tokens)" in code


def test_readme_performance_figures_are_the_published_run() -> None:
    """Every number of the headline is in what benchmarks/report.py makes of docs/benchmarks.json, and so is
    every number of docs/performance.md's figures block, which is that output exactly."""
    from benchmarks.support import check, report

    groups, doc = report.load(DOCS / "benchmarks.json")
    results = check.evaluate(doc, check.targets_of(doc))
    block = "\n".join(report.readme_figures(groups, doc, results))
    published = block + "\n" + "\n".join(report.memory(doc))
    perf = (DOCS / "performance.md").read_text()
    assert perf.split(report.BEGIN, 1)[1].split(report.END, 1)[0] == "\n" + block + "\n"
    headline = _section(README.read_text(), "Performance").split("\n\n")[0]
    figures = re.findall(r"\d[\d,.]*\d|\d", headline.split("):", 1)[1])
    assert len(figures) >= 6
    for f in figures:
        assert f in published, f"{f}: not a figure of the published run"
    assert "python -m pytest benchmarks/" in _section(README.read_text(), "Performance")


# -- every page ------------------------------------------------------------------------------------------


_FENCED = re.compile(r"^```.*?^```", re.S | re.M)


def _slug(title: str) -> str:
    s = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return s.replace(" ", "-")


def test_relative_links_lead_to_a_file_and_an_anchor() -> None:
    """Links between the pages (and to files of the repository) resolve, anchors included."""
    broken = []
    for page in doc_files() + [ROOT / "CHANGELOG.md"]:
        text = _FENCED.sub("", page.read_text())
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
            elif anchor and dest.suffix == ".md":
                titles = re.findall(r"^#+ (.+)$", _FENCED.sub("", dest.read_text()), re.M)
                if anchor not in {_slug(t) for t in titles}:
                    broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, broken


def test_every_docs_page_is_in_the_index() -> None:
    index = (DOCS / "index.md").read_text()
    linked = set(re.findall(r"\]\(([\w\-]+\.md)\)", index))
    assert {p.name for p in DOCS.glob("*.md")} - {"index.md"} <= linked


def test_no_issue_numbers_of_a_tracker_not_in_the_repository() -> None:
    for page in OWN_PAGES:
        for n, line in enumerate(page.read_text().splitlines(), 1):
            assert not re.search(r"(?<![\w/&])#\d+", line), f"{page.relative_to(ROOT)}:{n}: {line}"


def test_every_capability_has_a_checked_example() -> None:
    """(Moved from the README's tests.) Files, the accumulator, rows, the command line, conformance and audit
    each have an example whose output the page shows and the tests compare."""

    def checked(name: str) -> list[str]:
        out = []
        for b in blocks(DOCS / name):
            if b.lang == "python" and b.output:
                out.append("python")
            elif b.lang == "console" and "skip" not in b.marks and console_script(b.code)[1].strip():
                out.append("console")
        return out

    assert "python" in checked("files.md")
    assert checked("accumulator.md").count("python") >= 2
    assert "python" in checked("arrow.md")
    assert "console" in checked("cli.md") and "console" in checked("conformance.md")
    assert "console" in checked("events.md")  # audit


def test_old_shell_and_doctest_styles_are_gone() -> None:
    for page in doc_files():
        text = page.read_text()
        assert "```bash" not in text and "```sh\n" not in text, page
        assert "\n>>> " not in text, page
