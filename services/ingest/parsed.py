"""What a format parser hands to the store: chunks of parsed rows and the lines it rejected.

Parsers (one module per format) read a file as a stream and yield `Chunk`s; they know nothing of the
database. The store resolves courses and enrollments, turns dates into course days (rejecting what
falls outside the course window) and writes the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from db.courses import EVENT_TYPES, SOURCES

# Columns of a daily chunk's frame: counts for one learner on one calendar date.
#   line (int): the file line the row came from (1 = first line of the file, header included)
#   learner (str), course (str or None: the import's --course applies), date (datetime64, day resolution)
#   navigate ... wiki (int64 >= 0), server, browser (nullable Int64: None when the source is unknown)
DAILY_COLUMNS = ("line", "learner", "course", "date", *EVENT_TYPES, *SOURCES)

# Columns of an events chunk's frame: one event each.
#   line, learner, course as above; time (datetime64[ns], UTC, naive); type (one of EVENT_TYPES);
#   source ("server", "browser" or None); key (uint64): the event's identity, the same whichever file
#   carries it, so that overlapping files do not count an event twice.
EVENT_COLUMNS = ("line", "learner", "course", "time", "type", "source", "key")


@dataclass(frozen=True)
class Rejection:
    """A line that could not be used, and why (in words a person can act on)."""

    line: int
    reason: str


@dataclass
class Chunk:
    """A slice of a file: `kind` is "daily" or "events"; `frame` has DAILY_COLUMNS or EVENT_COLUMNS."""

    kind: str
    frame: pd.DataFrame
    rejected: list[Rejection] = field(default_factory=list)
    lines_read: int = 0
    # xAPI: the kept rows' statement ids (line, statement_id, digest), checked against the store's.
    statements: pd.DataFrame | None = None
    # xAPI: the kept rows' actor mailboxes (line, email, name), stored as the enrollments' contacts.
    mailboxes: pd.DataFrame | None = None
