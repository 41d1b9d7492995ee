"""Drift: everything the pinned SDKs define for a Responses stream is in the model. The SDKs' server-event
unions (SSE and WebSocket, GA and beta) are walked recursively beside the model (tests/sdk_walk.py): every event
tag, every wire field of every event, item, part, annotation, the response, usage and errors, by tag inside
tagged unions. A tag or field the model lacks fails here with where it is; a deliberate exception goes in
EXCEPTIONS with its reason. Bumping a pin (pyproject.toml's ``test`` extra, ``PINS``, the generator's
``SDK_PINS``) shows the drift at once: CONTRIBUTING.md, "Bumping an SDK pin"."""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from pathlib import Path

import msgspec
import pytest
import sdk_walk

import openresponses_msgspec as orm

pytestmark = pytest.mark.slow  # walks the pinned SDKs' pydantic classes

ROOT = Path(__file__).resolve().parents[2]

# Deliberate exceptions: "<walk line>": "why the model does not keep it". Reviewed: each entry must still be
# drift (a stale entry fails below), so the list only holds what is true of the pinned SDKs. Empty at
# openai 3.51.0 / openrouter 1.3.84: nothing they define is left out (request echoes such as
# ``response.tools`` are plain JSON values in the model, which keep everything below them).
EXCEPTIONS: dict[str, str] = {}


def test_the_pinned_sdks_are_installed_and_pinned_alike() -> None:
    """The versions walked are the pins, and the pins agree: pyproject's test extra, this walk, the generator."""
    assert sdk_walk.installed() == sdk_walk.PINS, (
        f"installed {sdk_walk.installed()}, pinned {sdk_walk.PINS}: pip install -e '.[test]'"
    )
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    pinned = dict(
        re.fullmatch(r"([\w-]+)==([\w.]+)", d).groups()
        for d in extra
        if "==" in d  # type: ignore[union-attr]
        and d.split("==")[0] in sdk_walk.PINS
    )
    assert pinned == sdk_walk.PINS
    spec = importlib.util.spec_from_file_location("generate_models", ROOT / "tools" / "generate_models.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_models", gen)
    spec.loader.exec_module(gen)
    assert gen.SDK_PINS == sdk_walk.PINS


def test_the_model_keeps_every_tag_and_field_the_sdks_define() -> None:
    walk = sdk_walk.walk()
    drift = {line: src for line, src in walk.missing.items() if line not in EXCEPTIONS}
    assert not drift, (
        "the model lacks (regenerate: python tools/generate_models.py, or add an observation):\n"
        + "\n".join(f"  {line}  <- {src}" for line, src in sorted(drift.items()))
    )
    stale = sorted(set(EXCEPTIONS) - set(walk.missing))
    assert not stale, f"exceptions that are no drift any more (remove them): {stale}"


def test_the_walk_covers_the_surface_of_issue_18() -> None:
    """What the walk reaches, spot-checked against the issue's list, so a walk that stops early fails here."""
    walk = sdk_walk.walk()
    assert {
        "response.steer.accepted",
        "response.steer.pending",
        "response.steer.failed",
        "response.inject.created",
        "response.inject.failed",
        "response.output_text.delta",
        "error",
    } <= walk.tags
    assert len(walk.tags) >= 76
    defined = walk.defined
    for tag in (
        "response.created",
        "response.output_text.delta",
        "response.completed",
        "error",
        "response.steer.accepted",
        "response.output_item.added",
        "response.incomplete",
    ):
        assert "stream_id" in defined[orm.EVENT_TYPES[tag]], tag  # WebSocket mode: each event names its lane
    for cls in orm.EVENT_TYPES.values():  # the model has it on every event (observations: a lane for all)
        assert "stream_id" in {f.encode_name for f in msgspec.structs.fields(cls)}, cls.__name__
    expect = {
        orm.FunctionCallItem: {"async", "agent"},
        orm.CustomToolCallItem: {"async"},
        orm.ImageGenerationCallItem: {"action", "error", "svg_usage"},
        orm.Response: {"prompt_cache_diagnostics", "access_programs", "image", "input_transformations"},
        orm.ResponsePromptCacheOptions: {"comparison_response_id"},
        orm.UsageInputTokensDetails: {"cache_write_tokens_details"},
        orm.ErrorPayload: {"misalignment", "param", "type"},
        orm.AgentMessageItem: {"author", "recipient", "content"},
        orm.MultiAgentCallItem: {"action"},
        orm.MultiAgentCallOutputItem: {"action"},
        orm.OpenrouterToolSearchItem: {"matches"},
        orm.OpenrouterBashItem: {"error", "container_id", "files"},
        orm.OpenrouterArmorBlockedItem: {"call_id", "reason"},
    }
    for cls, names in expect.items():
        assert names <= defined.get(cls, set()), (cls.__name__, names - defined.get(cls, set()))
        assert names <= {f.encode_name for f in msgspec.structs.fields(cls)}, cls.__name__
    assert {"cache_hit", "cache_miss", "comparison_response_not_found", "unavailable"} <= walk.member_tags[
        "PromptCacheDiagnostics"
    ]
    assert {"computer_screenshot", "encrypted_content"} <= walk.member_tags["ContentPart"]


def test_drift_is_reported_with_where_it_is() -> None:
    """A model without an event and without a field fails the walk, naming both (the test can fail)."""
    events = dict(orm.EVENT_TYPES)
    del events["response.steer.accepted"]
    fields = [
        (f.name, f.type) if f.required else (f.name, f.type, None)
        for f in msgspec.structs.fields(orm.ResponseOutputTextDeltaEvent)
        if f.name != "logprobs"
    ]
    events["response.output_text.delta"] = msgspec.defstruct(
        "ResponseOutputTextDeltaEvent", fields, tag="response.output_text.delta", kw_only=True, frozen=True
    )
    missing = sdk_walk.walk(events).missing
    assert "response.steer.accepted $: event" in missing
    assert "response.output_text.delta $.logprobs" in missing
    assert missing["response.steer.accepted $: event"].endswith("ResponseSteerAcceptedEvent")
    assert len(missing) == 2, sorted(missing)
