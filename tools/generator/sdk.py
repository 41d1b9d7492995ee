"""The pinned SDKs as sources of facts: pydantic writes each SDK's server-event unions as JSON Schema, read
like one more spec (``Spec`` with an empty sha256)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Union

from .specs import Spec

# The SDKs whose types are walked as sources of facts beside the specs (their types are generated from the
# vendors' own, newer specs: WebSocket lanes, steering, multi-agent items, ...). Pinned: the same versions as
# the ``test`` extra in pyproject.toml; tests/test_sdk_drift.py fails on anything they define that the model
# lacks. Bumping a pin: change it here and in pyproject.toml, install, regenerate (CONTRIBUTING.md).
SDK_PINS = {"openai": "3.51.0", "openrouter": "1.3.84"}


SDK_ROOTS = {
    "openai-sdk": (
        "openai",
        [
            "openai.types.responses:ResponseStreamEvent",
            "openai.types.responses:ResponsesServerEvent",
            "openai.types.beta:BetaResponseStreamEvent",
            "openai.types.beta:BetaResponsesServerEvent",
        ],
    ),
    "openrouter-sdk": ("openrouter", ["openrouter.components:StreamEvents"]),
}


def _strip_sdk_schema(s: Any, unknown: set[str]) -> Any:
    """Titles dropped (pydantic writes one on every property), and the SDKs' catch-all members (OpenRouter's
    ``Unknown*`` classes with ``raw``/``is_unknown``) taken out of their unions."""
    if isinstance(s, list):
        return [_strip_sdk_schema(x, unknown) for x in s]
    if not isinstance(s, dict):
        return s
    out = {}
    for k, v in s.items():
        if k == "title" and isinstance(v, str):
            continue
        if k in ("anyOf", "oneOf") and isinstance(v, list):
            v = [m for m in v if not (isinstance(m, dict) and m.get("$ref", "").rsplit("/", 1)[-1] in unknown)]
        if k == "properties" and isinstance(v, dict):
            out[k] = {n: _strip_sdk_schema(x, unknown) for n, x in v.items()}
            continue
        out[k] = _strip_sdk_schema(v, unknown)
    return out


def load_sdk_sources() -> list[Spec]:
    """The pinned SDKs' event unions as JSON Schema (pydantic writes it from their types, wire names kept), one
    source per SDK; a missing or other version is an error that says what to install."""
    import importlib
    import importlib.metadata

    wrong = {d: v for d, v in SDK_PINS.items() if _installed(d) != v}
    if wrong:
        raise SystemExit(
            "the model is generated from the pinned SDKs: pip install "
            + " ".join(f"{d}=={v}" for d, v in wrong.items())
            + f" (installed: {', '.join(f'{d} {_installed(d)}' for d in wrong)})"
        )
    from pydantic import TypeAdapter

    out = []
    for name, (dist, roots) in SDK_ROOTS.items():
        unions = []
        for root in roots:
            mod, _, attr = root.partition(":")
            unions.append(getattr(importlib.import_module(mod), attr))
        union = Union[tuple(unions)]  # noqa: UP007 (a union built at run time)
        schema = TypeAdapter(union).json_schema(ref_template="#/components/schemas/{model}")
        defs = schema.pop("$defs")
        # OpenRouter's catch-all Unknown* members and its UNSET sentinel are no wire shapes
        unknown = {k for k, v in defs.items() if "is_unknown" in v.get("properties", {}) or k == "Unset"}
        doc = {"components": {"schemas": _strip_sdk_schema(defs, unknown)}, "root": _strip_sdk_schema(schema, unknown)}
        version = importlib.metadata.version(dist)
        out.append(Spec(name, Path(f"{dist}=={version}"), doc, ""))
    return out


def _installed(dist: str) -> str | None:
    import importlib.metadata

    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None
