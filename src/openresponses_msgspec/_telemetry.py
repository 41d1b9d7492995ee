"""OpenTelemetry GenAI telemetry from a folded stream (issue #21).

:func:`genai_telemetry` maps a :class:`ResponseAccumulator` to the span attributes and metric measurements of
the OpenTelemetry GenAI semantic conventions (:data:`GENAI_SEMCONV_VERSION`, their OpenAI extension included):
a pure function of plain values, importing nothing of OpenTelemetry. :func:`record_genai` records them on a span
and through a meter of the real ``opentelemetry-api`` (the ``otel`` extra), imported only when it is called.
``docs/telemetry.md`` lists the mapping, each row with the test that proves it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias, cast

import msgspec

from ._accumulate import ResponseAccumulator
from ._errors import MissingExtraError
from ._models import (
    CustomToolCallItem,
    FunctionCallItem,
    MessageItem,
    OutputTextPart,
    ReasoningItem,
    RefusalPart,
)

if TYPE_CHECKING:
    from opentelemetry.metrics import Meter
    from opentelemetry.trace import Span, Tracer

__all__ = [
    "GENAI_SEMCONV_VERSION",
    "AttributeValue",
    "GenAITelemetry",
    "Measurement",
    "genai_telemetry",
    "record_genai",
]

GENAI_SEMCONV_VERSION = "1.44.0"
"""The OpenTelemetry semantic conventions version whose GenAI and OpenAI names are used (as the
``opentelemetry-semantic-conventions`` 0.66b2 package spells them)."""

AttributeValue: TypeAlias = str | bool | int | float | Sequence[str]

# metric name -> (unit, description, explicit bucket boundaries advised by the conventions)
_TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
_SECOND_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
_CHUNK_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5)
METRICS: dict[str, tuple[str, str, tuple[float, ...]]] = {
    "gen_ai.client.token.usage": ("{token}", "Number of input and output tokens used.", _TOKEN_BUCKETS),
    "gen_ai.client.operation.duration": ("s", "GenAI operation duration.", _SECOND_BUCKETS),
    "gen_ai.client.operation.time_to_first_chunk": (
        "s",
        "Time to receive the first chunk of a streaming response.",
        _SECOND_BUCKETS,
    ),
    "gen_ai.client.operation.time_per_output_chunk": (
        "s",
        "Time between the chunks of a streaming response, after the first.",
        _CHUNK_BUCKETS,
    ),
}


class Measurement(NamedTuple):
    """One value to record on the histogram ``name`` (``unit`` as the conventions give it), with its attributes."""

    name: str
    value: int | float
    unit: str
    attributes: dict[str, AttributeValue]


class GenAITelemetry(NamedTuple):
    """What one response reports: the span's name and attributes, the metric measurements, and the span's
    start and end (the request time and the last arrival time given to :func:`genai_telemetry`, else None)."""

    span_name: str
    attributes: dict[str, AttributeValue]
    measurements: list[Measurement]
    start_time: float | None
    end_time: float | None


_TOOL_CALLS = (FunctionCallItem, CustomToolCallItem)
_LENGTH = {"max_output_tokens": "length", "content_filter": "content_filter"}


def _finish_reason(acc: ResponseAccumulator, output: tuple[Any, ...]) -> str | None:
    status = acc.status
    if status == "completed":
        return "tool_call" if any(isinstance(i, _TOOL_CALLS) for i in output) else "stop"
    if status == "incomplete":
        resp = acc.response
        reason = getattr(getattr(resp, "incomplete_details", None), "reason", None)
        return _LENGTH.get(reason, reason) if isinstance(reason, str) else "length"
    if status in ("failed", "cancelled"):
        return "error" if status == "failed" else "cancelled"
    return None  # in progress, or cut short: no finish


def _error_type(acc: ResponseAccumulator) -> str | None:
    status = acc.status
    if status == "failed":
        code = getattr(getattr(acc.response, "error", None), "code", None)
        if isinstance(code, str) and code:
            return code
        errs = acc.errors
        code = errs[-1].code if errs else None
        return code if isinstance(code, str) and code else "failed"
    if status == "cut_short":
        return "cut_short"
    return None


def _messages(output: tuple[Any, ...], finish: str | None) -> str:
    """``gen_ai.output.messages`` (JSON): one assistant message whose parts are the output's text, refusals,
    reasoning summaries and tool calls, in order."""
    parts: list[dict[str, Any]] = []
    for item in output:
        if isinstance(item, MessageItem):
            for p in item.content or ():
                if isinstance(p, OutputTextPart) and isinstance(p.text, str):
                    parts.append({"type": "text", "content": p.text})
                elif isinstance(p, RefusalPart) and isinstance(p.refusal, str):
                    parts.append({"type": "refusal", "content": p.refusal})
        elif isinstance(item, ReasoningItem):
            text = "".join(t for t in (getattr(p, "text", None) for p in item.summary or ()) if isinstance(t, str))
            if text:
                parts.append({"type": "reasoning", "content": text})
        elif isinstance(item, FunctionCallItem):
            parts.append({"type": "tool_call", "id": item.call_id, "name": item.name, "arguments": item.arguments})
        elif isinstance(item, CustomToolCallItem):
            parts.append({"type": "tool_call", "id": item.call_id, "name": item.name, "arguments": item.input})
    msg: dict[str, Any] = {"role": "assistant", "parts": parts}
    if finish is not None:
        msg["finish_reason"] = finish
    return msgspec.json.encode([msg]).decode()


def _int(v: object) -> int | None:
    return v if type(v) is int and v >= 0 else None


def genai_telemetry(
    acc: ResponseAccumulator,
    *,
    times: Sequence[float] | None = None,
    request_time: float | None = None,
    request_model: str | None = None,
    provider: str = "openai",
    server_address: str | None = None,
    server_port: int | None = None,
    capture_content: bool = False,
) -> GenAITelemetry:
    """The GenAI span attributes and metric measurements of one folded response (no OpenTelemetry import).

    ``times``: the arrival times of the stream's chunks (events), in seconds on one clock and in order (a
    Kafka message timestamp / 1000, a Redis entry id's milliseconds / 1000, ``time.monotonic()`` in a live
    loop); ``request_time``: when the request was sent, on the same clock. Time to first chunk needs both; time
    per output chunk (one measurement per chunk after the first) needs ``times``; without them they are absent.
    The operation duration is the last arrival minus ``request_time``, else the response's own
    ``completed_at - created_at`` (whole seconds, the server's clock), else absent. ``capture_content``: add
    the opt-in ``gen_ai.output.messages`` (the output text, reasoning summaries, tool-call arguments).
    """
    resp = acc.response
    output = acc.output
    model = acc.model
    attrs: dict[str, AttributeValue] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "openai.api.type": "responses",
    }
    if request_model is not None:
        attrs["gen_ai.request.model"] = request_model
    if server_address is not None:
        attrs["server.address"] = server_address
    if server_port is not None:
        attrs["server.port"] = server_port
    common = dict(attrs)  # the metric attributes: these and the response model, error.type
    common.pop("openai.api.type")
    if acc.response_id is not None:
        attrs["gen_ai.response.id"] = acc.response_id
    if model is not None:
        attrs["gen_ai.response.model"] = common["gen_ai.response.model"] = model
    finish = _finish_reason(acc, output)
    if finish is not None:
        attrs["gen_ai.response.finish_reasons"] = [finish]
    tier = getattr(resp, "service_tier", None)
    if isinstance(tier, str):
        attrs["openai.response.service_tier"] = tier
    conv = getattr(resp, "conversation", None)
    conv_id = cast("Mapping[str, object]", conv).get("id") if isinstance(conv, Mapping) else conv
    if isinstance(conv_id, str):
        attrs["gen_ai.conversation.id"] = conv_id
    u = acc.usage
    tokens: dict[str, int] = {}
    if u is not None:
        for key, value in (
            ("gen_ai.usage.input_tokens", u.input_tokens),
            ("gen_ai.usage.output_tokens", u.output_tokens),
            ("gen_ai.usage.cache_read.input_tokens", getattr(u.input_tokens_details, "cached_tokens", None)),
            ("gen_ai.usage.reasoning.output_tokens", getattr(u.output_tokens_details, "reasoning_tokens", None)),
        ):
            n = _int(value)
            if n is not None:
                attrs[key] = tokens[key] = n
    error = _error_type(acc)
    if error is not None:
        attrs["error.type"] = error
    if capture_content:
        attrs["gen_ai.output.messages"] = _messages(output, finish)

    out: list[Measurement] = []

    def measure(name: str, value: float, extra: dict[str, AttributeValue] | None = None) -> None:
        a = dict(common)
        if extra:
            a.update(extra)
        out.append(Measurement(name, value, METRICS[name][0], a))

    for key, kind in (("gen_ai.usage.input_tokens", "input"), ("gen_ai.usage.output_tokens", "output")):
        if key in tokens:
            measure("gen_ai.client.token.usage", tokens[key], {"gen_ai.token.type": kind})
    ts = list(times) if times is not None else []
    end = ts[-1] if ts else None
    duration: float | None = None
    if request_time is not None and end is not None:
        duration = end - request_time
    elif resp is not None and isinstance(resp.created_at, (int, float)) and isinstance(resp.completed_at, (int, float)):
        duration = float(resp.completed_at - resp.created_at)
    if duration is not None and duration >= 0:
        measure("gen_ai.client.operation.duration", duration, {"error.type": error} if error else None)
    # (a negative time, from times on another clock or out of order, is no measurement, as for the duration)
    if request_time is not None and ts and ts[0] >= request_time:
        measure("gen_ai.client.operation.time_to_first_chunk", ts[0] - request_time)
    for prev, cur in zip(ts, ts[1:], strict=False):
        if cur >= prev:
            measure("gen_ai.client.operation.time_per_output_chunk", cur - prev)
    name = f"chat {model}" if model else "chat"
    return GenAITelemetry(name, attrs, out, request_time, end)


def record_genai(
    telemetry: GenAITelemetry,
    *,
    span: Span | None = None,
    tracer: Tracer | None = None,
    meter: Meter | None = None,
) -> None:
    """Record :func:`genai_telemetry`'s result with the real ``opentelemetry-api`` (the ``otel`` extra): its
    attributes on ``span``, or on a new CLIENT span of ``tracer`` named ``chat {model}`` (started at the request
    time and ended at the last arrival when those are epoch seconds, else now); its measurements on histograms
    of ``meter`` (with the conventions' units and bucket boundaries; the SDK hands out the same histogram for
    the same name)."""
    try:
        from opentelemetry import trace
    except ImportError:
        raise MissingExtraError("record_genai", "otel", "opentelemetry-api") from None
    if span is not None:
        span.set_attributes(telemetry.attributes)
    elif tracer is not None:
        start, end = telemetry.start_time, telemetry.end_time
        epoch = start is not None and end is not None and start > 1e9 and end >= start
        s = tracer.start_span(
            telemetry.span_name,
            kind=trace.SpanKind.CLIENT,
            attributes=telemetry.attributes,
            start_time=int(start * 1e9) if epoch and start is not None else None,
        )
        if "error.type" in telemetry.attributes:
            s.set_status(trace.StatusCode.ERROR, str(telemetry.attributes["error.type"]))
        s.end(end_time=int(end * 1e9) if epoch and end is not None else None)
    if meter is not None:
        made: dict[str, Any] = {}
        for m in telemetry.measurements:
            hist = made.get(m.name)
            if hist is None:
                unit, description, buckets = METRICS[m.name]
                hist = made[m.name] = meter.create_histogram(
                    m.name, unit=unit, description=description, explicit_bucket_boundaries_advisory=list(buckets)
                )
            hist.record(m.value, m.attributes)
