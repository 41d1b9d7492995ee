"""Class and attribute names: from a struct path to a class name (renames, shared fields, brands,
shortening), wire names to snake_case attributes."""

from __future__ import annotations

import keyword
import re

from .model import FAMILIES

# Nicer names for a few nested objects (path -> class name).
RENAMES = {
    "Response": "Response",
    "Response/usage": "Usage",
    "Response/error": "ResponseError",
    "Response/incomplete_details": "IncompleteDetails",
    "Response/openrouter_metadata": "OpenRouterMetadata",
    "Event:error/error": "ErrorPayload",
}


# Fields whose object is one shape wherever it occurs (the SDKs define it again in every event and item): one class.
SHARED_FIELDS = {"agent": "Agent"}


# Brand names spelled as their owners spell them (the words of a tag or field are otherwise capitalised).
BRANDS = {"openrouter": "OpenRouter"}


def camel(tag: str, brands: bool = True) -> str:
    words = [p for p in re.split(r"[._:\-]+", tag) if p]
    return "".join((BRANDS.get(p) if brands else None) or p[:1].upper() + p[1:] for p in words)


def event_class_name(tag: str) -> str:
    """The naming rule of the issue: split on '.' and '_', capitalise, append 'Event'."""
    return "".join(p.capitalize() for p in re.split(r"[._]", tag) if p) + "Event"


def snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    s = re.sub(r"[^0-9a-z_]", "_", s)
    if keyword.iskeyword(s):
        s += "_"
    return s


def base_class_name(path: str, legacy: bool = False) -> str:
    """The class name of the object at ``path``: its parent's class name and the field's name, camel-cased
    (``Usage`` + ``input_tokens_details``); an event's class by the tag rule, a family member's by its tag and
    the family's suffix. ``legacy``: the names of release 0.1.0 (``Openrouter*``), kept as aliases."""
    if path in RENAMES:
        return RENAMES[path]
    if path.rpartition("/")[2] in SHARED_FIELDS:
        return SHARED_FIELDS[path.rpartition("/")[2]]
    if "/" not in path and path.startswith("Event:"):
        return event_class_name(path[6:])
    if "/" not in path and path.startswith("Family:"):
        _, fam, tag = path.split(":", 2)
        return camel(tag, not legacy) + FAMILIES[fam][0]
    parent, _, fld = path.rpartition("/")
    return base_class_name(parent, legacy) + camel(fld.replace("[]", ""), not legacy)


MAX_NAME = 40


def _root_and_fields(path: str) -> tuple[str, list[str]]:
    """(class name of the nearest named ancestor, camel-cased field names from it down to ``path``)."""
    fields: list[str] = []
    while "/" in path and path not in RENAMES and path.rpartition("/")[2] not in SHARED_FIELDS:
        path, _, fld = path.rpartition("/")
        fields.insert(0, camel(fld.replace("[]", "")))
    return base_class_name(path), fields


def short_names(paths: list[str]) -> dict[str, str]:
    """Readable names for nested classes: a name past ``MAX_NAME`` characters drops the leading field names
    between its named ancestor (an event, a family member, a renamed object) and its own field until it fits,
    the last field name always kept (``OpenRouterFusionItemAnalysisContradictionsStances`` ->
    ``OpenRouterFusionItemStances``). A shortened name that another class already has is not used."""
    full = {p: base_class_name(p) for p in paths}
    taken = set(full.values())
    out: dict[str, str] = {}
    for p, name in full.items():
        root, fields = _root_and_fields(p)
        if len(name) <= MAX_NAME or len(fields) < 2:
            continue
        for k in range(1, len(fields)):
            cand = root + "".join(fields[k:])
            if len(cand) <= MAX_NAME and cand not in taken:
                out[p] = cand
                taken.add(cand)
                break
    return out
