"""A JSON-lines file read by worker processes, range by range, stores exactly what the plain reader in
the importing process stores: the same report (lines, rows, rejections with their line and reason,
kept-aside counts), the same activity, event keys, statement ids and digests and mailbox contacts.
On the store the test run names (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
import logging

import pytest

from services.ingest import parallel_read
from tests import caliper_data, edx_log_data
from tests.import_snapshot import stored
from tests.xapi_statements import statements

XAPI_COURSE = "https://lms.example.org/course/PARALLEL"


def _xapi_file(tmp_path):
    items = statements(XAPI_COURSE, 400, days=20, learners=12)
    for i in range(0, 400, 9):  # learners with a mailbox: their contacts are kept
        items[i]["actor"] = {"objectType": "Agent", "mbox": f"mailto:learner{i % 5}@example.org",
                             "name": f"Learner {i % 5}"}
    items[50] = {**items[3], "timestamp": "2025-03-02T10:00:00Z"}  # a reused id with other content
    lines = [json.dumps(item) for item in items]
    lines[7] = '{"actor": '  # cut short
    lines[120] = "   "  # blank
    lines[200] = '{"verb": {"id": "x"}}'  # not a usable statement
    lines[260] = json.dumps(items[260]) + "\r" + json.dumps(items[261])  # a lone carriage return ends a line
    text = "\ufeff" + "\r\n".join(lines[:100]) + "\r\n" + "\n".join(lines[100:])
    path = tmp_path / "statements.jsonl"
    path.write_text(text, encoding="utf-8", newline="")
    return path, [XAPI_COURSE], [item["id"] for item in items]


def _caliper_file(tmp_path):
    events = [*caliper_data.CANVAS, *caliper_data.EDX] * 30
    lines = [json.dumps(event) for event in events]
    lines[11] = "{not json"
    lines[40] = ""
    lines[77] = "[1, 2]"
    path = tmp_path / "caliper.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, [caliper_data.CANVAS_COURSE, caliper_data.EDX_COURSE], []


def _edx_file(tmp_path, shape: str = "raw"):
    kinds = [("play_video", "browser"), ("problem_check", "server"), ("/courses/x", "server")]
    records = [edx_log_data.event(kinds[i % 3][0], username=f"learner{i % 7}", second=i % 3000,
                                  source=kinds[i % 3][1]) for i in range(600)]
    path = edx_log_data.write(tmp_path, shape, records)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[13] = "not an event at all"
    lines[300] = '{"event_type": "play_video", "username": '
    path.write_text("\n".join(lines), encoding="utf-8")
    return path, [edx_log_data.COURSE], []


FILES = {"xapi": _xapi_file, "caliper": _caliper_file, "edx": _edx_file,
         "edx-tutor": lambda tmp_path: _edx_file(tmp_path, "tutor")}


def _stored_ids(ids: list[str]) -> list[tuple[str, str]]:
    from db.ingest import StatementId

    found = StatementId.select(StatementId.statement_id, StatementId.digest).where(
        StatementId.statement_id.in_([i.lower() for i in ids]))
    return sorted(found.tuples())


def _contacts(codes: list[str]) -> list[tuple]:
    from db.courses import Course, Enrollment
    from db.nudges import LearnerContact

    found = (LearnerContact.select(Course.code, Enrollment.learner_ref, LearnerContact.email,
                                   LearnerContact.name).join(Enrollment).join(Course).where(Course.code.in_(codes)))
    return sorted(found.tuples())


def _import_and_clear(app, path, codes, ids, admin_id) -> tuple:
    from db.ingest import StatementId
    from services.course_admin import delete_course
    from services.ingest import import_file

    with app.app_context():
        report = import_file(path, chunk_rows=40).to_dict()
        report.pop("run_id")
        report.pop("resumes")
        result = (report, stored(codes), _stored_ids(ids), _contacts(codes))
        for code in codes:
            delete_course(code, admin_id)
        if ids:
            StatementId.delete().where(StatementId.statement_id.in_([i.lower() for i in ids])).execute()
    return result


@pytest.mark.parametrize("kind", sorted(FILES))
def test_a_file_read_by_workers_stores_what_the_plain_reader_stores(app, tmp_path, make_user, caplog, kind):
    path, codes, ids = FILES[kind](tmp_path)
    admin = make_user("admin")
    app.config.update(IMPORT_WORKERS=0)
    plain = _import_and_clear(app, path, codes, ids, admin.id)
    app.config.update(IMPORT_WORKERS=2, IMPORT_PARALLEL_MIN_KB=0)
    with caplog.at_level(logging.WARNING, logger=parallel_read.__name__):
        parallel = _import_and_clear(app, path, codes, ids, admin.id)
    assert not caplog.records  # the workers did the reading
    assert parallel == plain
    report = plain[0]
    assert report["status"] == "done" and report["rows_imported"] > 100 and report["rejected"] >= 2


def test_workers_that_cannot_start_leave_the_reading_to_this_process(app, tmp_path, make_user, monkeypatch,
                                                                      caplog):
    path, codes, ids = _xapi_file(tmp_path)
    admin = make_user("admin")
    app.config.update(IMPORT_WORKERS=0)
    plain = _import_and_clear(app, path, codes, ids, admin.id)

    def broken(workers):
        raise OSError("no processes here")

    monkeypatch.setattr(parallel_read.ProcessPoolExecutor, "__init__", lambda self, **_: broken(2))
    app.config.update(IMPORT_WORKERS=2, IMPORT_PARALLEL_MIN_KB=0)
    with caplog.at_level(logging.WARNING, logger=parallel_read.__name__):
        assert _import_and_clear(app, path, codes, ids, admin.id) == plain
    assert "cannot start" in caplog.text


def test_ranges_end_at_line_ends_and_cover_the_file(tmp_path):
    path = tmp_path / "lines"
    path.write_bytes(b"".join(b"x" * (i % 13) + b"\n" for i in range(500)) + b"last")
    ranges = list(parallel_read._ranges(path, 100))
    data = path.read_bytes()
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert all(data[end - 1 : end] == b"\n" for _, end in ranges[:-1])
