"""Reading and running the code blocks of README.md, CONTRIBUTING.md and docs/**/*.md.

The rules (docs/index.md, "How the pages are tested"):

- Every ```python block runs: one namespace per file, blocks in file order, the current directory a temporary
  one holding the sample files of :func:`make_samples`. A ```text block right after a python block (nothing
  but blank lines between) is exactly what the block prints; a python block without one prints nothing.
- A python block that needs a real service is marked by an HTML comment on the line before its fence,
  ``<!-- needs: redis -->`` (``kafka``, ``redis``, ``spark``, ``websocket``): it is type-checked here and run by
  the integration test that starts the service (``tests/integrations/test_doc_snippets.py``, and
  ``test_websocket.py`` for ``websocket``). Nothing else skips a python block.
- Every python block of a file, concatenated, passes ``mypy --strict`` and basedpyright strict.
- A ```console block runs in the same directory, in order with the python blocks: ``$ `` lines are commands
  (``> `` lines continue them, as a terminal shows), the other lines are what the commands print on stdout,
  exactly; every command must exit 0 (one that shows a failure ends with ``; echo "exit status $?"``).
  ``<!-- skip: reason -->`` before the fence leaves it unrun (installing, the whole test suite, a
  full benchmark run): the reason is required.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("kafka", "redis", "spark", "websocket")
_FENCE = re.compile(r"^```(\w*)\s*$")
_MARK = re.compile(r"^<!--\s*(needs|skip):\s*(.*?)\s*-->\s*$")


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    marks: dict[str, str] = field(default_factory=dict)
    output: str | None = None  # the ```text block right after a python block

    @property
    def where(self) -> str:
        path = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{path}:{self.line}"

    @property
    def needs(self) -> str | None:
        return self.marks.get("needs")


def doc_files() -> list[Path]:
    """Every page whose blocks are tested: README.md, CONTRIBUTING.md, docs/**/*.md."""
    files = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return [f for f in files if f.exists()]


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a page, in order, with their marks; a text block right after a python block is that
    block's ``output``, not a block of its own."""
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    last_end = -1  # the closing fence line of out[-1]
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m.group(1)
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        if j == len(lines):
            raise AssertionError(f"{path}:{start + 1}: unclosed code fence")
        code = "".join(s + "\n" for s in lines[i + 1 : j])
        marks: dict[str, str] = {}
        k = start - 1
        while k >= 0 and (mk := _MARK.match(lines[k])):
            marks[mk.group(1)] = mk.group(2)
            k -= 1
        follows = out and out[-1].lang == "python" and out[-1].output is None
        if lang == "text" and follows and not any(s.strip() for s in lines[last_end + 1 : start]):
            out[-1].output = code
        else:
            out.append(Block(path, start + 1, lang, code, marks))
        last_end = j
        i = j + 1
    return out


def python_source(path: Path) -> tuple[str, list[tuple[int, int]]]:
    """The page's python blocks as one module, and (module line, page line) pairs to map a checker's lines back."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    n = 1
    for b in blocks(path):
        if b.lang != "python":
            continue
        header = f"# --- {b.where}\n"
        parts.append(header)
        n += 1
        spans.append((n, b.line + 1))
        parts.append(b.code)
        n += b.code.count("\n")
    return "".join(parts), spans


def page_line(spans: list[tuple[int, int]], line: int) -> int:
    """The page line of a line of :func:`python_source`'s module."""
    best = 0
    for mod, page in spans:
        if mod <= line:
            best = page + (line - mod)
    return best


# -- sample files --------------------------------------------------------------------------------------------

_RESP = '"id":"resp_1","object":"response","created_at":1764000000,"model":"openai/gpt-4o","output":[]'
SAMPLE_EVENTS = [
    '{"type":"response.created","sequence_number":0,"response":{' + _RESP + ',"status":"in_progress"}}',
    '{"type":"response.in_progress","sequence_number":1,"response":{' + _RESP + ',"status":"in_progress"}}',
    '{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"type":"message",'
    '"id":"msg_1","status":"in_progress","role":"assistant","content":[]}}',
    '{"type":"response.content_part.added","sequence_number":3,"item_id":"msg_1","output_index":0,'
    '"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}',
    '{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,'
    '"content_index":0,"delta":"Hello"}',
    '{"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_1","output_index":0,'
    '"content_index":0,"delta":", world"}',
    '{"type":"response.output_text.delta","sequence_number":6,"item_id":"msg_1","output_index":0,'
    '"content_index":0,"delta":"!"}',
    '{"type":"response.output_text.done","sequence_number":7,"item_id":"msg_1","output_index":0,'
    '"content_index":0,"text":"Hello, world!"}',
    '{"type":"response.content_part.done","sequence_number":8,"item_id":"msg_1","output_index":0,'
    '"content_index":0,"part":{"type":"output_text","text":"Hello, world!","annotations":[]}}',
    '{"type":"response.output_item.done","sequence_number":9,"output_index":0,"item":{"type":"message",'
    '"id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text",'
    '"text":"Hello, world!","annotations":[]}]}}',
    '{"type":"response.completed","sequence_number":10,"response":{"id":"resp_1","object":"response",'
    '"created_at":1764000000,"model":"openai/gpt-4o","status":"completed","output":[{"type":"message",'
    '"id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text",'
    '"text":"Hello, world!","annotations":[]}]}],"usage":{"input_tokens":12,"output_tokens":3,'
    '"total_tokens":15}}}',
]


def sample_sse() -> bytes:
    """A captured OpenRouter stream: a processing comment, data-only frames, a keep-alive, [DONE]."""
    frames = [": OPENROUTER PROCESSING\n\n"]
    for k, ev in enumerate(SAMPLE_EVENTS):
        frames.append(f"data: {ev}\n\n")
        if k == 5:
            frames.append('data: {"type":"response.keep_alive"}\n\n')
    frames.append("data: [DONE]\n\n")
    return "".join(frames).encode()


def make_samples(cwd: Path) -> None:
    """The files the pages read: ``stream.sse`` (a captured SSE stream) and ``stream.ndjson`` (its events)."""
    (cwd / "stream.sse").write_bytes(sample_sse())
    (cwd / "stream.ndjson").write_bytes(("\n".join(SAMPLE_EVENTS) + "\n").encode())


# -- running ------------------------------------------------------------------------------------------------


class SnippetFailure(AssertionError):
    pass


def env_for(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of console commands: this checkout's package first, this interpreter's scripts on PATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("COLUMNS", "120")
    env.update(extra or {})
    return env


def console_commands(code: str) -> tuple[list[str], str]:
    """A console block's commands (``$ `` lines, ``> `` lines continuing them) and the stdout it shows."""
    cmds: list[str] = []
    shown: list[str] = []
    for line in code.splitlines():
        if line.startswith("$ "):
            cmds.append(line[2:])
        elif line.startswith("> ") or line == ">":
            if not cmds:
                raise AssertionError(f"continuation line before any command: {line!r}")
            cmds[-1] += "\n" + line[2:]
        else:
            shown.append(line)
    return cmds, "".join(s + "\n" for s in shown)


def console_script(code: str) -> tuple[str, str]:
    """A console block's commands as one script, and the stdout it shows."""
    cmds, shown = console_commands(code)
    return "\n".join(cmds) + "\n", shown


def run_console(block: Block, cwd: Path, env: Mapping[str, str]) -> tuple[str, str, str]:
    """(stdout, what the block shows, stderr) of a console block: each command run by bash in ``cwd``, in order;
    every command must succeed (a command that shows a failure ends with ``; echo "exit status $?"``)."""
    cmds, shown = console_commands(block.code)
    out, err = [], []
    for cmd in cmds:
        r = subprocess.run(["bash", "-c", cmd], cwd=cwd, capture_output=True, text=True, env=dict(env), timeout=600)
        out.append(r.stdout)
        err.append(r.stderr)
        if r.returncode != 0:
            raise SnippetFailure(f"{block.where}: `{cmd}` exited {r.returncode}\nstderr:\n{r.stderr[-3000:]}")
    return "".join(out), shown, "".join(err)


def run_page(
    path: Path, cwd: Path, *, services: Iterable[str] = (), env: Mapping[str, str] | None = None
) -> list[Block]:
    """Run a page's blocks in order in ``cwd`` (which holds the sample files): python blocks in one namespace,
    console blocks with bash. Blocks marked ``needs:`` run only when their service is in ``services``. The
    blocks run are returned; the first wrong output or exception raises :class:`SnippetFailure`."""
    wanted = set(services)
    namespace: dict[str, object] = {"__name__": "__main__"}
    ran: list[Block] = []
    full_env = env_for(env)
    old_env = dict(os.environ)
    os.environ.update(env or {})
    old = Path.cwd()
    os.chdir(cwd)
    try:
        for b in blocks(path):
            if b.needs is not None and b.needs not in wanted:
                continue
            if b.lang == "python":
                buf = io.StringIO()
                try:
                    with contextlib.redirect_stdout(buf):
                        exec(compile(b.code, b.where, "exec", dont_inherit=True), namespace)
                except Exception as exc:
                    said = buf.getvalue()
                    raise SnippetFailure(f"{b.where}: the block raised {exc!r}\nprinted so far:\n{said}") from exc
                want = b.output if b.output is not None else ""
                if buf.getvalue() != want:
                    raise SnippetFailure(_diff(b, buf.getvalue(), want))
                ran.append(b)
            elif b.lang == "console" and "skip" not in b.marks:
                out, shown, err = run_console(b, cwd, full_env)
                if out != shown:
                    raise SnippetFailure(_diff(b, out, shown) + f"\nstderr:\n{err[-3000:]}")
                ran.append(b)
    finally:
        os.chdir(old)
        os.environ.clear()
        os.environ.update(old_env)
    return ran


def _diff(b: Block, got: str, want: str) -> str:
    import difflib

    d = "\n".join(difflib.unified_diff(want.splitlines(), got.splitlines(), "shown", "printed", lineterm=""))
    return f"{b.where}: the {b.lang} block prints something else than the page shows\n{d}"


def iter_python_blocks() -> Iterator[Block]:
    for f in doc_files():
        for b in blocks(f):
            if b.lang == "python":
                yield b
