"""The merged model: every object schema the sources define, filed by *position* (event tag or family
member, then field path), the kinds of value seen at each field path, and the observations table applied."""

from __future__ import annotations

import fnmatch
import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .specs import ROOT, Spec, first_sentence, flatten, single_tag, union_members

OBSERVATIONS = ROOT / "tools" / "observations.toml"


# Tagged-union families: name -> (class-name suffix, tags that identify the family).
FAMILIES: dict[str, tuple[str, set[str]]] = {
    "OutputItem": ("Item", {"message", "function_call", "reasoning", "web_search_call", "mcp_call"}),
    "ContentPart": ("Part", {"output_text", "refusal", "reasoning_text"}),
    "Annotation": ("Annotation", {"url_citation", "file_citation", "file_path"}),
    "WebSearchAction": ("Action", {"open_page", "find_in_page", "find"}),
    "CodeInterpreterOutput": ("Output", {"logs", "image"}),
    "ApplyPatchOperation": ("Operation", {"create_file", "update_file", "delete_file"}),
    "ShellOutcome": ("Outcome", {"exit", "timeout"}),
    "PromptCacheDiagnostics": ("Diagnostics", {"cache_hit", "cache_miss", "comparison_response_not_found"}),
}


FAMILY_ORDER = [
    "PromptCacheDiagnostics",
    "ShellOutcome",
    "ApplyPatchOperation",
    "CodeInterpreterOutput",
    "WebSearchAction",
    "Annotation",
    "ContentPart",
    "OutputItem",
]


# Request-echo fields of the response object hold ambiguous unions (EVENTS.md section 0.5): decoded as
# plain JSON values (dict/list/str), never validated member by member.
LOOSE = {
    "Response/instructions",
    "Response/tools",
    "Response/tool_choice",
    "Response/prompt",
    "Response/text",
    "Response/reasoning",
    "Response/conversation",
    "Response/input",
}


def family_of(tags: list[str | None]) -> str | None:
    if all(tags) and len(set(tags)) == len(tags):
        for fam, (_, signature) in FAMILIES.items():
            if signature & set(tags):  # type: ignore[arg-type]
                return fam
    return None


@dataclass
class Kind:
    kind: str  # str int float bool dict any object array union
    schema: Any = None
    family: str | None = None
    members: dict[str, Any] = field(default_factory=dict)
    ref: str | None = None


def kind_of(spec: Spec, s: Any, depth: int = 0) -> Kind:
    _, ref = spec.deref(s)
    s = flatten(spec, s)
    if depth > 8 or not isinstance(s, dict):
        return Kind("any")
    members = union_members(spec, s)
    if members is not None and "properties" not in s:
        if len(members) == 1:
            return kind_of(spec, members[0], depth + 1)
        tags = [single_tag(spec, m) for m in members]
        fam = family_of(tags)
        if fam:
            return Kind("union", family=fam, members=dict(zip(tags, members, strict=True)))
        kinds = {kind_of(spec, m, depth + 1).kind for m in members}
        if kinds == {"str"}:
            return Kind("str")
        if kinds <= {"int", "float"}:
            return Kind("float")
        return Kind("any")
    t = s.get("type")
    if isinstance(t, list):
        t = [x for x in t if x != "null"]
        t = t[0] if len(t) == 1 else None
    if t == "string" or (t is None and "enum" in s and all(isinstance(e, str) for e in s["enum"] if e)):
        return Kind("str")
    if t == "integer":
        return Kind("int")
    if t == "number":
        return Kind("float")
    if t == "boolean":
        return Kind("bool")
    if t == "array":
        return Kind("array", schema=s.get("items", {}))
    if "properties" in s and s["properties"]:
        tag = single_tag(spec, s)
        fam = family_of([tag]) if tag else None
        if fam:  # a one-member tagged union written as a plain $ref (Open Responses' Annotation)
            return Kind("union", family=fam, members={tag: s})
        return Kind("object", schema=s, ref=ref)
    if t == "object":
        return Kind("dict")
    return Kind("any")


@dataclass
class Entry:
    spec: Spec
    schema: dict[str, Any]


class Model:
    def __init__(self) -> None:
        self.objects: dict[str, list[Entry]] = {}  # path -> object schemas seen there
        self.refs: dict[str, set[str]] = {}  # path -> $ref names of the objects seen there
        self.kinds: dict[str, list[tuple[Spec, Kind]]] = {}  # field path -> kinds seen there
        self.family_members: dict[str, dict[str, str]] = {f: {} for f in FAMILIES}  # family -> tag -> path
        self.events: dict[str, str] = {}  # tag -> path
        self.added: dict[str, dict[str, str]] = {}  # path -> {field: type expression} from observations
        self.omitted: dict[str, set[str]] = {}  # path -> fields observed absent
        self.wire: dict[str, list[list[str]]] = {}  # path -> key sequences seen (wire.py)
        self.docs: dict[str, str] = {}  # path -> docstring of an observed event (``doc`` in the table)
        self._seen: set[tuple[str, int, str]] = set()

    def add_object(self, spec: Spec, s: Any, path: str, ref: str | None = None) -> None:
        flat = flatten(spec, s)
        key = (spec.name, id(flat), path)
        if key in self._seen:
            return
        self._seen.add(key)
        self.objects.setdefault(path, []).append(Entry(spec, flat))
        if ref:
            # an SDK's $defs name only merges shapes that no spec defines (the specs' merges name the classes)
            self.refs.setdefault(path, set()).add(ref if spec.sha256 else f"{spec.name}:{ref}")
        for name, prop in flat.get("properties", {}).items():
            if name == "type" and "/" not in path and path.startswith(("Event:", "Family:")):
                continue
            sub = (
                "Response"
                if (path.startswith("Event:") and "/" not in path and name == "response")
                else f"{path}/{name}"
            )
            self.add_value(spec, prop, sub)

    def add_value(self, spec: Spec, s: Any, path: str, depth: int = 0) -> None:
        k = kind_of(spec, s)
        self.kinds.setdefault(path, []).append((spec, k))
        if path in LOOSE or depth > 6:
            return
        if k.kind == "object":
            self.add_object(spec, k.schema, path, k.ref)
        elif k.kind == "array":
            self.add_value(spec, k.schema, path + "[]", depth + 1)
        elif k.kind == "union":
            assert k.family
            for tag, member in k.members.items():
                mpath = f"Family:{k.family}:{tag}"
                self.family_members[k.family][tag] = mpath
                self.add_object(spec, member, mpath, spec.deref(member)[1])


def merged_kind(model: Model, path: str) -> tuple[str, str | None]:
    """(type expression kind, struct path or family) for the values seen at `path`."""
    if path in LOOSE:
        return "any", None
    ks = [k for _, k in model.kinds.get(path, [])]
    names = {k.kind for k in ks}
    if names == {"union"} or (names == {"union", "object"}):
        fams = {k.family for k in ks if k.family}
        if len(fams) == 1:
            return "union", fams.pop()
        return "any", None
    if len(names) == 1:
        return names.pop(), path
    if not names:
        return "any", None
    if names <= {"int", "float"}:
        return "float", None
    return "any", None


def load_observations(path: Path = OBSERVATIONS) -> list[dict[str, Any]]:
    with path.open("rb") as f:
        return tomllib.load(f)["observation"]


def load_wire_order(path: Path = OBSERVATIONS) -> list[dict[str, Any]]:
    with path.open("rb") as f:
        return tomllib.load(f).get("wire_order", [])


def apply_observations(model: Model, observations: list[dict[str, Any]], names: dict[str, str]) -> None:
    """Added fields become typed fields, omitted ones optional, a new event a class. ``names``: class name ->
    struct path, so the table names the classes a user sees."""
    model.added_types = {}
    for obs in observations:
        shape = obs["shape"]
        if shape == "event":
            tag = obs["tag"]
            path = f"Event:{tag}"
            if tag not in model.events:
                model.events[tag] = path
                model.objects.setdefault(path, [])
                if "doc" in obs:
                    model.docs[path] = first_sentence(obs["doc"])
            targets = [path]
        else:
            targets = []
            for t in obs["targets"]:
                if t.startswith("event:"):
                    found = [p for tag, p in model.events.items() if fnmatch.fnmatchcase(tag, t[6:])]
                else:
                    found = [names[t]] if t in names else []
                if not found:
                    raise SystemExit(f"observation {obs['id']}: target {t!r} matches nothing")
                targets += found
        for path in targets:
            for fname, texpr in obs.get("add", {}).items():
                known = fname in {n for e in model.objects.get(path, []) for n in e.schema.get("properties", {})}
                if not known:
                    model.added.setdefault(path, {})[fname] = texpr
                    model.added_types[f"{path}/{fname}"] = texpr
            for fname in obs.get("omitted", []):
                model.omitted.setdefault(path, set()).add(fname)

    for obs in observations:
        for line in obs.get("examples", []):
            walk_example(model, json.loads(line), lambda path, obj: _mark_absent(model, path, obj))


def _mark_absent(model: Model, path: str, obj: dict[str, Any]) -> None:
    """The fields absent from an object of an observation's example line are optional in that object's class
    (the examples show what servers were seen to send)."""
    known = {n for e in model.objects.get(path, []) for n in e.schema.get("properties", {})}
    model.omitted.setdefault(path, set()).update(known - obj.keys() - {"type"})


Visit = Callable[[str, dict[str, Any]], None]


def walk_example(model: Model, event: dict[str, Any], visit: Visit) -> None:
    """Call ``visit(struct path, object)`` for the event and every object in it that the model has a class for."""
    path = model.events.get(event.get("type", ""))
    if path is not None:
        _walk_object(model, path, event, visit)


def _walk_object(model: Model, path: str, value: dict[str, Any], visit: Visit) -> None:
    visit(path, value)
    top_event = path.startswith("Event:") and "/" not in path
    for key, sub in value.items():
        _walk_value(model, "Response" if (top_event and key == "response") else f"{path}/{key}", sub, visit)


def _walk_value(model: Model, path: str, value: Any, visit: Visit) -> None:
    if isinstance(value, list):
        for v in value:
            _walk_value(model, path + "[]", v, visit)
    elif isinstance(value, dict):
        kind, ref = merged_kind(model, path)
        if kind == "union" and ref is not None:
            member = model.family_members[ref].get(value.get("type", ""))
            if member is not None:
                _walk_object(model, member, value, visit)
        elif kind == "object" and ref is not None:
            _walk_object(model, ref, value, visit)
