"""NDJSON decode speed: this package against the reference prototype and per-line JSON parsers.

Every stack is checked for a correct result (count and a spot value) before it is timed.
"""

from __future__ import annotations

import json

import msgspec
import pytest

import openresponses_msgspec as orm


def _check(events: list, n: int) -> None:
    assert len(events) == n
    first_delta = next(e for e in events if (e["type"] if isinstance(e, dict) else e.type) == "response.output_text.delta")
    assert (first_delta["delta"] if isinstance(first_delta, dict) else first_delta.delta).startswith(" ")


def _stacks(reference):
    ref = msgspec.json.Decoder(reference.Event) if reference else None
    import orjson

    untyped = msgspec.json.Decoder()
    return {
        "openresponses_msgspec.decode_lines": orm.decode_lines,
        "reference_prototype.decode_lines": (lambda d: ref.decode_lines(d)) if ref else None,
        "msgspec untyped decode_lines": untyped.decode_lines,
        "orjson.loads per line": lambda d: [orjson.loads(line) for line in d.splitlines()],
        "json.loads per line": lambda d: [json.loads(line) for line in d.splitlines()],
    }


@pytest.mark.parametrize("stack", ["openresponses_msgspec.decode_lines", "reference_prototype.decode_lines",
                                   "msgspec untyped decode_lines", "orjson.loads per line", "json.loads per line"])
def test_text_ndjson(benchmark, text_batch, stack, request):
    data, n = text_batch
    reference = request.getfixturevalue("reference") if stack.startswith("reference") else None
    fn = _stacks(reference)[stack]
    if stack.startswith("reference"):
        assert len(fn(data)) == n
    else:
        _check(fn(data), n)
    benchmark.group = f"text NDJSON ({n} events)"
    benchmark.extra_info.update(lib=stack, events=n, bytes=len(data))
    benchmark.pedantic(fn, args=(data,), rounds=5, iterations=1)


@pytest.mark.parametrize("stack", ["openresponses_msgspec.decode_lines", "bytes.count(newline) scan"])
def test_image_ndjson(benchmark, image_batch, stack):
    data, n = image_batch
    fn = orm.decode_lines if stack.startswith("openresponses") else (lambda d: d.count(b"\n"))
    out = fn(data)
    assert (len(out) if isinstance(out, list) else out) == n
    benchmark.group = f"image NDJSON ({len(data) // 1_000_000} MB)"
    benchmark.extra_info.update(lib=stack, events=n, bytes=len(data))
    benchmark.pedantic(fn, args=(data,), rounds=5, iterations=1)
