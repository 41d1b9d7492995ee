"""A real HTTP round trip on 127.0.0.1: a local server streams SSE in random chunk sizes; httpx reads it."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from openresponses_msgspec import SSEDecoder, aiter_sse, corpus, decode_lines, iter_sse

httpx = pytest.importorskip("httpx", reason="httpx is in the 'test' extra")

EVENTS = corpus.events("mixed", 600, image_kb=8)
STREAM = corpus.sse(EVENTS)  # OpenRouter-style: comments, data frames, [DONE]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        rnd = random.Random(self.path)  # the path seeds the chunking, so each test gets its own
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        pos = 0
        while pos < len(STREAM):
            size = rnd.choice([1, 2, 3, 7, 64, 500, 1500, 4096, 70000])
            chunk = STREAM[pos : pos + size]
            pos += size
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            if rnd.random() < 0.05:
                self.wfile.flush()
                time.sleep(0.001)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join()


WANT = decode_lines(corpus.ndjson(EVENTS))


@pytest.mark.parametrize("seed", range(3))
def test_httpx_sync_iter_sse(server: str, seed: int) -> None:
    dec = SSEDecoder()
    with httpx.Client() as client, client.stream("GET", f"{server}/sync/{seed}") as resp:
        assert resp.headers["content-type"] == "text/event-stream"
        sizes: list[int] = []

        def chunks() -> Iterator[bytes]:
            for chunk in resp.iter_bytes():
                sizes.append(len(chunk))
                yield chunk

        got = list(iter_sse(chunks(), decoder=dec))
    assert got == WANT and len(got) == 600
    assert len(sizes) > 3 and sum(sizes) == len(STREAM)  # it did arrive in pieces
    assert dec.done


@pytest.mark.parametrize("seed", range(3))
def test_httpx_async_aiter_sse(server: str, seed: int) -> None:
    async def run() -> tuple[list[object], bool]:
        dec = SSEDecoder()
        async with httpx.AsyncClient() as client, client.stream("GET", f"{server}/async/{seed}") as resp:
            got = [ev async for ev in aiter_sse(resp.aiter_bytes(), decoder=dec)]
        return got, dec.done

    got, done = asyncio.run(run())
    assert got == WANT and done
