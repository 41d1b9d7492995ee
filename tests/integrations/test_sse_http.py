"""A real HTTP round trip on 127.0.0.1: a local server streams SSE in random chunk sizes; httpx reads it."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from openresponses_msgspec import DecodeError, InvalidEvent, SSEDecoder, aiter_sse, corpus, decode_lines, iter_sse

httpx = pytest.importorskip("httpx", reason="httpx is in the 'test' extra")

EVENTS = corpus.events("mixed", 600, image_kb=8)
STREAM = corpus.sse(EVENTS)  # OpenRouter-style: comments, data frames, [DONE]


ERROR_PAGES = {
    401: (
        b'{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}',
        "application/json",
    ),
    404: (b"", "text/plain"),
    502: (
        b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>"
        b"<hr><center>nginx</center></body></html>\n" * 20,
        "text/html",
    ),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path.startswith("/status/"):  # an error page, as APIs and proxies send them
            status = int(self.path.rsplit("/", 1)[1])
            body, ctype = ERROR_PAGES[status]
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
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


@pytest.mark.parametrize("status", sorted(ERROR_PAGES))
def test_an_error_page_is_not_an_empty_stream(server: str, status: int) -> None:
    """#11 item 8: a 401 JSON body, an empty 404 or an HTML 502 page decoded to nothing, silently."""
    body = ERROR_PAGES[status][0]
    with httpx.Client() as client, client.stream("GET", f"{server}/status/{status}") as resp:
        assert resp.status_code == status
        with pytest.raises(DecodeError, match="not an SSE stream") as e:
            list(iter_sse(resp.iter_bytes()))
    assert e.value.raw == body[:1024] and e.value.offset == 0
    with httpx.Client() as client, client.stream("GET", f"{server}/status/{status}") as resp:
        out = list(iter_sse(resp.iter_bytes(), errors="replace"))
    assert len(out) == 1 and isinstance(out[0], InvalidEvent) and out[0].raw == body[:1024]
    with httpx.Client() as client, client.stream("GET", f"{server}/status/{status}") as resp:
        with pytest.raises(httpx.HTTPStatusError):  # docs/sse-streams.md's pattern stops before decoding
            resp.raise_for_status()
