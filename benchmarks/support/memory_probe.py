"""Memory of one stack decoding one NDJSON file, measured in a fresh process (run by bench_memory.py).

Usage, from the repository root: python -m benchmarks.support.memory_probe STACK FILE [EVENTS]. Prints one JSON
object: the bytes still allocated while the decoded batch is held (``retained``, the input buffer excluded) and
the peak during the decode, both from tracemalloc, which sees every allocation through Python's allocators
(msgspec's and orjson's included).
"""

from __future__ import annotations

import gc
import json
import sys
import tracemalloc
from pathlib import Path


def main() -> None:
    stack, path = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
    from benchmarks import bench_decode
    from benchmarks.support import peers
    from benchmarks.support.corpora import _reference_module

    data = Path(path).read_bytes()
    if limit is not None:
        data = b"".join(data.splitlines(keepends=True)[:limit])
    if stack == bench_decode.OURS:
        fn = peers.OURS["ndjson"]
    elif stack == bench_decode.REFERENCE:
        fn = peers.reference_prototype("ndjson", _reference_module("reference_prototype"))
    else:
        fn = peers.PEERS[stack][0]("ndjson")
    fn(data[: data.index(b"\n") + 1])  # warm up: imports, caches, decoders
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    out = fn(data)
    gc.collect()
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = len(out)
    print(
        json.dumps(
            {"stack": stack, "events": n, "retained": retained - before, "peak": peak - before, "bytes": len(data)}
        )
    )


if __name__ == "__main__":
    main()
