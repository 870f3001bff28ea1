"""Storing imported activity (SQLite or PostgreSQL, whichever the tests run on): courses and enrollments
made on first sight, the course window, replace-not-add for daily rows, event keys counted once, and
import runs that say how far a failed import got and are completed by importing the file again."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date

import numpy as np
import pandas as pd
import pytest

from tests.helpers import TEST_DATABASE_URL

HEADER = "enrollment_id,time,event_navigate,event_access,event_video,event_problem"


def _daily_file(tmp_path, rows, name="daily.csv", header=HEADER):
    """A daily CSV: rows of (learner, 'YYYY-MM-DD', navigate, access, video, problem) or raw text."""
    lines = [row if isinstance(row, str) else ",".join(str(value) for value in row) for row in rows]
    path = tmp_path / name
    path.write_text(header + "\n" + "\n".join(lines) + "\n")
    return path


def _stored() -> list[tuple]:
    """Every stored day: (course code, learner, day, navigate, access, video, problem, server, browser)."""
    from db.courses import ActivityDay, Course, Enrollment

    query = (
        ActivityDay.select(
            Course.code,
            Enrollment.learner_ref,
            ActivityDay.day,
            ActivityDay.navigate,
            ActivityDay.access,
            ActivityDay.video,
            ActivityDay.problem,
            ActivityDay.server,
            ActivityDay.browser,
        )
        .join(Course, on=(ActivityDay.course == Course.id))
        .switch(ActivityDay)
        .join(Enrollment, on=(ActivityDay.enrollment == Enrollment.id))
        .tuples()
    )
    return sorted(query)


def _week(learners=("u1", "u2"), days=range(7), first="2014-05-25", scale=1):
    start = pd.Timestamp(first)
    return [
        (learner, (start + pd.Timedelta(days=d)).strftime("%Y-%m-%d"), d * scale, 1, i, 2)
        for i, learner in enumerate(learners)
        for d in days
    ]


def test_good_and_bad_lines_course_created_from_the_earliest_date(app, tmp_path):
    from db.courses import Course
    from db.ingest import ImportRun
    from services.ingest import import_file

    rows = _week(days=range(3), first="2014-05-26") + [
        "u3,2014-05-25,1,1,1,1",  # the earliest date: day 0
        "u4,2014-05-27,-2,0,0,0",  # line 9
        "u5,someday,1,0,0,0",  # line 10
    ]
    path = _daily_file(tmp_path, rows)
    with app.app_context():
        report = import_file(path, course="MATH1")
        assert report.status == "done" and report.format == "daily"
        assert (report.lines_read, report.rows_imported, report.rejected) == (9, 7, 2)
        assert [(r.line, r.reason.split(":")[0]) for r in report.first_rejections] == [
            (9, "negative count"),
            (10, "unparseable date"),
        ]
        assert report.reasons == {"negative count": 1, "unparseable date": 1}
        assert report.enrollments == 3 and report.courses == ["MATH1"]
        course = Course.by_code("MATH1")
        assert course.start_date == date(2014, 5, 25) and course.length_days == 30
        stored = _stored()
        assert ("MATH1", "u3", 0, 1, 1, 1, 1, None, None) in stored
        assert ("MATH1", "u2", 3, 2, 1, 1, 2, None, None) in stored  # 2014-05-28 is day 3
        assert len(stored) == 7
        run = ImportRun.get_by_id(report.run_id)
        assert (
            run.status == "done"
            and run.rejected == 2
            and run.rejections[0] == [9, report.first_rejections[0].reason]
        )
        assert run.last_line == 10 and run.sha256 and run.finished_at is not None


def test_start_and_days_options_and_the_course_window(app, tmp_path):
    from db.courses import Course
    from services.ingest import import_file

    path = _daily_file(tmp_path, _week(learners=("u1",), days=range(10), first="2014-05-23"))
    with app.app_context():
        report = import_file(path, course="SHORT", start=date(2014, 5, 25), days=5)
        course = Course.by_code("SHORT")
        assert (course.start_date, course.length_days) == (date(2014, 5, 25), 5)
        # The days outside are kept aside, not rejected.
        assert (report.outside_window, report.rejected, report.reasons) == (5, 0, {})
        assert report.rows_imported == 5
        assert [row[2] for row in _stored()] == [0, 1, 2, 3, 4]
        # An existing course keeps its dates whatever the options say.
        again = import_file(path, course="SHORT", start=date(2014, 1, 1), days=30)
        assert again.rows_changed == 0 and Course.by_code("SHORT").length_days == 5


def test_the_same_file_twice_changes_nothing(app, tmp_path):
    from services.ingest import import_file

    path = _daily_file(tmp_path, _week(learners=("a", "b", "c")))
    with app.app_context():
        first = import_file(path, course="C")
        before = _stored()
        second = import_file(path, course="C")
        assert second.status == "done" and second.rows_imported == first.rows_imported == 21
        assert first.rows_changed == 21 and second.rows_changed == 0
        assert _stored() == before


def test_overlapping_daily_files_replace_the_days_they_share(app, tmp_path):
    from services.ingest import import_file

    early = _daily_file(tmp_path, _week(learners=("u1",), days=range(0, 5)), "early.csv")
    late = _daily_file(tmp_path, _week(learners=("u1",), days=range(3, 8), scale=10), "late.csv")
    with app.app_context():
        import_file(early, course="C")
        report = import_file(late, course="C")
        assert report.rows_changed == 5  # days 3 and 4 got new counts, days 5..7 are new
        navigate = {row[2]: row[3] for row in _stored()}
        assert navigate == {0: 0, 1: 1, 2: 2, 3: 30, 4: 40, 5: 50, 6: 60, 7: 70}


def test_course_ids_in_the_file_and_rows_without_a_course(app, tmp_path):
    from db.courses import Course
    from services.ingest import import_file

    header = HEADER + ",course_id"
    rows = ["u1,2014-06-01,1,0,0,0,A", "u1,2014-06-03,1,0,0,0,B", "u2,2014-06-02,1,0,0,0,"]
    path = _daily_file(tmp_path, rows, header=header)
    with app.app_context():
        report = import_file(path)
        assert report.reasons == {"no course": 1} and report.first_rejections[0].line == 4
        assert report.courses == ["A", "B"]
        assert Course.by_code("A").start_date == date(2014, 6, 1)
        assert Course.by_code("B").start_date == date(2014, 6, 3)
        import_file(path, course="C")
        assert Course.by_code("C").start_date == date(2014, 6, 2)
        assert ("C", "u2", 0, 1, 0, 0, 0, None, None) in _stored()


def _events(rows, first_line=2):
    """An events chunk from (learner, course, 'time', type, source, key) tuples."""
    from services.ingest.parsed import EVENT_COLUMNS, Chunk

    frame = pd.DataFrame(rows, columns=["learner", "course", "time", "type", "source", "key"])
    frame["time"] = pd.to_datetime(frame["time"])
    frame["key"] = frame["key"].astype(np.uint64)
    frame["line"] = np.arange(first_line, first_line + len(frame))
    return Chunk("events", frame[list(EVENT_COLUMNS)], [], len(frame))


def test_event_chunks_with_overlapping_keys_count_each_event_once(app):
    from services.ingest import write_chunks

    monday = [
        ("u1", "EV", "2014-05-25T09:00:00", "video", "browser", 1),
        ("u1", "EV", "2014-05-25T09:05:00", "video", "browser", 2),
        ("u1", "EV", "2014-05-25T10:00:00", "problem", "server", 3),
        ("u2", "EV", "2014-05-26T08:00:00", "access", None, 4),
    ]
    overlap = [
        ("u1", "EV", "2014-05-25T09:05:00", "video", "browser", 2),  # seen
        ("u1", "EV", "2014-05-25T10:00:00", "problem", "server", 3),  # seen
        ("u1", "EV", "2014-05-25T11:00:00", "wiki", "server", 5),  # new
        ("u1", "EV", "2014-05-25T11:00:00", "wiki", "server", 5),  # twice in the same chunk
        ("u2", "EV", "2014-05-27T08:00:00", "access", "browser", 2**63 + 7),  # new, another day
    ]
    with app.app_context():
        first = write_chunks([_events(monday)])
        assert (first.status, first.rows_imported, first.rows_changed) == ("done", 4, 4)
        second = write_chunks([_events(overlap)], source_name="platform push")
        assert (second.rows_imported, second.rows_changed) == (5, 2)
        third = write_chunks([_events(monday), _events(overlap)])
        assert third.rows_changed == 0
        stored = {(row[1], row[2]): row[3:] for row in _stored()}
        # navigate, access, video, problem, server, browser
        assert stored[("u1", 0)] == (0, 0, 2, 1, 2, 2)
        assert stored[("u2", 1)] == (0, 1, 0, 0, None, None)  # source unknown
        assert stored[("u2", 2)] == (0, 1, 0, 0, 0, 1)
        from db.courses import ActivityDay

        assert ActivityDay.get(ActivityDay.day == 0).wiki == 1


def test_events_outside_the_window_are_kept_aside(app):
    from services.ingest import write_chunks

    rows = [
        ("u1", None, "2014-05-25T09:00:00", "video", "server", 1),
        ("u1", None, "2014-05-20T09:00:00", "video", "server", 2),
    ]
    with app.app_context():
        report = write_chunks([_events(rows)], course="W", start=date(2014, 5, 25), days=10)
        assert (report.rows_changed, report.outside_window, report.rejected) == (1, 1, 0)


def _corrupt_file(tmp_path, good_rows: int):
    path = tmp_path / "corrupt.csv"
    with path.open("wb") as handle:
        handle.write(HEADER.encode() + b"\n")
        for i in range(good_rows):
            handle.write(f"u{i % 9},2014-05-{1 + i % 28:02d},{i % 5},1,0,0\n".encode())
        handle.write(b"\xff\xfe,2014-05-03,1,1,1,1\n")  # not UTF-8: the file cannot be read past here
        handle.write(b"u1,2014-05-04,1,1,1,1\n")
    return path


def test_a_file_unreadable_midway_keeps_whole_chunks_and_says_where(app, tmp_path):
    from db.courses import ActivityDay
    from db.ingest import ImportRun
    from services.ingest import import_file

    path = _corrupt_file(tmp_path, 100)
    with app.app_context():
        report = import_file(path, course="X", chunk_rows=30)
        assert report.status == "failed" and "could not be read after line 91" in report.error
        assert report.last_line == 91 and report.rows_imported == 90
        assert ActivityDay.select().count() == len({(i % 9, i % 28) for i in range(90)})
        run = ImportRun.get_by_id(report.run_id)
        assert (run.status, run.last_line, run.rows_imported) == ("failed", 91, 90)
        again = import_file(path, course="X", chunk_rows=30)  # the same bytes fail at the same place
        assert again.status == "failed" and again.resumes == report.run_id and again.rows_changed == 0
        repaired = tmp_path / "repaired.csv"
        repaired.write_bytes(path.read_bytes().replace(b"\xff\xfe", b"u0"))
        done = import_file(repaired, course="X", chunk_rows=30)
        assert done.status == "done" and done.rows_imported == 102


def _clean_import(app, path, code):
    from services.ingest import import_file

    with app.app_context():
        import_file(path, course=code)
        return [row[1:] for row in _stored() if row[0] == code]


def test_a_killed_import_is_completed_by_importing_the_file_again(app, tmp_path):
    """A real process is killed (os._exit) right after its first chunk committed."""
    from db.ingest import ImportRun
    from services.ingest import import_file

    path = _daily_file(tmp_path, _week(learners=[f"k{i}" for i in range(10)]))
    script = textwrap.dedent(
        f"""
        import os
        from db.connection import bind_database
        bind_database({app.config["DATABASE_URL"]!r})
        from services.ingest import import_file
        import_file({str(path)!r}, course="KILL", chunk_rows=20, progress=lambda *_: os._exit(9))
        """
    )
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=120)
    assert result.returncode == 9, result.stderr[-1500:]
    with app.app_context():
        run = ImportRun.get()
        assert (run.status, run.last_line, run.rows_imported) == ("running", 21, 20)
        report = import_file(path, course="KILL", chunk_rows=20)
        assert report.status == "done" and report.resumes == run.id and report.rows_changed == 50
        killed = ImportRun.get_by_id(run.id)
        assert killed.status == "failed" and "interrupted" in killed.error
        stored = [row[1:] for row in _stored()]
    assert stored == _clean_import(app, path, "CLEAN")


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="terminating a server connection needs PostgreSQL")
def test_a_connection_killed_midway_fails_the_run_and_a_rerun_completes_it(app, tmp_path):
    import psycopg2

    from db.connection import database
    from db.ingest import ImportRun
    from services.ingest import import_file

    path = _daily_file(tmp_path, _week(learners=[f"p{i}" for i in range(10)]))
    killed = []

    def terminate_once(*_):
        if not killed:
            pid = database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
            with psycopg2.connect(TEST_DATABASE_URL) as other, other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
            killed.append(pid)

    with app.app_context():
        report = import_file(path, course="PG", chunk_rows=20, progress=terminate_once)
        assert report.status == "failed" and "database error after line 21" in report.error
        run = ImportRun.get_by_id(report.run_id)
        assert (run.status, run.last_line, run.rows_imported) == ("failed", 21, 20)
        again = import_file(path, course="PG", chunk_rows=20)
        assert again.status == "done" and again.resumes == run.id and again.rows_changed == 50
        stored = [row[1:] for row in _stored()]
    assert stored == _clean_import(app, path, "CLEAN")


def test_unknown_format_and_bad_options(app, tmp_path):
    from services.errors import InvalidInput
    from services.ingest import import_file

    path = tmp_path / "notes.csv"
    path.write_text("name,comment\nx,y\n")
    with app.app_context():
        report = import_file(path)
        assert report.status == "failed" and "cannot tell the format" in report.error
        with pytest.raises(InvalidInput) as caught:
            import_file(path, days=0, fmt="pdf")
        assert set(caught.value.fields) == {"days", "format"}
        with pytest.raises(InvalidInput):
            import_file(tmp_path / "missing.csv")


def test_outcomes_update_known_enrollments_and_report_the_rest(app, tmp_path):
    from db.courses import Course, Enrollment
    from services.ingest import import_file, import_outcomes

    with app.app_context():
        import_file(_daily_file(tmp_path, _week(learners=("u1", "u2", "u3"))), course="OUT")
        outcomes = tmp_path / "outcomes.csv"
        outcomes.write_text("enrollment_id,label\nu1,1\nu2,0\nghost,1\nu3,maybe\n,1\n")
        report = import_outcomes(outcomes, course="OUT", source_name="registrar")
        assert report.updated == 2 and report.rejected == 3
        assert {r.line: r.reason.split(":")[0] for r in report.first_rejections} == {
            4: "unknown enrollment",
            5: "invalid label",
            6: "missing learner",
        }
        course = Course.by_code("OUT")
        outcome = {e.learner_ref: (e.dropped_out, e.outcome_source) for e in course.enrollments}
        assert outcome == {"u1": (True, "registrar"), "u2": (False, "registrar"), "u3": (None, None)}
        assert Enrollment.select().where(Enrollment.learner_ref == "ghost").count() == 0
        with_course = tmp_path / "with_course.csv"
        with_course.write_text("enrollment_id,label,course_id\nu3,1,OUT\nu3,1,NOPE\n")
        report = import_outcomes(with_course)
        assert report.updated == 1 and report.first_rejections[0].reason == "unknown course: 'NOPE'"


def test_outcomes_without_a_course_find_the_learners_one_course_and_report_ambiguous_ones(app, tmp_path):
    from db.courses import Course
    from services.ingest import import_file, import_outcomes

    with app.app_context():
        import_file(_daily_file(tmp_path, _week(learners=("u1", "both"))), course="FIRST")
        import_file(_daily_file(tmp_path, _week(learners=("u2", "both"))), course="SECOND")
        outcomes = tmp_path / "no_course.csv"
        outcomes.write_text("enrollment_id,label\nu1,1\nu2,0\nboth,1\nghost,0\n")
        report = import_outcomes(outcomes)
        assert (report.updated, report.rejected, report.courses) == (2, 2, ["FIRST", "SECOND"])
        assert [(r.line, r.reason) for r in report.first_rejections] == [
            (4, "ambiguous learner: 'both' is enrolled in 2 courses (FIRST, SECOND); add a course_id"
                " column or choose the course"),
            (5, "unknown enrollment: 'ghost' is in no course (import its activity first)"),
        ]
        assert report.reasons == {"ambiguous learner": 1, "unknown enrollment": 1}
        first, second = Course.by_code("FIRST"), Course.by_code("SECOND")
        assert {e.learner_ref: e.dropped_out for e in first.enrollments} == {"u1": True, "both": None}
        assert {e.learner_ref: e.dropped_out for e in second.enrollments} == {"u2": False, "both": None}


def test_a_file_that_stores_nothing_fails_says_why_and_creates_no_course(app, tmp_path):
    from datetime import date

    from db.courses import Course
    from services.ingest import import_file

    with app.app_context():
        historical = _daily_file(tmp_path, _week(first="2013-12-17"))
        report = import_file(historical, course="PILOT", start=date(2026, 11, 25))
        counts = (report.status, report.rows_imported, report.rejected, report.outside_window)
        assert counts == ("failed", 0, 0, 14)
        assert report.error == (
            "nothing was stored: the file covers 2013-12-17 to 2013-12-23, but course PILOT runs 2026-11-25"
            " to 2026-12-24; set the course's start date (Course settings) to the file's dates, import"
            " into a new course without a start date, or move the file's dates onto the course's window"
            " (rebase)"
        )
        assert Course.by_code("PILOT") is None
        garbage = _daily_file(tmp_path, ["a,not-a-date,1,1,0,0", "b,also-not,1,1,0,0"], name="bad.csv")
        report = import_file(garbage, fmt="daily", course="JUNK")
        assert report.status == "failed"
        assert report.error.startswith("nothing was stored: all 2 lines were rejected, most for")
        assert Course.by_code("JUNK") is None
        # An existing course is kept, whatever the file held.
        Course.create(code="KEPT", title="kept", start_date=date(2026, 11, 25))
        assert import_file(historical, course="KEPT").status == "failed"
        assert Course.by_code("KEPT") is not None


def test_rebase_moves_an_old_exports_first_day_onto_the_courses_day_zero(app, tmp_path):
    from datetime import date

    from db.courses import ActivityDay, Course
    from services.ingest import import_file

    with app.app_context():
        Course.create(code="PILOT", title="pilot", start_date=date(2026, 11, 25), length_days=30)
        historical = _daily_file(tmp_path, _week(first="2013-12-17", days=range(2, 9)))
        report = import_file(historical, course="PILOT", rebase=True)
        assert (report.status, report.rows_imported, report.rejected) == ("done", 14, 0)
        days = sorted({day for (day,) in ActivityDay.select(ActivityDay.day).tuples()})
        assert days == [0, 1, 2, 3, 4, 5, 6]  # the file's first date (2013-12-19) is day 0
        assert Course.by_code("PILOT").start_date == date(2026, 11, 25)


def test_reads_for_the_pages(app, tmp_path):
    from db.courses import ActivityDay, Course, Enrollment

    rows = ["a,2014-05-25,1,1,0,0", "a,2014-05-27,0,0,0,0", "a,2014-05-28,0,2,0,0", "b,2014-05-26,0,0,0,0"]
    with app.app_context():
        from services.ingest import import_file

        import_file(_daily_file(tmp_path, rows), course="PAGES")
        course = Course.by_code("PAGES")
        found, total = Enrollment.search(course, None, None, None, 1, 10)
        listed = {row.learner_ref: (row.events, row.active_days, row.last_day) for row in found}
        assert total == 2 and listed == {"a": (4, 2, 3), "b": (0, 0, None)}
        days = ActivityDay.of_enrollment(Enrollment.get(Enrollment.learner_ref == "a"))
        assert [(day.day, day.navigate, day.access) for day in days] == [(0, 1, 1), (3, 0, 2)]


def test_days_without_events_take_no_row_and_a_later_empty_day_removes_one(app, tmp_path):
    from db.courses import ActivityDay, Course, Enrollment
    from services.ingest import import_file

    first = _daily_file(tmp_path, ["a,2014-05-25,1,0,0,0", "a,2014-05-26,0,0,0,0", "b,2014-05-25,0,0,0,0"])
    with app.app_context():
        import_file(first, course="EMPTY")
        course = Course.by_code("EMPTY")
        stored = ActivityDay.select().where(ActivityDay.course == course)
        assert [(row.enrollment.learner_ref, row.day) for row in stored] == [("a", 0)]
        enrolled, _ = Enrollment.search(course, None, None, None, 1, 10)
        assert {row.learner_ref for row in enrolled} == {"a", "b"}
        corrected = tmp_path / "corrected"
        corrected.mkdir()
        report = import_file(_daily_file(corrected, ["a,2014-05-25,0,0,0,0"]), course="EMPTY")
        assert report.rows_changed == 1
        assert ActivityDay.select().where(ActivityDay.course == course).count() == 0


def test_a_run_keeps_the_first_hundred_rejections_and_counts_them_all(app, tmp_path):
    from db.ingest import ImportRun
    from services.ingest import import_file

    rows = [f"u{i},2014-05-25,-1,0,0,0" for i in range(150)] + ["ok,2014-05-25,1,0,0,0"]
    with app.app_context():
        report = import_file(_daily_file(tmp_path, rows), course="MANY", chunk_rows=40)
        assert report.status == "done" and report.rows_imported == 1
        assert report.rejected == 150 and report.reasons == {"negative count": 150}
        assert [r.line for r in report.first_rejections] == list(range(2, 102))
        run = ImportRun.get_by_id(report.run_id)
        assert len(run.rejections) == 100 and run.rejected == 150 and run.lines_read == 151


def test_a_date_column_that_is_not_text_fails_the_run_before_anything_is_stored(app, tmp_path):
    from db.courses import ActivityDay
    from services.ingest import import_file

    path = tmp_path / "dates.csv"
    path.write_bytes(HEADER.encode() + b"\nu1,2014-05-25,1,1,1,1\nu2,2014-\xff5-26,1,1,1,1\n")
    with app.app_context():
        report = import_file(path, course="NEW")  # a new course: its start is the file's earliest date
        assert report.status == "failed" and "could not be read" in report.error
        assert report.rows_imported == 0 and ActivityDay.select().count() == 0
