"""A bad nested value never discards its event: the innermost Struct-typed value that fails validation is kept
in its slot as InvalidValue (type, exact bytes, DecodeError with the absolute path), in both error modes, and
encode writes its bytes back. A bad field directly on the event (or a required one) still fails the event."""

from __future__ import annotations

import copy
import inspect
import json
import pickle

import msgspec
import pytest

import openresponses_msgspec as orm
from openresponses_msgspec import (
    DecodeError,
    InvalidEvent,
    InvalidValue,
    UnknownValue,
    _lenient,
    decode,
    decode_lines,
    encode,
)

BAD_ITEM = b'{"type":"function_call","id":"fc_1","call_id":"c1","name":"f","arguments":{"a":1}}'
GOOD_ITEM = (
    b'{"type":"message","id":"m1","role":"assistant","status":"completed","content":[{"type":"refusal",'
    b'"refusal":"no"}]}'
)
COMPLETED = (
    b'{"type":"response.completed","sequence_number":9,"response":{"id":"r1","status":"completed",'
    b'"output":[' + GOOD_ITEM + b"," + BAD_ITEM + b'],"usage":{"input_tokens":10,"output_tokens":4,'
    b'"total_tokens":14}}}'
)


def test_usage_survives_one_odd_output_item() -> None:
    ev = decode(COMPLETED)
    assert type(ev) is orm.ResponseCompletedEvent and ev.sequence_number == 9
    good, bad = ev.response.output
    assert type(good) is orm.MessageItem and good.id == "m1"
    assert isinstance(bad, InvalidValue)
    assert bad.type == "function_call" and bad.raw == BAD_ITEM
    assert isinstance(bad.error, DecodeError)
    assert bad.error.path == "$.response.output[1].arguments"
    assert "got `object`" in str(bad.error)
    assert (ev.response.usage.input_tokens, ev.response.usage.output_tokens) == (10, 4)


@pytest.mark.parametrize("errors", ["strict", "replace"])
def test_both_error_modes_keep_the_event_typed(errors: str) -> None:
    delta = b'{"type":"response.output_text.delta","delta":"x","sequence_number":1}'
    out = decode_lines(delta + b"\n" + COMPLETED + b"\n", errors=errors)  # type: ignore[arg-type]
    assert [type(e) for e in out] == [orm.ResponseOutputTextDeltaEvent, orm.ResponseCompletedEvent]
    assert out[1] == decode(COMPLETED)
    assert isinstance(out[1].response.output[1], InvalidValue)


def test_encode_writes_the_bytes_back() -> None:
    ev = decode(COMPLETED)
    data = encode(ev)
    assert BAD_ITEM in data
    assert json.loads(data) == json.loads(COMPLETED)
    assert decode(data) == ev


def test_innermost_value_is_kept() -> None:
    """A bad content part inside a message keeps the message typed; a bad annotation keeps the part typed."""
    line = (
        b'{"type":"response.output_item.done","output_index":0,"item":{"type":"message","id":"m",'
        b'"role":"assistant","content":[{"type":"output_text","text":"ok","annotations":[{"type":"url_citation","url":"u"},'
        b'{"type":"url_citation","url":7}]},{"type":"refusal","refusal":false}]}}'
    )
    ev = decode(line)
    part, refusal = ev.item.content
    assert type(part) is orm.OutputTextPart and part.text == "ok"
    good, bad = part.annotations
    assert type(good) is orm.UrlCitationAnnotation and good.url == "u"
    assert bad == InvalidValue("url_citation", b'{"type":"url_citation","url":7}', bad.error)
    assert bad.error.path == "$.item.content[0].annotations[1].url"
    assert isinstance(refusal, InvalidValue) and refusal.error.path == "$.item.content[1].refusal"


def test_untagged_struct_and_non_object_values() -> None:
    """Usage (no tag), a web-search source (a plain ``type`` field), an item that is not an object."""
    ev = decode(b'{"type":"response.completed","response":{"usage":{"input_tokens":"many"}}}')
    usage = ev.response.usage
    assert isinstance(usage, InvalidValue) and usage.type is None
    assert usage.raw == b'{"input_tokens":"many"}' and usage.error.path == "$.response.usage.input_tokens"
    ev = decode(
        b'{"type":"response.output_item.done","item":{"type":"web_search_call","id":"ws","status":"completed","action":{"type":"search",'
        b'"sources":[{"type":"url","url":7},{"type":"api","name":"oai-weather"}]}}}'
    )
    bad, good = ev.item.action.sources
    assert bad.type == "url" and bad.error.path == "$.item.action.sources[0].url"
    assert (good.type, good.name, good.url) == ("api", "oai-weather", None)
    ev = decode(b'{"type":"response.output_item.added","output_index":0,"item":5}')
    assert ev.item == InvalidValue(None, b"5", ev.item.error) and ev.item.error.path == "$.item"
    assert ev.output_index == 0


def test_unknown_and_invalid_side_by_side() -> None:
    line = b'{"type":"response.completed","response":{"output":[{"type":"holo_call","x":1},' + BAD_ITEM + b"]}}"
    unknown, invalid = decode(line).response.output
    assert unknown == UnknownValue("holo_call", b'{"type":"holo_call","x":1}')
    assert isinstance(invalid, InvalidValue) and not isinstance(invalid, UnknownValue)


@pytest.mark.parametrize(
    ("line", "path"),
    [
        (b'{"type":"response.output_text.delta","delta":"x","sequence_number":"7"}', "$.sequence_number"),
        (b'{"type":"response.output_text.delta","sequence_number":7}', "$"),
        (b'{"type":"response.completed","response":{"created_at":"yesterday"}}', "$.response.created_at"),
        (b'{"type":"response.completed","response":null}', "$.response"),
    ],
)
def test_a_bad_field_of_the_event_itself_still_fails(line: bytes, path: str) -> None:
    """Directly on the event, or the required ``response`` (the event means nothing without it)."""
    with pytest.raises(DecodeError) as ei:
        decode(line)
    assert ei.value.path == path
    (bad,) = decode_lines(line, errors="replace")
    assert isinstance(bad, InvalidEvent) and bad.error.path == path


def test_slow_path_does_no_setup_once_warm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything per type is cached: a failing event builds no decoder and no twin class the second time."""
    decode(COMPLETED)
    built: list[object] = []
    real_decoder, real_defstruct = msgspec.json.Decoder, msgspec.defstruct
    monkeypatch.setattr(msgspec.json, "Decoder", lambda *a, **k: built.append(a) or real_decoder(*a, **k))
    monkeypatch.setattr(msgspec, "defstruct", lambda *a, **k: built.append(a) or real_defstruct(*a, **k))
    for _ in range(3):
        assert isinstance(decode(COMPLETED).response.output[1], InvalidValue)
    assert built == []
    assert "{a.__struct_config__.tag" not in inspect.getsource(_lenient.decode_struct)


def test_decode_struct_works_for_any_struct_class() -> None:
    """The core calls it with its own classes (views, camelCase twins): not only generated ones."""

    class View(msgspec.Struct, frozen=True):
        item: orm.MessageItem | None = None
        output_index: int = -1

    v = _lenient.decode_struct(
        b'{"item":{"type":"message","id":"m","role":"assistant","content":[{"type":"output_text","text":5}]},'
        b'"output_index":3}',
        View,
        "$",
    )
    assert v.output_index == 3 and isinstance(v.item, orm.MessageItem)
    assert isinstance(v.item.content[0], InvalidValue) and v.item.content[0].error.path == "$.item.content[0].text"


def test_type_checkers_see_the_wider_slots() -> None:
    """Nested-union fields are annotated with TYPE_CHECKING aliases that include UnknownValue | InvalidValue."""
    source = inspect.getsource(orm._models)
    assert "_OutputItem: TypeAlias = Union[OutputItem, UnknownValue, InvalidValue]" in source
    assert "_Usage: TypeAlias = Union[Usage, InvalidValue]" in source
    hints = msgspec.structs.fields(orm.Response)
    assert {f.name: f.type for f in hints}["usage"] == orm.Usage | None  # at run time: the plain class
    assert "    output: tuple[_OutputItem, ...] | None = None" in inspect.getsource(orm.Response)


def test_a_wrong_hint_only_costs_time() -> None:
    """``failed=`` (the strict error of the same bytes) leads to the failing value; any value is still
    decoded right, nulls included."""
    line = b'{"type":"response.completed","response":{"usage":null,"output":[null,' + BAD_ITEM + b'],"error":null}}'
    right = _lenient.decode_struct(line, orm.ResponseCompletedEvent)
    for hint in (".response.usage", ".response.output[0]", ".response.error.code", ".response.output[1].x", ""):
        got = _lenient.decode_struct(line, orm.ResponseCompletedEvent, _hint=hint)
        assert got == right, hint
    assert right.response.usage is None and right.response.error is None
    null_item, bad_item = right.response.output  # an item slot does not take null: kept, with its error
    assert null_item == InvalidValue(None, b"null", null_item.error) and null_item.error.path == "$.response.output[0]"
    assert isinstance(bad_item, InvalidValue) and bad_item.error.path == "$.response.output[1].arguments"


def test_reading_a_field_of_an_invalid_value_says_why() -> None:
    """``InvalidValue.__getattr__`` (typed ``NoReturn``, so ``(Usage | InvalidValue).input_tokens`` is an ``int``
    to type checkers) raises an AttributeError naming the field and the validation error; its own slots, repr,
    equality, copy, pickle, encode and hasattr behave as before."""
    ev = decode(b'{"type":"response.completed","response":{"usage":{"input_tokens":"many"}}}')
    usage = ev.response.usage
    assert isinstance(usage, InvalidValue)
    with pytest.raises(AttributeError) as ei:
        usage.input_tokens  # noqa: B018
    assert ei.value.name == "input_tokens" and ei.value.obj is usage
    assert str(ei.value) == (
        "'input_tokens': the value was invalid and is kept as an InvalidValue (Expected `int`, got `str` - at "
        "`$.response.usage.input_tokens`); check isinstance(value, InvalidValue) before reading its fields"
    )
    assert (usage.type, usage.raw, usage.error.path) == (
        None,
        b'{"input_tokens":"many"}',
        "$.response.usage.input_tokens",
    )
    assert not hasattr(usage, "output_tokens") and getattr(usage, "output_tokens", 7) == 7
    assert repr(usage) == (
        'InvalidValue(type=None, raw=b\'{"input_tokens":"many"}\', '
        "error='Expected `int`, got `str` - at `$.response.usage.input_tokens`')"
    )
    assert copy.copy(usage) == usage and copy.deepcopy(usage) == usage and copy.deepcopy(ev) == ev
    assert pickle.loads(pickle.dumps(usage)) == usage
    assert encode(ev) == b'{"type":"response.completed","response":{"usage":{"input_tokens":"many"}}}'
    with pytest.raises(AttributeError, match="^__array__$"):
        usage.__array__  # noqa: B018 - protocol look-ups get the plain error, no message built
    blank = InvalidValue.__new__(InvalidValue)  # what unpickling starts from: no slot set, no recursion
    with pytest.raises(AttributeError):
        blank.input_tokens  # noqa: B018
