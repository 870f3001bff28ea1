"""Shared by the privacy tests: one learner held in every table that can hold a learner's data."""

from __future__ import annotations

import re

REF = "Ada-Erase-7Q"
NOTE = '=HYPERLINK("http://evil","x") called Ada'


def hold_everything(app, admin_id: int, tutor_id: int) -> dict[str, int]:
    """Two scored courses where REF is enrolled (ER1: active, flagged High, in a tutor's digest, with a
    contact, an action, event keys and a view in the access log; ER2: a few days) and a saved prediction
    naming REF; returns REF's enrollment ids ("ER1", "ER2") and another learner's ("other")."""
    from db.courses import Enrollment
    from db.early_warning import EnrollmentPrediction
    from db.ingest import DayEvents, ImportRun
    from db.nudges import LearnerContact
    from db.tables import Record, User
    from db.tutoring import CourseTutor
    from services import enrollment_timeline
    from services.tutoring import actions, notifications
    from tests.helpers import scored_course

    with app.app_context():
        first, ids1 = scored_course(
            "ER1", {7: (7, [0.95, 0.2, 0.1]), 14: (14, [0.97, 0.1, 0.9])}, {0: range(12), 1: [2], 2: [4]}
        )
        _, ids2 = scored_course("ER2", {14: (14, [0.3, 0.6])}, {0: [1, 2], 1: [3]})
        ours = {"ER1": ids1["ER1-L0"], "ER2": ids2["ER2-L0"], "other": ids1["ER1-L2"]}
        Enrollment.update(learner_ref=REF).where(Enrollment.id.in_([ours["ER1"], ours["ER2"]])).execute()
        CourseTutor.create(course=first, user=tutor_id)
        run = EnrollmentPrediction.get(EnrollmentPrediction.enrollment == ours["ER1"]).run_id
        digests = notifications.create_digests(run, notifications.DigestSettings.from_config(app.config))
        assert digests, "the tutor got a digest naming the learner"
        for enrollment in (ours["ER1"], ours["other"]):
            LearnerContact.create(enrollment=enrollment, email=f"l{enrollment}@example.org", name="Ada L.")
            keys = {"keys": b"\x07" * 16, "codes": b"\x03\x04"}
            DayEvents.create(course=first.id, enrollment=enrollment, day=3, **keys)
        # An import that rejected one of the learner's lines keeps it among its first rejections.
        rejections = [[7, f"day outside the course window: {REF},ER1,2024-01-01"], [9, "malformed line: x"]]
        ImportRun.create(file_name="er1.csv", format="events", rejections=rejections, courses=["ER1"])
        tutor = User.get_by_id(tutor_id)
        actions.record_action(tutor, ours["ER1"], "contacted", NOTE, "phone")
        enrollment_timeline.enrollment_view(tutor, ours["ER1"])
        for ref in (REF, "someone-else"):
            saved = {"inputs": {}, "outputs": {"probability": 0.9}, "model_version": 1, "value": 0.9}
            Record.add(user=admin_id, task="dropout", student_ref=ref, level="High", **saved)
    return ours


def _models() -> dict[str, type]:
    """Every table's model, found by walking the models' classes (a new table is covered as it comes)."""
    import db.migrations  # noqa: F401  (imports every model module)
    from db.tables import BaseModel

    found, todo = {}, [BaseModel]
    while todo:
        model = todo.pop()
        todo.extend(model.__subclasses__())
        if model is not BaseModel and model.__module__ != "db.migrations":  # migrations' frozen shapes
            found.setdefault(model._meta.table_name, model)
    return found


def _cell_text(value) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    return str(value)


def mentions(ref: str, enrollment_ids: set[int]) -> list[tuple[str, str]]:
    """(table, column) of every cell in every table of the database still naming `ref` or pointing at
    one of `enrollment_ids` (a column referencing enrollments, or an "enrollment" member of a JSON)."""
    from db.connection import database
    from db.courses import Enrollment

    models = _models()
    tables = database.get_tables()
    assert set(tables) <= set(models), f"tables without a model: {set(tables) - set(models)}"
    found = []
    for table in tables:
        fields = models[table]._meta.sorted_fields
        pointing = {f.column_name for f in fields if getattr(f, "rel_model", None) is Enrollment} | {
            f.column_name for f in fields if f.column_name == "enrollment_id"
        }
        cursor = database.execute_sql(f'SELECT * FROM "{table}"')
        names = [column[0] for column in cursor.description]
        for row in cursor.fetchall():
            for name, value in zip(names, row, strict=True):
                text = _cell_text(value)
                members = {int(m) for m in re.findall(r'"enrollment":\s*(\d+)', text)}
                if ref in text or (name in pointing and value in enrollment_ids) or members & enrollment_ids:
                    found.append((table, name))
    return found
