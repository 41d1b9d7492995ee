"""Speed of the model alone on the reference text corpus, as a ratio to the reference prototype, measured in
one process with interleaved rounds (medians), for this checkout's model and, optionally, an older one.

    python tools/measure_model_speed.py [--before REV] [--kind text] [--n 200000] [--rounds 9] [--clock cpu]

"Model alone" is ``msgspec.json.Decoder(StreamEvent).decode_lines`` over the whole NDJSON buffer, the same call
the prototype is timed with, so the kernel and framing around it do not enter the figure. ``--before REV``
extracts ``src/openresponses_msgspec`` at that git revision into a temporary folder and times its model in
the same rounds. The prototype and corpus come from ../shared/bench-reference (or $OPENRESPONSES_BENCH_REF).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parents[1]


def _load_ref() -> tuple[Any, Any]:
    ref = Path(os.environ.get("OPENRESPONSES_BENCH_REF", ROOT.parent / "shared" / "bench-reference"))
    sys.path.insert(0, str(ref))
    return importlib.import_module("make_batch"), importlib.import_module("reference_prototype")


def _old_model(rev: str, into: Path) -> Any:
    data = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "src/openresponses_msgspec"], check=True, capture_output=True
    ).stdout
    tarfile.open(fileobj=io.BytesIO(data)).extractall(into, filter="data")
    (into / "src" / "openresponses_msgspec").rename(into / "orm_before")
    sys.path.insert(0, str(into))
    return importlib.import_module("orm_before._models")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", help="git revision whose model is timed in the same rounds")
    ap.add_argument("--kind", default="text")
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument(
        "--clock",
        choices=["cpu", "wall"],
        default="cpu",
        help="cpu: process CPU time (robust on a shared, loaded machine); wall: perf_counter",
    )
    args = ap.parse_args()
    make_batch, proto = _load_ref()
    import openresponses_msgspec._models as after

    data = b"".join(msgspec.json.encode(e) + b"\n" for e in make_batch.build(args.kind, args.n))
    cases = {"prototype": msgspec.json.Decoder(proto.Event), "after": msgspec.json.Decoder(after.StreamEvent)}
    with tempfile.TemporaryDirectory() as tmp:
        if args.before:
            cases["before"] = msgspec.json.Decoder(_old_model(args.before, Path(tmp)).StreamEvent)
        for name, dec in cases.items():  # each decodes the corpus fully before timing
            assert len(dec.decode_lines(data)) == args.n, name
        clock = time.process_time if args.clock == "cpu" else time.perf_counter
        times: dict[str, list[float]] = {k: [] for k in cases}
        for r in range(args.rounds):
            order = list(cases) if r % 2 == 0 else list(reversed(cases))
            for name in order:
                gc.collect()
                t0 = clock()
                out = cases[name].decode_lines(data)
                times[name].append(clock() - t0)
                del out
    med = {k: statistics.median(v) for k, v in times.items()}
    print(
        f"{args.kind} corpus: {args.n} events, {len(data) / 1e6:.1f} MB, {args.rounds} interleaved rounds, "
        f"medians of {args.clock} time"
    )
    for name, t in med.items():
        print(
            f"  {name:9s} {t * 1e3:8.1f} ms  {args.n / t / 1e6:5.2f} M events/s  "
            f"prototype/this = {med['prototype'] / t:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
