"""Generate ``src/openresponses_msgspec/_models.py`` from three OpenAPI specs, the pinned SDKs' event unions and
the observations table.

    python tools/generate_models.py [--spec-dir DIR] [--check] [--stats]

The specs are read from ``--spec-dir``, else ``$OPENRESPONSES_SPEC_DIR``, else ``../shared/spec`` beside the
checkout (they are never copied into the repository; ``../shared/spec/SOURCE.md`` says where each comes from):

* ``in.openapi.yaml``: OpenRouter (stream union ``StreamEvents``);
* ``openai/openapi.yaml``: OpenAI (stream union ``ResponseStreamEvent``);
* ``openresponses/openapi.json``: Open Responses (the ``text/event-stream`` ``oneOf`` of ``POST /responses``
  and the WebSocket ``errorMessage``).

Why a generator: ~80 event variants, ~60 output items and their nested objects, defined by three specs that
overlap and disagree. Writing them by hand invites drift; this script applies one set of rules everywhere:

* objects are merged by *position* (the event or item tag, then the field path), so OpenRouter's
  ``OpenResponsesResult``, OpenAI's ``Response`` and Open Responses' ``ResponseResource`` become one
  ``Response`` struct; a field is nullable if any spec allows ``null``;
* **required** is decided by the rule of the README ("The model"), not by the specs: only what an event means
  nothing without (the ``delta`` of a ``*.delta`` event, the ``response`` of the six lifecycle events) is
  required; every other field, on events and on nested objects, is optional and ``None`` when absent
  (arrays too: an absent array and ``[]`` stay distinct, so ``encode`` writes back what came);
* unions whose members all carry a single-valued ``type`` and belong to a known family (output items,
  content parts, annotations, ...) become msgspec tagged unions, members merged by tag across specs;
* every other union, and a field the specs type differently, is ``Any`` (plain JSON values); a JSON number
  is ``int | float`` (an integer on the wire stays an ``int``); enums are plain ``str``;
* the pinned SDKs (``SDK_PINS``: ``openai``, ``openrouter``; their types are generated from the vendors' newer
  specs) are sources of facts beside the specs: pydantic writes each SDK's server-event unions (SSE and
  WebSocket, GA and beta) as JSON Schema, read like a fourth and fifth spec (their catch-all ``Unknown*``
  members left out); spec property order and spec ``$ref`` merges come first, so class names stay put;
* ``tools/observations.toml`` (what real servers were seen to send) is applied last: added fields become
  typed fields, omitted fields optional, new events classes;
* nested objects with identical generated bodies that come from the same ``$ref`` become one class.

The output is committed; ``tests/test_spec_conformance.py`` checks it against the specs independently, and
``--check`` fails when the committed file is stale. Requires PyYAML (a test dependency, never a runtime one).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import keyword
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "openresponses_msgspec" / "_models.py"
OBSERVATIONS = ROOT / "tools" / "observations.toml"

SPEC_FILES = {
    "openrouter": "in.openapi.yaml",
    "openai": "openai/openapi.yaml",
    "openresponses": "openresponses/openapi.json",
}

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

# Whose property order follows the wire best (see Generator.fields).
WIRE_ORDER_RANK = {"openresponses": 0, "openai": 1, "openrouter": 2, "openai-sdk": 3, "openrouter-sdk": 4}

# The SDKs whose types are walked as sources of facts beside the specs (their types are generated from the
# vendors' own, newer specs: WebSocket lanes, steering, multi-agent items, ...). Pinned: the same versions as
# the ``test`` extra in pyproject.toml; tests/test_sdk_drift.py fails on anything they define that the model
# lacks. Bumping a pin: change it here and in pyproject.toml, install, regenerate (README, "Drift").
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

# The rule: what an event means nothing without. Everything else is optional.
LIFECYCLE = {
    "response.created",
    "response.queued",
    "response.in_progress",
    "response.completed",
    "response.failed",
    "response.incomplete",
}


def essential(tag: str, name: str) -> bool:
    """The fields that stay required: ``delta`` of a ``*.delta`` event, ``response`` of a lifecycle event."""
    return (name == "delta" and tag.endswith(".delta")) or (name == "response" and tag in LIFECYCLE)


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


class Spec:
    def __init__(self, name: str, path: Path, doc: dict[str, Any], sha256: str):
        self.name = name
        self.path = path
        self.doc = doc
        self.sha256 = sha256
        self.schemas: dict[str, Any] = doc["components"]["schemas"]

    def deref(self, s: Any) -> tuple[Any, str | None]:
        ref = None
        while isinstance(s, dict) and "$ref" in s:
            ref = s["$ref"].rsplit("/", 1)[-1]
            s = self.schemas[ref]
        return s, ref

    def stream_union(self) -> list[Any]:
        """The members of this spec's stream-event union (plus Open Responses' WebSocket error event)."""
        if self.name.endswith("-sdk"):
            return union_members(self, self.doc["root"]) or []
        if self.name == "openrouter":
            return union_members(self, self.schemas["StreamEvents"]) or []
        if self.name == "openai":
            return union_members(self, self.schemas["ResponseStreamEvent"]) or []
        post = self.doc["paths"]["/responses"]
        sse = post["post"]["responses"]["200"]["content"]["text/event-stream"]["schema"]
        ws = post.get("x-openresponses-websocket", {}).get("errorMessage")
        return (union_members(self, sse) or []) + ([ws] if ws else [])


def _null_only(spec: Spec, s: Any) -> bool:
    s, _ = spec.deref(s)
    return isinstance(s, dict) and (s.get("type") == "null" or s.get("enum") == [None])


def nullable(spec: Spec, s: Any) -> bool:
    s, _ = spec.deref(s)
    if not isinstance(s, dict):
        return False
    t = s.get("type")
    if t == "null" or (isinstance(t, list) and "null" in t) or s.get("nullable") is True:
        return True
    if None in (s.get("enum") or ()):
        return True
    for key in ("anyOf", "oneOf"):
        if any(_null_only(spec, m) or nullable(spec, m) for m in s.get(key, ())):
            return True
    return any(nullable(spec, m) for m in s.get("allOf", ()))


def flatten(spec: Spec, s: Any) -> dict[str, Any]:
    """Resolve $ref and allOf into one schema; later allOf parts win property by property."""
    s, _ = spec.deref(s)
    if not isinstance(s, dict):
        return {}
    if "allOf" not in s:
        return s
    out: dict[str, Any] = {k: v for k, v in s.items() if k != "allOf"}
    props: dict[str, Any] = {}
    req: list[str] = []
    for part in s["allOf"]:
        p = flatten(spec, part)
        props.update(p.get("properties", {}))
        req += [r for r in p.get("required", []) if r not in req]
        for k, v in p.items():
            if k not in ("properties", "required", "description", "example"):
                out.setdefault(k, v)
    props.update(s.get("properties", {}))
    req += [r for r in s.get("required", []) if r not in req]
    if props:
        out["properties"] = props
        out["type"] = "object"
    out["required"] = req
    return out


def single_tag(spec: Spec, s: Any) -> str | None:
    s = flatten(spec, s)
    t = s.get("properties", {}).get("type")
    if t is None:
        return None
    t, _ = spec.deref(t)
    if "const" in t:
        return t["const"]
    enum = t.get("enum")
    if enum and len(enum) == 1 and isinstance(enum[0], str):
        return enum[0]
    return None


def union_members(spec: Spec, s: dict[str, Any]) -> list[Any] | None:
    for key in ("oneOf", "anyOf"):
        if key in s:
            return [m for m in s[key] if not _null_only(spec, m)]
    return None


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


SCALARS = {"str": "str", "int": "int", "float": "int | float", "bool": "bool"}


def first_sentence(text: str) -> str:
    """The first sentence of a description, whole (lines joined; never cut inside a sentence)."""
    text = " ".join(text.split())
    m = re.search(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)[.!?](?=\s+[A-Z`(\[])", text)
    s = text[: m.start() + 1] if m else text
    s = s.rstrip()
    if not s.endswith((".", "!", "?")):
        s += "."
    return s.replace('"""', "'''").replace("\\", "\\\\")


def describe(entries: list[Entry]) -> str:
    for e in entries:
        d = (e.schema.get("description") or e.schema.get("title") or "").strip()
        if d:
            return first_sentence(d)
    return ""


@dataclass
class Field:
    wire: str
    type: str  # type expression with slot aliases (what the class annotation says)
    required: bool
    default: str | None


class Generator:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.names: dict[str, str] = {}  # struct path -> class name (after deduplication)
        self.slot_aliases: dict[str, str] = {}  # alias -> what type checkers see
        self.stats = {
            "fields": 0,
            "required": 0,
            "spec_required": 0,
            "spec_required_now_optional": 0,
            "event_fields": 0,
            "event_spec_required_now_optional": 0,
            "slot_fields": 0,
        }

    def name(self, path: str) -> str:
        return self.names.get(path) or base_class_name(path)

    def type_expr(self, path: str, slot: bool) -> str:
        """Type of the values at ``path``. ``slot``: a struct or tagged-union value there may be replaced by
        an InvalidValue / UnknownValue at run time, so type checkers see the wider alias."""
        if path in self.model.added_types:
            return self.model.added_types[path]
        kind, ref = merged_kind(self.model, path)
        if kind in SCALARS:
            return SCALARS[kind]
        if kind == "dict":
            return "dict[str, Any]"
        if kind == "object":
            assert ref
            cls = self.name(ref)
            if not slot:
                return cls
            self.slot_aliases[f"_{cls}"] = f"Union[{cls}, InvalidValue]"
            return f"_{cls}"
        if kind == "union":
            assert ref
            self.slot_aliases[f"_{ref}"] = f"Union[{ref}, UnknownValue, InvalidValue]"
            return f"_{ref}"
        if kind == "array":
            return f"tuple[{self.type_expr(path + '[]', True)}, ...]"
        return "Any"

    def fields(self, path: str, tag: str | None) -> list[Field]:
        entries = self.model.objects.get(path, [])
        order: list[str] = []
        # Field order = wire order where known: msgspec matches each key against the next expected field first,
        # so a class in the order servers write its keys decodes faster. Open Responses lists properties in
        # wire order (type, sequence_number, item_id, ...); OpenAI's and OpenRouter's lists are not.
        for e in sorted(entries, key=lambda e: WIRE_ORDER_RANK[e.spec.name]):
            for n in e.schema.get("properties", {}):
                if n not in order and not (tag is not None and n == "type"):
                    order.append(n)
        for n in self.model.added.get(path, {}):
            if n not in order:
                order.append(n)
        is_event = path.startswith("Event:") and "/" not in path
        out = []
        for n in order:
            fpath = "Response" if (is_event and n == "response") else f"{path}/{n}"
            null = False
            spec_req: dict[str, bool] = {}
            for e in entries:
                props = e.schema.get("properties", {})
                if n in props:
                    r = n in e.schema.get("required", [])
                    spec_req[e.spec.name] = spec_req.get(e.spec.name, True) and r
                    null = null or nullable(e.spec, props[n])
            spec_required = (
                bool(spec_req) and len(spec_req) == len({e.spec.name for e in entries}) and all(spec_req.values())
            )
            required = (
                is_event and tag is not None and essential(tag, n) and n not in self.model.omitted.get(path, set())
            )
            texpr = self.type_expr(fpath, slot=not required)
            self.stats["fields"] += 1
            self.stats["spec_required"] += spec_required
            self.stats["required"] += required
            self.stats["spec_required_now_optional"] += spec_required and not required and not null
            self.stats["event_fields"] += is_event
            self.stats["event_spec_required_now_optional"] += is_event and spec_required and not required and not null
            self.stats["slot_fields"] += texpr.startswith("_") or "[_" in texpr
            if required:
                ann = f"{texpr} | None" if null and texpr != "Any" else texpr
                out.append(Field(n, ann, True, None))
            else:
                ann = f"{texpr} | None" if texpr != "Any" else texpr
                out.append(Field(n, ann, False, "None"))
        return out

    def body(self, path: str, tag: str | None) -> list[str]:
        lines = []
        if tag is not None:
            lines.append(f'    type: ClassVar[Literal["{tag}"]] = "{tag}"')
        for f in self.fields(path, tag):
            attr = snake(f.wire)
            if attr != f.wire:
                default = "" if f.required else f"default={f.default}, "
                rhs = f" = msgspec.field({default}name={f.wire!r})"
            else:
                rhs = "" if f.required else f" = {f.default}"
            lines.append(f"    {attr}: {f.type}{rhs}")
        return lines

    def emit(self, path: str, base: str, tag: str | None) -> str:
        opts = (f', tag="{tag}"' if tag is not None else "") + ", frozen=True, kw_only=True"
        doc = describe(self.model.objects.get(path, [])) or self.model.docs.get(path, "")
        lines = [f"class {self.name(path)}({base}{opts}):", f'    """{doc or "(No description in the specs.)"}"""']
        lines += self.body(path, tag)
        return "\n".join(lines)

    def plain_paths(self) -> list[str]:
        m = self.model
        return [
            p
            for p in m.objects
            if ("/" in p or not p.startswith(("Event:", "Family:"))) and merged_kind(m, p)[0] == "object"
        ]

    def dedupe(self) -> None:
        """Identical nested shapes that come from one $ref become one class (repeated until stable: merging
        children can make their parents identical)."""
        paths = self.plain_paths()
        while True:
            groups: dict[tuple[str, ...], list[str]] = {}
            for p in paths:
                if self.names.get(p, base_class_name(p)) != base_class_name(p):
                    continue  # already merged into another
                key = tuple(self.body(p, None))
                groups.setdefault(key, []).append(p)
            changed = False
            for members in groups.values():
                if len(members) < 2:
                    continue
                # union-find by shared $ref name, first path met names the class
                for i, p in enumerate(members):
                    for q in members[:i]:
                        if self.names.get(q, base_class_name(q)) != base_class_name(q):
                            continue
                        shared = self.model.refs.get(p, set()) & self.model.refs.get(q, set())
                        if any(":" not in r for r in shared) or (
                            shared and not self.from_specs(p) and not self.from_specs(q)
                        ):
                            self.names[p] = self.name(q)
                            changed = True
                            break
            if not changed:
                return

    def from_specs(self, path: str) -> bool:
        return any(e.spec.sha256 for e in self.model.objects.get(path, []))

    def canonical(self, path: str) -> bool:
        return self.name(path) == base_class_name(path)


def spec_dir_from(arg: Path | None) -> Path:
    if arg is not None:
        return arg
    env = os.environ.get("OPENRESPONSES_SPEC_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "spec"


def load_specs(spec_dir: Path) -> list[Spec]:
    missing = [str(spec_dir / rel) for rel in SPEC_FILES.values() if not (spec_dir / rel).is_file()]
    if missing:
        raise SystemExit(
            "spec files not found:\n  " + "\n  ".join(missing) + "\nThe specs are not part of this repository: put "
            "the shared spec folder beside the checkout (../shared/spec, see its SOURCE.md), or point "
            "$OPENRESPONSES_SPEC_DIR or --spec-dir at a folder holding " + ", ".join(SPEC_FILES.values()) + "."
        )
    import yaml  # a test/dev dependency only

    load = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    specs = []
    for name, rel in SPEC_FILES.items():
        raw = (spec_dir / rel).read_bytes()
        doc = json.loads(raw) if rel.endswith(".json") else yaml.load(raw.decode(), Loader=load)
        specs.append(Spec(name, Path(rel), doc, hashlib.sha256(raw).hexdigest()))
    return specs


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


def load_observations(path: Path = OBSERVATIONS) -> list[dict[str, Any]]:
    with path.open("rb") as f:
        return tomllib.load(f)["observation"]


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


def build(spec_dir: Path, stats: dict[str, Any] | None = None) -> str:
    specs = load_specs(spec_dir) + load_sdk_sources()
    model = Model()
    model.added_types = {}
    tag_counts = {}
    for spec in specs:
        tags = set()
        for m in spec.stream_union():
            tag = single_tag(spec, m)
            assert tag, m
            tags.add(tag)
            model.events.setdefault(tag, f"Event:{tag}")
            model.add_object(spec, m, f"Event:{tag}", spec.deref(m)[1])
        tag_counts[spec.name] = len(tags)

    gen = Generator(model)
    name_to_path = {base_class_name(p): p for p in model.objects}
    apply_observations(model, load_observations(), name_to_path)
    gen.dedupe()
    gen.stats = dict.fromkeys(gen.stats, 0)  # count (and collect aliases) over the emitted classes only
    gen.slot_aliases.clear()

    out: list[str] = [header(specs)]
    # Plain nested structs, in the order they were met. Annotations are strings (``from __future__ import
    # annotations``) that msgspec resolves when a decoder is built, so definition order only matters for the
    # Union aliases below.
    emitted: dict[str, str] = {}
    for p in gen.plain_paths():
        if gen.canonical(p):
            counted = dict(gen.stats)
            code = gen.emit(p, "_Struct", None)
            name = gen.name(p)
            body = code.split("\n", 2)[2]  # without the class line and the docstring
            if name in emitted:
                assert emitted[name] == body, f"{p}: a shared class ({name}) with another shape"
                gen.stats = counted  # counted once
                continue
            emitted[name] = body
            out.append(code)
    for fam in FAMILY_ORDER:
        tags = sorted(model.family_members[fam])
        classes = []
        for tag in tags:
            p = model.family_members[fam][tag]
            out.append(gen.emit(p, "_Tagged", tag))
            classes.append(gen.name(p))
        out.append(
            f"{fam} = Union[\n" + "".join(f"    {c},\n" for c in classes) + "]\n"
            f'"""Tagged union of the {len(classes)} {fam} variants (discriminated by ``type``)."""'
        )
        out.append(
            f"{fam.upper()}_TYPES: dict[str, type[_Tagged]] = {{\n"
            + "".join(f"    {t!r}: {c},\n" for t, c in zip(tags, classes, strict=True))
            + "}"
        )
    ev_classes = []
    for tag in sorted(model.events):
        p = model.events[tag]
        out.append(gen.emit(p, "_Event", tag))
        ev_classes.append((tag, gen.name(p)))
    out.append(
        "StreamEvent = Union[\n" + "".join(f"    {c},\n" for _, c in ev_classes) + "]\n"
        '"""Every known Responses stream event (OpenRouter, OpenAI, Open Responses, observations)."""'
    )
    out.append(
        "EVENT_TYPES: dict[str, type[_Event]] = {\n" + "".join(f"    {t!r}: {c},\n" for t, c in ev_classes) + "}"
    )
    out.append(
        "FAMILIES: dict[str, dict[str, type[_Tagged]]] = {\n"
        + "".join(f"    {f!r}: {f.upper()}_TYPES,\n" for f in FAMILY_ORDER)
        + "}"
    )
    aliases = sorted(gen.slot_aliases.items())
    out.append(
        "# A nested value that fails validation is kept as InvalidValue, one of an unknown tag as UnknownValue\n"
        "# (the slow path, _lenient.py). msgspec cannot take those in a union with Structs, so only type checkers\n"
        "# see the wider slot types; at run time each alias is the plain class or union.\n"
        "if typing.TYPE_CHECKING:\n"
        + "".join(f"    {a}: TypeAlias = {t}\n" for a, t in aliases)
        + "else:\n"
        + "".join(f"    {a} = {t.split('[', 1)[1].split(',', 1)[0]}\n" for a, t in aliases)
    )
    if stats is not None:
        stats.update(gen.stats)
        stats["tags"] = tag_counts
        stats["events"] = len(model.events)
        stats["classes"] = len(emitted)
        stats["merged"] = {p: gen.name(p) for p in gen.plain_paths() if not gen.canonical(p)}
        stats["slot_aliases"] = len(aliases)
    return "\n\n\n".join(out) + "\n"


def header(specs: list[Spec]) -> str:
    lines = "\n".join(f"    {s.path}  sha256 {s.sha256}" for s in specs if s.sha256)
    lines += "\n    " + ", ".join(str(s.path) for s in specs if not s.sha256) + " (the SDKs' event unions, walked)"
    return f'''"""Generated by tools/generate_models.py. Do not edit: edit the generator or tools/observations.toml.

Sources (read from ../shared/spec or $OPENRESPONSES_SPEC_DIR, never copied here):
{lines}
    tools/observations.toml (what real servers were seen to send)

Rule (README, "The model"): only the tag, the ``delta`` of a ``*.delta`` event and the ``response`` of a
lifecycle event are required; every other field is optional (``None`` when absent), nullable where any
spec allows null. Numbers are ``int | float`` (an integer stays an integer). Enums are plain ``str``.
"""
# ruff: noqa: E501

from __future__ import annotations

import typing
from typing import Any, ClassVar, Literal, Union

import msgspec

from ._base import _Event, _Struct, _Tagged

if typing.TYPE_CHECKING:
    from typing import TypeAlias

    from ._errors import InvalidValue, UnknownValue'''


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--spec-dir",
        type=Path,
        default=None,
        help="folder with the three specs (default: $OPENRESPONSES_SPEC_DIR, else ../shared/spec)",
    )
    ap.add_argument("--check", action="store_true", help="fail if the committed module is stale")
    ap.add_argument("--stats", action="store_true", help="print tag counts and the type-precision figures")
    args = ap.parse_args()
    stats: dict[str, Any] = {}
    code = build(spec_dir_from(args.spec_dir), stats)
    if args.stats:
        print(json.dumps(stats, indent=1))
    if args.check:
        if OUT.read_text() != code:
            print(f"{OUT} is stale: run python tools/generate_models.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(code)
    print(f"wrote {OUT} ({code.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
