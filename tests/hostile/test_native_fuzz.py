"""A short run of the sanitizer fuzz of the native scanner's C core (tools/fuzz_native.py; a longer run is in
docs/native.md): built with AddressSanitizer and UBSan, any out-of-bounds read, undefined behaviour or broken
result invariant fails it."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / "tools" / "fuzz_native.py"


def _tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("fuzz_native", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sanitizer_fuzz_short_run() -> None:
    assert _tool().run(executions=15_000, seed=20) == 30_000


def test_sanitizers_catch_an_overread(tmp_path: Path) -> None:
    """The harness would see the bug it is for: one byte read past an input of exactly its size."""
    tool = _tool()
    bad = tmp_path / "bad.c"
    bad.write_text(
        '#include <stdlib.h>\n#include <string.h>\nint main(void){char*s=malloc(4);memcpy(s,"{}\\n{",4);'
        "volatile char c=s[4];(void)c;free(s);return 0;}\n"
    )
    exe = tmp_path / "bad"
    subprocess.run([tool.compiler(), *tool.FLAGS, str(bad), "-o", str(exe)], check=True)
    got = subprocess.run([str(exe)], capture_output=True, text=True, check=False)
    assert got.returncode != 0
    assert "heap-buffer-overflow" in got.stderr or "runtime error: load of address" in got.stderr  # ASan or UBSan
