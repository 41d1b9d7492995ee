"""Fuzz the native scanner's C core under AddressSanitizer and UndefinedBehaviorSanitizer.

Compiles ``tools/fuzz_native.c`` (which includes ``src/openresponses_msgspec/_native_core.h``, the very code
the extension runs) with ``-fsanitize=address,undefined -fno-sanitize-recover=all``, writes seed inputs
(NDJSON and SSE from ``openresponses_msgspec.corpus``, with CRLF, comments, ``event:`` lines, non-ASCII text)
and runs the driver: each execution mutates a seed, copies it into a heap block of exactly its size and calls
every core function on it and on a random sub-range, checking what each result must satisfy. Any sanitizer
report or broken invariant stops the run with a non-zero exit.

    python tools/fuzz_native.py --executions 2000000 --seed 1

Prints ``executions N findings 0`` when clean. Needs gcc (or ``CC``) with libasan and libubsan.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "src" / "openresponses_msgspec"
DRIVER = ROOT / "tools" / "fuzz_native.c"
FLAGS = ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]


def compiler() -> str | None:
    return os.environ.get("CC") or shutil.which("gcc") or shutil.which("clang") or shutil.which("cc")


def build(out: Path) -> Path:
    cc = compiler()
    if cc is None:
        raise SystemExit("no C compiler found (set CC)")
    exe = out / "fuzz_native"
    subprocess.run([cc, *FLAGS, "-Wall", "-Wextra", "-Werror", f"-I{CORE}", str(DRIVER), "-o", str(exe)], check=True)
    return exe


def seeds(out: Path) -> list[Path]:
    sys.path.insert(0, str(ROOT / "src"))
    from openresponses_msgspec import corpus

    evs = corpus.events("mixed", 40, seed=5, image_kb=1)
    text = corpus.ndjson(evs)
    sse = corpus.sse(evs)
    samples = {
        "ndjson": text,
        "ndjson_crlf": text.replace(b"\n", b"\r\n"),
        "ndjson_blank": text.replace(b"\n", b"\n\n", 20),
        "sse": sse,
        "sse_event": sse.replace(b"data: {", b"event: e\ndata: {"),
        "sse_crlf": sse.replace(b"\n", b"\r\n"),
        "short": b'{"a":1}\n{"b":2}\r\n\r\n{}\n: c\n\ndata: {}\n\n',
    }
    paths = []
    for name, data in samples.items():
        path = out / f"{name}.seed"
        path.write_bytes(data)
        paths.append(path)
    return paths


def run(executions: int, seed: int) -> int:
    """Build and run the driver; returns the executions done (raises CalledProcessError on a finding)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        exe = build(out)
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = "abort_on_error=1:detect_leaks=1:strict_string_checks=1"
        env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
        got = subprocess.run(
            [str(exe), str(executions), str(seed), *map(str, seeds(out))],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if got.returncode != 0:
            raise subprocess.CalledProcessError(got.returncode, got.args, got.stdout, got.stderr)
        return int(got.stdout.split()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--executions", type=int, default=1_000_000, help="mutated inputs (each also sub-ranged)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    start = time.perf_counter()
    try:
        done = run(args.executions, args.seed)
    except subprocess.CalledProcessError as exc:
        print(exc.stdout, exc.stderr, sep="\n", file=sys.stderr)
        print(f"findings 1 (exit {exc.returncode}, seed {args.seed})")
        raise SystemExit(1) from None
    print(f"executions {done} findings 0 ({time.perf_counter() - start:.1f} s, seed {args.seed})")


if __name__ == "__main__":
    main()
