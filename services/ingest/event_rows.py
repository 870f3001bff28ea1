"""From raw event fields (strings, as a format found them) to an events Chunk: checks, types, keys.

Every event format (events CSV, xAPI, Open edX, the API's pushed events) extracts the same raw fields
and hands them here, so that checks, reasons and keys are the same whatever carried the event. The work
is vectorised: names and sources are looked up once per distinct value, times parsed by pandas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import services.ingest.keys as keys
from db.text import UNSTORABLE_TEXT, storable
from services.ingest.event_map import NOT_ACTIVITY, EventMap, normal
from services.ingest.parsed import EVENT_COLUMNS, Chunk, Rejection

# The raw fields, each an object array of strings ("" when absent); `line` is an int array.
RAW_FIELDS = ("line", "learner", "course", "time", "name", "source", "object")
# Times before or after these are typing errors, and would not fit datetime64[ns].
EARLIEST, LATEST = pd.Timestamp("1970-01-01"), pd.Timestamp("2200-01-01")
_BAD = "\0bad"
NAME_SHOWN = 200  # an event name (a verb IRI) is quoted whole up to this length


@dataclass
class EventRows:
    """One format's way of turning raw fields into events; keeps the occurrence count across chunks."""

    event_map: EventMap
    learner_field: str
    sources: Mapping[str, str | None]
    label: str = ""  # how a reason names its item, e.g. "statement {line}: "; "" for file lines
    occurrences: keys.Occurrences = field(default_factory=keys.Occurrences)

    def chunk(self, raw: Mapping[str, np.ndarray], *, ids: np.ndarray | None = None,
              rejected: list[Rejection] | None = None, lines_read: int = 0) -> Chunk:
        """The chunk of these raw rows; `ids` (optional) are the events' own ids ("" when none)."""
        lines = np.asarray(raw["line"], dtype=np.int64)
        learner, course = _Distinct(raw["learner"], str.strip), _Distinct(raw["course"], str.strip)
        name, source_raw = _Distinct(raw["name"], normal), _Distinct(raw["source"], normal)
        thing = _Distinct(raw["object"], str.strip)
        time, time_text = parse_times(raw["time"])
        kind = name.lookup(self.event_map.type_of)
        source = source_raw.lookup(lambda value: self.sources.get(value, _BAD))
        text = {"learner": learner, "course": course, "event": name, "source": source_raw, "object": thing}
        if ids is not None:
            text["id"] = _Distinct(ids, str)
        unstorable = _unstorable(text)
        # Not learner activity comes first: what is not counted is not an error, whatever else it lacks.
        problems = {
            "text": unstorable != "",
            "not_activity": kind == NOT_ACTIVITY,
            "learner": learner.empty(),
            "time": np.isnat(time),
            "kind": (kind == None) | (kind == NOT_ACTIVITY),  # noqa: E711 (elementwise on an object array)
            "source": source == _BAD,
        }
        bad = np.logical_or.reduce(list(problems.values()))
        good = np.flatnonzero(~bad)
        time_ns = time[good].view(np.int64)
        # The name as shown: an xAPI object's type decides the event type but is not part of the event.
        named = name.hashes(good, self.event_map.shown)
        parts = [learner.hashes(good), course.hashes(good), time_ns.view(np.uint64), named,
                 source_raw.hashes(good), thing.hashes(good)]
        own = None if ids is None else np.asarray(ids, dtype=object)[good]
        course_good = course.values()[good]
        frame = pd.DataFrame({
            "line": lines[good],
            "learner": _text(learner.values()[good]),
            "course": _text(np.where(course_good == "", None, course_good)),
            "time": time[good],
            "type": _text(kind[good]),
            "source": _text(source[good]),
            "key": self._keys(keys.combine(parts), time_ns, own),
        }, columns=list(EVENT_COLUMNS))
        why = _Why(self.learner_field, time_text, name, kind, source_raw, unstorable, self.event_map)
        found = [
            Rejection(int(lines[i]), self.label.format(line=int(lines[i])) + why(i, problems))
            for i in np.flatnonzero(bad)
        ]
        found = sorted([*(rejected or []), *found], key=lambda rejection: rejection.line)
        return Chunk("events", frame, found, lines_read)

    def courses_and_times(self, raw: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The course (None when empty) and time of each row `chunk` would keep, without making keys,
        frame or reasons: the cheap pass for the earliest date of each course."""
        learner, course = _Distinct(raw["learner"], str.strip), _Distinct(raw["course"], str.strip)
        time, _ = parse_times(raw["time"])
        kind = _Distinct(raw["name"], normal).lookup(self.event_map.type_of)
        source = _Distinct(raw["source"], normal).lookup(lambda value: self.sources.get(value, _BAD))
        unknown = (kind == None) | (kind == NOT_ACTIVITY)  # noqa: E711
        good = ~(learner.empty() | np.isnat(time) | unknown | (source == _BAD))
        codes = course.values()[good]
        return np.where(codes == "", None, codes), time[good]

    def _keys(self, key: np.ndarray, time_ns: np.ndarray, ids: np.ndarray | None) -> np.ndarray:
        """Own ids where given; otherwise the hashed key, numbered among identical copies."""
        if ids is None:
            return self.occurrences.keys(key, time_ns)
        hashed = ids == ""
        key = key.copy()
        key[hashed] = self.occurrences.keys(key[hashed], time_ns[hashed])
        key[~hashed] = np.array([keys.id_key(value) for value in ids[~hashed]], dtype=np.uint64)
        return key


@dataclass
class _Why:
    """The reason a row is rejected: its first problem, in words."""

    learner_field: str
    time_text: np.ndarray
    name: _Distinct
    kind: np.ndarray
    source: _Distinct
    unstorable: np.ndarray
    event_map: EventMap

    def __call__(self, i: int, problems: Mapping[str, np.ndarray]) -> str:
        if problems["text"][i]:
            return f"{self.unstorable[i]} holds {UNSTORABLE_TEXT}, which cannot be stored"
        if problems["not_activity"][i]:
            return f"not learner activity: {_quote(self.event_map.shown(self.name.value(i)), NAME_SHOWN)}"
        if problems["learner"][i]:
            return f"missing learner ({self.learner_field})"
        if problems["time"][i]:
            return _time_problem(str(self.time_text[i]).strip())
        if problems["kind"][i]:
            return f"unknown event type {_quote(self.event_map.shown(self.name.value(i)), NAME_SHOWN)}"
        return f"bad source {_quote(self.source.value(i))} (expected server or browser)"


def _text(values: np.ndarray) -> pd.Series:
    """Strings kept as Python objects, so that an absent value stays None (not NaN)."""
    return pd.Series(values, dtype=object)


def _unstorable(columns: Mapping[str, _Distinct]) -> np.ndarray:
    """Per row, the first field holding text the database cannot store ("" when none)."""
    found = np.full(len(next(iter(columns.values())).codes), "", dtype=object)
    for label, column in reversed(list(columns.items())):
        found[column.unstorable()] = label
    return found


class _Distinct:
    """A column of strings by distinct value: normalised and hashed once per distinct value (a value
    the database cannot store counts as empty, and `unstorable` says which rows held one)."""

    def __init__(self, values: np.ndarray, normalise) -> None:
        self.codes, uniques = pd.factorize(np.asarray(values, dtype=object))
        self.bad = np.array([isinstance(value, str) and not storable(value) for value in uniques], dtype=bool)
        normalised = ["" if bad else normalise(value) for value, bad in zip(uniques, self.bad, strict=True)]
        self.uniques = np.array(normalised, dtype=object)

    def unstorable(self) -> np.ndarray:
        """Whether each row's value held text the database cannot store."""
        return np.append(self.bad, False)[self.codes]

    def values(self) -> np.ndarray:
        """Each row's normalised value."""
        return self.uniques[self.codes] if len(self.uniques) else np.full(len(self.codes), "", dtype=object)

    def empty(self) -> np.ndarray:
        """Whether each row's value is empty."""
        return np.append(self.uniques == "", True)[self.codes]

    def value(self, row: int) -> str:
        """One row's normalised value."""
        return self.uniques[self.codes[row]]

    def hashes(self, rows: np.ndarray, shown=None) -> np.ndarray:
        """The stable hash of these rows' values (of `shown(value)` when given)."""
        if not len(self.uniques):
            return np.zeros(len(rows), dtype=np.uint64)
        values = self.uniques if shown is None else np.array([shown(v) for v in self.uniques], dtype=object)
        return keys.hash_strings(values)[self.codes[rows]]

    def lookup(self, find) -> np.ndarray:
        """`find(value)` for each row, calling it once per distinct value."""
        found = np.array([find(value) for value in self.uniques] + [None], dtype=object)
        return found[self.codes]


def parse_times(text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times as naive UTC datetime64[ns] (NaT when unusable), and the text they came from."""
    text = pd.Series(np.asarray(text, dtype=object), dtype=object)
    parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    failed = parsed.isna().to_numpy()
    if failed.any():  # spaces around a time are harmless; stripping every row would cost a pass
        parsed[failed] = pd.to_datetime(text[failed].str.strip(), format="ISO8601", utc=True, errors="coerce")
    parsed = parsed.dt.tz_localize(None)
    parsed = parsed.where((parsed >= EARLIEST) & (parsed < LATEST))
    return parsed.astype("datetime64[ns]").to_numpy(), text.to_numpy(dtype=object)


def _time_problem(text: str) -> str:
    if not text:
        return "missing time"
    if pd.isna(pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")):
        return f"unparseable time {_quote(text)}"
    return f"time {_quote(text)} out of range ({EARLIEST.year} to {LATEST.year - 1})"


def _quote(value: str, limit: int = 60) -> str:
    # repr spells a NUL or a lone surrogate as its escape: the reason itself can be stored.
    return repr(value if len(value) <= limit else value[:limit] + "...")
