"""Command line: ``python -m openresponses_msgspec demo`` decodes a realistic in-memory batch and reports speed."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter

from . import corpus, decode_lines, decode_sse


def demo(n: int, kind: str, repeat: int) -> int:
    t0 = time.perf_counter()
    if kind == "all":
        evs = []
        sizes = {"text": n * 40 // 100, "reasoning": n * 30 // 100, "mixed": n * 25 // 100}
        sizes["image"] = n - sum(sizes.values())  # 5%: each partial image is ~27 KB of base64
        for k, size in sizes.items():
            evs += corpus.events(k, size)
    else:
        evs = corpus.events(kind, n)
    data = corpus.ndjson(evs)
    built = time.perf_counter() - t0
    print(f"built {len(evs):,} events ({kind}), {len(data) / 1e6:.1f} MB of NDJSON in {built:.1f}s")

    times = []
    decoded: list[object] = []
    for _ in range(repeat):
        decoded = []
        t = time.perf_counter()
        decoded = decode_lines(data)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    if len(decoded) != len(evs):
        print(f"error: decoded {len(decoded)} events, expected {len(evs)}", file=sys.stderr)
        return 1

    counts = Counter(ev.type or "(invalid)" for ev in decoded)  # type: ignore[attr-defined]
    unknown = sum(1 for ev in decoded if type(ev).__name__ == "UnknownEvent")
    width = max(len(t) for t in counts)
    print("\nevents by type:")
    for tag, c in counts.most_common():
        print(f"  {tag:<{width}}  {c:>9,}")
    print(f"\n{len(decoded):,} events decoded ({unknown:,} of unknown type kept as UnknownEvent)")
    print(f"decode_lines: median {med * 1e3:.1f} ms of {repeat} runs = "
          f"{len(decoded) / med / 1e6:.2f} M events/s, {len(data) / med / 1e6:.0f} MB/s")

    sse = corpus.sse(evs)  # the same events as OpenRouter streams them: data frames, comments, [DONE]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        from_sse = decode_sse(sse)
        times.append(time.perf_counter() - t)
    if from_sse != decoded:
        print("error: the SSE form decoded to different events", file=sys.stderr)
        return 1
    med = statistics.median(times)
    print(f"decode_sse (same events as SSE, {len(sse) / 1e6:.1f} MB): median {med * 1e3:.1f} ms = "
          f"{len(from_sse) / med / 1e6:.2f} M events/s, {len(sse) / med / 1e6:.0f} MB/s")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="openresponses-msgspec", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("demo", help="decode a realistic in-memory batch and print events by type and speed")
    d.add_argument("--events", type=int, default=200_000, help="batch size (default 200000)")
    d.add_argument("--kind", default="all", choices=("all", *corpus.KINDS), help="corpus kind (default all)")
    d.add_argument("--repeat", type=int, default=5, help="timed runs; the median is reported (default 5)")
    args = ap.parse_args(argv)
    return demo(args.events, args.kind, args.repeat)


if __name__ == "__main__":
    sys.exit(main())
