"""Enrollments' outcomes from a CSV (`enrollment_id, label`: 1 dropped out, 0 stayed; optional
`course_id`). Only enrollments that exist are updated: an unknown one is reported, never created. A row
without a course (no column, no course chosen for the import) takes the one course its learner is
enrolled in; a learner in several courses is reported as ambiguous."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from db.connection import write_transaction
from db.courses import Course, Enrollment
from db.tables import utcnow
from services.errors import InvalidInput
from services.ingest.parsed import Rejection
from services.ingest.runs import FIRST_REJECTIONS, reason_kind

LABELS = {"1": True, "0": False}
UPDATE_BATCH = 5_000


@dataclass
class OutcomesReport:
    """What an outcomes import did."""

    file_name: str
    lines_read: int = 0
    updated: int = 0
    rejected: int = 0
    first_rejections: list[Rejection] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    courses: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def import_outcomes(
    path: str | Path, *, course: str | None = None, source_name: str | None = None, chunk_rows: int = 200_000
) -> OutcomesReport:
    """Set the outcome of each listed enrollment; bad and unknown lines are reported with their number."""
    path = Path(path)
    report = OutcomesReport(path.name)
    reasons: Counter[str] = Counter()
    try:
        header = [str(name).strip().lower() for name in pd.read_csv(path, nrows=0).columns]
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InvalidInput(f"Cannot read the file: {exc}", {"file": "not a readable CSV"}) from exc
    if not {"enrollment_id", "label"} <= set(header):
        raise InvalidInput(f"{path.name} is not an outcomes CSV: it needs enrollment_id and label columns.")
    source = (source_name or path.name)[:255]
    courses: set[str] = set()
    reader = pd.read_csv(path, chunksize=chunk_rows, dtype=object, keep_default_na=False, na_values=[""])
    with reader:
        for raw in reader:
            raw.columns = [str(name).strip().lower() for name in raw.columns]
            rows, rejected = _valid_rows(raw, course)
            rows, unresolved = _resolve_courses(rows)
            updated, unknown = _apply(rows, source, courses)
            unknown += unresolved
            report.lines_read += len(raw)
            report.updated += updated
            rejected += unknown
            _keep(report, reasons, sorted(rejected, key=lambda rejection: rejection.line))
    report.reasons, report.courses = dict(reasons), sorted(courses)
    return report


def _keep(report: OutcomesReport, reasons: Counter, rejected: list[Rejection]) -> None:
    room = max(0, FIRST_REJECTIONS - len(report.first_rejections))
    report.first_rejections.extend(rejected[:room])
    report.rejected += len(rejected)
    reasons.update(reason_kind(rejection.reason) for rejection in rejected)


def _valid_rows(raw: pd.DataFrame, course: str | None) -> tuple[pd.DataFrame, list[Rejection]]:
    """Rows with a learner, a 0/1 label and a course; the others as rejections."""
    lines = raw.index.to_numpy() + 2
    learner = raw["enrollment_id"].str.strip()
    label = raw["label"].str.strip()
    codes = raw["course_id"].str.strip() if "course_id" in raw.columns else pd.Series(None, index=raw.index)
    codes = codes.where(codes.notna() & (codes != ""), course)
    rejected, keep = [], []
    for i, (ref, value) in enumerate(zip(learner, label, strict=True)):
        if not isinstance(ref, str) or not ref:
            reason = "missing learner: enrollment_id is empty"
        elif value not in LABELS:
            reason = (
                f"invalid label: {value if isinstance(value, str) else 'empty'!r} is not 1 (dropped out) or 0"
            )
        else:
            keep.append(i)
            continue
        rejected.append(Rejection(int(lines[i]), reason))
    rows = pd.DataFrame(
        {
            "line": lines[keep],
            "learner": learner.to_numpy()[keep],
            "course": codes.to_numpy()[keep],
            "dropped_out": [LABELS[value] for value in label.to_numpy()[keep]],
        }
    )
    return rows, rejected


def _resolve_courses(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[Rejection]]:
    """Rows without a course take the one course their learner reference is enrolled in; a reference
    in several courses, or in none, is reported."""
    missing = rows["course"].isna().to_numpy() if len(rows) else []
    if not len(rows) or not missing.any():
        return rows, []
    enrolled = Enrollment.course_codes_of(sorted(set(rows.loc[missing, "learner"])))
    rejected, codes = [], rows["course"].to_numpy(dtype=object).copy()
    for i in missing.nonzero()[0]:
        ref, line = rows["learner"].iat[i], int(rows["line"].iat[i])
        found = enrolled.get(ref, [])
        if len(found) == 1:
            codes[i] = found[0]
        elif found:
            listed = ", ".join(found[:5]) + (", ..." if len(found) > 5 else "")
            rejected.append(Rejection(line, f"ambiguous learner: {ref!r} is enrolled in {len(found)} courses"
                                            f" ({listed}); add a course_id column or choose the course"))
        else:
            reason = f"unknown enrollment: {ref!r} is in no course (import its activity first)"
            rejected.append(Rejection(line, reason))
    rows = rows.assign(course=codes)
    return rows[rows["course"].notna()], rejected


def _apply(rows: pd.DataFrame, source: str, courses: set[str]) -> tuple[int, list[Rejection]]:
    """Write the outcomes of known enrollments: how many, and the rows naming an unknown course or
    enrollment."""
    rejected: list[Rejection] = []
    updated = 0
    now = utcnow()
    for code, part in rows.groupby("course", sort=False):
        found = Course.by_code(str(code))
        if found is None:
            rejected += [Rejection(int(line), f"unknown course: {code!r}") for line in part["line"]]
            continue
        known = set(Enrollment.ids_for_existing(found.id, part["learner"].tolist()))
        for line, ref in zip(part["line"], part["learner"], strict=True):
            if ref not in known:
                reason = f"unknown enrollment: {ref!r} has no activity in course {code} (import it first)"
                rejected.append(Rejection(int(line), reason))
        part = part[part["learner"].isin(known)]
        updated += len(part)
        courses.add(str(code))
        with write_transaction():
            for dropped, group in part.groupby("dropped_out"):
                refs = group["learner"].tolist()
                for start in range(0, len(refs), UPDATE_BATCH):
                    Enrollment.update(dropped_out=bool(dropped), outcome_source=source, outcome_at=now).where(
                        (Enrollment.course == found.id)
                        & Enrollment.learner_ref.in_(refs[start : start + UPDATE_BATCH])
                    ).execute()
    return updated, rejected
