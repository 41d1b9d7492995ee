"""Per-field rules: which fields are required, and in which order a class lists its fields (wire order)."""

from __future__ import annotations

# Whose property order follows the wire best (see Generator.fields).
WIRE_ORDER_RANK = {"openresponses": 0, "openai": 1, "openrouter": 2, "openai-sdk": 3, "openrouter-sdk": 4}


# What a lifecycle event means nothing without: its response object.
LIFECYCLE = {
    "response.created",
    "response.queued",
    "response.in_progress",
    "response.completed",
    "response.failed",
    "response.incomplete",
}

# Objects whose fields all stay optional, whatever the sources say: the response object is the required value
# of the lifecycle events (a field missing there would fail the whole event, not one slot), and minimal response
# objects are observed (tools/observations.toml, "minimal-response-object").
ALL_OPTIONAL = {"Response"}


def essential(tag: str, name: str) -> bool:
    """The event fields that are required: ``delta`` of a ``*.delta`` event, ``response`` of a lifecycle event."""
    return (name == "delta" and tag.endswith(".delta")) or (name == "response" and tag in LIFECYCLE)


def required(path: str, name: str, tag: str | None, *, every_source: bool, nullable: bool, omitted: bool) -> bool:
    """Whether field ``name`` of the object at ``path`` is required (docs/model.md, "Required fields").

    * On an event itself, only the essential fields: msgspec fails the whole event when a field of the event
      is missing, so any other required field would turn a line that decodes today into an error.
    * In a nested object (an output item, a part, usage, ...), a field every source that defines the object
      requires (the three specs and both SDKs), that no source allows to be ``null`` and that no observation
      saw absent: a nested object that lacks it is kept as an ``InvalidValue`` in its slot, the event decodes.
    """
    if omitted:
        return False
    if path.startswith("Event:") and "/" not in path:
        return tag is not None and essential(tag, name)
    return path not in ALL_OPTIONAL and every_source and not nullable
