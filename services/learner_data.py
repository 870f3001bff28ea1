"""A learner's data on request: everything held about a learner reference, in one course or in every
course it appears in, counted, exported (a zip: one JSON with everything, one CSV per table) and erased.

Erasing deletes the learner's rows from every table that holds them, replaces their entries in tutors'
digests and in the access log by "erased learner", and keeps of the erasure only when, by whom, and a
keyed hash of the reference (services/access_log.learner_hash). Saved predictions (`records`) carry a
student reference but no course: they go with an erasure of every course, not with one course's.
Models already trained keep what they learned; later trainings read the tables, so never see the data.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import peewee

from db.access_log import ERASED, AccessEntry
from db.connection import database
from db.courses import ActivityDay, Course, Enrollment
from db.early_warning import EnrollmentPrediction
from db.ingest import DayEvents, ImportRun
from db.nudges import LearnerContact
from db.tables import Activity, Record, RecordOutputs, User, utcnow
from db.tutoring import EnrollmentAction, Notification
from modelling.cells import SafeWriter
from services import access_log
from services.errors import Forbidden, NotFound, ServiceError
from services.tutoring.notifications import DIGEST

REF_MAX = Enrollment.learner_ref.max_length
# What an erased learner's line in a digest becomes.
ERASED_ENTRY = {"enrollment": None, "learner": ERASED, "probability": None, "day": None, "reasons": []}


@dataclass(frozen=True)
class Scope:
    """Whose data, where: the learner's enrollments (id -> course id, course code) in scope."""

    learner_ref: str
    course: str | None
    enrollments: dict[int, tuple[int, str]]

    @property
    def ids(self) -> list[int]:
        return sorted(self.enrollments)

    @property
    def course_codes(self) -> list[str]:
        return sorted({code for _, code in self.enrollments.values()})

    @property
    def every_course(self) -> bool:
        return self.course is None


def _by_course(model: type[peewee.Model], scope: Scope) -> peewee.Expression:
    """The scope's rows of a table keyed by (course, enrollment, ...): one key range per enrollment."""
    condition = peewee.Value(False)
    for enrollment, (course, _) in scope.enrollments.items():
        condition |= (model.course == course) & (model.enrollment == enrollment)
    return condition


def _records(scope: Scope) -> peewee.Expression:
    return (Record.student_ref == scope.learner_ref) & peewee.Value(scope.every_course)


@dataclass(frozen=True)
class Part:
    """One table holding the learner's rows, and which of its rows are theirs."""

    model: type[peewee.Model]
    where: Callable[[Scope], peewee.Expression]

    @property
    def table(self) -> str:
        return self.model._meta.table_name


# Children before parents, so deleting in this order never leaves a row pointing at a deleted one.
PARTS = (
    Part(RecordOutputs, lambda s: RecordOutputs.record.in_(Record.select(Record.id).where(_records(s)))),
    Part(Record, _records),
    Part(EnrollmentAction, lambda s: EnrollmentAction.enrollment.in_(s.ids)),
    Part(EnrollmentPrediction, lambda s: EnrollmentPrediction.enrollment.in_(s.ids)),
    Part(LearnerContact, lambda s: LearnerContact.enrollment.in_(s.ids)),
    Part(DayEvents, lambda s: _by_course(DayEvents, s)),
    Part(ActivityDay, lambda s: _by_course(ActivityDay, s)),
    Part(Enrollment, lambda s: Enrollment.id.in_(s.ids)),
)


def _require_admin(viewer: User | None) -> None:
    # None: the command line, which only an operator of the server can run.
    if viewer is not None and not viewer.is_admin:
        raise Forbidden("A learner's data is exported or erased by administrators.")


def find(learner_ref: str | None, course: str | None) -> Scope:
    """The learner's scope (400 for a missing or too long reference, 404 for an unknown course or a
    reference nothing is held about)."""
    ref = (learner_ref or "").strip()
    if not ref or len(ref) > REF_MAX:
        raise ServiceError(
            f"Give the learner's reference (1 to {REF_MAX} characters).", {"learner_ref": "required"}
        )
    code = (course or "").strip() or None
    query = Enrollment.select(Enrollment.id, Course.id, Course.code).join(Course)
    query = query.where(Enrollment.learner_ref == ref)
    if code is not None:
        if Course.by_code(code) is None:
            raise NotFound(f"No course {code}.", {"course": "unknown"})
        query = query.where(Course.code == code)
    held = {enrollment: (course_id, name) for enrollment, course_id, name in query.tuples()}
    scope = Scope(ref, code, held)
    if not scope.enrollments and not Record.select().where(_records(scope)).exists():
        where = f" in {code}" if code else ""
        raise NotFound(f"Nothing is held about learner {ref}{where}.", {"learner_ref": "unknown"})
    return scope


def _containing(field: peewee.Field, fragment: str) -> peewee.Node:
    """Rows whose stored text of `field` contains `fragment` (a superset: each is checked after)."""
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = peewee.Value(f"%{escaped}%", converter=False)
    return peewee.NodeList((field, peewee.SQL("LIKE"), pattern, peewee.SQL("ESCAPE '\\'")))


def _digest_pattern(scope: Scope) -> peewee.Node:
    """Digests whose text names the reference."""
    return _containing(Notification.payload, '"learner":' + json.dumps(scope.learner_ref))


def _import_runs(scope: Scope) -> list[ImportRun]:
    """Imports of the scope's courses whose kept rejections quote the reference (a rejected line of
    the learner's, shown to administrators on the Data page)."""
    quoted = json.dumps(scope.learner_ref)[1:-1]  # as the JSON text stores it
    codes = set(scope.course_codes)
    return [
        run
        for run in ImportRun.select().where(_containing(ImportRun.rejections, quoted))
        if any(scope.learner_ref in str(reason) for _, reason in run.rejections)
        and (scope.every_course or codes & set(run.courses or []))
    ]


def _digests(scope: Scope) -> list[tuple[Notification, list[dict[str, Any]]]]:
    """Each digest naming one of the scope's enrollments, with its entries about them."""
    found = []
    query = Notification.select(Notification, User.username).join(User, on=(Notification.user == User.id))
    for notification in query.where((Notification.kind == DIGEST) & _digest_pattern(scope)):
        entries = [
            {"course": course.get("code"), **learner}
            for course in notification.payload.get("courses", [])
            for learner in course.get("learners", [])
            if learner.get("enrollment") in scope.enrollments
        ]
        if entries:
            found.append((notification, entries))
    return found


def _access_entries(scope: Scope) -> peewee.ModelSelect:
    codes = None if scope.every_course else scope.course_codes
    return AccessEntry.select().where(AccessEntry.naming(scope.learner_ref, codes))


def counts(viewer: User | None, learner_ref: str | None, course: str | None) -> dict[str, int]:
    """How many rows each table holds about the learner: what an erasure removes or rewrites."""
    _require_admin(viewer)
    scope = find(learner_ref, course)
    found = {part.table: part.model.select().where(part.where(scope)).count() for part in PARTS}
    found[Notification._meta.table_name] = len(_digests(scope))
    found[AccessEntry._meta.table_name] = _access_entries(scope).count()
    found[ImportRun._meta.table_name] = len(_import_runs(scope))
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _tables(scope: Scope) -> dict[str, list[dict[str, Any]]]:
    tables = {}
    for part in reversed(PARTS):
        rows = part.model.select().where(part.where(scope)).dicts()
        tables[part.table] = [{name: _plain(value) for name, value in row.items()} for row in rows]
    for row in tables[Enrollment._meta.table_name]:
        row["course_code"] = scope.enrollments[row["id"]][1]
    tables[Notification._meta.table_name] = [
        {"id": n.id, "recipient": n.user.username, "created_at": _plain(n.created_at), **entry}
        for n, entries in _digests(scope)
        for entry in entries
    ]
    tables[AccessEntry._meta.table_name] = [
        {name: _plain(value) for name, value in entry.to_dict().items()} for entry in _access_entries(scope)
    ]
    tables[ImportRun._meta.table_name] = [
        {"id": run.id, "file_name": run.file_name, "line": line, "reason": reason}
        for run in _import_runs(scope)
        for line, reason in run.rejections
        if scope.learner_ref in str(reason)
    ]
    return tables


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = SafeWriter(out)
    names = list(dict.fromkeys(name for row in rows for name in row))
    writer.writerow(names)
    for row in rows:
        cells = [row.get(name) for name in names]
        writer.writerow([json.dumps(c) if isinstance(c, dict | list) else c for c in cells])
    return out.getvalue()


def export(viewer: User | None, learner_ref: str | None, course: str | None) -> tuple[bytes, str]:
    """The learner's data as a zip (learner.json with every table, then one CSV per table, formula
    cells neutralised) and a file name for it; the export is recorded in the access log."""
    _require_admin(viewer)
    with database.atomic():
        scope = find(learner_ref, course)
        tables = _tables(scope)
        access_log.record(viewer, "export", course=scope.course, learner_ref=scope.learner_ref, format="zip")
    document = {
        "learner_ref": scope.learner_ref,
        "course": scope.course,
        "courses": scope.course_codes,
        "exported_at": _plain(utcnow()),
        "tables": tables,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("learner.json", json.dumps(document, indent=2, default=str))
        for table, rows in tables.items():
            bundle.writestr(f"{table}.csv", _csv(rows))
    return buffer.getvalue(), "learner-data.zip"


def _forget_in_digests(scope: Scope) -> int:
    """Replace the scope's entries in tutors' digests by ERASED_ENTRY; how many digests changed."""
    changed = 0
    for notification, _ in _digests(scope):
        payload = notification.payload
        for course in payload.get("courses", []):
            course["learners"] = [
                dict(ERASED_ENTRY) if learner.get("enrollment") in scope.enrollments else learner
                for learner in course.get("learners", [])
            ]
        Notification.update(payload=payload).where(Notification.id == notification.id).execute()
        changed += 1
    return changed


def _forget_in_imports(scope: Scope) -> int:
    """Replace the reference by ERASED in the rejections imports kept; how many imports changed."""
    runs = _import_runs(scope)
    for run in runs:
        kept = [[line, str(reason).replace(scope.learner_ref, ERASED)] for line, reason in run.rejections]
        ImportRun.update(rejections=kept).where(ImportRun.id == run.id).execute()
    return len(runs)


def erase(
    viewer: User | None, learner_ref: str | None, course: str | None, ip: str | None = None
) -> dict[str, int]:
    """Delete everything held about the learner (in `course`, or everywhere), rewrite the digests and
    access-log entries naming them, record the erasure; the rows removed or rewritten per table."""
    _require_admin(viewer)
    with database.atomic():
        scope = find(learner_ref, course)
        removed = {part.table: part.model.delete().where(part.where(scope)).execute() for part in PARTS}
        removed[Notification._meta.table_name] = _forget_in_digests(scope)
        codes = None if scope.every_course else scope.course_codes
        removed[AccessEntry._meta.table_name] = AccessEntry.forget_learner(scope.learner_ref, codes)
        removed[ImportRun._meta.table_name] = _forget_in_imports(scope)
        hashed = access_log.learner_hash(scope.learner_ref)
        access_log.record(viewer, "erasure", learner_hash_=hashed, courses=len(scope.course_codes))
        Activity.record("learner_erase", viewer, ip, learner_hash=hashed)
    return removed
