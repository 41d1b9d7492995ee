"""The C line scanner (``_native``) and its pure-Python twins (``_scan.py``) give the same results on every
input; the whole decoder gives the same results with either path; the switch and ``NATIVE`` work."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import openresponses_msgspec as orm
from openresponses_msgspec import _native, _scan, corpus

ROOT = Path(__file__).resolve().parents[2]
FUNCS = ("utf8_valid", "prove_lines", "sse_frames")


def both(name: str, data: bytes | bytearray, pos: int, end: int, *more: bool) -> object:
    """The C and the pure-Python result of one function, asserted equal; returns it."""
    c = getattr(_native, name)(data, pos, end, *more)
    py = getattr(_scan, "py_" + name)(data, pos, end, *more)
    assert c == py, (name, bytes(data[pos:end])[:200], c, py)
    return c


def check_all(data: bytes, pos: int = 0, end: int | None = None) -> None:
    end = len(data) if end is None else end
    for name in FUNCS:
        both(name, data, pos, end)
    for flag in (True, False):
        both("ndjson_window", data, pos, end, flag)
        both("utf8_valid", data, pos, end, flag)
    both("prove_lines", bytearray(data), pos, end)
    both("sse_frames", memoryview(data), pos, end)


# -- realistic lines and frames, then mutated ----------------------------------------------------------------

_EVENTS = corpus.events("mixed", 60, seed=3, image_kb=1)
_LINES = corpus.ndjson(_EVENTS).split(b"\n")[:-1]
_SEPS = [b"\n", b"\n", b"\n", b"\r\n", b"\n\n", b"\r\n\r\n", b"\n\n\n", b"\n\r\n", b" \n", b"\r\r\n", b"\n \n"]
_NOISE = [
    b"\r",
    b"\n",
    b"\x00",
    b"\xff",
    b"\xed\xa0\x80",
    b"\xc3",
    b"\xe6\x9d\xb1",
    b"}",
    b"{",
    b" ",
    b"\xf4\x90\x80\x80",
]


@st.composite
def ndjson_like(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(st.sampled_from(_LINES), min_size=1, max_size=12))
    seps = [draw(st.sampled_from(_SEPS)) for _ in lines]
    if draw(st.booleans()):
        lines[draw(st.integers(0, len(lines) - 1))] = b"{" + b"x" * draw(st.sampled_from([1, 5000, 70000])) + b"}"
    data = b"".join(line + sep for line, sep in zip(lines, seps, strict=True))
    return mutate(draw, data)


_FRAME_KINDS = [
    lambda p: b"data: " + p + b"\n\n",
    lambda p: b"event: x\ndata: " + p + b"\n\n",
    lambda p: b": keep-alive\n\ndata: " + p + b"\n\n",
    lambda p: b"\n\n: c\n:\nevent: y\ndata: " + p + b"\n\n",
    lambda p: b"data: " + p + b"\r\n\r\n",
    lambda p: b"data:" + p + b"\n\n",
    lambda p: b"data: [DONE]\n\n",
    lambda p: b"id: 7\ndata: " + p + b"\n\n",
    lambda p: b"data: " + p + b"\ndata: " + p + b"\n\n",
    lambda p: b"event: x\n: c\ndata: " + p + b"\n\n",
]


@st.composite
def sse_like(draw: st.DrawFn) -> bytes:
    n = draw(st.integers(1, 40))  # (from 16 frames and 4 KiB the SSE decoder tries a bulk region)
    weights = st.one_of(st.just(0), st.just(0), st.just(1), st.integers(0, len(_FRAME_KINDS) - 1))
    data = b"".join(_FRAME_KINDS[draw(weights)](draw(st.sampled_from(_LINES))) for _ in range(n))
    return mutate(draw, data)


def mutate(draw: st.DrawFn, data: bytes) -> bytes:
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.integers(0, 3))
        if kind == 0:
            data = data[:at] + draw(st.sampled_from(_NOISE)) + data[at:]
        elif kind == 1:
            data = data[:at] + data[at + 1 :]
        elif kind == 2:
            data = data[:at]  # a truncated last line
        else:
            data = data[:at] + b"\n" * draw(st.integers(1, 300)) + data[at:]  # a blank run
    return data


_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(st.binary(max_size=300), st.data())
def test_arbitrary_bytes_same_results(data: bytes, draw: st.DataObject) -> None:
    check_all(data)
    pos = draw.draw(st.integers(0, len(data)))
    check_all(data, pos, draw.draw(st.integers(pos, len(data))))


@_SETTINGS
@given(st.lists(st.sampled_from([b"{", b"}", b"\n", b"\r", b" ", b"a", b":", b"data: ", b"event:", b"\xc3\xa9"])))
def test_alphabet_soup_same_results(parts: list[bytes]) -> None:
    check_all(b"".join(parts))  # the bytes the proofs look at, densely


@_SETTINGS
@given(ndjson_like(), st.data())
def test_mutated_ndjson_same_results(data: bytes, draw: st.DataObject) -> None:
    check_all(data)
    pos = draw.draw(st.integers(0, len(data)))
    check_all(data, pos, draw.draw(st.integers(pos, len(data))))


@_SETTINGS
@given(sse_like(), st.data())
def test_mutated_sse_same_results(data: bytes, draw: st.DataObject) -> None:
    check_all(data)
    pos = draw.draw(st.integers(0, len(data)))
    check_all(data, pos, draw.draw(st.integers(pos, len(data))))


# -- what the proofs say, on inputs written by hand ------------------------------------------------------


def test_prove_lines_values() -> None:
    data = b'{"a":1}\n{"b":2}\n\n{"c":3}\r\n{"d":4}\r\n\r\n{}\n \n'
    last = data.rindex(b"}") + 1
    assert both("prove_lines", data, 0, len(data)) == (last, 6, 2)
    assert both("ndjson_window", data, 0, len(data), True) == (True, (last, 6, 2))
    assert both("prove_lines", data, 8, 15) == (15, 0, 0)  # one line alone
    for bad in [b'{"a":1}\n\n\n{}', b'{"a":1} {"b":2}\n"x"', b'{"a":\n1}', b"{}\n\r\n{}", b"[1]\n{}", b"{", b"   "]:
        assert both("prove_lines", bad, 0, len(bad)) is None, bad
    assert both("ndjson_window", b'{"\xff":1}', 0, 7, True) == (False, None)
    assert both("ndjson_window", b'{"\xff":1}', 0, 7, False) == (True, (7, 0, 0))


def test_utf8_matches_the_codec() -> None:
    cases = [b"", b"abc", "é東🎉".encode(), b"\xed\xa0\x80", b"\xc0\x80", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf"]
    cases += [b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xc3", b"a" * 13 + "é".encode(), b"\x80", b"\xef\xbb\xbf"]
    cases += [b"\xe0\xa0", b"\xe0\x80", b"\xed\xa0", b"\xf0\x90\x80", b"\xf4\x90", b"a\xf0"]
    for data in cases:
        for final in (True, False):
            expected = True
            try:
                codecs.getincrementaldecoder("utf-8")().decode(data, final)
            except UnicodeDecodeError:
                expected = False
            assert both("utf8_valid", data, 0, len(data), final) is expected, (data, final)


def test_sse_frames_values() -> None:
    data = b': hi\n\nevent: response.x\ndata: {"a":1}\n\ndata: {}\n\n:ka\ndata: [DONE]\n\n'
    stop = data.index(b":ka")
    assert both("sse_frames", data, 0, len(data)) == (stop, 2, 7, b'{"a":1}\n{}')
    assert both("sse_frames", data, stop, len(data)) is None
    assert both("sse_frames", b'data: {"a":1}\n\n', 0, 14) is None  # its blank line is not in the range
    assert both("sse_frames", b'data: {"a":\r1}\n\n', 0, 16) is None  # a CR ends an SSE line


def test_ranges_are_checked() -> None:
    for name, more in [("utf8_valid", ()), ("prove_lines", ()), ("sse_frames", ()), ("ndjson_window", (True,))]:
        for fn in (getattr(_native, name), getattr(_scan, "py_" + name)):
            for pos, end in [(-1, 2), (3, 2), (0, 5)]:
                with pytest.raises(ValueError, match="outside a buffer of 4 bytes"):
                    fn(b"{}\n{", pos, end, *more)


# -- the whole decoder, either path ------------------------------------------------------------------------

_PATHS = {
    True: {n: getattr(_native, n) for n in ("utf8_valid", "prove_lines", "ndjson_window", "sse_frames")},
    False: {n: getattr(_scan, "py_" + n) for n in ("utf8_valid", "prove_lines", "ndjson_window", "sse_frames")},
}


def decode_both(monkeypatch: pytest.MonkeyPatch, fn: Callable[[], object]) -> object:
    """``fn()`` with the C scanner, then with the pure-Python one (``_scan``'s dispatch switched), asserted equal."""
    got = []
    for native in (True, False):
        with monkeypatch.context() as m:
            m.setattr(_scan, "NATIVE", native)
            for name, f in _PATHS[native].items():
                m.setattr(_scan, name, f)
            try:
                got.append(repr(fn()))
            except orm.DecodeError as err:
                got.append(f"raised {err!r} line={err.line} offset={err.offset}")
    assert got[0] == got[1]
    return got[0]


class _Delta(orm.View, tag="response.output_text.delta"):
    delta: str


_DECODERS = [orm.Decoder(), orm.Decoder(views=[_Delta], only=["response.completed"])]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(ndjson_like(), st.sampled_from(["strict", "replace"]), st.booleans(), st.integers(0, 1))
def test_decoder_ndjson_same_either_path(
    monkeypatch: pytest.MonkeyPatch, data: bytes, errors: str, raw: bool, which: int
) -> None:
    dec = _DECODERS[which]
    decode_both(monkeypatch, lambda: dec.decode_lines(data, errors=errors, raw=raw))  # type: ignore[call-overload]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(sse_like(), st.sampled_from(["strict", "replace"]), st.booleans(), st.integers(0, 1))
def test_decoder_sse_same_either_path(
    monkeypatch: pytest.MonkeyPatch, data: bytes, errors: str, raw: bool, which: int
) -> None:
    dec = _DECODERS[which]
    decode_both(monkeypatch, lambda: dec.decode_sse(data, errors=errors, raw=raw))  # type: ignore[call-overload]


def test_decoder_big_inputs_same_either_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many windows, both kinds of SSE region, blank runs, a bad line in the middle: the same events."""
    evs = corpus.events("mixed", 2500, seed=4, image_kb=2)
    text, sse = corpus.ndjson(evs), corpus.sse(evs)
    mid = len(text) // 2
    text = text[:mid] + b"\n\n\n\xff{bad}\n" + text[mid:]
    dec = orm.Decoder()
    out = decode_both(monkeypatch, lambda: dec.decode_lines(text, errors="replace"))
    assert isinstance(out, str) and out.count("InvalidEvent(") >= 1
    arr = corpus.array(evs[:500])
    for data in (arr, arr.replace(b"fox", b"f\xffx", 3), arr.replace(b"\xc3\xa9", b"\xc3(")):
        decode_both(monkeypatch, lambda data=data: dec.decode_array(data, errors="replace"))
        decode_both(monkeypatch, lambda data=data: dec.decode_array(memoryview(data), errors="replace", raw=True))
        decode_both(monkeypatch, lambda data=data: dec.decode_lines(data.replace(b"},{", b"}\n{"), raw=True))
    bad = b'data: {"type":"response.output_text.delta","delta":1}\n\n'  # located by line after the bulk regions
    sse = sse[: len(sse) // 3] + bad + sse[len(sse) // 3 :] + bad
    for data in (sse, sse.replace(b"data: {", b"event: e\ndata: {"), sse.replace(b"\n", b"\r\n")):
        decode_both(monkeypatch, lambda data=data: dec.decode_sse(data, errors="replace"))
        decode_both(monkeypatch, lambda data=data: dec.decode_sse(data, errors="replace", raw=True))


# -- the switch ---------------------------------------------------------------------------------------------


def _run(code: str, pure: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENRESPONSES_MSGSPEC_PURE"}
    if pure:
        env["OPENRESPONSES_MSGSPEC_PURE"] = "1"
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout


def test_native_flag_and_forced_fallback() -> None:
    code = "import openresponses_msgspec as m, openresponses_msgspec._scan as s; print(m.NATIVE, s.prove_lines)"
    assert _run(code, pure=True).split()[0] == "False"
    native = _run(code, pure=False)
    assert native.startswith("True <built-in function prove_lines>"), native
    assert "NATIVE" in orm.__all__
    assert orm.NATIVE is (os.environ.get("OPENRESPONSES_MSGSPEC_PURE") != "1")


_DECODE_ALL = """
import hashlib, sys
import msgspec
from openresponses_msgspec import Decoder, corpus, decode_lines, decode_sse
h = hashlib.sha256()
def out(x): h.update(repr(x).encode())
text = corpus.ndjson(corpus.events("mixed", 3000, seed=11, image_kb=2))
sse = corpus.sse(corpus.events("mixed", 3000, seed=12, image_kb=2))
bad = text.replace(b'"response.output_text.delta"', b'"response.output_text.deltx"', 5)
bad = bad[:50000] + b"\\n\\n  \\r\\n{oops}\\n" + bad[50000:70000] + b"\\xff\\n" + bad[70000:]
for data in (text, bad, text.replace(b"\\n", b"\\r\\n"), text.replace(b"\\n", b"\\n\\n")):
    out(decode_lines(data, errors="replace"))
    out(Decoder().decode_lines(data, errors="replace", raw=True))
for data in (sse, sse.replace(b"data: ", b"event: e\\ndata: "), sse[:-7]):
    out(decode_sse(data, errors="replace"))
    out(Decoder().decode_sse(data, errors="replace", raw=True))
print(h.hexdigest())
"""


def test_decoder_gives_the_same_results_either_way() -> None:
    assert _run(_DECODE_ALL, pure=True) == _run(_DECODE_ALL, pure=False)
