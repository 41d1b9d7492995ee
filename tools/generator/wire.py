"""Wire order: the order in which a class lists its fields is the order servers write the keys (msgspec looks
each key up starting after the field it matched last, so keys in field order cost one comparison each).

Sources, first wins where they disagree:

1. events: ``sequence_number`` right after the tag (every recorded server writes it there; OpenAI's documented
   examples put it last, an artefact of the documentation);
2. the ``[[wire_order]]`` entries of ``tools/observations.toml`` (recorded streams);
3. OpenAI's documented examples (each event schema's ``example`` and the ``data:`` lines of its streaming
   example), walked through the model like an observation line; OpenRouter's examples are left out (its
   generator sorts their keys alphabetically) and Open Responses has none;
4. the specs' property order (Open Responses first, then OpenAI, OpenRouter, the SDKs), for fields no
   example shows: they go after the ones that are shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from .model import Model, walk_example
from .specs import Spec

_DATA_LINE = re.compile(r'^\s*(?:data: )?(\{"type":.*\})\s*$', re.M)


def openai_examples(spec: Spec, model: Model) -> Iterator[dict[str, Any]]:
    """Every JSON event in OpenAI's spec text whose tag is a Responses stream event and whose keys the event
    defines (the Realtime API's events of the same names are left out)."""
    for text in _strings(spec.doc):
        candidates = [m.group(1) for m in _DATA_LINE.finditer(text)]
        stripped = text.strip()
        if stripped.startswith("{") and '"type"' in stripped:
            candidates.append(stripped)
        for c in candidates:
            try:
                event = json.loads(c)
            except ValueError:
                continue
            path = model.events.get(event.get("type")) if isinstance(event, dict) else None
            if path is None:
                continue
            known = {n for e in model.objects.get(path, []) for n in e.schema.get("properties", {})}
            if set(event) <= known | {"type"}:
                yield event


def _strings(x: Any) -> Iterator[str]:
    if isinstance(x, dict):
        for v in x.values():
            yield from _strings(v)
    elif isinstance(x, list):
        for v in x:
            yield from _strings(v)
    elif isinstance(x, str) and '"type"' in x:
        yield x


def collect(model: Model, specs: list[Spec], table: list[dict[str, Any]], names: dict[str, str]) -> None:
    """Fill ``model.wire``: struct path -> key sequences seen, in the order of the sources above."""
    for entry in table:
        for target in entry["targets"]:
            if target not in names:
                raise SystemExit(f"wire_order: target {target!r} is no generated class")
            path = names[target]
            known = {n for e in model.objects.get(path, []) for n in e.schema.get("properties", {})}
            unknown = [k for k in entry["order"] if k not in known | set(model.added.get(path, {}))]
            if unknown:
                raise SystemExit(f"wire_order {target}: no such fields {unknown}")
            model.wire.setdefault(path, []).append(list(entry["order"]))
    for spec in specs:
        if spec.name == "openai":
            for event in openai_examples(spec, model):
                walk_example(model, event, lambda path, obj: model.wire.setdefault(path, []).append(list(obj)))


def order(model: Model, path: str, spec_order: list[str], is_event: bool) -> list[str]:
    """The fields of the object at ``path`` in wire order (``spec_order``: its fields in the specs' order)."""
    fields = set(spec_order)
    out: list[str] = ["sequence_number"] if is_event and "sequence_number" in fields else []
    for seq in model.wire.get(path, []):
        prev: str | None = None
        for key in seq:
            if key not in fields or (key == "sequence_number" and out[:1] == [key]):
                continue  # (an event's sequence_number is placed by rule 1)
            if key not in out:
                out.insert(out.index(prev) + 1 if prev in out else len(out), key)
            prev = key
    return out + [n for n in spec_order if n not in out]
