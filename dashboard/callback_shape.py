"""What a Dash callback request must look like before Dash reads it: a known callback, with the
inputs and state it declares, each an {id, property, value?} (a list of them for a pattern)."""

from __future__ import annotations

from typing import Any

from dash import _callback
from flask import current_app

from services.errors import ServiceError

NOT_AN_OBJECT = "A Dash callback body must be a JSON object."
UNKNOWN = "No such callback."


class MalformedCallback(ServiceError):
    """A callback request Dash cannot run: 400 with the error shape, before Dash reads it."""

    status, code = 400, "malformed"


def _is_prop(item: Any) -> bool:
    """One {id, property} entry, or the list of them a pattern-matching (ALL) id sends."""
    if isinstance(item, list):
        return all(_is_prop(inner) for inner in item)
    return (
        isinstance(item, dict)
        and isinstance(item.get("id"), str | dict)
        and isinstance(item.get("property"), str)
    )


def declared(name: str) -> dict[str, Any] | None:
    """The registered callback whose `output` key is `name` (None when there is none), before or
    after Dash moved the pages' callbacks into the app on its first request."""
    app_map = current_app.extensions["dash_app"].callback_map
    return app_map.get(name) or _callback.GLOBAL_CALLBACK_MAP.get(name)


def upload_ids(name: str) -> list[str] | None:
    """The component ids the callback `name` reads, when it reads an upload's `contents` (a file
    sent inside the callback's JSON); None for every other callback."""
    entry = declared(name)
    if entry is None:
        return None
    items = [*entry.get("inputs", []), *entry.get("state", [])]
    if not any(item.get("property") == "contents" for item in items):
        return None
    return [str(item.get("id", "")) for item in items]


def problem(payload: Any, callback_map: dict[str, dict[str, Any]]) -> str | None:
    """Why `payload` is not a callback request Dash can run (None when it is one)."""
    if not isinstance(payload, dict):
        return NOT_AN_OBJECT
    output = payload.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return UNKNOWN
    declared = callback_map[output]
    outputs = payload.get("outputs")
    if not (_is_prop(outputs) if isinstance(outputs, dict | list) else False):
        return "`outputs` must be the callback's outputs: {id, property} each."
    for name in ("inputs", "state"):
        items = payload.get(name, [] if name == "state" else None)
        if not isinstance(items, list) or not all(_is_prop(item) for item in items):
            return f"`{name}` must be a list of {{id, property, value}}."
        if len(items) != len(declared.get(name, [])):
            return f"`{name}` must have the callback's {len(declared.get(name, []))} item(s)."
    changed = payload.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(item, str) for item in changed):
        return "`changedPropIds` must be a list of strings."
    return None
