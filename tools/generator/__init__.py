"""Generate ``src/openresponses_msgspec/_models.py`` from three OpenAPI specs, the pinned SDKs' event unions and
the observations table (``python tools/generate_models.py [--spec-dir DIR] [--check] [--stats]``).

The parts, in the order a run uses them:

* ``specs``: loading the three specs, reading their schemas alike ($ref, allOf, null, tags, unions);
* ``sdk``: the pinned SDKs' event unions as two more sources (pydantic writes them as JSON Schema);
* ``model``: every object schema filed by *position* (event tag or family member, then field path), the kinds
  of value seen at each path, the observations table (``tools/observations.toml``) applied;
* ``naming``: struct path to class name (renames, brands, shortening), wire name to attribute;
* ``rules``: which fields are required, and the order of a class's fields (wire order);
* ``dedupe``: identical nested shapes become one class;
* ``emit``: the module text (classes, unions, tag maps, slot aliases, ``__all__``, old names as aliases).
"""

from .cli import main
from .emit import OUT, build
from .sdk import SDK_PINS
from .specs import spec_dir_from

__all__ = ["OUT", "SDK_PINS", "build", "main", "spec_dir_from"]
