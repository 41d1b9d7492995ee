"""The harness itself: it fails a page whose output differs, whose block raises or prints unshown, whose
console command fails; it runs blocks in one namespace, in order, and leaves needs-blocks to their service."""

from __future__ import annotations

from pathlib import Path

import pytest
from doc_snippets import SnippetFailure, blocks, python_source, run_page


def _page(tmp_path: Path, text: str) -> Path:
    page = tmp_path / "page.md"
    page.write_text(text)
    (tmp_path / "cwd").mkdir(exist_ok=True)
    return page


def test_blocks_share_one_namespace_in_order_and_outputs_are_compared(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "# t\n\n```python\nx = 2\n```\n\ntext\n\n```python\nprint(x * 21)\n```\n```text\n42\n```\n\n"
        "```console\n$ echo hi > f.txt && cat f.txt\nhi\n```\n",
    )
    ran = run_page(page, tmp_path / "cwd")
    assert [(b.lang, b.output) for b in ran] == [("python", None), ("python", "42\n"), ("console", None)]
    assert (tmp_path / "cwd" / "f.txt").read_text() == "hi\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("```python\nprint(1)\n```\n```text\n2\n```\n", "prints something else"),
        ("```python\nprint(1)\n```\n", "prints something else"),  # printed, nothing shown
        ("```python\nraise ValueError('no')\n```\n", "raised ValueError"),
        ("```console\n$ echo a\nb\n```\n", "prints something else"),
        ("```console\n$ cat missing-file\n```\n", "exited 1"),
    ],
)
def test_a_wrong_page_fails(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SnippetFailure, match=message):
        run_page(_page(tmp_path, text), tmp_path / "cwd")


def test_marks_route_blocks(tmp_path: Path) -> None:
    page = _page(
        tmp_path,
        "```python\nimport os\n```\n\n<!-- needs: redis -->\n```python\nprint(os.environ['X'])\n```\n```text\n7\n```\n"
        "\n<!-- skip: a reason long enough -->\n```console\n$ false\n```\n",
    )
    assert [b.marks for b in blocks(page)] == [{}, {"needs": "redis"}, {"skip": "a reason long enough"}]
    assert [b.line for b in run_page(page, tmp_path / "cwd")] == [1]
    assert [b.line for b in run_page(page, tmp_path / "cwd", services=["redis"], env={"X": "7"})] == [1, 6]
    source, spans = python_source(page)
    assert "import os\n" in source and "print(os.environ['X'])\n" in source and len(spans) == 2
