"""Generate ``src/openresponses_msgspec/_models.py`` from the two OpenAPI specs.

    python tools/generate_models.py [--spec-dir ../shared/spec] [--check]

Why a generator: 70 event variants, ~60 output items and their nested objects, defined by two specs that
overlap and disagree. Writing them by hand invites drift; this script applies one merge rule everywhere:

* objects are merged by *position* (the event or item tag, then the field path), so OpenRouter's
  ``OpenResponsesResult`` and OpenAI's ``Response`` become one ``Response`` struct;
* a field is required only if every spec that defines the object requires it, and nullable if any spec
  allows ``null``; optional fields default to ``None`` (arrays to ``()``);
* unions whose members all carry a single-valued ``type`` and belong to a known family (output items,
  content parts, annotations, ...) become msgspec tagged unions, members merged by tag across specs;
* every other union, and a field the two specs type differently, is ``Any`` (plain JSON values);
* enums are plain ``str``: providers add values.

The output is committed; ``tests/test_spec_conformance.py`` checks it against the specs independently, and
``--check`` fails when the committed file is stale. Requires PyYAML (a dev dependency, never a runtime one).
"""

from __future__ import annotations

import argparse
import keyword
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "openresponses_msgspec" / "_models.py"

# Tagged-union families: name -> (class-name suffix, tags that identify the family).
FAMILIES: dict[str, tuple[str, set[str]]] = {
    "OutputItem": ("Item", {"message", "function_call", "reasoning", "web_search_call", "mcp_call"}),
    "ContentPart": ("Part", {"output_text", "refusal", "reasoning_text"}),
    "Annotation": ("Annotation", {"url_citation", "file_citation", "file_path"}),
    "WebSearchAction": ("Action", {"open_page", "find_in_page", "find"}),
    "CodeInterpreterOutput": ("Output", {"logs", "image"}),
    "ApplyPatchOperation": ("Operation", {"create_file", "update_file", "delete_file"}),
    "ShellOutcome": ("Outcome", {"exit", "timeout"}),
}

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
}


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
    def __init__(self, name: str, doc: dict[str, Any]):
        self.name = name
        self.schemas: dict[str, Any] = doc["components"]["schemas"]

    def deref(self, s: Any) -> tuple[Any, str | None]:
        ref = None
        while isinstance(s, dict) and "$ref" in s:
            ref = s["$ref"].rsplit("/", 1)[-1]
            s = self.schemas[ref]
        return s, ref


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


@dataclass
class Kind:
    kind: str  # str int float bool dict any object array union
    schema: Any = None
    family: str | None = None
    members: dict[str, Any] = field(default_factory=dict)


def kind_of(spec: Spec, s: Any, depth: int = 0) -> Kind:
    s = flatten(spec, s)
    if depth > 8 or not isinstance(s, dict):
        return Kind("any")
    members = union_members(spec, s)
    if members is not None and "properties" not in s:
        if len(members) == 1:
            return kind_of(spec, members[0], depth + 1)
        tags = [single_tag(spec, m) for m in members]
        if all(tags) and len(set(tags)) == len(tags):
            for fam, (_, signature) in FAMILIES.items():
                if signature & set(tags):
                    return Kind("union", family=fam, members=dict(zip(tags, members)))
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
        return Kind("object", schema=s)
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
        self.kinds: dict[str, list[tuple[Spec, Kind]]] = {}  # field path -> kinds seen there
        self.family_members: dict[str, dict[str, str]] = {f: {} for f in FAMILIES}  # family -> tag -> path
        self.events: dict[str, str] = {}  # tag -> path
        self._seen: set[tuple[str, int, str]] = set()

    def add_object(self, spec: Spec, s: Any, path: str) -> None:
        flat = flatten(spec, s)
        key = (spec.name, id(flat), path)
        if key in self._seen:
            return
        self._seen.add(key)
        self.objects.setdefault(path, []).append(Entry(spec, flat))
        for name, prop in flat.get("properties", {}).items():
            if name == "type" and "/" not in path and path.startswith(("Event:", "Family:")):
                continue
            self.add_value(spec, prop, f"{path}/{name}" if not (path.startswith("Event:") and name == "response") else "Response")

    def add_value(self, spec: Spec, s: Any, path: str, depth: int = 0) -> None:
        k = kind_of(spec, s)
        self.kinds.setdefault(path, []).append((spec, k))
        if path in LOOSE or depth > 6:
            return
        if k.kind == "object":
            self.add_object(spec, k.schema, path)
        elif k.kind == "array":
            self.add_value(spec, k.schema, path + "[]", depth + 1)
        elif k.kind == "union":
            assert k.family
            for tag, member in k.members.items():
                mpath = f"Family:{k.family}:{tag}"
                self.family_members[k.family][tag] = mpath
                self.add_object(spec, member, mpath)


def class_name(path: str) -> str:
    if path in RENAMES:
        return RENAMES[path]
    if "/" not in path and path.startswith("Event:"):
        return event_class_name(path[6:])
    if "/" not in path and path.startswith("Family:"):
        _, fam, tag = path.split(":", 2)
        return camel(tag) + FAMILIES[fam][0]
    parent, _, fld = path.rpartition("/")
    return class_name(parent) + camel(fld.replace("[]", ""))


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


def type_expr(model: Model, path: str) -> str:
    kind, ref = merged_kind(model, path)
    if kind in ("str", "int", "float", "bool"):
        return kind
    if kind == "dict":
        return "dict[str, Any]"
    if kind == "object":
        assert ref
        return class_name(ref)
    if kind == "union":
        assert ref
        return ref
    if kind == "array":
        return f"tuple[{type_expr(model, path + '[]')}, ...]"
    return "Any"


def describe(entries: list[Entry]) -> str:
    for e in entries:
        d = (e.schema.get("description") or e.schema.get("title") or "").strip()
        if d:
            first = d.split("\n")[0].strip().rstrip(".")
            return first.replace('"""', "'''").replace("\\", "\\\\")
    return ""


def emit_struct(model: Model, path: str, base: str, tag: str | None) -> str:
    entries = model.objects.get(path, [])
    order: list[str] = []
    for e in entries:
        for n in e.schema.get("properties", {}):
            if n not in order and not (tag is not None and n == "type"):
                order.append(n)
    specs_defining = {e.spec.name for e in entries}
    fields = []
    for n in order:
        fpath = "Response" if (path.startswith("Event:") and n == "response") else f"{path}/{n}"
        req_by_spec: dict[str, bool] = {}
        null = False
        for e in entries:
            props = e.schema.get("properties", {})
            if n in props:
                r = n in e.schema.get("required", [])
                req_by_spec[e.spec.name] = req_by_spec.get(e.spec.name, True) and r
                null = null or nullable(e.spec, props[n])
        required = set(req_by_spec) == specs_defining and all(req_by_spec.values())
        texpr = type_expr(model, fpath)
        is_array = texpr.startswith("tuple[")
        if required:
            ann = f"{texpr} | None" if null and texpr != "Any" else texpr
            default = None
        else:
            ann = f"{texpr} | None" if texpr != "Any" else texpr
            default = "()" if is_array else "None"
        fields.append((n, ann, default, required))
    lines = []
    head = f"class {class_name(path)}({base}" + (f', tag="{tag}"' if tag is not None else "") + ", kw_only=True):"
    lines.append(head)
    doc = describe(entries)
    lines.append(f'    """{doc}."""' if doc else '    """(no description in the specs)."""')
    for n, ann, default, required in fields:
        attr = snake(n)
        if attr != n:
            spec_default = "" if required else f"default={default}, "
            rhs = f" = msgspec.field({spec_default}name={n!r})"
        else:
            rhs = "" if required else f" = {default}"
        lines.append(f"    {attr}: {ann}{rhs}")
    return "\n".join(lines)


def build(spec_dir: Path) -> str:
    load = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    orr = Spec("openrouter", yaml.load((spec_dir / "in.openapi.yaml").read_text(), Loader=load))
    oai = Spec("openai", yaml.load((spec_dir / "openai" / "openapi.yaml").read_text(), Loader=load))
    model = Model()
    for spec, union in ((orr, "StreamEvents"), (oai, "ResponseStreamEvent")):
        u = spec.schemas[union]
        for m in union_members(spec, u) or []:
            tag = single_tag(spec, m)
            assert tag, m
            model.events.setdefault(tag, f"Event:{tag}")
            model.add_object(spec, m, f"Event:{tag}")

    # Plain nested structs (not events, not family members), in the order they were met. Annotations are
    # strings (``from __future__ import annotations``) that msgspec resolves when a decoder is built, so
    # definition order only matters for the Union aliases below.
    out: list[str] = [HEADER]
    for p in model.objects:
        if ("/" in p or not p.startswith(("Event:", "Family:"))) and merged_kind(model, p)[0] == "object":
            out.append(emit_struct(model, p, "_Struct", None))
    fam_order = ["ShellOutcome", "ApplyPatchOperation", "CodeInterpreterOutput", "WebSearchAction", "Annotation",
                 "ContentPart", "OutputItem"]
    for fam in fam_order:
        tags = sorted(model.family_members[fam])
        classes = []
        for tag in tags:
            p = model.family_members[fam][tag]
            out.append(emit_struct(model, p, "_Tagged", tag))
            classes.append(class_name(p))
        out.append(f"{fam} = Union[\n" + "".join(f"    {c},\n" for c in classes) + "]\n"
                   f'"""Tagged union of {len(classes)} {fam} variants (discriminated by ``type``)."""')
        out.append(f"{fam.upper()}_TYPES: dict[str, type] = {{\n" +
                   "".join(f"    {t!r}: {c},\n" for t, c in zip(tags, classes)) + "}\n"
                   f"_set_tags({fam.upper()}_TYPES)")
    ev_classes = []
    for tag in sorted(model.events):
        p = model.events[tag]
        out.append(emit_struct(model, p, "_Event", tag))
        ev_classes.append((tag, class_name(p)))
    out.append("StreamEvent = Union[\n" + "".join(f"    {c},\n" for _, c in ev_classes) + "]\n"
               '"""Every known Responses stream event (OpenRouter StreamEvents + OpenAI ResponseStreamEvent)."""')
    out.append("EVENT_TYPES: dict[str, type] = {\n" + "".join(f"    {t!r}: {c},\n" for t, c in ev_classes) + "}\n"
               "_set_tags(EVENT_TYPES)")
    out.append("FAMILIES: dict[str, dict[str, type]] = {\n" +
               "".join(f"    {f!r}: {f.upper()}_TYPES,\n" for f in fam_order) + "}")
    return "\n\n\n".join(out) + "\n"


HEADER = '''"""Generated by tools/generate_models.py from the OpenRouter and OpenAI OpenAPI specs. Do not edit.

Merge rule: required only if every spec defining the object requires the field; nullable if any spec allows
null. Optional fields default to None (arrays to ()). Enums are plain str.
"""
# ruff: noqa: E501

from __future__ import annotations

from typing import Any, Union

import msgspec

from ._base import _Event, _set_tags, _Struct, _Tagged'''


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec-dir", type=Path, default=ROOT.parent / "shared" / "spec")
    ap.add_argument("--check", action="store_true", help="fail if the committed module is stale")
    args = ap.parse_args()
    code = build(args.spec_dir)
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
