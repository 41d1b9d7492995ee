"""SSE in small chunks: one 20 MB partial-image event fed in 1 KiB chunks (time must stay linear in size),
and a whole text stream fed in 1 KiB chunks. Peers: openai's SSE decoder and httpx-sse, each followed by
``json.loads`` of the event data (they only frame; the JSON step is what a user adds)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import openresponses_msgspec as orm
from benchmarks.support import peers
from benchmarks.support.corpora import get_corpus
from benchmarks.support.harness import ROUNDS, SMOKE

MB = 1 if SMOKE else 20
CHUNK = 1024


def _big_stream(mb: int) -> bytes:
    b64 = b"QUJD" * (mb * 1024 * 1024 // 4)
    event = (
        b'{"type":"response.image_generation_call.partial_image","item_id":"ig_1","output_index":0,'
        b'"partial_image_index":0,"partial_image_b64":"' + b64 + b'","sequence_number":1}'
    )
    return b": OPENROUTER PROCESSING\n\ndata: " + event + b"\n\ndata: [DONE]\n\n"


def _chunks(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


def ours(chunks: list[bytes]) -> list[Any]:
    return list(orm.iter_sse(chunks))


def openai_sse(chunks: list[bytes]) -> list[Any]:
    from openai._streaming import SSEDecoder

    return [json.loads(s.data) for s in SSEDecoder().iter_bytes(iter(chunks)) if not s.data.startswith("[DONE]")]


def httpx_sse(chunks: list[bytes]) -> list[Any]:
    """httpx-sse's own pipeline: ``iter_text`` (incremental UTF-8) -> its line decoder -> its SSE decoder."""
    import codecs

    from httpx_sse._decoders import SSEDecoder, SSELineDecoder

    text = codecs.getincrementaldecoder("utf-8")()
    lines, dec, out = SSELineDecoder(), SSEDecoder(), []
    for chunk in chunks:
        for line in lines.decode(text.decode(chunk)):
            sse = dec.decode(line)
            if sse is not None and sse.data and sse.data != "[DONE]":
                out.append(json.loads(sse.data))
    return out


STACKS: dict[str, Callable[[list[bytes]], list[Any]]] = {
    "openresponses_msgspec": ours,
    "openai SSEDecoder + json.loads": openai_sse,
    "httpx-sse + json.loads": httpx_sse,
}
IMPORTS = {"openai SSEDecoder + json.loads": "openai", "httpx-sse + json.loads": "httpx_sse"}


@pytest.mark.parametrize("stack", STACKS)
def test_big_event_in_small_chunks(benchmark, stack: str) -> None:
    if stack in IMPORTS:
        pytest.importorskip(IMPORTS[stack], reason="peers are in the 'bench' extra")
    data = _big_stream(MB)
    chunks = _chunks(data)
    out = STACKS[stack](chunks)
    assert len(out) == 1 and len(peers._get(out[0], "partial_image_b64")) == MB * 1024 * 1024
    benchmark.group = f"SSE: one {MB} MB event in 1 KiB chunks"
    benchmark.extra_info.update(lib=stack, events=1, bytes=len(data), subset=False)
    benchmark.pedantic(STACKS[stack], args=(chunks,), rounds=ROUNDS, iterations=1)


@pytest.mark.parametrize("stack", STACKS)
def test_text_stream_in_small_chunks(benchmark, stack: str) -> None:
    if stack in IMPORTS:
        pytest.importorskip(IMPORTS[stack], reason="peers are in the 'bench' extra")
    c = get_corpus("text")
    c = c.subset(c.n if stack == "openresponses_msgspec" else min(c.n, 50_000))
    chunks = _chunks(c.sse)
    out = STACKS[stack](chunks)
    assert len(out) == c.n
    assert [peers._get(e, "sequence_number") for e in out[:100]] == [e["sequence_number"] for e in c.dicts[:100]]
    benchmark.group = "text sse in 1 KiB chunks"
    benchmark.extra_info.update(lib=stack, events=c.n, bytes=len(c.sse), subset=c.n < len(get_corpus("text").dicts))
    benchmark.pedantic(STACKS[stack], args=(chunks,), rounds=ROUNDS, iterations=1)
