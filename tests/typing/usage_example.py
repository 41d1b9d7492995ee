"""Billing from ``usage`` as a user writes it, on the full model and on a view: run as a script by
tests/typing/test_usage_example.py, which also runs ``mypy --strict`` and basedpyright (strict) on this file.

``Usage.input_tokens`` is ``int`` (every spec requires it, no server was seen to omit it), and reading a field of
an ``InvalidValue`` types as ``NoReturn`` (it raises an ``AttributeError`` that says why), so
``r.usage.input_tokens`` is an ``int`` on ``Usage | InvalidValue`` without a cast.
"""

from __future__ import annotations

from typing import assert_type

import msgspec

from openresponses_msgspec import Decoder, InvalidValue, ResponseCompletedEvent, Usage, View, decode_lines

billed: list[tuple[int, int]] = []


def bill(a: int, b: int) -> None:
    billed.append((a, b))


GOOD = (
    b'{"type":"response.completed","sequence_number":9,"response":{"id":"resp_1","status":"completed",'
    b'"usage":{"input_tokens":12,"output_tokens":3,"total_tokens":15}}}'
)
BAD = b'{"type":"response.completed","sequence_number":9,"response":{"id":"resp_2","usage":{"input_tokens":"many"}}}'

# -- the full model -------------------------------------------------------------------------------------------

for ev in decode_lines(GOOD + b"\n" + BAD):
    if isinstance(ev, ResponseCompletedEvent):
        r = ev.response
        if r.usage is not None:
            assert_type(r.usage, Usage | InvalidValue)
            try:
                assert_type(r.usage.input_tokens, int)
                bill(r.usage.input_tokens, r.usage.output_tokens)
            except AttributeError as exc:  # the second line: its usage was kept as an InvalidValue
                assert isinstance(r.usage, InvalidValue) and r.id == "resp_2"
                assert "Expected `int`, got `str` - at `$.response.usage.input_tokens`" in str(exc)
assert billed == [(12, 3)]

# the careful form: skip what failed validation (it is still there: r.usage.raw, r.usage.error)
for ev in decode_lines(GOOD + b"\n" + BAD):
    if isinstance(ev, ResponseCompletedEvent) and isinstance(ev.response.usage, Usage):
        bill(ev.response.usage.input_tokens, ev.response.usage.output_tokens)
assert billed == [(12, 3), (12, 3)]

# -- a view -------------------------------------------------------------------------------------------------


class BilledUsage(msgspec.Struct, frozen=True):
    input_tokens: int
    output_tokens: int


class BilledResponse(msgspec.Struct, frozen=True):
    usage: BilledUsage | None = None


class Completed(View, tag="response.completed", frozen=True):
    response: BilledResponse


for v in Decoder(views=[Completed]).decode_lines(GOOD):
    if isinstance(v, Completed):
        r2 = v.response
        if r2.usage is not None:
            bill(r2.usage.input_tokens, r2.usage.output_tokens)
assert billed == [(12, 3), (12, 3), (12, 3)]
