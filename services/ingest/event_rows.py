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

from services.ingest import keys
from services.ingest.event_map import EventMap, normal
from services.ingest.parsed import EVENT_COLUMNS, Chunk, Rejection

# The raw fields, each an object array of strings ("" when absent); `line` is an int array.
RAW_FIELDS = ("line", "learner", "course", "time", "name", "source", "object")
# Times before or after these are typing errors, and would not fit datetime64[ns].
EARLIEST, LATEST = pd.Timestamp("1970-01-01"), pd.Timestamp("2200-01-01")
_BAD = "\0bad"


@dataclass
class EventRows:
    """One format's way of turning raw fields into events; keeps the occurrence count across chunks."""

    event_map: EventMap
    learner_field: str
    sources: Mapping[str, str | None]
    label: str = ""  # how a reason names its item, e.g. "statement {line}: "; "" for file lines
    occurrences: keys.Occurrences = field(default_factory=keys.Occurrences)

    def chunk(
        self,
        raw: Mapping[str, np.ndarray],
        *,
        ids: np.ndarray | None = None,
        rejected: list[Rejection] | None = None,
        lines_read: int = 0,
    ) -> Chunk:
        """The chunk of these raw rows; `ids` (optional) are the events' own ids ("" when none)."""
        lines = np.asarray(raw["line"], dtype=np.int64)
        learner, course = _Distinct(raw["learner"], str.strip), _Distinct(raw["course"], str.strip)
        name, source_raw = _Distinct(raw["name"], normal), _Distinct(raw["source"], normal)
        time, time_text = parse_times(raw["time"])
        kind = name.lookup(self.event_map.type_of)
        source = source_raw.lookup(lambda value: self.sources.get(value, _BAD))
        problems = {
            "learner": learner.empty(),
            "time": np.isnat(time),
            "kind": kind == None,  # noqa: E711 (elementwise on an object array)
            "source": source == _BAD,
        }
        bad = np.logical_or.reduce(list(problems.values()))
        good = np.flatnonzero(~bad)
        time_ns = time[good].view(np.int64)
        parts = [
            learner.hashes(good),
            course.hashes(good),
            time_ns.view(np.uint64),
            name.hashes(good),
            source_raw.hashes(good),
            _Distinct(raw["object"], str.strip).hashes(good),
        ]
        own = None if ids is None else np.asarray(ids, dtype=object)[good]
        course_good = course.values()[good]
        frame = pd.DataFrame(
            {
                "line": lines[good],
                "learner": _text(learner.values()[good]),
                "course": _text(np.where(course_good == "", None, course_good)),
                "time": time[good],
                "type": _text(kind[good]),
                "source": _text(source[good]),
                "key": self._keys(keys.combine(parts), time_ns, own),
            },
            columns=list(EVENT_COLUMNS),
        )
        why = _Why(self.learner_field, time_text, name, kind, source_raw)
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
        good = ~(learner.empty() | np.isnat(time) | (kind == None) | (source == _BAD))  # noqa: E711
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

    def __call__(self, i: int, problems: Mapping[str, np.ndarray]) -> str:
        if problems["learner"][i]:
            return f"missing learner ({self.learner_field})"
        if problems["time"][i]:
            return _time_problem(str(self.time_text[i]).strip())
        if problems["kind"][i]:
            return f"unknown event type {_quote(self.name.value(i))}"
        return f"bad source {_quote(self.source.value(i))} (expected server or browser)"


def _text(values: np.ndarray) -> pd.Series:
    """Strings kept as Python objects, so that an absent value stays None (not NaN)."""
    return pd.Series(values, dtype=object)


class _Distinct:
    """A column of strings by distinct value: normalised and hashed once per distinct value."""

    def __init__(self, values: np.ndarray, normalise) -> None:
        self.codes, uniques = pd.factorize(np.asarray(values, dtype=object))
        self.uniques = np.array([normalise(value) for value in uniques], dtype=object)

    def values(self) -> np.ndarray:
        """Each row's normalised value."""
        return self.uniques[self.codes] if len(self.uniques) else np.full(len(self.codes), "", dtype=object)

    def empty(self) -> np.ndarray:
        """Whether each row's value is empty."""
        return np.append(self.uniques == "", True)[self.codes]

    def value(self, row: int) -> str:
        """One row's normalised value."""
        return self.uniques[self.codes[row]]

    def hashes(self, rows: np.ndarray) -> np.ndarray:
        """The stable hash of these rows' values."""
        if not len(self.uniques):
            return np.zeros(len(rows), dtype=np.uint64)
        return keys.hash_strings(self.uniques)[self.codes[rows]]

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
    return repr(value if len(value) <= limit else value[:limit] + "...")
