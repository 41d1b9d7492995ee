"""Shape deduplication: nested objects with identical generated bodies become one class."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .emit import Generator


def dedupe(gen: Generator) -> None:
    """Nested objects whose generated bodies are identical become one class when they are one concept: they
    come from one $ref, or they are the value of fields of the same name (``steer`` of two steer events,
    ``files`` of two shell items). The class takes the shortest of their names (the first met on a tie); the
    others stay as aliases of it (emit.py). Repeated until stable: merging children can make parents identical."""
    paths = gen.plain_paths()
    while True:
        groups: dict[tuple[str, ...], list[str]] = {}
        for p in paths:
            if p not in gen.merged_into:
                groups.setdefault(tuple(gen.body(p, None)), []).append(p)
        changed = False
        for members in groups.values():
            for i, p in enumerate(members):
                for q in members[:i]:
                    if p in gen.merged_into or q in gen.merged_into or not _one_concept(gen, p, q):
                        continue
                    keep, drop = (p, q) if len(gen.name(p)) < len(gen.name(q)) else (q, p)
                    _merge(gen, drop, keep)
                    changed = True
        if not changed:
            return


def _one_concept(gen: Generator, p: str, q: str) -> bool:
    shared = gen.model.refs.get(p, set()) & gen.model.refs.get(q, set())
    if any(":" not in r for r in shared) or (shared and not gen.from_specs(p) and not gen.from_specs(q)):
        return True
    return p.rpartition("/")[2] == q.rpartition("/")[2]


def _merge(gen: Generator, drop: str, keep: str) -> None:
    name = gen.name(keep)
    for path, into in list(gen.merged_into.items()):
        if into == drop:
            gen.merged_into[path] = keep
            gen.names[path] = name
    gen.merged_into[drop] = keep
    gen.names[drop] = name
