"""Loading the three OpenAPI specs, and reading schemas the same way in each ($ref, allOf, nullability, the
single ``type`` tag of a member, union members)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Entry


ROOT = Path(__file__).resolve().parents[2]


SPEC_FILES = {
    "openrouter": "in.openapi.yaml",
    "openai": "openai/openapi.yaml",
    "openresponses": "openresponses/openapi.json",
}


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
