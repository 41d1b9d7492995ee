"""to_builtins, event/response rows and the Arrow tables: values equal the input JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import msgspec
import pytest

from openresponses_msgspec import (
    EVENT_COLUMNS,
    RESPONSE_COLUMNS,
    UnknownEvent,
    accumulate,
    corpus,
    decode,
    decode_lines,
    responses_to_arrow,
    to_arrow,
    to_builtins,
)
from openresponses_msgspec.arrow import event_row

DELTA = (
    b'{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,"delta":"Hi",'
    b'"logprobs":[],"sequence_number":3}'
)
FUTURE_ITEM = (
    b'{"type":"response.output_item.added","output_index":1,"sequence_number":4,'
    b'"item":{"type":"future_item","id":"z","payload":[1,2.5,null]}}'
)


def _assert_subset(out: object, src: object) -> None:
    """``out`` equals ``src`` except where ``src`` has a null or an empty array that ``out`` leaves out."""
    if isinstance(src, dict):
        assert isinstance(out, dict)
        for k, v in src.items():
            if k in out:
                _assert_subset(out[k], v)
            else:
                assert v in (None, []), k
    elif isinstance(src, list):
        assert isinstance(out, list) and len(out) == len(src)
        for a, b in zip(out, src, strict=True):
            _assert_subset(a, b)
    else:
        assert out == src and type(out) in (type(src), float)


class TestToBuiltins:
    def test_typed_event_equals_its_json(self) -> None:
        assert to_builtins(decode(DELTA)) == json.loads(DELTA)

    def test_unknown_event_is_its_json(self) -> None:
        raw = b'{"type":"response.keep_alive","sequence_number":466,"x":{"y":[1]}}'
        ev = decode(raw)
        assert isinstance(ev, UnknownEvent)
        assert to_builtins(ev) == json.loads(raw)
        with pytest.raises(TypeError):
            msgspec.to_builtins(ev)  # the problem this solves

    def test_unknown_value_nested(self) -> None:
        assert to_builtins(decode(FUTURE_ITEM)) == json.loads(FUTURE_ITEM)

    def test_invalid_event(self) -> None:
        ev = decode_lines(b'{"type":"ping"}\n{"type":"error" "x"}\n', errors="replace")[1]
        assert to_builtins(ev) == {
            "type": None,
            "error": "line 2, offset 16: JSON is malformed: expected ',' or '}' (byte 16)",
            "line": 2,
            "offset": 16,
            "index": None,
            "raw": '{"type":"error" "x"}',
        }

    def test_raw_and_lists(self) -> None:
        assert to_builtins([msgspec.Raw(b'{"a":[1,2]}'), decode(DELTA), None]) == [
            {"a": [1, 2]},
            json.loads(DELTA),
            None,
        ]

    def test_whole_corpus_round_trips(self) -> None:
        """Every corpus event: to_builtins equals the source dict, minus nulls and empty arrays of absent
        optional fields (msgspec's omit_defaults) and unknown fields."""
        evs = corpus.events("mixed", 300)
        decoded = decode_lines(corpus.ndjson(evs))
        for src, ev in zip(evs, decoded, strict=True):
            out = to_builtins(ev)
            assert json.loads(msgspec.json.encode(out)) == out
            assert out["type"] == src["type"] and out.get("sequence_number") == src.get("sequence_number")
            _assert_subset(out, src)


class TestArrow:
    def test_event_table_columns_equal_input(self) -> None:
        evs = corpus.events("mixed", 400)
        lines = corpus.ndjson(evs) + b'{"type":"response.output_text.delta" oops}\n'
        decoded = decode_lines(lines, errors="replace")
        t = to_arrow(decoded)
        assert t.schema.names == list(EVENT_COLUMNS)
        assert {str(f.type) for f in t.schema} <= {"string", "int64", "double", "bool", "binary"}
        assert t.num_rows == len(evs) + 1
        assert t.column("type").to_pylist() == [e["type"] for e in evs] + [None]
        assert t.column("sequence_number").to_pylist() == [e.get("sequence_number") for e in evs] + [None]
        assert t.column("delta").to_pylist()[:-1] == [e.get("delta") for e in evs]
        assert t.column("item_id").to_pylist()[:-1] == [e.get("item_id") for e in evs]
        known = t.column("known").to_pylist()
        assert known[-1] is False and known.count(False) == 1 + sum(
            e["type"] in ("response.keep_alive", "response.future_feature.delta") for e in evs
        )
        assert t.column("error").to_pylist()[-1].startswith(f"line {len(evs) + 1}, offset {len(corpus.ndjson(evs))}")
        done = [i for i, e in enumerate(evs) if e["type"] == "response.completed"]
        usage = evs[done[0]]["response"]["usage"]
        row = t.slice(done[0], 1).to_pylist()[0]
        assert (row["response_id"], row["status"], row["input_tokens"], row["output_tokens"], row["total_tokens"]) == (
            evs[done[0]]["response"]["id"],
            "completed",
            usage["input_tokens"],
            usage["output_tokens"],
            usage["total_tokens"],
        )
        assert json.loads(row["rest"])["response"]["id"] == row["response_id"]

    def test_rest_holds_the_other_fields(self) -> None:
        row = event_row(decode(FUTURE_ITEM))
        assert (row["type"], row["output_index"], row["sequence_number"]) == ("response.output_item.added", 1, 4)
        assert json.loads(row["rest"]) == {"item": {"type": "future_item", "id": "z", "payload": [1, 2.5, None]}}

    def test_responses_table(self) -> None:
        evs = corpus.events("reasoning", 300)
        accs = accumulate(decode_lines(corpus.ndjson(evs)))
        t = responses_to_arrow(accs)
        assert t.schema.names == list(RESPONSE_COLUMNS)
        rows = t.to_pylist()
        done = [e for e in evs if e["type"] == "response.completed"]
        assert [r["response_id"] for r in rows[: len(done)]] == [e["response"]["id"] for e in done]
        args = [e["arguments"] for e in evs if e["type"] == "response.function_call_arguments.done"]
        assert [json.loads(r["function_calls"])[0]["arguments"] for r in rows[: len(args)]] == args
        assert [r["total_tokens"] for r in rows[: len(done)]] == [e["response"]["usage"]["total_tokens"] for e in done]
        assert rows[-1]["status"] == "cut_short" and rows[0]["status"] == "completed"
        assert rows[0]["events"] == 62 and rows[0]["problem_count"] == 0

    def test_pyarrow_imported_only_when_used(self) -> None:
        code = (
            "import sys, openresponses_msgspec as o; o.accumulate([]); o.to_builtins(1);"
            "assert 'pyarrow' not in sys.modules; o.to_arrow([]); assert 'pyarrow' in sys.modules"
        )
        subprocess.run([sys.executable, "-c", code], check=True)


class TestNewerValues:
    def test_invalid_value_view_and_skipped(self) -> None:
        from openresponses_msgspec import Decoder, InvalidValue, View

        raw = (
            b'{"type":"response.completed","sequence_number":1,"response":{"id":"r","object":"response",'
            b'"created_at":1,"model":"m","output":null,"usage":{"input_tokens":"x"}}}'
        )
        ev = decode(raw)
        assert isinstance(ev.response.usage, InvalidValue)
        usage = to_builtins(ev)["response"]["usage"]
        assert usage == {
            "invalid": True,
            "type": None,
            "value": {"input_tokens": "x"},
            "error": "Expected `int`, got `str` - at `$.response.usage.input_tokens`",
        }

        class Delta(View, tag="response.output_text.delta"):
            delta: str

        evs = Decoder(views=[Delta]).decode_lines(corpus.ndjson(corpus.events("text", 6)))
        assert [to_builtins(e) for e in evs] == [
            {"type": "response.created"},
            {"type": "response.in_progress"},
            {"type": "response.output_item.added"},
            {"type": "response.content_part.added"},
            {"type": "response.output_text.delta", "delta": corpus.events("text", 6)[4]["delta"]},
            {"type": "response.output_text.delta", "delta": corpus.events("text", 6)[5]["delta"]},
        ]


class TestIssue16:
    def test_response_row_reads_the_nested_error_form(self) -> None:
        from openresponses_msgspec.arrow import response_row

        nested = (
            b'{"type":"response.created","sequence_number":0,"response":{"id":"r","object":"response",'
            b'"created_at":1,"status":"in_progress","model":"m","output":[]}}\n'
            b'{"type":"error","sequence_number":1,"error":{"type":"invalid_request_error","code":"x",'
            b'"message":"y","param":null}}\n'
        )
        flat = b'{"type":"error","sequence_number":4,"code":"rate_limit_exceeded","message":"slow down","param":null}\n'
        [acc] = accumulate(decode_lines(nested))
        row = response_row(acc)
        assert (row["error_code"], row["error_message"], row["error_events"]) == ("x", "y", 1)
        [acc] = accumulate(decode_lines(flat))
        assert (response_row(acc)["error_code"], response_row(acc)["error_message"]) == (
            "rate_limit_exceeded",
            "slow down",
        )

    def test_numbers_beyond_int64_and_float(self) -> None:
        big = 2**70
        lines = [
            b'{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,"delta":"a",'
            b'"sequence_number":%d}' % big,
            b'{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,"delta":"b",'
            b'"sequence_number":7}',
            b'{"type":"x.future_event","sequence_number":8,"x":1e400,"n":%d}' % big,
        ]
        evs = decode_lines(b"\n".join(lines))
        t = to_arrow(evs)
        assert t.column("sequence_number").to_pylist() == [None, 7, 8]
        assert t.column("delta").to_pylist() == ["a", "b", None]
        raw = t.column("raw").to_pylist()
        assert json.loads(raw[0])["sequence_number"] == big  # the typed column's null: the JSON keeps it
        assert raw[1] is None and raw[2] == lines[2]
        assert to_builtins(evs[2]) == {"type": "x.future_event", "sequence_number": 8, "x": "1e400", "n": big}
        assert to_builtins(evs[0])["sequence_number"] == big
        t = to_arrow(evs, raw=lines)
        assert t.column("raw").to_pylist() == lines

    def test_raw_column_from_pairs_and_lists(self) -> None:
        lines = corpus.ndjson(corpus.events("mixed", 300)).splitlines() + [b'{"type":"error" "x"}']
        evs = decode_lines(b"\n".join(lines), errors="replace")
        by_list = to_arrow(evs, raw=lines)
        by_pairs = to_arrow(list(zip(evs, lines, strict=True)))
        assert by_list.equals(by_pairs)
        assert by_list.column("raw").to_pylist() == lines
        assert by_list.drop_columns(["raw"]).equals(to_arrow(evs).drop_columns(["raw"]))
        with pytest.raises(ValueError, match="301 events but 300 raw values"):
            to_arrow(evs, raw=lines[:-1])

    def test_columns_equal_the_row_function(self) -> None:
        """The column-wise table holds exactly what event_row gives row by row, on every corpus."""
        from openresponses_msgspec.arrow import _table

        for kind in ("text", "reasoning", "mixed"):
            lines = corpus.ndjson(corpus.events(kind, 500)) + b'{"type":"response.output_text.delta" oops}\n'
            evs = decode_lines(lines, errors="replace")
            assert to_arrow(evs).to_pylist() == _table(map(event_row, evs), EVENT_COLUMNS).to_pylist()

    def test_missing_pyarrow_is_an_import_error_with_the_pip_line(self) -> None:
        code = (
            "import sys; sys.modules['pyarrow'] = None\n"
            "import openresponses_msgspec as o\n"
            "try:\n    o.to_arrow([])\nexcept ImportError as e:\n"
            "    print(type(e).__name__, e.extra, '|', e)\n"
        )
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert r.stdout == (
            "MissingExtraError arrow | to_arrow needs pyarrow: pip install 'openresponses-msgspec[arrow]'\n"
        )

    def test_projections_and_camel_names(self) -> None:
        from openresponses_msgspec import Decoder, View

        class Delta(View, tag="response.output_text.delta"):
            delta: str

        evs = corpus.events("text", 8)
        t = to_arrow(Decoder(views=[Delta]).decode_lines(corpus.ndjson(evs)))
        assert t.column("type").to_pylist() == [e["type"] for e in evs]
        assert t.column("delta").to_pylist() == [e.get("delta") for e in evs]
        assert t.column("sequence_number").to_pylist() == [None] * 8  # not in the views: not decoded
        camel = (
            b'{"type":"response.output_text.delta","itemId":"m","outputIndex":0,"contentIndex":0,'
            b'"delta":"Hi","sequenceNumber":3,"logprobs":[]}'
        )
        row = to_arrow(Decoder(naming="camel").decode_lines(camel)).to_pylist()[0]
        assert (row["item_id"], row["output_index"], row["sequence_number"], row["delta"]) == ("m", 0, 3, "Hi")
        assert json.loads(row["rest"]) == {"logprobs": []}
