"""Long fuzz run under the invariants of issues #11 and #17 (``tests/fuzz_invariants.py``): the decoders, files
read in pieces of any size (plain, gzip in members, damaged gzip), arrays, Kafka batches, and Redis entries
against a real redis-server (started by the integration conftest; without one those tests skip).

    .venv/bin/python tools/fuzz.py --examples 200000 --minutes 120   # hypothesis (the test extra), same strategies
    .venv/bin/python tools/fuzz.py --examples 20000 --only file,array   # some properties
    .venv/bin/pip install atheris                             # optional: coverage-guided
    .venv/bin/python tools/fuzz.py --atheris -atheris_runs=2000000 [corpus_dir]

The normal test command runs a short hypothesis pass of the same checks (tests/hostile/test_fuzz.py and
tests/integrations/test_fuzz_redis.py, 100 examples per property, 25 for Redis; FUZZ_EXAMPLES=N). Here the
properties run round-robin in rounds of ``--round`` examples (a progress line per round) until ``--examples``
each or ``--minutes``; a failing property prints its shrunk example and is not run again (the others go on);
redis-server is started on 127.0.0.1 for the Redis property. With atheris, each input is split
into a stream and chunk cuts; the corpus's SSE and NDJSON batches seed it when no corpus directory is given.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "hostile"))


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


def _properties(only: list[str]) -> dict[str, Any]:
    """The hypothesis properties of tests/hostile/test_fuzz.py and tests/integrations/test_fuzz_redis.py, by name."""
    import test_fuzz

    sys.path.insert(0, str(ROOT / "tests" / "integrations"))
    import test_fuzz_redis

    props = {
        name: fn
        for mod in (test_fuzz, test_fuzz_redis)
        for name, fn in vars(mod).items()
        if name.startswith("test_") and hasattr(fn, "hypothesis")
    }
    return {n: f for n, f in props.items() if not only or any(o in n for o in only)}


def _hypothesis(examples: int, per_round: int, minutes: float, only: list[str]) -> int:
    """Each property in rounds of ``per_round`` examples, round-robin, until ``examples`` each or the time cap;
    a property that fails is reported (its shrunk example) and not run again. Returns the number failed."""
    os.environ["FUZZ_EXAMPLES"] = os.environ["FUZZ_REDIS_EXAMPLES"] = str(per_round)  # read at import (below)
    props = _properties(only)
    runs = dict.fromkeys(props, 0)
    failed: dict[str, str] = {}
    deadline = time.monotonic() + minutes * 60
    with contextlib.ExitStack() as stack:
        client = None
        if any("redis" in n for n in props):
            client = _redis(stack)
            if client is None:
                props = {n: f for n, f in props.items() if "redis" not in n}
        while time.monotonic() < deadline:
            todo = [n for n in props if n not in failed and runs[n] < examples]
            if not todo:
                break
            for name in todo:
                if time.monotonic() >= deadline:
                    break
                try:
                    props[name](redis_client=client) if "redis" in name else props[name]()
                except Exception as exc:
                    failed[name] = "".join(traceback.format_exception(exc))[-6000:]
                    print(f"FAILED {name} after about {runs[name]} examples:\n{failed[name]}", flush=True)
                runs[name] += per_round
            print(
                time.strftime("%H:%M:%S"), " ".join(f"{n.removeprefix('test_')}={runs[n]}" for n in props), flush=True
            )
    from fuzz_invariants import CALLS

    print("\nexamples asked for (per property, in rounds of", per_round, "):")
    for n in props:
        print(f"  {n}: {runs[n]}{'  FAILED' if n in failed else ''}")
    print("executions of each check (with shrinking and replays):")
    for name, calls in sorted(CALLS.items()):
        print(f"  {name}: {calls}")
    return len(failed)


def _redis(stack: contextlib.ExitStack) -> Any:
    sys.path.insert(0, str(ROOT / "tools"))
    import services

    server = services.Redis()
    try:
        server.start()
    except services.ServiceError as exc:
        server.cleanup()
        print(f"redis-server unavailable ({exc}): the Redis property is not run", flush=True)
        return None
    stack.callback(server.cleanup)
    import redis

    client = redis.Redis.from_url(server.url)
    stack.callback(client.close)
    return client


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--examples", type=int, default=100_000, help="hypothesis examples per property")
    p.add_argument("--round", type=int, default=1000, help="examples per property per round (progress lines)")
    p.add_argument("--minutes", type=float, default=60.0, help="time cap for the whole run")
    p.add_argument("--only", default="", help="comma-separated parts of property names (e.g. file,array,kafka)")
    p.add_argument("--atheris", action="store_true", help="coverage-guided run with atheris (extra args go to it)")
    args, rest = p.parse_known_args()
    if args.atheris:
        _atheris(rest)
        return
    only = [o for o in args.only.split(",") if o]
    raise SystemExit(1 if _hypothesis(args.examples, min(args.round, args.examples), args.minutes, only) else 0)


if __name__ == "__main__":
    main()
