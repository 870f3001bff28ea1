"""Writing keyed rows as per-day counts: daily rows replace a day's counts; events are deduplicated by
their keys against those already counted and each touched day's counts recomputed from its keys.

Events design: one DayEvents row per enrollment and day holds the day's event keys as a sorted uint64
blob with one code byte per key (type and source). A chunk reads only the days it touches, merges with
numpy (one lexsort for the whole chunk, no loop per event) and writes those days back with their
counts: 9 bytes per event, where a row per event with a unique index would cost several times that
and an insert-or-ignore per event.

A day is described by one kind of source at a time: a daily row replaces the day's counts (its event
keys stay), and events arriving later for that day recompute its counts from the keys alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from db import bulk
from db.connection import lock_for_transaction
from db.courses import EVENT_TYPES, SOURCES, ActivityDay
from db.ingest import DayEvents

SOURCE_CODES = {"server": 1, "browser": 2}  # 0: source unknown
TYPE_NUMBERS = {name: i for i, name in enumerate(EVENT_TYPES)}
CODES_PER_TYPE = 3
LOOKUP_BATCH = 5_000
EVENT_KEYS_LOCK = 1  # advisory-lock namespace: one writer of a course's event keys at a time


def nullable(values: pd.Series) -> np.ndarray:
    """A nullable integer column as int64, or as objects with None where missing."""
    missing = values.isna().to_numpy()
    if not missing.any():
        return values.to_numpy(dtype=np.int64)
    out = np.full(len(values), None, dtype=object)
    out[~missing] = values[~missing].to_numpy(dtype=np.int64)
    return out


def store_daily(keyed: pd.DataFrame) -> int:
    """Replace the counts of each (enrollment, day) in `keyed` (the file's last row for a repeated day);
    returns the rows new, changed or removed. A day without events is kept as no row at all (most days
    of most learners: a row each would multiply the store and every read of it), so a day that the file
    says was empty removes a row stored before."""
    keyed = keyed.drop_duplicates(["enrollment_id", "day"], keep="last")
    empty = (keyed[list(EVENT_TYPES)] == 0).all(axis=1).to_numpy()
    key = {
        "course": keyed["course_id"].to_numpy(dtype=np.int64),
        "enrollment": keyed["enrollment_id"].to_numpy(dtype=np.int64),
        "day": keyed["day"].to_numpy(dtype=np.int64),
    }
    removed = bulk.delete_keys(ActivityDay, {name: values[empty] for name, values in key.items()})
    active = keyed[~empty]
    columns = {name: values[~empty] for name, values in key.items()}
    for event_type in EVENT_TYPES:
        columns[event_type] = active[event_type].to_numpy(dtype=np.int64)
    for source in SOURCES:
        columns[source] = nullable(active[source])
    return removed + bulk.upsert(ActivityDay, columns)


def add_event_codes(frame: pd.DataFrame) -> None:
    """Give parsed events their `code` column (type * 3 + source), the byte kept with each event key:
    done before the chunk is stored, on the reading thread."""
    types = _lookup(frame["type"], TYPE_NUMBERS)
    frame["code"] = (types * CODES_PER_TYPE + _lookup(frame["source"], SOURCE_CODES)).astype(np.uint8)


def store_events(keyed: pd.DataFrame) -> int:
    """Count the events of `keyed` (with their `code`, see add_event_codes) not counted before; returns
    how many were new."""
    if keyed.empty:
        return 0
    pairs = keyed["enrollment_id"].to_numpy(dtype=np.int64) << 16 | keyed["day"].to_numpy(dtype=np.int64)
    codes = keyed["code"].to_numpy(dtype=np.uint8)
    keys = keyed["key"].to_numpy(dtype=np.uint64)
    day_pairs, first = np.unique(pairs, return_index=True)
    pair_courses = keyed["course_id"].to_numpy(dtype=np.int64)[first]
    courses = np.unique(pair_courses)
    # Read, merge and write the stored keys as one step: two writers of the same days would each merge
    # with what the other has not written yet and one's events would be lost.
    lock_for_transaction(EVENT_KEYS_LOCK, courses.tolist())
    old_pairs, old_keys, old_codes = _stored(pair_courses, day_pairs)
    merged = _merge(old_pairs, old_keys, old_codes, pairs, keys, codes)
    if merged is None:
        return 0
    new_count, written_pairs, day_keys, day_codes, starts = merged
    # Every day written is a day of this chunk: its course is that of the chunk's rows.
    written_courses = pair_courses[np.searchsorted(day_pairs, written_pairs)]
    _write_days(written_courses, written_pairs, day_keys, day_codes, starts)
    return new_count


def _lookup(values: pd.Series, table: dict) -> np.ndarray:
    """Each value's number in `table` (0 when absent or None), looked up once per distinct value."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    found = np.array([table.get(value, 0) for value in uniques] + [0], dtype=np.int64)
    return found[codes]


def _stored(pair_courses: np.ndarray, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The keys already stored for these sorted (enrollment << 16 | day) pairs (of these courses), one
    element per key. Asked course by course: the stored rows are found by (course, enrollment, day)."""
    days = pairs & 0xFFFF
    first_day, last_day = int(days.min()), int(days.max())
    rows = []
    for course in np.unique(pair_courses).tolist():
        enrollments = np.unique(pairs[pair_courses == course] >> 16).tolist()
        for start in range(0, len(enrollments), LOOKUP_BATCH):
            rows += DayEvents.stored(course, enrollments[start : start + LOOKUP_BATCH], first_day, last_day)
    if not rows:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.astype(np.uint64), empty.astype(np.uint8)
    enrollment, day, key_blobs, code_blobs = zip(*rows, strict=True)
    sizes = np.fromiter((len(blob) for blob in code_blobs), dtype=np.int64, count=len(rows))
    row_pairs = np.asarray(enrollment, dtype=np.int64) << 16 | np.asarray(day, dtype=np.int64)
    stored_pairs = np.repeat(row_pairs, sizes)
    stored_keys = np.frombuffer(b"".join(key_blobs), dtype="<u8").astype(np.uint64)
    stored_codes = np.frombuffer(b"".join(code_blobs), dtype=np.uint8)
    wanted = np.isin(stored_pairs, pairs)  # the day range may hold days this chunk does not touch
    return stored_pairs[wanted], stored_keys[wanted], stored_codes[wanted]


def _merge(old_pairs, old_keys, old_codes, pairs, keys, codes):
    """Stored and incoming keys merged per day (a key seen before keeps its first code): the number
    of new events and, for the days that gained any, their sorted keys, codes and group starts."""
    all_pairs = np.concatenate([old_pairs, pairs])
    all_keys = np.concatenate([old_keys, keys])
    all_codes = np.concatenate([old_codes, codes])
    incoming = np.concatenate([np.zeros(len(old_pairs), dtype=bool), np.ones(len(pairs), dtype=bool)])
    # By day, key, stored before incoming (lexsort is stable: with nothing stored, day and key suffice).
    order = np.lexsort((incoming, all_keys, all_pairs) if len(old_pairs) else (all_keys, all_pairs))
    all_pairs, all_keys, all_codes, incoming = (
        all_pairs[order],
        all_keys[order],
        all_codes[order],
        incoming[order],
    )
    new_day = np.ones(len(all_pairs), dtype=bool)
    new_day[1:] = all_pairs[1:] != all_pairs[:-1]
    repeat = ~new_day
    repeat[1:] &= all_keys[1:] == all_keys[:-1]
    fresh = incoming & ~repeat
    if not fresh.any():
        return None
    day_of = np.cumsum(new_day) - 1
    gained = np.zeros(int(day_of[-1]) + 1, dtype=bool)
    gained[day_of[fresh]] = True
    keep = ~repeat & gained[day_of]  # only days that gained an event are rewritten
    all_pairs, all_keys, all_codes = all_pairs[keep], all_keys[keep], all_codes[keep]
    starts = np.flatnonzero(new_day[keep])
    return int(fresh.sum()), all_pairs[starts], all_keys, all_codes, starts


def _write_days(courses: np.ndarray, day_pairs, keys, codes, starts) -> None:
    """Write each day's keys and the counts recomputed from them."""
    groups = len(day_pairs)
    group_of = np.repeat(np.arange(groups), np.diff(np.append(starts, len(keys))))
    width = len(EVENT_TYPES) * CODES_PER_TYPE
    tally = np.bincount(group_of * width + codes, minlength=groups * width).reshape(
        groups, len(EVENT_TYPES), CODES_PER_TYPE
    )
    enrollments = day_pairs >> 16
    bounds = np.append(starts, len(keys)).tolist()  # Python ints: slicing with numpy scalars is slower
    key_bytes = keys.astype("<u8").tobytes()
    code_bytes = codes.tobytes()
    bulk.upsert(
        DayEvents,
        {
            "course": courses,
            "enrollment": enrollments,
            "day": day_pairs & 0xFFFF,
            "keys": [key_bytes[s * 8 : e * 8] for s, e in zip(bounds, bounds[1:], strict=False)],
            "codes": [code_bytes[s:e] for s, e in zip(bounds, bounds[1:], strict=False)],
        },
        changed_only=False,
    )
    columns = {"course": courses, "enrollment": enrollments, "day": day_pairs & 0xFFFF}
    per_type = tally.sum(axis=2)
    for i, event_type in enumerate(EVENT_TYPES):
        columns[event_type] = per_type[:, i]
    known = tally[:, :, 1:].sum(axis=(1, 2)) > 0
    for source, code in SOURCE_CODES.items():
        by_source = tally[:, :, code].sum(axis=1)
        columns[source] = np.where(known, by_source, None) if not known.all() else by_source
    bulk.upsert(ActivityDay, columns)
