"""Long fuzz run under the invariants of issues #11 and #17 (``tests/fuzz_invariants.py``): the decoders, files
read in pieces of any size (plain, gzip in members, damaged gzip), arrays, Kafka batches, and Redis entries
against a real redis-server (started by the integration conftest; without one those tests skip).

    .venv/bin/python tools/fuzz.py --examples 200000          # hypothesis (the test extra), same strategies
    .venv/bin/python tools/fuzz.py --examples 20000 -k "file or array"   # some properties (pytest -k)
    .venv/bin/pip install atheris                             # optional: coverage-guided
    .venv/bin/python tools/fuzz.py --atheris -atheris_runs=2000000 [corpus_dir]

The normal test command runs a short hypothesis pass of the same checks (tests/test_fuzz.py and
tests/integrations/test_fuzz_redis.py, 100 examples per property; FUZZ_EXAMPLES=N changes it). Every property
runs to its count (no -x): each failing one reports its own shrunk example. With atheris, each input is split
into a stream and chunk cuts; the corpus's SSE and NDJSON batches seed it when no corpus directory is given.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def _atheris(argv: list[str]) -> None:
    import atheris  # optional: pip install atheris

    with atheris.instrument_imports():
        from fuzz_invariants import check_ndjson, check_sse

        import openresponses_msgspec  # noqa: F401

    def one(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        mode = fdp.ConsumeIntInRange(0, 3)
        cuts = [fdp.ConsumeIntInRange(0, 4096) for _ in range(fdp.ConsumeIntInRange(0, 6))]
        limit = [None, 16, 100, 1000][mode]
        body = fdp.ConsumeBytes(fdp.remaining_bytes())
        check_sse(body, cuts, limit)
        if mode == 0:
            check_ndjson(body)

    seeds = [a for a in argv if not a.startswith("-")]
    if not seeds:
        from openresponses_msgspec import corpus

        seed_dir = ROOT / ".fuzz-seeds"
        seed_dir.mkdir(exist_ok=True)
        for kind in corpus.KINDS:
            evs = corpus.events(kind, 8, image_kb=1)
            (seed_dir / f"{kind}.sse").write_bytes(b"\x00\x00\x00" + corpus.sse(evs))
            (seed_dir / f"{kind}.ndjson").write_bytes(b"\x00\x00\x00" + corpus.ndjson(evs))
        argv = [*argv, str(seed_dir)]
    atheris.Setup([sys.argv[0], *argv], one)
    atheris.Fuzz()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--examples", type=int, default=100_000, help="hypothesis examples per property")
    p.add_argument("--atheris", action="store_true", help="coverage-guided run with atheris (extra args go to it)")
    args, rest = p.parse_known_args()
    if args.atheris:
        _atheris(rest)
        return
    env = dict(os.environ, FUZZ_EXAMPLES=str(args.examples))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "test_fuzz.py"),
           str(ROOT / "tests" / "integrations" / "test_fuzz_redis.py"), "--hypothesis-show-statistics", *rest]
    raise SystemExit(subprocess.call(cmd, env=env, cwd=ROOT))


if __name__ == "__main__":
    main()
