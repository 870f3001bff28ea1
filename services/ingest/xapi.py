"""xAPI statements: a JSON array or JSON lines.

Learner: `actor.account.name`, else `actor.mbox`, `actor.mbox_sha1sum`, `actor.openid`. Course, as
platforms write it (xAPI 1.0.3 and 2.0): the first activity of `context.contextActivities` parent,
grouping, other, category (in that order) whose `definition.type` is a course type (any type IRI whose
last path segment is `course`: tincan's `.../activitytype/lms/course`, ADL's `.../activities/course`,
cmi5's `.../activitytype/course`), else the statement's object when its type is a course (a course
viewed, completed; the context wins because Moodle types some modules inside a course, such as a content
package, as cmi5 courses), else the first parent or grouping activity without a `definition.type` (a
typed activity that is not a course, such as Moodle's section, module or forum, is a part of a course,
never one), else None (the import's --course applies). Time: `timestamp`, else `stored`, converted to
UTC (no offset: taken as UTC). Type: the event map's, from the verb and the last segment of the object's
`definition.type` (see event_map). Source: unknown (None). Key: from the statement's `id` when present.
Contact: an actor's `mbox` (mailto:) with a valid address, and its `name`, become the contact of the
learner's enrollment when it has none yet (services/tutoring/contacts.py).
A rejection's `line` is the line number for JSON lines and the statement's position (1 = first) for an
array, its reason then starting "statement N: ".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import services.ingest.statement_ids as statement_ids
from db.text import UNSTORABLE_TEXT, storable
from services.ingest.batches import Batch, chunks
from services.ingest.batches import text as _text
from services.ingest.event_map import TYPE_MARK, for_format
from services.ingest.event_rows import EventRows
from services.ingest.json_records import Record, line_records, records, shape
from services.ingest.parsed import Chunk, Rejection
from services.ingest.textfile import head
from services.tutoring.contacts import EMAIL, EMAIL_MAX, NAME_MAX

LEARNER_FIELDS = "actor.account.name, actor.mbox, actor.mbox_sha1sum or actor.openid"
COURSE_TYPE = "course"  # the last path segment of every course activity type
COURSE_LISTS = ("parent", "grouping", "other", "category")  # where a course may sit, searched in order
UNTYPED_LISTS = ("parent", "grouping")  # where an activity without a type is taken as the course
FIELDS = ("learner", "course", "time", "name", "source", "object", "id")
# Kept beside the events: (line, statement id, digest) of statements with an id, (line, email, name) of
# actors with a usable mbox.
EXTRAS = {"statements": statement_ids.COLUMNS, "mailboxes": ("line", "email", "name")}


def rows(event_map: Mapping[str, Any] | str | None = None, *, label: str = "") -> EventRows:
    """The xAPI way of checking statements."""
    return EventRows(for_format("xapi", event_map), LEARNER_FIELDS, {"": None}, label=label)


def read(path: str | Path, *, chunk_rows: int = 200_000,
         event_map: Mapping[str, Any] | str | None = None) -> Iterator[Chunk]:
    """The file's statements as events, chunk by chunk."""
    label = "statement {line}: " if shape(head(path, 4096)) == "array" else ""
    yield from chunks(records(path), _adder(label, {}), _batch, rows(event_map, label=label), chunk_rows)


def read_lines(data: bytes, *, at_start: bool, chunk_rows: int,
               event_map: Mapping[str, Any] | str | None = None) -> tuple[list[Chunk], int]:
    """The chunks of some whole lines of a JSON-lines file (numbered from 1, as `read` numbers them from
    the range's first line), and how many lines they are; `at_start`: they begin the file."""
    text = data.decode("utf-8-sig" if at_start else "utf-8", errors="replace")
    pieces = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # as the text file reads them
    found = (record for number, piece in enumerate(pieces, 1) for record in line_records(number, piece))
    return list(chunks(found, _adder("", {}), _batch, rows(event_map), chunk_rows)), len(pieces) - 1


def statements_chunk(statements: list[Any], *, event_map: Mapping[str, Any] | str | None = None,
                     digests: Mapping[int, str] | None = None) -> Chunk:
    """The events of statements sent in one request; a rejection's `line` is the index in the list.
    `digests`: statement_ids.digest of statements already computed by the caller, by index."""
    found = (Record(i, value) for i, value in enumerate(statements))
    return next(chunks(found, _adder("", digests or {}), _batch, rows(event_map), max(len(statements), 1)))


def _adder(label: str, digests: Mapping[int, str]) -> Callable[[Batch, Record], None]:
    """How one record joins a batch: its fields kept (with its statement id and mailbox), or refused."""
    def add(batch: Batch, record: Record) -> None:
        batch.read += 1
        if record.error:
            batch.rejected.append(Rejection(record.number, record.error))
            return
        fields = fields_of(record.value)
        if isinstance(fields, str):
            batch.rejected.append(Rejection(record.number, label.format(line=record.number) + fields))
            return
        if fields[-1]:
            found = statement_ids.normal(fields[-1])
            digest = digests.get(record.number) or statement_ids.digest(record.value)
            batch.extras["statements"].append((record.number, found, digest))
        mailbox = mailbox_of(record.value)
        if mailbox:
            batch.extras["mailboxes"].append((record.number, *mailbox))
        batch.lines.append(record.number)
        batch.rows.append(fields)
    return add


def _batch() -> Batch:
    return Batch(FIELDS, EXTRAS)


def mailbox_of(statement: dict) -> tuple[str, str] | None:
    """(email, name) of the actor's `mbox` (mailto:) when it is a usable address, else None."""
    actor = statement.get("actor")
    if not isinstance(actor, dict):
        return None
    mbox = _text(actor.get("mbox")).strip()
    if not mbox.lower().startswith("mailto:"):
        return None
    email = mbox[len("mailto:"):]
    if len(email) > EMAIL_MAX or not EMAIL.match(email):
        return None
    name = _text(actor.get("name")).strip()
    return email, name if len(name) <= NAME_MAX and storable(name) else ""


def fields_of(statement: Any) -> tuple[str, ...] | str:
    """(learner, course, time, verb id, source, object id, statement id) as text, or why there are none."""
    if not isinstance(statement, dict):
        return "not a JSON object (an xAPI statement)"
    verb = statement.get("verb")
    verb = _text(verb.get("id")) if isinstance(verb, dict) else ""
    if not verb:
        return "statement without verb (verb.id)"
    statement_id = _text(statement.get("id"))
    if statement_id and not storable(statement_id):
        return f"statement id holds {UNSTORABLE_TEXT}, which cannot be stored"
    if len(statement_id) > statement_ids.ID_MAX and len(statement_id.strip()) > statement_ids.ID_MAX:
        return f"statement id too long: over {statement_ids.ID_MAX} characters (an xAPI id is a UUID)"
    time = _text(statement.get("timestamp")) or _text(statement.get("stored"))
    thing = statement.get("object")
    segment = type_segment(thing)
    name = verb + TYPE_MARK + segment if segment else verb
    return (_learner(statement.get("actor")), course_of(statement), time, name, "",
            _text(thing.get("id")) if isinstance(thing, dict) else "", statement_id)


def _learner(actor: Any) -> str:
    """The first the actor has of LEARNER_FIELDS, in that order ("" when none)."""
    if not isinstance(actor, dict):
        return ""
    account = actor.get("account")
    return ((_text(account.get("name")) if isinstance(account, dict) else "") or _text(actor.get("mbox"))
            or _text(actor.get("mbox_sha1sum")) or _text(actor.get("openid")))


def course_of(statement: dict) -> str:
    """The statement's course id, as the module docstring says it is found ("" when none)."""
    context = statement.get("context")
    activities = context.get("contextActivities") if isinstance(context, dict) else None
    lists = ([_activities(activities.get(name)) for name in COURSE_LISTS] if isinstance(activities, dict)
             else [()] * len(COURSE_LISTS))
    for items in lists:
        for activity in items:
            if _segment(_type_of(activity)) == COURSE_TYPE and _text(activity.get("id")):
                return _text(activity.get("id"))
    thing = statement.get("object")
    if type_segment(thing) == COURSE_TYPE and _text(thing.get("id")):
        return _text(thing.get("id"))
    for items in lists[:len(UNTYPED_LISTS)]:
        for activity in items:
            if not _type_of(activity) and _text(activity.get("id")):
                return _text(activity.get("id"))
    return ""


def type_segment(activity: Any) -> str:
    """The last path segment of an activity's `definition.type`, lower case ("" when it has none)."""
    return _segment(_type_of(activity))


def _type_of(activity: Any) -> str:
    """An activity's `definition.type` as text ("" when it has none)."""
    if not isinstance(activity, dict):
        return ""
    definition = activity.get("definition")
    return _text(definition.get("type")) if isinstance(definition, dict) else ""


@lru_cache(maxsize=4096)  # a file names few activity types, each over and over
def _segment(kind: str) -> str:
    kind = kind.strip().lower()
    return kind.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1] if kind else ""


def _activities(value: Any) -> list[dict] | tuple:
    """A context activities list (xAPI 1.0 also allows a single activity object)."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]
