"""GenAI telemetry (issue #21): a folded real-shaped stream mapped to the semantic conventions' span attributes
and metrics, recorded with the real opentelemetry-sdk and read back from its in-memory exporters; every name
checked against the opentelemetry-semantic-conventions package's constants."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as GA
from opentelemetry.semconv._incubating.attributes import openai_attributes as OA
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics as GM
from opentelemetry.trace import SpanKind, StatusCode

import openresponses_msgspec as orm
from openresponses_msgspec import ResponseAccumulator, genai_telemetry, record_genai

RID, MID, RS, FC = "resp_0a1b", "msg_0a1b", "rs_0a1b", "fc_0a1b"


def _resp(status: str, **kw: Any) -> dict[str, Any]:
    return {
        "id": RID,
        "object": "response",
        "created_at": 1764770000,
        "status": status,
        "model": "gpt-5.4-2026-03-05",
        "service_tier": "default",
        "conversation": {"id": "conv_77"},
        "output": [],
        **kw,
    }


def _events() -> list[dict[str, Any]]:
    """A reasoning summary, a message and a function call, shaped as OpenAI streams them."""
    evs: list[dict[str, Any]] = [
        {"type": "response.created", "response": _resp("in_progress")},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "reasoning", "id": RS, "summary": []},
        },
        {
            "type": "response.reasoning_summary_part.added",
            "item_id": RS,
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": ""},
        },
        {
            "type": "response.reasoning_summary_text.delta",
            "item_id": RS,
            "output_index": 0,
            "summary_index": 0,
            "delta": "Look it up.",
        },
        {
            "type": "response.reasoning_summary_text.done",
            "item_id": RS,
            "output_index": 0,
            "summary_index": 0,
            "text": "Look it up.",
        },
        {
            "type": "response.reasoning_summary_part.done",
            "item_id": RS,
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": "Look it up."},
        },
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {"type": "reasoning", "id": RS, "summary": [{"type": "summary_text", "text": "Look it up."}]},
        },
        {
            "type": "response.output_item.added",
            "output_index": 1,
            "item": {"type": "message", "id": MID, "role": "assistant", "status": "in_progress", "content": []},
        },
        {
            "type": "response.content_part.added",
            "item_id": MID,
            "output_index": 1,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
        {
            "type": "response.output_text.delta",
            "item_id": MID,
            "output_index": 1,
            "content_index": 0,
            "delta": "Checking ",
        },
        {
            "type": "response.output_text.delta",
            "item_id": MID,
            "output_index": 1,
            "content_index": 0,
            "delta": "the weather.",
        },
        {
            "type": "response.output_text.done",
            "item_id": MID,
            "output_index": 1,
            "content_index": 0,
            "text": "Checking the weather.",
        },
        {
            "type": "response.content_part.done",
            "item_id": MID,
            "output_index": 1,
            "content_index": 0,
            "part": {"type": "output_text", "text": "Checking the weather.", "annotations": []},
        },
        {
            "type": "response.output_item.done",
            "output_index": 1,
            "item": {
                "type": "message",
                "id": MID,
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": "Checking the weather.", "annotations": []}],
            },
        },
        {
            "type": "response.output_item.added",
            "output_index": 2,
            "item": {"type": "function_call", "id": FC, "call_id": "call_9", "name": "weather", "arguments": ""},
        },
        {"type": "response.function_call_arguments.delta", "item_id": FC, "output_index": 2, "delta": '{"city":'},
        {"type": "response.function_call_arguments.delta", "item_id": FC, "output_index": 2, "delta": '"Oslo"}'},
        {
            "type": "response.function_call_arguments.done",
            "item_id": FC,
            "output_index": 2,
            "arguments": '{"city":"Oslo"}',
        },
        {
            "type": "response.output_item.done",
            "output_index": 2,
            "item": {
                "type": "function_call",
                "id": FC,
                "call_id": "call_9",
                "name": "weather",
                "arguments": '{"city":"Oslo"}',
                "status": "completed",
            },
        },
        {
            "type": "response.completed",
            "response": _resp(
                "completed",
                completed_at=1764770003,
                usage={
                    "input_tokens": 812,
                    "input_tokens_details": {"cached_tokens": 512},
                    "output_tokens": 96,
                    "output_tokens_details": {"reasoning_tokens": 64},
                    "total_tokens": 908,
                },
            ),
        },
    ]
    return [{**e, "sequence_number": n} for n, e in enumerate(evs)]


def _folded(events: list[dict[str, Any]] | None = None) -> ResponseAccumulator:
    acc = ResponseAccumulator()
    acc.feed(orm.decode_lines(b"\n".join(json.dumps(e).encode() for e in events or _events())))
    acc.close()
    return acc


TIMES = [1764770000.40 + 0.05 * k for k in range(20)]  # epoch arrival times of the 20 events
REQUEST = 1764770000.10


def test_attributes_of_a_folded_stream() -> None:
    t = genai_telemetry(
        _folded(),
        times=TIMES,
        request_time=REQUEST,
        request_model="gpt-5.4",
        server_address="api.openai.com",
        server_port=443,
    )
    assert t.span_name == "chat gpt-5.4-2026-03-05"
    assert t.attributes == {
        GA.GEN_AI_OPERATION_NAME: "chat",
        GA.GEN_AI_PROVIDER_NAME: "openai",
        OA.OPENAI_API_TYPE: "responses",
        GA.GEN_AI_REQUEST_MODEL: "gpt-5.4",
        "server.address": "api.openai.com",
        "server.port": 443,
        GA.GEN_AI_RESPONSE_ID: RID,
        GA.GEN_AI_RESPONSE_MODEL: "gpt-5.4-2026-03-05",
        GA.GEN_AI_RESPONSE_FINISH_REASONS: ["tool_call"],
        OA.OPENAI_RESPONSE_SERVICE_TIER: "default",
        GA.GEN_AI_CONVERSATION_ID: "conv_77",
        GA.GEN_AI_USAGE_INPUT_TOKENS: 812,
        GA.GEN_AI_USAGE_OUTPUT_TOKENS: 96,
        GA.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 512,
        GA.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: 64,
    }
    assert (t.start_time, t.end_time) == (REQUEST, TIMES[-1])
    by_name: dict[str, list[Any]] = {}
    for m in t.measurements:
        by_name.setdefault(m.name, []).append(m)
    usage = {m.attributes[GA.GEN_AI_TOKEN_TYPE]: m.value for m in by_name[GM.GEN_AI_CLIENT_TOKEN_USAGE]}
    assert usage == {"input": 812, "output": 96}
    assert by_name[GM.GEN_AI_CLIENT_OPERATION_DURATION][0].value == pytest.approx(TIMES[-1] - REQUEST)
    assert by_name[GM.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK][0].value == pytest.approx(0.30)
    chunks = by_name[GM.GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK]
    assert len(chunks) == 19 and all(m.value == pytest.approx(0.05, abs=1e-6) for m in chunks)
    assert {m.unit for m in chunks} == {"s"} and by_name[GM.GEN_AI_CLIENT_TOKEN_USAGE][0].unit == "{token}"
    assert GA.GEN_AI_OUTPUT_MESSAGES not in t.attributes  # opt-in


def test_without_arrival_times_chunk_metrics_are_absent_and_duration_is_the_servers() -> None:
    t = genai_telemetry(_folded())
    names = [m.name for m in t.measurements]
    assert names == [GM.GEN_AI_CLIENT_TOKEN_USAGE, GM.GEN_AI_CLIENT_TOKEN_USAGE, GM.GEN_AI_CLIENT_OPERATION_DURATION]
    assert t.measurements[-1].value == 3.0  # completed_at - created_at
    assert (t.start_time, t.end_time) == (None, None)
    # arrival times without the request time: time per chunk, but no time to first chunk
    t = genai_telemetry(_folded(), times=[10.0, 10.5, 11.5])
    assert [(m.name, m.value) for m in t.measurements[2:]] == [
        (GM.GEN_AI_CLIENT_OPERATION_DURATION, 3.0),
        (GM.GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK, 0.5),
        (GM.GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK, 1.0),
    ]


def test_opt_in_output_messages() -> None:
    t = genai_telemetry(_folded(), capture_content=True)
    assert json.loads(str(t.attributes[GA.GEN_AI_OUTPUT_MESSAGES])) == [
        {
            "role": "assistant",
            "finish_reason": "tool_call",
            "parts": [
                {"type": "reasoning", "content": "Look it up."},
                {"type": "text", "content": "Checking the weather."},
                {"type": "tool_call", "id": "call_9", "name": "weather", "arguments": '{"city":"Oslo"}'},
            ],
        }
    ]


def test_failed_incomplete_and_cut_short() -> None:
    evs = _events()[:14] + [
        {
            "type": "response.incomplete",
            "sequence_number": 14,
            "response": _resp(
                "incomplete",
                incomplete_details={"reason": "max_output_tokens"},
                usage={"input_tokens": 5, "output_tokens": 7, "total_tokens": 12},
            ),
        }
    ]
    t = genai_telemetry(_folded(evs))
    assert t.attributes[GA.GEN_AI_RESPONSE_FINISH_REASONS] == ["length"] and "error.type" not in t.attributes
    evs[-1] = {
        "type": "response.failed",
        "sequence_number": 14,
        "response": _resp("failed", error={"code": "server_error", "message": "boom"}),
    }
    t = genai_telemetry(_folded(evs), times=[1.0, 2.0], request_time=0.5)
    assert t.attributes[GA.GEN_AI_RESPONSE_FINISH_REASONS] == ["error"]
    assert t.attributes["error.type"] == "server_error"
    assert GA.GEN_AI_USAGE_INPUT_TOKENS not in t.attributes
    duration = [m for m in t.measurements if m.name == GM.GEN_AI_CLIENT_OPERATION_DURATION]
    assert duration[0].attributes["error.type"] == "server_error" and duration[0].value == 1.5
    t = genai_telemetry(_folded(_events()[:10]))  # the stream stops mid-message
    assert t.attributes["error.type"] == "cut_short" and GA.GEN_AI_RESPONSE_FINISH_REASONS not in t.attributes


def test_recorded_with_the_real_sdk() -> None:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    tracer = tracer_provider.get_tracer("test")
    meter = meter_provider.get_meter("test")
    t = genai_telemetry(_folded(), times=TIMES, request_time=REQUEST, capture_content=True)
    record_genai(t, tracer=tracer, meter=meter)
    record_genai(genai_telemetry(_folded()), meter=meter)  # a second response through the same meter

    (span,) = spans.get_finished_spans()
    assert span.name == "chat gpt-5.4-2026-03-05" and span.kind == SpanKind.CLIENT
    assert dict(span.attributes or {}) == {k: tuple(v) if isinstance(v, list) else v for k, v in t.attributes.items()}
    assert span.attributes[GA.GEN_AI_USAGE_INPUT_TOKENS] == 812  # type: ignore[index]
    assert isinstance(span.attributes[GA.GEN_AI_USAGE_INPUT_TOKENS], int)  # type: ignore[index]
    assert span.start_time == int(REQUEST * 1e9) and span.end_time == int(TIMES[-1] * 1e9)
    assert span.status.status_code == StatusCode.UNSET

    data = reader.get_metrics_data()
    assert data is not None
    metrics = {m.name: m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    assert set(metrics) == {
        GM.GEN_AI_CLIENT_TOKEN_USAGE,
        GM.GEN_AI_CLIENT_OPERATION_DURATION,
        GM.GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
        GM.GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
    }
    assert metrics[GM.GEN_AI_CLIENT_TOKEN_USAGE].unit == "{token}"
    points: dict[str, HistogramDataPoint] = {}
    for p in metrics[GM.GEN_AI_CLIENT_TOKEN_USAGE].data.data_points:
        assert isinstance(p, HistogramDataPoint)
        assert p.attributes is not None
        assert p.attributes[GA.GEN_AI_RESPONSE_MODEL] == "gpt-5.4-2026-03-05"
        points[str(p.attributes[GA.GEN_AI_TOKEN_TYPE])] = p
    assert (points["input"].count, points["input"].sum) == (2, 1624)  # two responses of 812 input tokens
    assert (points["output"].count, points["output"].sum) == (2, 192)
    assert points["input"].explicit_bounds[:3] == (1, 4, 16)
    (chunk,) = metrics[GM.GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK].data.data_points
    assert isinstance(chunk, HistogramDataPoint) and chunk.count == 19
    assert chunk.sum == pytest.approx(19 * 0.05, abs=1e-5)
    (duration,) = metrics[GM.GEN_AI_CLIENT_OPERATION_DURATION].data.data_points
    assert isinstance(duration, HistogramDataPoint)
    assert duration.count == 2 and duration.sum == pytest.approx(TIMES[-1] - REQUEST + 3.0)


def test_a_failed_response_marks_the_span_as_an_error() -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    evs = _events()[:3] + [
        {
            "type": "response.failed",
            "sequence_number": 3,
            "response": _resp("failed", error={"code": "rate_limit_exceeded", "message": "slow"}),
        }
    ]
    record_genai(genai_telemetry(_folded(evs)), tracer=provider.get_tracer("t"))
    (span,) = spans.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR and span.status.description == "rate_limit_exceeded"
    assert span.attributes is not None and span.attributes["error.type"] == "rate_limit_exceeded"


def test_nothing_of_opentelemetry_is_imported_without_a_call() -> None:
    code = (
        "import sys, openresponses_msgspec as m; acc = m.ResponseAccumulator(); m.genai_telemetry(acc); "
        "print(sorted(k for k in sys.modules if k.startswith('opentelemetry')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_usage_worker_records_a_span_and_metrics_per_stream() -> None:
    """examples/usage_worker.py's Folder (what both workers publish through), with the real SDK: one span per
    published stream, time per chunk from the arrival times the worker was given (Redis entry ids here)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "usage_worker.py"
    mod = sys.modules.get("usage_worker")
    if mod is None:
        spec = importlib.util.spec_from_file_location("usage_worker", path)
        assert spec is not None and spec.loader is not None
        mod = sys.modules["usage_worker"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("w")
    folder = mod.Folder(60.0, otel=(tracer_provider.get_tracer("w"), meter))
    done = None
    for k, ev in enumerate(orm.decode_lines(b"\n".join(json.dumps(e).encode() for e in _events()))):
        entry_id = f"{1764770000400 + 50 * k}-0".encode()
        done = folder.feed(RID, ev, entry_id, mod._entry_time(entry_id)) or done
    assert done is not None
    rec = folder.record(RID, done)
    folder.record(RID, done)  # a retried publish: recorded once
    assert (rec.status, rec.input_tokens) == ("completed", 812)
    (span,) = spans.get_finished_spans()
    assert span.attributes is not None and span.attributes[GA.GEN_AI_RESPONSE_ID] == RID
    assert span.name == "chat gpt-5.4-2026-03-05" and span.attributes[GA.GEN_AI_USAGE_OUTPUT_TOKENS] == 96
    data = reader.get_metrics_data()
    assert data is not None
    points = {m.name: m.data.data_points for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    (chunk,) = points[GM.GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK]
    assert isinstance(chunk, HistogramDataPoint) and chunk.count == 19
    assert chunk.sum == pytest.approx(19 * 0.05, abs=1e-6)


def test_no_negative_time_is_measured() -> None:
    # arrival times on another clock than request_time, or out of order (Kafka timestamps): no negative seconds
    # on a histogram, as for the duration
    times = [TIMES[0], TIMES[1], TIMES[1] - 0.5, TIMES[3]]
    t = genai_telemetry(_folded(), times=times, request_time=TIMES[0] + 10)
    got = [(m.name, round(m.value, 6)) for m in t.measurements if m.name != "gen_ai.client.token.usage"]
    assert got == [
        ("gen_ai.client.operation.time_per_output_chunk", 0.05),
        ("gen_ai.client.operation.time_per_output_chunk", round(TIMES[3] - TIMES[1] + 0.5, 6)),
    ]
