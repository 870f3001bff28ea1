"""A cohort of stored predictions, summed up by the database (Peewee queries over one window)."""

from __future__ import annotations

from typing import Any

import peewee

from db.connection import database
from db.models import Record, User
from db.queries import json_text
from services.analytics.cohort import Cohort, cohort_records, indexed_records, record_column
from services.analytics.stats import Sums, pairs


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
    """The stored predictions of a cohort, answering what a profile needs (as `FrameCohort` does with
    pandas). Fields are read under aliases n0.. (numbers) and c0.. (categories): only names the
    task's schema declares reach SQL, and as parameters."""

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

    def _column(self, alias: str) -> peewee.Column:
        return getattr(self.window.c, alias)

    def sums(self, numeric: list[str]) -> dict[str, Sums]:
        """Per group, the sums of the numeric fields (one aggregate over the window)."""
        value = {name: self._column(self.numeric[name]) for name in numeric}
        selects = [self.window.c.g, peewee.fn.COUNT(peewee.SQL("*")).alias("rows")]
        for name, column in value.items():
            alias = self.numeric[name]
            selects += [
                peewee.fn.COUNT(column).alias(f"k_{alias}"),
                peewee.fn.SUM(column).alias(f"s_{alias}"),
                peewee.fn.SUM(column * column).alias(f"q_{alias}"),
                peewee.fn.MIN(column).alias(f"lo_{alias}"),
                peewee.fn.MAX(column).alias(f"hi_{alias}"),
            ]
        for a, b in pairs(numeric):
            selects.append(peewee.fn.SUM(value[a] * value[b]).alias(f"p_{self.numeric[a]}_{self.numeric[b]}"))
        rows = self.window.select_from(*selects).group_by(self.window.c.g).dicts()
        return {row["g"]: self._sums(row, numeric) for row in rows}

    def _sums(self, row: dict[str, Any], numeric: list[str]) -> Sums:
        alias = self.numeric
        return Sums(
            rows=row["rows"],
            count={n: row[f"k_{alias[n]}"] for n in numeric},
            total={n: float(row[f"s_{alias[n]}"] or 0.0) for n in numeric},
            square={n: float(row[f"q_{alias[n]}"] or 0.0) for n in numeric},
            low={n: _number(row[f"lo_{alias[n]}"]) for n in numeric},
            high={n: _number(row[f"hi_{alias[n]}"]) for n in numeric},
            product={(a, b): float(row[f"p_{alias[a]}_{alias[b]}"] or 0.0) for a, b in pairs(numeric)},
        )

    def distributions(self, edges: dict[str, list[float]], categorical: list[str]):
        """Per numeric field and group, the rows in each bin of its `edges`; per category field and
        group, the rows of each value; the distinct students (one UNION ALL over the window)."""
        count = peewee.fn.COUNT(peewee.SQL("*")).alias("n")
        parts = [
            peewee.Select(
                [self.window],
                [
                    peewee.Value("").alias("f"),
                    peewee.SQL("NULL").alias("g"),
                    peewee.SQL("NULL").alias("k"),
                    peewee.fn.COUNT(self.window.c.s.distinct()).alias("n"),
                ],
            )
        ]
        for name, bounds in edges.items():
            bucket = peewee.Cast(_bucket(self._column(self.numeric[name]), bounds), "TEXT")
            select = [peewee.Value(name).alias("f"), self.window.c.g, bucket.alias("k"), count]
            parts.append(peewee.Select([self.window], select).group_by(self.window.c.g, bucket))
        for name in categorical:
            column = self._column(self.categorical[name])
            select = [peewee.Value(name).alias("f"), self.window.c.g, column.alias("k"), count]
            parts.append(peewee.Select([self.window], select).group_by(self.window.c.g, column))
        query = parts[0]
        for part in parts[1:]:
            query = query + part  # UNION ALL
        bins: dict[str, dict[str, list[int]]] = {name: {} for name in edges}
        categories: dict[str, dict[str, dict[str, int]]] = {name: {} for name in categorical}
        students = None
        for row in query.with_cte(self.window).bind(database).dicts():
            name, group = row["f"], row["g"]
            if name == "":
                students = row["n"]
            elif name in bins and row["k"] is not None:
                counts = bins[name].setdefault(group, [0] * (len(edges[name]) - 1))
                counts[int(float(row["k"]))] += row["n"]
            elif name in categories:
                found = categories[name].setdefault(group, {})
                found[row["k"] or "missing"] = found.get(row["k"] or "missing", 0) + row["n"]
        return bins, categories, students

    def counts(self, analysed: dict[str, int]) -> tuple[int | None, dict[str, int]]:
        """Rows of the cohort, and per group: those analysed when the window held the whole cohort;
        else counted on indexed columns when the cohort is filtered on nothing else; else unknown
        (None) with the window's counts per group."""
        if self.newest is None or sum(analysed.values()) < self.newest:
            return sum(analysed.values()), analysed
        if self.cohort.categories or self.cohort.ranges:
            return None, analysed
        query = indexed_records(self.viewer, self.task, self.cohort)
        rows = query.select(Record.level, peewee.fn.COUNT(Record.id)).group_by(Record.level).tuples()
        counts = dict(rows)
        return sum(counts.values()), counts


def _bucket(column: peewee.Node, edges: list[float]) -> peewee.Node:
    """The histogram bin of a column's value, as SQL (the last bin holds the highest edge), as
    `stats.bin_index` computes it in numpy."""
    low, high, width = edges[0], edges[-1], edges[1] - edges[0]
    return peewee.Case(None, [(column >= high, len(edges) - 2)], peewee.fn.FLOOR((column - low) / width))


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
