"""Writing ``_models.py``: one class per struct path (after deduplication), the tagged unions, the tag maps,
the slot aliases type checkers see, ``__all__``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import rules, wire
from .dedupe import dedupe
from .model import FAMILY_ORDER, Model, apply_observations, load_observations, load_wire_order, merged_kind
from .naming import base_class_name, short_names, snake
from .rules import WIRE_ORDER_RANK
from .sdk import load_sdk_sources
from .specs import ROOT, Spec, describe, load_specs, nullable, single_tag

OUT = ROOT / "src" / "openresponses_msgspec" / "_models.py"
OLD_NAMES = Path(__file__).with_name("names_0_1_0.txt")


SCALARS = {"str": "str", "int": "int", "float": "int | float", "bool": "bool"}


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
        self.short: dict[str, str] = {}  # struct path -> shortened name (naming.short_names)
        self.merged_into: dict[str, str] = {}  # struct path -> the path whose class it shares (dedupe.py)
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
        return self.names.get(path) or self.short.get(path) or base_class_name(path)

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
        for e in sorted(entries, key=lambda e: WIRE_ORDER_RANK[e.spec.name]):
            for n in e.schema.get("properties", {}):
                if n not in order and not (tag is not None and n == "type"):
                    order.append(n)
        for n in self.model.added.get(path, {}):
            if n not in order:
                order.append(n)
        is_event = path.startswith("Event:") and "/" not in path
        order = wire.order(self.model, path, order, is_event)
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
            required = rules.required(
                path,
                n,
                tag,
                every_source=spec_required,
                nullable=null,
                omitted=n in self.model.omitted.get(path, set()),
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

    def from_specs(self, path: str) -> bool:
        return any(e.spec.sha256 for e in self.model.objects.get(path, []))

    def canonical(self, path: str) -> bool:
        return path not in self.merged_into


def read_sources(specs: list[Spec]) -> tuple[Model, dict[str, int]]:
    """Every event of every source filed into one model; the number of tags per source."""
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
    return model, tag_counts


def build(spec_dir: Path, stats: dict[str, Any] | None = None) -> str:
    """The text of ``_models.py`` (``stats``, if given, receives the figures of ``--stats``)."""
    specs = load_specs(spec_dir) + load_sdk_sources()
    model, tag_counts = read_sources(specs)
    gen = Generator(model)
    name_to_path = {base_class_name(p): p for p in model.objects}
    apply_observations(model, load_observations(), name_to_path)
    wire.collect(model, specs, load_wire_order(), name_to_path)
    gen.short = short_names(gen.plain_paths())
    dedupe(gen)
    gen.stats = dict.fromkeys(gen.stats, 0)  # count (and collect aliases) over the emitted classes only
    gen.slot_aliases.clear()

    out: list[str] = [header(specs)]
    emitted = _plain_classes(gen, out)
    public = list(emitted)
    for fam in FAMILY_ORDER:
        public += _family(gen, fam, out)
    public += _events(gen, out)
    public.append("FAMILIES")
    out.append(
        "FAMILIES: dict[str, dict[str, type[_Tagged]]] = {\n"
        + "".join(f"    {f!r}: {map_name(f)},\n" for f in FAMILY_ORDER)
        + "}"
    )
    aliases = _slot_aliases(gen, out)
    old = _old_names(gen, set(public))
    out.append(
        "# The names of release 0.1.0 that changed (brands spelled OpenRouter, long names shortened, identical\n"
        "# shapes merged, UPPER_SNAKE maps): each is the class or map that took its place.\n"
        + "\n".join(f"{o} = {n}" for o, n in sorted(old.items()))
    )
    out.append("__all__ = [\n" + "".join(f'    "{n}",\n' for n in sorted([*public, *old])) + "]")
    if stats is not None:
        stats.update(gen.stats)
        stats["tags"] = tag_counts
        stats["events"] = len(model.events)
        stats["classes"] = len(emitted)
        stats["merged"] = {p: gen.name(p) for p in gen.plain_paths() if not gen.canonical(p)}
        stats["slot_aliases"] = len(aliases)
        stats["old_names"] = len(old)
    return "\n\n\n".join(out) + "\n"


def _slot_aliases(gen: Generator, out: list[str]) -> list[tuple[str, str]]:
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
    return aliases


def map_name(family: str) -> str:
    """``ApplyPatchOperation`` -> ``APPLY_PATCH_OPERATION_TYPES``."""
    return snake(family).upper() + "_TYPES"


def _plain_classes(gen: Generator, out: list[str]) -> dict[str, str]:
    """Plain nested structs, in the order they were met (annotations are strings that msgspec resolves when a
    decoder is built, so definition order only matters for the Union aliases). Returns class name -> body."""
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
    return emitted


def _family(gen: Generator, fam: str, out: list[str]) -> list[str]:
    members = gen.model.family_members[fam]
    tags = sorted(members)
    classes = []
    for tag in tags:
        out.append(gen.emit(members[tag], "_Tagged", tag))
        classes.append(gen.name(members[tag]))
    out.append(
        f"{fam} = Union[\n" + "".join(f"    {c},\n" for c in classes) + "]\n"
        f'"""Tagged union of the {len(classes)} {fam} variants (discriminated by ``type``)."""'
    )
    out.append(
        f"{map_name(fam)}: dict[str, type[_Tagged]] = {{\n"
        + "".join(f"    {t!r}: {c},\n" for t, c in zip(tags, classes, strict=True))
        + "}"
    )
    return [*classes, fam, map_name(fam)]


def _events(gen: Generator, out: list[str]) -> list[str]:
    ev_classes = []
    for tag in sorted(gen.model.events):
        p = gen.model.events[tag]
        out.append(gen.emit(p, "_Event", tag))
        ev_classes.append((tag, gen.name(p)))
    out.append(
        "StreamEvent = Union[\n" + "".join(f"    {c},\n" for _, c in ev_classes) + "]\n"
        '"""Every known Responses stream event (OpenRouter, OpenAI, Open Responses, observations)."""'
    )
    out.append(
        "EVENT_TYPES: dict[str, type[_Event]] = {\n" + "".join(f"    {t!r}: {c},\n" for t, c in ev_classes) + "}"
    )
    return [c for _, c in ev_classes] + ["StreamEvent", "EVENT_TYPES"]


def _old_names(gen: Generator, public: set[str]) -> dict[str, str]:
    """Every name of release 0.1.0 (names_0_1_0.txt) that is no public name now -> the name that took its place."""
    now: dict[str, str] = {f"{fam.upper()}_TYPES": map_name(fam) for fam in FAMILY_ORDER}
    for p in gen.model.objects:
        now.setdefault(base_class_name(p, legacy=True), gen.name(p))
    old = [n for n in OLD_NAMES.read_text().split("\n") if n and not n.startswith("#")]
    missing = [n for n in old if n not in public and n not in now]
    if missing:
        raise SystemExit(f"names of release 0.1.0 that no class or alias keeps: {missing}")
    return {n: now[n] for n in old if n not in public}


def header(specs: list[Spec]) -> str:
    lines = "\n".join(f"    {s.path}  sha256 {s.sha256}" for s in specs if s.sha256)
    lines += "\n    " + ", ".join(str(s.path) for s in specs if not s.sha256) + " (the SDKs' event unions, walked)"
    return f'''"""Generated by tools/generate_models.py. Do not edit: edit the generator or tools/observations.toml.

Sources (read from ../shared/spec or $OPENRESPONSES_SPEC_DIR, never copied here):
{lines}
    tools/observations.toml (what real servers were seen to send)

Required fields (docs/model.md): on an event, the tag, the ``delta`` of a ``*.delta`` event and the
``response`` of a lifecycle event; in a nested object, what every source requires, none allows null and no
server was seen to omit (the response object requires nothing). Other fields are optional (``None`` when
absent), nullable where any source allows null. Fields come in wire order. Numbers are ``int | float`` (an
integer stays an integer). Enums are plain ``str``.
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
