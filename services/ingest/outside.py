"""Activity outside its course's window: kept aside as it arrives (an import or push reports how many
rows), and counted when a change of the window comes to cover it; what stays outside stays aside.
Nothing acknowledged is dropped."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

import services.ingest.counts as counts
from db import bulk, outside
from db.courses import EVENT_TYPES, Course, Enrollment

EPOCH = date(1970, 1, 1)
# The columns that make two kept rows one (the tables' primary keys): an event is its key, a daily row
# its learner's date.
SAME_ROW = {"events": ["course_id", "learner", "date", "key"], "daily": ["course_id", "learner", "date"]}


def keep(kind: str, rows: pd.DataFrame) -> int:
    """Keep aside `rows` of a chunk (its frame's columns with `course_id` and `date`, days since 1970):
    an event seen before stays once, a daily row replaces the one kept for its learner and date; returns
    how many rows were kept (call inside the chunk's transaction)."""
    if rows.empty:
        return 0
    unique = rows.drop_duplicates(SAME_ROW[kind], keep="last")
    columns = {
        "course": unique["course_id"].to_numpy(dtype=np.int64),
        "learner_ref": unique["learner"].astype(str).to_numpy(dtype=object),
        "date": unique["date"].to_numpy(dtype=np.int64),
    }
    for name, values in _stored_values(kind, unique).items():
        columns[name] = values
    bulk.upsert(outside.KEPT[kind][0], columns)
    return len(rows)


def _stored_values(kind: str, rows: pd.DataFrame) -> dict[str, np.ndarray]:
    """The kept columns as the tables store them (an event key as its signed twin, counts as integers,
    an unknown source as None)."""
    if kind == "events":
        return {"key": rows["key"].to_numpy(dtype=np.uint64).view(np.int64),
                "code": rows["code"].to_numpy(dtype=np.int64)}
    values = {name: rows[name].to_numpy(dtype=np.int64) for name in EVENT_TYPES}
    for source in ("server", "browser"):
        values[source] = counts.nullable(rows[source])
    return values


def count_of(course: Course) -> int:
    """How many rows of the course are kept aside outside its window."""
    return outside.count_of(course.id)


def bring_in(course: Course) -> int:
    """Count the rows kept aside that the course's window now covers (daily rows first, then events,
    which recompute their days' counts from the keys) and forget them; returns how many (call inside
    the transaction that changed the window)."""
    first = (course.start_date - EPOCH).days
    last = first + course.length_days - 1
    brought = 0
    for kind, store in (("daily", counts.store_daily), ("events", counts.store_events)):
        rows = outside.within(kind, course.id, first, last)
        if rows:
            store(_keyed(kind, course, rows, first))
            brought += outside.remove_within(kind, course.id, first, last)
    return brought


def _keyed(kind: str, course: Course, rows: list[tuple], first: int) -> pd.DataFrame:
    """Kept rows as the store's keyed rows (enrollments made for learners seen first here)."""
    names = outside.KEPT[kind][1]
    frame = pd.DataFrame(rows, columns=["learner", "date", *names])
    refs = sorted(set(frame["learner"]))
    ids = Enrollment.ids_for(course.id, refs)
    frame["course_id"] = course.id
    frame["enrollment_id"] = frame["learner"].map(ids).astype(np.int64)
    frame["day"] = frame["date"].astype(np.int64) - first
    if kind == "events":
        frame["key"] = frame["key"].to_numpy(dtype=np.int64).view(np.uint64)
        frame["code"] = frame["code"].to_numpy(dtype=np.uint8)
    else:
        for source in ("server", "browser"):
            frame[source] = frame[source].astype("Int64")
    return frame
