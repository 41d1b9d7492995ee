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
* **required** (docs/model.md, "Required fields"): on an event only what it means nothing without (the
  ``delta`` of a ``*.delta`` event, the ``response`` of a lifecycle event); in a nested object what every
  source requires, none allows ``null`` and no server was seen to omit; the response object requires nothing.
  Optional fields are ``None`` when absent (arrays too: an absent array and ``[]`` stay distinct, so ``encode``
  writes back what came);
* **field order** is wire order (``generator/wire.py``): the order servers write the keys, so msgspec matches
  each key with one comparison;
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
* nested objects with identical generated bodies that are one concept become one class; names follow
  ``generator/naming.py`` (brands, shortening), and every name of release 0.1.0 stays as an alias.

The parts live in ``tools/generator/`` (its ``__init__`` lists them). The output is committed;
``tests/spec/test_spec_conformance.py`` checks it against the specs independently, and
``--check`` fails when the committed file is stale. Requires PyYAML (a test dependency, never a runtime one).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # a script: its package beside it

from generator import OUT, SDK_PINS, build, main, spec_dir_from

__all__ = ["OUT", "SDK_PINS", "build", "main", "spec_dir_from"]

if __name__ == "__main__":
    sys.exit(main())
