"""Event identity: a uint64 key that is the same whichever file (or API call) carries the event.

A key is a stable hash (pandas' SipHash of strings under a fixed key, mixed with splitmix64) of the
event's learner, course, time (UTC, nanoseconds), event name, source and object: never Python's
`hash()`, which changes between processes. An xAPI statement with an `id` takes its key from that id.

Identical events (all six parts equal, e.g. two clicks on one object in the same second) are told apart
by their occurrence number in the file: the k-th copy gets key(event, k), the first keeps key(event).
`Occurrences` counts copies within a chunk exactly and carries the counts of the chunk's last second
into the next one, so copies that are adjacent in the file (files sorted by time, or by learner then
time) are counted right across chunk boundaries, with memory bounded by one second of events. Copies
far apart in an unsorted file and in different chunks collapse into one event.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from pandas.util import hash_array

HASH_KEY = "ssa.activity.v1."  # 16 characters: SipHash's key; changing it changes every key
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads every input bit over the whole key."""
    values = values ^ (values >> np.uint64(30))
    values = values * _MIX1
    values = values ^ (values >> np.uint64(27))
    values = values * _MIX2
    return values ^ (values >> np.uint64(31))


def hash_strings(values: np.ndarray) -> np.ndarray:
    """A stable uint64 hash of each string of an object array."""
    return hash_array(np.asarray(values, dtype=object), hash_key=HASH_KEY, categorize=False)


def combine(parts: list[np.ndarray]) -> np.ndarray:
    """One uint64 key per row from the rows' uint64 hashes of each part, order mattering."""
    with np.errstate(over="ignore"):
        key = np.zeros(len(parts[0]), dtype=np.uint64)
        for part in parts:
            key = _mix((key * _GOLDEN) ^ part.astype(np.uint64, copy=False))
    return key


def id_key(statement_id: str) -> int:
    """The key of an event that carries its own id (an xAPI statement id), as an unsigned 64-bit int."""
    digest = hashlib.blake2b(statement_id.strip().lower().encode(), digest_size=8, person=b"ssa-xapi-id")
    return int.from_bytes(digest.digest(), "little")


def nth(key: np.ndarray, occurrence: np.ndarray) -> np.ndarray:
    """The key of the occurrence-th copy of an event (the 0th is the event's own key)."""
    with np.errstate(over="ignore"):
        copies = _mix(key ^ (occurrence.astype(np.uint64) * _GOLDEN))
    return np.where(occurrence == 0, key, copies)


class Occurrences:
    """Numbers identical events through a file, chunk after chunk (see the module docstring)."""

    def __init__(self) -> None:
        self._carry: dict[int, int] = {}
        self._carry_time: int | None = None

    def keys(self, key: np.ndarray, time_ns: np.ndarray) -> np.ndarray:
        """Each event's key made unique among its identical copies seen so far."""
        if not len(key):
            return key
        series = pd.Series(key)
        occurrence = series.groupby(series, sort=False).cumcount().to_numpy(dtype=np.int64)
        if self._carry:
            occurrence = occurrence + series.map(self._carry).fillna(0).to_numpy(dtype=np.int64)
        self._remember(key, time_ns, occurrence)
        return nth(key, occurrence)

    def _remember(self, key: np.ndarray, time_ns: np.ndarray, occurrence: np.ndarray) -> None:
        last = int(time_ns[-1])
        tail = time_ns == last
        carry = self._carry if self._carry_time == last else {}
        carry.update(zip(key[tail].tolist(), (occurrence[tail] + 1).tolist(), strict=True))
        self._carry, self._carry_time = carry, last
