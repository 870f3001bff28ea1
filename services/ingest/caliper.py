"""IMS Caliper 1.1 and 1.2 events (Canvas Live Events in their Caliper form, Open edX's
event-routing-backends, D2L): envelopes or bare events, as files (see caliper_records) or pushed.

Learner: `actor.id` (an actor may also be a bare IRI; Canvas's `entity_id` extension when the actor has no
id). An event whose actor is not a person (a SoftwareApplication: what Canvas does on its own), whose
membership names roles and none of them a learner's (an Instructor grading, a TeachingAssistant), or
that Canvas records while another user acts as the learner (`real_user_id`, masquerading) is not learner
activity. Course: the first CourseOffering found from `group` up its `subOrganizationOf` chain, else
the first CourseSection there, else an untyped group; then the same in `membership.organization`; then
the object's `isPartOf` chain; then Open edX's `object.extensions.course_id`, or an Open edX course key
(`course-v1:...`, `block-v1:...`) in `object.id`; else None (the import's --course applies). Time:
`eventTime`, else the envelope's `sendTime`. Type: the action table (caliper_actions) from the event's
`type.action` and the object's type. Source: unknown. Key: from the event's `id` when present.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from services.ingest.batches import Batch, chunks
from services.ingest.batches import text as _text
from services.ingest.caliper_records import Item, data_lines, events, file_records, unwrap
from services.ingest.event_map import TYPE_MARK, for_format
from services.ingest.event_rows import EventRows
from services.ingest.parsed import Chunk, Rejection

LEARNER_FIELDS = "actor.id"
FIELDS = ("learner", "course", "time", "name", "source", "object", "id")
PERSON_TYPES = ("", "person", "agent")  # actor types that are a learner ("": not given)
LEARNER = ["Learner"]  # the roles of most memberships
COURSE_TYPE, SECTION_TYPE = "courseoffering", "coursesection"
CHAIN_MAX = 8  # organisations followed up a subOrganizationOf / isPartOf chain
CANVAS = "com.instructure.canvas"  # Canvas's extension namespace
EDX_KEY = re.compile(r"(?:course|block)-v1:([^+/:\s]+)\+([^+/:\s]+)\+([^+/?#&:\s]+)")
ARRAY_LABEL = "event {line}: "


def rows(event_map: Mapping[str, Any] | str | None = None, *, label: str = "") -> EventRows:
    """The Caliper way of checking events."""
    return EventRows(for_format("caliper", event_map), LEARNER_FIELDS, {"": None}, label=label)


def read(path: str | Path, *, chunk_rows: int = 200_000,
         event_map: Mapping[str, Any] | str | None = None) -> Iterator[Chunk]:
    """The file's events, chunk by chunk (a rejection's line: the line of JSON lines, else the event's
    position, its reason then starting "event N: ")."""
    found, by_line = file_records(path)
    label = "" if by_line else ARRAY_LABEL
    yield from chunks(events(found, by_line=by_line), _adder(label), _batch, rows(event_map, label=label),
                      chunk_rows)


def read_lines(data: bytes, *, at_start: bool, chunk_rows: int,
               event_map: Mapping[str, Any] | str | None = None) -> tuple[list[Chunk], int]:
    """The chunks of some whole lines of a JSON-lines file (numbered from 1, as `read` numbers them from
    the range's first line), and how many lines they are; `at_start`: they begin the file."""
    found = events(data_lines(data, at_start=at_start), by_line=True)
    return list(chunks(found, _adder(""), _batch, rows(event_map), chunk_rows)), data.count(b"\n")


def request_chunk(body: Any, *, event_map: Mapping[str, Any] | str | None = None) -> Chunk:
    """The events of one request (an envelope, a list of envelopes, an event or a list of events); a
    rejection's `line` is the event's index among all the request's events (0 = first)."""
    items = [(index, value, sent, None) for index, (value, sent) in enumerate(unwrap(body))]
    return next(chunks(items, _adder(""), _batch, rows(event_map), max(len(items), 1)))


def _adder(label: str) -> Callable[[Batch, Item], None]:
    """How one event joins a batch: its fields kept, or refused (a reason prefixed by `label`)."""
    def add(batch: Batch, item: Item) -> None:
        batch.read += 1
        number, value, sent, error = item
        fields = error or fields_of(value, sent)
        if type(fields) is str:
            prefix = "" if error else label.format(line=number)
            batch.rejected.append(Rejection(number, prefix + fields))
            return
        batch.lines.append(number)
        batch.rows.append(fields)
    return add


def _batch() -> Batch:
    return Batch(FIELDS)


def fields_of(event: Any, sent: str = "") -> tuple[str, ...] | str:
    """(learner, course, time, type.action[ object type], source, object id, event id) as text, or why
    there are none."""
    if type(event) is not dict:
        return "not a JSON object (a Caliper event)"
    get = event.get
    kind, action = term(get("type")), term(get("action"))
    if not kind:
        return "event without type"
    if not action:
        return f"an entity, not an event: {kind} without action"
    actor = get("actor")
    refusal = _not_a_learner(actor, get("membership"))
    if refusal:
        return f"not learner activity: {refusal}"
    thing = get("object")
    object_type = term(thing.get("type")) if type(thing) is dict else ""
    name = f"{kind}.{action}{TYPE_MARK}{object_type}" if object_type else f"{kind}.{action}"
    time = get("eventTime")
    time = time if type(time) is str and time else sent
    event_id = get("id")
    return (_learner(actor), course_of(event), time, name, "", _id(thing),
            event_id if type(event_id) is str else _text(event_id))


_TERMS: dict[str, str] = {}  # a term of each string seen (types and actions are few)
TERMS_MAX = 10_000


def term(value: Any) -> str:
    """A Caliper term as written in 1.1 and 1.2 (`NavigatedTo`), also from a 1.0 IRI
    (`http://purl.imsglobal.org/vocab/caliper/v1/action#NavigatedTo`)."""
    if type(value) is not str:
        return ""
    found = _TERMS.get(value)
    if found is None:
        text = value.strip()
        found = text.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1] if text else ""
        if len(_TERMS) < TERMS_MAX:
            _TERMS[value] = found
    return found


def _learner(actor: Any) -> str:
    if type(actor) is not dict:
        return actor if type(actor) is str else ""
    found = actor.get("id")
    return found if type(found) is str and found else _text(_get(actor, "extensions", CANVAS, "entity_id"))


def _not_a_learner(actor: Any, membership: Any) -> str:
    """Why the actor is not a learner doing this ("" when it is)."""
    if type(actor) is dict:
        kind = actor.get("type")
        if kind is not None and kind != "Person" and term(kind).lower() not in PERSON_TYPES:
            return f"the actor is a {term(kind) or repr(kind)}, not a Person"
        canvas = _get(actor, "extensions", CANVAS) if "extensions" in actor else None
        real = _text(_get(canvas, "real_user_id"))
        if real and real != _text(_get(canvas, "entity_id")):
            return "another user acting as the learner (Canvas masquerade)"
    roles = membership.get("roles") if type(membership) is dict else None
    if roles == LEARNER or not roles or type(roles) is not list:
        return ""
    roles = [role for role in roles if type(role) is str]
    if roles and not any("learner" in role.lower() for role in roles):
        return f"the actor's role is {', '.join(term(role) for role in roles)}"
    return ""


def course_of(event: dict) -> str:
    """The event's course id, as the module docstring says it is found ("" when none)."""
    group = event.get("group")
    if type(group) is dict and group.get("type") == "CourseOffering" and type(group.get("id")) is str:
        return group["id"]  # the common case, made short
    membership = event.get("membership")
    for organisation in (group, membership.get("organization") if type(membership) is dict else None):
        if organisation is None:
            continue
        found = _course_in(organisation, untyped=True)
        if found:
            return found
    thing = event.get("object")
    if type(thing) is dict:
        found = _course_in(thing.get("isPartOf"), untyped=False)
        if found:
            return found
        extension = _text(_get(thing, "extensions", "course_id"))
        if extension:
            return extension
    key = EDX_KEY.search(_id(thing))
    return f"course-v1:{key.group(1)}+{key.group(2)}+{key.group(3)}" if key else ""


def _course_in(start: Any, *, untyped: bool) -> str:
    """The first CourseOffering id up the chain from `start`, else the first CourseSection's, else (when
    `untyped`) `start` itself if it has no type (a bare IRI, or an object with only an id)."""
    sections, node = [], start
    for _ in range(CHAIN_MAX):
        if type(node) is not dict:
            break
        kind = term(node.get("type")).lower()
        if kind == COURSE_TYPE and _id(node):
            return _id(node)
        if kind == SECTION_TYPE and _id(node):
            sections.append(_id(node))
        node = node.get("subOrganizationOf") or node.get("isPartOf")
    if sections:
        return sections[0]
    return _id(start) if untyped and not term(_get(start, "type")) else ""


def _id(entity: Any) -> str:
    """An entity's id: the entity itself when it is written as its IRI."""
    if type(entity) is str:
        return entity
    found = entity.get("id") if type(entity) is dict else None
    return found if type(found) is str else _text(found)


def _get(value: Any, *path: str) -> Any:
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value
