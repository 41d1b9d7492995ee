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


def camel(tag: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[._:\-]+", tag) if p)


def event_class_name(tag: str) -> str:
    """The naming rule of the issue: split on '.' and '_', capitalise, append 'Event'."""
    return "".join(p.capitalize() for p in re.split(r"[._]", tag) if p) + "Event"


def snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    s = re.sub(r"[^0-9a-z_]", "_", s)
    if keyword.iskeyword(s):
        s += "_"
    return s


def base_class_name(path: str) -> str:
    if path in RENAMES:
        return RENAMES[path]
    if path.rpartition("/")[2] in SHARED_FIELDS:
        return SHARED_FIELDS[path.rpartition("/")[2]]
    if "/" not in path and path.startswith("Event:"):
        return event_class_name(path[6:])
    if "/" not in path and path.startswith("Family:"):
        _, fam, tag = path.split(":", 2)
        return camel(tag) + FAMILIES[fam][0]
    parent, _, fld = path.rpartition("/")
    return base_class_name(parent) + camel(fld.replace("[]", ""))
