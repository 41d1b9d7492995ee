"""Per-field rules: which fields are required, and in which order a class lists its fields (wire order)."""

from __future__ import annotations

# Whose property order follows the wire best (see Generator.fields).
WIRE_ORDER_RANK = {"openresponses": 0, "openai": 1, "openrouter": 2, "openai-sdk": 3, "openrouter-sdk": 4}


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
