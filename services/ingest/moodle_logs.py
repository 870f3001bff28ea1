"""Moodle's Logs report download (Report > Logs > Download, as CSV or Excel): one row per logged event.

Columns (Moodle's English names): Time, User full name, Affected user, Event context, Component, Event
name, Description, Origin, IP address. Moodle writes each Description in English whatever the site's
language ("The user with id '12' viewed the course with id '3'."), so ids are read from it:

- Learner: the user id of the Description when it has one, else the id the same full name has
  elsewhere in the file, else the full name itself (two people of the same name are then one learner).
- Course: the import's course code when given (the file must then hold one course), else
  `moodle-course-<id>` from the Descriptions' course id ("the course with id '3'"); a file of several
  courses puts each row that names its course there and rejects the others.
- Time: local, read with the import's day/month order and time zone (moodle_times).
- Type: the Moodle event table (moodle_events; the setting ACTIVITY_EVENT_MAP's "moodle" entries extend
  it). A user who caused a staff-only event anywhere in the file is course staff: all their rows are
  "not learner activity"; so are rows of the system (user id 0 or less, origin cli or restore).

The file is read twice: a survey (course ids, names' ids, staff) and then the events, chunk by chunk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import services.ingest.moodle_sheet as moodle_sheet
from services.ingest.batches import Batch, chunks
from services.ingest.event_map import EventMap, for_format, normal
from services.ingest.event_rows import EventRows
from services.ingest.moodle_events import NOT_ACTIVITY, OTHER_USER_STAFF, PATTERNS, STAFF_EVENTS
from services.ingest.moodle_times import LocalTime, local_time, to_utc
from services.ingest.parsed import Chunk, Rejection
from services.ingest.textfile import FormatError

COURSE_CODE = "moodle-course-{id}"
# Rows are gathered as Python strings before they become columns: smaller chunks than other formats'.
CHUNK_ROWS = 50_000
FIELDS = ("learner", "course", "time", "name", "object")
LEARNER_FIELD = "a user id in the Description, or User full name"
STAFF, SYSTEM = " by course staff", " by the system"
SYSTEM_ORIGINS = frozenset({"cli", "restore"})
NO_COURSE = ("no course: the file holds several courses' logs and this row names none (download one "
             "course's logs, or import it with its course code)")
_USER = re.compile(r"^\s*The user with id '(-?\d+)'")
_COURSE = re.compile(r"\bcourse with id '(\d+)'")


@dataclass(frozen=True)
class MoodleMap:
    """The event map with Moodle's marks: staff's and the system's rows are not learner activity, and
    names the table lacks are typed by a word they contain (PATTERNS)."""

    names: EventMap
    fmt: str = "moodle"

    def type_of(self, name: str) -> str | None:
        """The event type of a (normalised) event name, NOT_ACTIVITY, or None when unknown."""
        if name.endswith(STAFF) or name.endswith(SYSTEM):
            return NOT_ACTIVITY
        known = self.names.type_of(name)
        if known is not None:
            return known
        return next((kind for word, kind in PATTERNS if word in name), None)

    def shown(self, name: str) -> str:
        """The name as a reason quotes it."""
        return name


def rows(event_map: Mapping[str, Any] | str | None = None) -> EventRows:
    """The Moodle way of checking events."""
    return EventRows(MoodleMap(for_format("moodle", event_map)), LEARNER_FIELD, {"": None})  # type: ignore[arg-type]


@dataclass
class Survey:
    """What the whole file says about its rows: course ids, each full name's user ids, course staff."""

    courses: set[str] = field(default_factory=set)
    ids_of_name: dict[str, set[str]] = field(default_factory=dict)
    staff_ids: set[str] = field(default_factory=set)
    staff_names: set[str] = field(default_factory=set)

    def note(self, cells: dict[str, str]) -> None:
        """Take in one row."""
        description, name = cells.get("description", ""), cells["user"].strip()
        user = _USER.match(description)
        course = _COURSE.search(description)
        if course:
            self.courses.add(course.group(1))
        if user and name:
            self.ids_of_name.setdefault(name, set()).add(user.group(1))
        event = normal(cells["name"])
        affected = cells.get("affected", "").strip()
        other = event in OTHER_USER_STAFF and affected not in ("", "-", name)
        if event in STAFF_EVENTS or other:
            if user:
                self.staff_ids.add(user.group(1))
            else:
                self.staff_names.add(name)

    def learner(self, name: str, user: str | None) -> str:
        """The learner of a row: its user id, the one id its full name has in the file, or the name."""
        if user is not None:
            return user
        ids = self.ids_of_name.get(name, set())
        return next(iter(ids)) if len(ids) == 1 else name


def read(path: str | Path, *, chunk_rows: int = 200_000, event_map: Mapping[str, Any] | str | None = None,
         course: str | None = None, date_order: str | None = None,
         time_zone: str | None = None) -> Iterator[Chunk]:
    """The file's events, chunk by chunk; a bad row is rejected with its line (its row in a sheet)."""
    local = local_time(date_order, time_zone)
    with moodle_sheet.as_csv(path) as text:
        survey = survey_of(text)
        code = course_code(survey, course)  # None with the import's course, or when rows name their own
        yield from _chunks(text, survey, code, course is None and code is None, rows(event_map), local,
                           min(chunk_rows, CHUNK_ROWS))


def _chunks(path: Path, survey: Survey, code: str | None, own: bool, builder: EventRows, local: LocalTime,
            chunk_rows: int) -> Iterator[Chunk]:
    source = moodle_sheet.rows(path)
    first = next(source)[1]
    add = _adder(moodle_sheet.header(first), len(first), survey, code, own)
    yield from chunks(source, add, lambda: _Batch(local), builder, chunk_rows)


def survey_of(path: str | Path) -> Survey:
    """The survey of the whole file (its first pass)."""
    source = moodle_sheet.rows(path)
    first = next(source, None)
    if first is None:
        raise FormatError("the file is empty: a Moodle Logs download starts with a header row")
    columns = moodle_sheet.header(first[1])
    survey = Survey()
    for _line, cells in source:
        fields = _fields(cells, columns)
        if fields is not None:
            survey.note(fields)
    return survey


def course_code(survey: Survey, course: str | None) -> str | None:
    """The file's one course code (None: the import's course applies, or each row names its own);
    FormatError when the file cannot be given one course."""
    ids = sorted(survey.courses, key=int)
    listed = ", ".join(ids[:10]) + (", ..." if len(ids) > 10 else "")
    if course and len(ids) > 1:
        raise FormatError(f"the file holds the logs of {len(ids)} courses (Moodle course ids {listed}): "
                          "import it without a course code (each course then gets its own), or download "
                          "one course's logs")
    if course:
        return None
    if not ids:
        raise FormatError("no Description names a course (\"...the course with id '3'\"): give the course "
                          "code at import")
    return COURSE_CODE.format(id=ids[0]) if len(ids) == 1 else None


def _fields(cells: list[str], columns: dict[str, int]) -> dict[str, str] | None:
    """A row's cells by field; None for an empty row (not an event)."""
    if not any(cell.strip() for cell in cells):
        return None
    return {name: cells[index] if index < len(cells) else "" for name, index in columns.items()}


def _adder(columns: dict[str, int], width: int, survey: Survey, code: str | None,
           own: bool) -> Callable[[Batch, tuple[int, list[str]]], None]:
    """How one row joins a batch (`own`: each row names its course; else `code`, None for the import's);
    an empty row is not an event, neither kept nor refused."""
    def add(batch: Batch, row: tuple[int, list[str]]) -> None:
        line, cells = row
        fields = _fields(cells, columns)
        if fields is None:
            return
        batch.read += 1
        if len(cells) != width:
            why = (f"wrong number of values: {len(cells)} where the header has {width} (a value with the "
                   "delimiter in it needs quotes)")
            batch.rejected.append(Rejection(line, why))
            return
        description = fields.get("description", "")
        user_match, course_match = _USER.match(description), _COURSE.search(description)
        if own and course_match is None:
            batch.rejected.append(Rejection(line, NO_COURSE))
            return
        name = fields["user"].strip()
        name = "" if name == "-" else name  # Moodle writes "-" for no user
        user = user_match.group(1) if user_match else None
        learner = survey.learner(name, user) if (user or name) else ""
        batch.lines.append(line)
        course = COURSE_CODE.format(id=course_match.group(1)) if own else code or ""
        event = fields["name"] + _mark(fields, user, learner, survey)
        batch.rows.append((learner, course, fields["time"], event, description))
    return add


class _Batch(Batch):
    """Rows gathered for one chunk, their local times turned to UTC (or refused) when it is built."""

    __slots__ = ("local",)

    def __init__(self, local: LocalTime) -> None:
        super().__init__(FIELDS)
        self.local = local

    def raw(self) -> dict[str, np.ndarray]:
        """The kept rows' fields by column, times in UTC; a time that cannot be read is refused."""
        raw = super().raw()
        iso, why = to_utc(raw["time"], self.local)
        bad = why != ""
        self.rejected += [Rejection(int(line), reason) for line, reason in zip(raw["line"][bad], why[bad],
                                                                                strict=True)]
        raw = {name: values[~bad] for name, values in raw.items()}
        raw["time"] = iso[~bad]
        raw["source"] = np.full(len(raw["line"]), "", dtype=object)
        return raw


def _mark(fields: dict[str, str], user: str | None, learner: str, survey: Survey) -> str:
    """The mark a row's event name gets when its user is course staff or the system ("" otherwise)."""
    if (user is not None and int(user) <= 0) or normal(fields.get("origin", "")) in SYSTEM_ORIGINS:
        return SYSTEM
    if learner in survey.staff_ids or (user is None and fields["user"].strip() in survey.staff_names):
        return STAFF
    return ""
