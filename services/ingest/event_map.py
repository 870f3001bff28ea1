"""Which event type a platform's event name counts as, and the setting that extends it.

The defaults below are the formats' own maps. The setting `ACTIVITY_EVENT_MAP` (environment variable, or the
same value passed to a parser as `event_map=`) extends them. It is a JSON object whose entries are either

- `"name": "type"`: applies to every event format (events CSV, xAPI, Open edX), or
- `"events" | "xapi" | "edx" | "moodle" | "caliper": {"name": "type", ...}`: applies to that format only,

for example `{"completed": "problem", "edx": {"edx.video.closed_captions.shown": "video"}}`. A type is
one of EVENT_TYPES, or "none" for what is not learner activity (rejected as "not learner activity:
<name>", not counted). Names are compared without case and surrounding spaces. For xAPI a name is the
last part of the verb id (`answered`) or the whole id (`http://adlnet.gov/expapi/verbs/answered`), either
optionally followed by "@" and the last part of the object's `definition.type` (`edited@forum-reply`,
`http://adlnet.gov/expapi/verbs/completed@video`), which wins over the verb alone, so that the object
decides what a generic verb counts as; for Open edX it is the `event_type`. Format entries win over
global ones, and both win over the defaults. An invalid setting is refused with `EventMapError` naming
the entry. A name no map knows is not dropped: the parser rejects its line as "unknown event type '...'".
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelling.event_types import EVENT_TYPES
from services.ingest.caliper_actions import CALIPER_ACTIONS
from services.ingest.edx_events import EDX_EVENTS, pattern_type
from services.ingest.moodle_events import MOODLE_EVENTS
from services.ingest.xapi_verbs import NOT_ACTIVITY, XAPI_VERBS

SETTING = "ACTIVITY_EVENT_MAP"
FORMATS = ("events", "xapi", "edx", "moodle", "caliper")
# Formats whose event name carries the object's type after TYPE_MARK (xAPI's verb, Caliper's type.action).
PAIRED = frozenset({"xapi", "caliper"})
# An xAPI event name is the verb id, then this mark and the object's type segment when it has one (a
# space: no IRI holds one); map keys write the pair as `verb@segment`.
TYPE_MARK = " "
KEY_MARK = "@"


def _names(**by_type: tuple[str, ...]) -> dict[str, str]:
    return {name: kind for kind, names in by_type.items() for name in names}


# The seven types name themselves; "nagivate" is how the KDD Cup 2015 raw log spells navigate.
EVENTS_CSV_DEFAULTS = {**{kind: kind for kind in EVENT_TYPES}, "nagivate": "navigate"}

# The default verbs, then the table of verbs as platforms send them (xapi_verbs.py, reasons in the docs).
XAPI_DEFAULTS = {
    **_names(
        video=("played", "paused", "seeked", "watched"),
        problem=("answered", "attempted", "submitted"),
        discussion=("commented", "posted", "replied", "responded"),
        access=("experienced", "viewed", "accessed", "launched", "initialized"),
        navigate=("navigated",),
        page_close=("terminated", "exited"),
        wiki=("edited",),
    ),
    **XAPI_VERBS,
}

# Open edX's documented event names and the patterns for page views (edx_events.py, reasons in the docs).
EDX_DEFAULTS = EDX_EVENTS

DEFAULTS = {
    "events": EVENTS_CSV_DEFAULTS,
    "xapi": XAPI_DEFAULTS,
    "edx": EDX_DEFAULTS,
    "moodle": MOODLE_EVENTS,
    "caliper": CALIPER_ACTIONS,
}
# What a format tries for a name no entry knows (the setting's entries still win over it).
PATTERNS = {"edx": pattern_type}


class EventMapError(ValueError):
    """The event map setting is not usable; the message names the entry at fault."""


def normal(name: str) -> str:
    """An event name as maps compare it: without surrounding spaces, lower case."""
    return name.strip().lower()


@dataclass(frozen=True)
class EventMap:
    """One format's map from event names to event types."""

    fmt: str
    names: Mapping[str, str]

    def type_of(self, name: str) -> str | None:
        """The event type of a (normalised) event name, NOT_ACTIVITY, or None when no map knows it."""
        if self.fmt in PAIRED:
            return self._xapi_type(name)
        known = self.names.get(name)
        if known is not None:
            return known
        patterns = PATTERNS.get(self.fmt)
        return patterns(name) if patterns else None

    def _xapi_type(self, name: str) -> str | None:
        """The verb with the object's type first (`edited@forum-reply`), then the verb alone; each as the
        whole IRI first, then its last segment."""
        verb, _, segment = name.partition(TYPE_MARK)
        verbs = (verb, _last_segment(verb))
        tried = [f"{one}{KEY_MARK}{segment}" for one in verbs] if segment else []
        return next((self.names[key] for key in [*tried, *verbs] if key in self.names), None)

    def shown(self, name: str) -> str:
        """An event name as a reason shows it (an xAPI verb without its object's type)."""
        return name.partition(TYPE_MARK)[0] if self.fmt in PAIRED else name


def _last_segment(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def for_format(fmt: str, setting: Mapping[str, Any] | str | None = None) -> EventMap:
    """The map a parser of `fmt` uses: the defaults extended by `setting` (None: the environment's)."""
    if fmt not in DEFAULTS:
        raise EventMapError(f"no event map for the format {fmt!r} (one of {', '.join(FORMATS)})")
    parsed = parse_setting(os.environ.get(SETTING) if setting is None else setting)
    names = {**DEFAULTS[fmt], **parsed["*"], **parsed[fmt]}
    return EventMap(fmt, names)


def parse_setting(raw: Mapping[str, Any] | str | None) -> dict[str, dict[str, str]]:
    """The setting's entries by format ("*": every format); EventMapError when it is not usable."""
    entries: dict[str, dict[str, str]] = {"*": {}, **{fmt: {} for fmt in FORMATS}}
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return entries
    value = _loads(raw) if isinstance(raw, str) else raw
    if not isinstance(value, Mapping):
        raise EventMapError(f"{SETTING} must be a JSON object of event names to types, not {_kind(value)}")
    for name, kind in value.items():
        if name in FORMATS and isinstance(kind, Mapping):
            entries[name].update(_entries(kind, f"{SETTING}[{name!r}]"))
        else:
            entries["*"].update(_entries({name: kind}, SETTING))
    return entries


def _loads(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise EventMapError(f"{SETTING} is not valid JSON: {error.msg} at character {error.pos}") from None


def _entries(pairs: Mapping[str, Any], where: str) -> dict[str, str]:
    checked = {}
    for name, kind in pairs.items():
        if not isinstance(name, str) or not name.strip():
            raise EventMapError(f"{where}: an event name must be a non-empty string, not {name!r}")
        if kind not in EVENT_TYPES and kind != NOT_ACTIVITY:
            raise EventMapError(
                f"{where}: {name!r} maps to {kind!r}, which is not an event type "
                f"(one of {', '.join(EVENT_TYPES)}, or {NOT_ACTIVITY!r} for what is not learner activity)"
            )
        checked[normal(name)] = kind
    return checked


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number"}.get(type(value), "that")
