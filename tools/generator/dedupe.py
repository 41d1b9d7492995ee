"""Shape deduplication: nested objects with identical generated bodies become one class."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .naming import base_class_name

if TYPE_CHECKING:
    from .emit import Generator


def dedupe(gen: Generator) -> None:
    """Identical nested shapes that come from one $ref become one class (repeated until stable: merging
    children can make their parents identical)."""
    paths = gen.plain_paths()
    while True:
        groups: dict[tuple[str, ...], list[str]] = {}
        for p in paths:
            if gen.names.get(p, base_class_name(p)) != base_class_name(p):
                continue  # already merged into another
            key = tuple(gen.body(p, None))
            groups.setdefault(key, []).append(p)
        changed = False
        for members in groups.values():
            if len(members) < 2:
                continue
            # union-find by shared $ref name, first path met names the class
            for i, p in enumerate(members):
                for q in members[:i]:
                    if gen.names.get(q, base_class_name(q)) != base_class_name(q):
                        continue
                    shared = gen.model.refs.get(p, set()) & gen.model.refs.get(q, set())
                    if any(":" not in r for r in shared) or (
                        shared and not gen.from_specs(p) and not gen.from_specs(q)
                    ):
                        gen.names[p] = gen.name(q)
                        changed = True
                        break
        if not changed:
            return
