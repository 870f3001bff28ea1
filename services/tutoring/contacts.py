"""Learners' contact details from a CSV (`learner_ref,email[,name][,course_id]`), stored per enrollment
and shown only to the course's staff. A row without a course applies to every enrollment of its
learner reference, or to the course chosen for the import; each bad row is reported with its line.
xAPI statements add the actor's mailbox to an enrollment without a contact (`remember_mailboxes`).

The file may also carry the early-warning task's group attributes (`ATTRIBUTES`, e.g. gender): optional
columns kept with the contact for the model's fairness report only; a file without them leaves the
ones stored before as they were."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from db.connection import write_transaction
from db.courses import Course, Enrollment
from db.nudges import LearnerContact
from db.tables import utcnow
from modelling.tasks import EARLY_WARNING
from services.errors import InvalidInput

REQUIRED = ("learner_ref", "email")
ATTRIBUTES = tuple(column for column, _label in EARLY_WARNING.group_attributes)
ATTRIBUTE_MAX = 64
FIRST_REJECTIONS = 100
EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+$")
EMAIL_MAX = 254
NAME_MAX = 200


@dataclass
class ContactsReport:
    """What a contacts import did: rows read, enrollments given a contact, the rejected lines."""

    file_name: str
    lines_read: int = 0
    stored: int = 0
    rejected: int = 0
    first_rejections: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        """Count a bad row, keeping the first ones with their line."""
        self.rejected += 1
        if len(self.first_rejections) < FIRST_REJECTIONS:
            self.first_rejections.append({"line": line, "reason": reason})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header (lower case) and each data row with its line number (the header is line 1)."""
    reader = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise InvalidInput(
            "This is not a contacts CSV: it needs learner_ref and email columns.",
            {"file": f"missing column(s): {', '.join(missing)}"},
        )
    rows = []
    for values in reader:
        if any(value.strip() for value in values):
            rows.append((reader.line_num, dict(zip(header, (v.strip() for v in values), strict=False))))
    return header, rows


def _problem(row: dict[str, str]) -> str | None:
    email = row.get("email", "")
    if not row.get("learner_ref"):
        return "missing learner: learner_ref is empty"
    if not email or len(email) > EMAIL_MAX or not EMAIL.match(email):
        return f"invalid email: {email!r}" if email else "invalid email: the email is empty"
    if len(row.get("name", "")) > NAME_MAX:
        return f"name too long: at most {NAME_MAX} characters"
    long = [column for column in ATTRIBUTES if len(row.get(column, "")) > ATTRIBUTE_MAX]
    if long:
        return f"{long[0]} too long: at most {ATTRIBUTE_MAX} characters"
    return None


def _attributes(row: dict[str, str], columns: list[str]) -> dict[str, str] | None:
    """The row's group attributes among the file's attribute `columns` (None: the file has none)."""
    if not columns:
        return None
    return {column: row[column] for column in columns if row.get(column)}


def _enrollments(ref: str, code: str | None) -> list[Enrollment] | str:
    """The enrollments a row applies to, or why it applies to none."""
    if code:
        course = Course.by_code(code)
        if course is None:
            return f"unknown course: {code!r}"
        found = Enrollment.by_ref(course, ref)
        return [found] if found else f"unknown learner: {ref!r} is not enrolled in {code}"
    found = list(Enrollment.select().where(Enrollment.learner_ref == ref))
    return found or f"unknown learner: {ref!r} is in no course"


def _store(enrollment: Enrollment, email: str, name: str, attributes: dict[str, str] | None) -> None:
    """Set the enrollment's contact (an unsubscribed learner stays unsubscribed; attributes None: the
    stored ones stay)."""
    values = {"email": email, "name": name, "updated_at": utcnow()}
    if attributes is not None:
        values["attributes"] = attributes or None
    updated = LearnerContact.update(**values).where(LearnerContact.enrollment == enrollment.id).execute()
    if not updated:
        LearnerContact.create(enrollment=enrollment.id, **values)


def remember_mailboxes(mailboxes: pd.DataFrame | None, keyed: pd.DataFrame) -> int:
    """Give each enrollment of the stored rows (`line`, `enrollment_id`) that has no contact yet its xAPI
    actor's mailbox (`line`, `email`, `name`; the latest statement's); never replaces a contact (one
    imported from a CSV wins). How many contacts were added."""
    if mailboxes is None or not len(mailboxes) or not len(keyed):
        return 0
    found = keyed[["line", "enrollment_id"]].merge(mailboxes, on="line").sort_values("line")
    latest = found.drop_duplicates("enrollment_id", keep="last")
    ids = [int(e) for e in latest["enrollment_id"]]
    known = set(LearnerContact.of(ids))
    rows = [
        {"enrollment": int(e), "email": email, "name": name}
        for e, email, name in latest[["enrollment_id", "email", "name"]].itertuples(index=False)
        if int(e) not in known
    ]
    if rows:
        LearnerContact.insert_many(rows).on_conflict_ignore().execute()
    return len(rows)


def import_contacts(
    text: str, *, file_name: str = "contacts.csv", course: str | None = None
) -> ContactsReport:
    """Store the contacts of a CSV's good rows and report the others with their line; fails (422) when
    nothing could be stored."""
    if course and Course.by_code(course) is None:
        raise InvalidInput(f"No course {course}.", {"course": "unknown course"})
    header, rows = _rows(text)
    columns = [column for column in ATTRIBUTES if column in header]
    report = ContactsReport(file_name, lines_read=len(rows))
    with write_transaction():
        for line, row in rows:
            problem = _problem(row)
            targets = problem or _enrollments(row["learner_ref"], row.get("course_id") or course)
            if isinstance(targets, str):
                report.reject(line, targets)
                continue
            for enrollment in targets:
                _store(enrollment, row["email"], row.get("name", ""), _attributes(row, columns))
            report.stored += len(targets)
    if report.stored == 0:
        lines = {f"line {r['line']}": r["reason"] for r in report.first_rejections}
        raise InvalidInput("No contact could be stored.", lines or {"file": "no data rows"})
    return report


def read_text(raw: bytes) -> str:
    """An uploaded file's text (UTF-8, a byte-order mark allowed)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("The file is not UTF-8 text.", {"file": "not UTF-8"}) from None
