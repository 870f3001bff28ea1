"""A cohort of stored predictions, summed up by the database (Peewee queries over one window)."""

from __future__ import annotations

import functools
import operator
import time
from dataclasses import replace
from typing import Any

import peewee

from db.connection import database
from db.queries import json_text
from db.tables import Record, User
from services.analytics.cohort import Cohort, cohort_records, indexed_records, record_column
from services.analytics.stats import BINS, Sums, pairs


def cohort_window(
    viewer: User, task: str, cohort: Cohort, columns: dict[str, peewee.Node], newest: int | None
):
    """The cohort's predictions (its `newest` ones, or all for None) as a common table expression
    with the given columns (alias -> SQL)."""
    query = cohort_records(viewer, task, cohort).select(*(node.alias(a) for a, node in columns.items()))
    if newest is not None:
        query = query.order_by(Record.created_at.desc(), Record.id.desc()).limit(newest)
    return query.cte("w")


class StoredCohort:
    """The stored predictions of a cohort, summed up as a profile needs (as `FrameCohort` does with
    pandas). Fields are read under aliases n0.. (numbers) and c0.. (categories); `numeric` and
    `categorical` map each field name to its alias. Only names the task's schema declares reach
    SQL, and as parameters."""

    def __init__(
        self, viewer: User, task: str, cohort: Cohort, fields: tuple[list, list], newest: int | None
    ):
        numeric, categorical = fields
        self.viewer, self.task, self.cohort, self.newest = viewer, task, cohort, newest
        self.numeric = {name: f"n{i}" for i, name in enumerate(numeric)}
        self.categorical = {name: f"c{i}" for i, name in enumerate(categorical)}
        columns = {"g": Record.level, "s": Record.student_ref}
        columns |= {alias: record_column(name) for name, alias in self.numeric.items()}
        columns |= {alias: json_text(Record.inputs, name) for name, alias in self.categorical.items()}
        self.window = cohort_window(viewer, task, cohort, columns, newest)

    def _sums_columns(self) -> dict[str, peewee.Node]:
        """The aggregates of a group's Sums over the window, by alias."""
        w = self.window
        value = {alias: getattr(w.c, alias) for alias in self.numeric.values()}
        sums: dict[str, peewee.Node] = {"f": peewee.Value(""), "g": w.c.g, "n": _count()}
        for a, column in value.items():
            sums |= {f"k_{a}": peewee.fn.COUNT(column), f"s_{a}": peewee.fn.SUM(column)}
            sums |= {f"q_{a}": peewee.fn.SUM(column * column)}
            sums |= {f"lo_{a}": peewee.fn.MIN(column), f"hi_{a}": peewee.fn.MAX(column)}
        sums |= {f"p_{a}_{b}": peewee.fn.SUM(value[a] * value[b]) for a, b in pairs(list(value))}
        return sums

    def sums(self) -> dict[str, Sums]:
        """Per group, the sums of the numeric fields (one aggregate over the window)."""
        w = self.window
        query = peewee.Select([w], [n.alias(a) for a, n in self._sums_columns().items()]).group_by(w.c.g)
        return {row["g"]: _sums(row, self.numeric) for row in query.with_cte(w).bind(database).dicts()}

    def summary(self) -> tuple:
        """Per group, the sums of the numeric fields; per numeric field and group, the rows in each
        histogram bin; per category field and group, the rows of each value; the distinct students.
        One statement, so that the window is read once: its rows with f = "" hold each group's
        sums, the others (f = a field's alias) one count each."""
        w = self.window
        value = {alias: getattr(w.c, alias) for alias in self.numeric.values()}
        bounds = peewee.Select(
            [w],
            [
                *(peewee.fn.MIN(c).alias(f"lo_{a}") for a, c in value.items()),
                *(peewee.fn.MAX(c).alias(f"hi_{a}") for a, c in value.items()),
            ],
        ).cte("b")
        sums = self._sums_columns()
        columns = [*sums, "k"]
        parts = [
            _part(columns, [w], sums, [w.c.g]),
            _part(columns, [w], {"f": peewee.Value("s"), "n": peewee.fn.COUNT(w.c.s.distinct())}),
        ]
        for a, column in value.items():
            bucket = _bucket(column, getattr(bounds.c, f"lo_{a}"), getattr(bounds.c, f"hi_{a}"))
            counts = {"f": peewee.Value(a), "g": w.c.g, "k": peewee.Cast(bucket, "TEXT"), "n": _count()}
            parts.append(_part(columns, [w, bounds], counts, [w.c.g, bucket]))
        for a in self.categorical.values():
            column = getattr(w.c, a)
            counts = {"f": peewee.Value(a), "g": w.c.g, "k": column, "n": _count()}
            parts.append(_part(columns, [w], counts, [w.c.g, column]))
        query = functools.reduce(operator.add, parts)  # UNION ALL
        return self._read(query.with_cte(w, bounds).bind(database).dicts())

    def _read(self, rows) -> tuple:
        numeric = {a: n for n, a in self.numeric.items()}
        categorical = {a: n for n, a in self.categorical.items()}
        by_group: dict[str, Sums] = {}
        bins: dict[str, dict[str, list[int]]] = {name: {} for name in self.numeric}
        categories: dict[str, dict[str, dict[str, int]]] = {name: {} for name in self.categorical}
        students = None
        for row in rows:
            alias, group, key = row["f"], row["g"], row["k"]
            if alias == "":
                by_group[group] = _sums(row, self.numeric)
            elif alias == "s":
                students = row["n"]
            elif alias in numeric and key is not None:
                bins[numeric[alias]].setdefault(group, [0] * BINS)[int(float(key))] += row["n"]
            elif alias in categorical:
                found = categories[categorical[alias]].setdefault(group, {})
                found[key or "missing"] = found.get(key or "missing", 0) + row["n"]
        return by_group, bins, categories, students

    def counts(self, analysed: dict[str, int]) -> tuple[int | None, dict[str, int]]:
        """Rows of the cohort, and per group: those analysed when the window held the whole cohort;
        else counted on indexed columns when the cohort is filtered on nothing else; else unknown
        (None) with the window's counts per group."""
        if self.newest is None or sum(analysed.values()) < self.newest:
            return sum(analysed.values()), analysed
        if self.cohort.categories or self.cohort.ranges:
            return None, analysed
        newest = Record.select(peewee.fn.MAX(Record.id), peewee.fn.MAX(Record.created_at)).tuples().get()
        everyone = replace(self.cohort, groups=())
        counts = _counts(self.viewer, self.task, everyone, newest, int(time.monotonic() // COUNT_SECONDS))
        counts = {g: n for g, n in counts.items() if not self.cohort.groups or g in self.cohort.groups}
        return sum(counts.values()), counts


COUNT_SECONDS = 60


# Counting a large cohort's rows per group takes longer than the rest of its profile; the counts are
# kept while no prediction is added (`newest`: the highest id and time), for at most COUNT_SECONDS
# (`minute`), so a deletion shows within a minute. Bounded: the least recently used cohorts go first.
@functools.lru_cache(maxsize=256)
def _counts(viewer: User, task: str, cohort: Cohort, newest: tuple, minute: int) -> dict[str, int]:
    query = indexed_records(viewer, task, cohort)
    # COUNT(*), not of a column: the (task, level, created_at) index alone answers it.
    rows = query.select(Record.level, _count()).group_by(Record.level).tuples()
    return dict(rows)


def _count() -> peewee.Node:
    return peewee.fn.COUNT(peewee.SQL("*"))


def _part(columns: list[str], sources: list, values: dict[str, peewee.Node], group_by=()) -> peewee.Select:
    """One SELECT of the union: `values` under their aliases, NULL for the other `columns`."""
    selected = [values.get(alias, peewee.SQL("NULL")).alias(alias) for alias in columns]
    return peewee.Select(sources, selected).group_by(*group_by)


def _sums(row: dict[str, Any], aliases: dict[str, str]) -> Sums:
    """A group's Sums from its row of the union (`aliases`: field name -> alias)."""
    return Sums(
        rows=row["n"],
        count={n: row[f"k_{a}"] for n, a in aliases.items()},
        total={n: float(row[f"s_{a}"] or 0.0) for n, a in aliases.items()},
        square={n: float(row[f"q_{a}"] or 0.0) for n, a in aliases.items()},
        low={n: _number(row[f"lo_{a}"]) for n, a in aliases.items()},
        high={n: _number(row[f"hi_{a}"]) for n, a in aliases.items()},
        product={(n, m): float(row[f"p_{aliases[n]}_{aliases[m]}"] or 0.0) for n, m in pairs(list(aliases))},
    )


def _bucket(column: peewee.Node, low: peewee.Node, high: peewee.Node) -> peewee.Node:
    """The histogram bin of a column's value, as SQL: `stats.bin_index` over `stats.bin_edges`."""
    width = peewee.Case(None, [(high > low, (high - low) / float(BINS))], 1.0 / BINS)
    return peewee.Case(
        None, [((high > low) & (column >= high), BINS - 1)], peewee.fn.FLOOR((column - low) / width)
    )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
