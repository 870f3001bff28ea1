"""Open edX tracking logs in every shape the platform writes them: raw JSON lines, a logging prefix
(Tutor, syslog), gzip-rotated, a JSON array; every event source; the event table; course ids from the
context or the path; what is not learner activity reported, not stored; through the parser, the store,
the command line and an upload. The logs are written by tests/edx_log_data.py."""

from __future__ import annotations

import io
import json

import pandas as pd
import peewee
import pytest

from modelling.event_types import EVENT_TYPES
from services.ingest import edx, edx_arrow, edx_events, formats
from services.ingest.xapi_verbs import NOT_ACTIVITY
from tests import edx_log_data as data
from tests.helpers import wait_for_job

COMPARED = ["line", "learner", "course", "time", "type", "source", "key"]


def _read(path, **options) -> tuple[pd.DataFrame, list]:
    chunks = list(edx.read(path, **options))
    frame = pd.concat([chunk.frame for chunk in chunks], ignore_index=True)
    return frame, [(rejection.line, rejection.reason) for chunk in chunks for rejection in chunk.rejected]


def test_every_shape_is_detected_and_reads_as_the_raw_log_does(tmp_path):
    raw = data.write(tmp_path, "raw", data.session())
    expected, expected_rejected = _read(raw)
    assert expected["type"].value_counts().to_dict() == data.SESSION_TYPES
    for shape in [name for name in data.SHAPES if name != "raw"]:
        (tmp_path / shape).mkdir()
        other = data.write(tmp_path / shape, shape, data.session())
        assert formats.detect(other) == "edx", shape
        frame, rejected = _read(other)
        pd.testing.assert_frame_equal(frame[COMPARED], expected[COMPARED], obj=shape)
        assert rejected == expected_rejected, shape


def test_a_log_of_only_prefixed_lines_is_not_taken_for_a_csv(tmp_path):
    path = tmp_path / "tracking.log"
    path.write_text(
        "2023-05-23 13:53:13,461 INFO 20 [tracking] [user None] [ip None] logger.py:41 - "
        '{"event_type": "/", "username": "", "time": "2023-05-23T13:53:13+00:00"}\n'
    )
    assert formats.detect(path) == "edx"
    path.write_text('2023-05-23 13:53:13,461 INFO 20 [lms] started - {"worker": 3}\n')
    with pytest.raises(formats.FormatError, match="cannot tell the format"):
        formats.detect(path)


def test_bad_lines_are_rejected_with_their_number_and_the_rest_read_in_bulk(tmp_path, monkeypatch):
    """A log of more lines than the bulk reader's smallest piece, with bad lines among them, reads the
    same whether the bulk reader takes the good pieces or every line is read one by one."""
    records = [data.event("play_video", source="browser", second=i) for i in range(3 * edx_arrow.SMALLEST)]
    lines = [json.dumps(record) + "\n" for record in records]
    lines[10] = '{"username": "ada", "event_type": \n'  # cut short
    lines[300] = json.dumps({**records[300], "username": 42}) + "\n"  # a number: read as text
    lines[301] = json.dumps({**records[301], "context": "not an object"}) + "\n"  # no course
    lines[500] = "[1, 2]\n"  # not an object
    lines[501] = "2023-05-23 13:53:13,461 INFO 20 [tracking] no event here\n"
    lines[502] = "\n"  # blank: skipped
    path = tmp_path / "tracking.log"
    path.write_text("".join(lines))
    bulk, bulk_rejected = _read(path, chunk_rows=200)
    monkeypatch.setattr(edx_arrow, "_fields", lambda data, count: None)
    one_by_one, rejected = _read(path, chunk_rows=200)
    pd.testing.assert_frame_equal(bulk[COMPARED], one_by_one[COMPARED])
    assert bulk_rejected == rejected
    assert [line for line, _ in rejected] == [11, 501, 502]
    assert rejected[0][1].startswith("malformed JSON") and rejected[1][1] == edx.NO_JSON
    assert rejected[2][1] == edx.NO_JSON
    assert len(bulk) == len(records) - 4
    assert bulk.loc[bulk["line"] == 301, "learner"].tolist() == ["42"]
    assert bulk.loc[bulk["line"] == 302, "course"].tolist() == [None]


def test_windows_line_ends_a_bom_and_bytes_that_are_not_utf8_do_not_stop_the_reading(tmp_path):
    raw = data.write(tmp_path, "raw", data.session())
    expected, expected_rejected = _read(raw)
    windows = tmp_path / "windows.log"
    windows.write_bytes(b"\xef\xbb\xbf" + raw.read_bytes().replace(b"\n", b"\r\n"))
    latin = tmp_path / "latin-1.log"
    latin.write_bytes(raw.read_bytes().replace(b'"ada"', b'"ad\xe9"'))  # a byte that is not UTF-8
    frame, rejected = _read(windows)
    pd.testing.assert_frame_equal(frame[COMPARED], expected[COMPARED])
    assert rejected == expected_rejected
    frame, rejected = _read(latin)
    assert len(frame) == len(expected) and set(frame["learner"]) == {"ad\ufffd"}
    assert rejected == expected_rejected


def test_every_event_source_open_edx_writes_is_accepted(tmp_path):
    sources = {"browser": "browser", "mobile": "browser", "server": "server", "task": "server", None: None}
    path = data.write(
        tmp_path,
        "raw",
        [data.event("problem_check", source=source, second=i) for i, source in enumerate(sources)],
    )
    frame, rejected = _read(path)
    assert rejected == [] and frame["source"].tolist() == list(sources.values())


def test_an_unknown_source_is_rejected(tmp_path):
    path = data.write(tmp_path, "raw", [data.event("problem_check", source="phone")])
    assert _read(path)[1] == [(1, "bad source 'phone' (expected server or browser)")]


C, L = data.COURSE, data.LEGACY
BLOCK = "block-v1:DemoOrg+DO101+2023_T1+type@problem+block@p1"
TABLE_CASES = [
    # video
    *[
        (name, "video")
        for name in (
            "play_video",
            "pause_video",
            "seek_video",
            "stop_video",
            "load_video",
            "show_transcript",
            "hide_transcript",
            "edx.video.played",
            "edx.video.transcript.shown",
        )
    ],
    # problems
    *[
        (name, "problem")
        for name in (
            "problem_check",
            "problem_graded",
            "showanswer",
            "problem_save",
            "edx.problem.hint.demandhint_displayed",
            "edx.problem.hint.feedback_displayed",
            "openassessmentblock.create_submission",
            "openassessmentblock.peer_assess",
            "openassessment.upload_file",
            "edx.drag_and_drop_v2.item.dropped",
        )
    ],
    # navigation, reading, forum, wiki, leaving
    *[
        (name, "navigate")
        for name in (
            "seq_goto",
            "seq_next",
            "seq_prev",
            "edx.ui.lms.sequence.next_selected",
            "edx.ui.lms.sequence.tab_selected",
            "edx.ui.lms.outline.selected",
            "link_clicked",
            "edx.ui.lms.link_clicked",
        )
    ],
    *[
        (name, "access")
        for name in (
            "book",
            "textbook.pdf.page.navigated",
            "edx.bookmark.added",
            f"/courses/{C}/courseware/week_1/",
            f"/courses/{L}/info",
            f"/courses/{C}/jump_to/{BLOCK}",
            f"/courses/{C}/progress",
        )
    ],
    *[
        (name, "discussion")
        for name in (
            "edx.forum.thread.created",
            "edx.forum.response.voted",
            f"/courses/{C}/discussion/forum",
            f"/courses/{L}/discussion/threads/t1/reply",
        )
    ],
    *[(name, "wiki") for name in (f"/courses/{C}/wiki/Main/", f"/courses/{L}/course_wiki")],
    ("page_close", "page_close"),
    # not learner activity: the request behind a named event, staff pages, Studio, outside a course
    *[
        (name, NOT_ACTIVITY)
        for name in (
            f"/courses/{C}/xblock/{BLOCK}/handler/xmodule_handler/problem_check",
            f"/courses/{L}/xblock/i4x:;_;_DemoOrg;_DO102;_problem;_p1/handler/xmodule_handler/problem_get",
            f"/courses/{L}/modx/i4x://DemoOrg/DO102/problem/p1/problem_check",
            f"/courses/{C}/instructor/api/list_course_role_members",
            f"/courses/{L}/instructor",
            f"/courses/{L}/legacy_instructor_dash",
            f"/courses/{C}/submission_history/staff/{BLOCK}",
            f"/course/{C}",
            f"/settings/details/{C}",
            f"/xblock/container/{BLOCK}",
            f"/import/{C}",
            "/dashboard",
            "/",
            "/jsi18n/",
            "/courses",
            "/login",
            "edx.course.enrollment.activated",
            "edx.course.enrollment.deactivated",
            "edx.grades.problem.submitted",
            "problem_rescore",
            "openassessmentblock.staff_assess",
            "edx.user.settings.changed",
            "edx.course_discovery.search.initiated",
        )
    ],
]


def test_the_event_table_types_open_edx_events(tmp_path):
    records = [data.event(name, second=i) for i, (name, _) in enumerate(TABLE_CASES)]
    path = data.write(tmp_path, "raw", records)
    frame, rejected = _read(path)
    given = dict(zip(frame["line"], frame["type"], strict=True))
    refused = dict(rejected)
    found = {name: given.get(line) or refused.get(line) for line, (name, _) in enumerate(TABLE_CASES, 1)}
    expected = {
        name: kind if kind != NOT_ACTIVITY else f"not learner activity: {name.lower()!r}"
        for name, kind in TABLE_CASES
    }
    assert {name: kind for name, kind in found.items() if kind != expected[name]} == {}


def test_a_name_no_table_knows_is_reported_as_unknown(tmp_path):
    frame, rejected = _read(data.write(tmp_path, "raw", [data.event("edx.teleport.started")]))
    assert frame.empty and rejected == [(1, "unknown event type 'edx.teleport.started'")]


def test_the_tables_give_only_event_types():
    kinds = set(edx_events.EDX_EVENTS.values()) | {kind for _, kind, _ in edx_events.PATTERN_TABLE}
    assert kinds <= {*EVENT_TYPES, NOT_ACTIVITY}
    assert all(why for _, _, why in edx_events.PATTERN_TABLE)


def test_the_course_comes_from_the_context_else_the_path_or_page(tmp_path):
    page = f"https://lms.demo.test/courses/{L}/courseware/week_2/"
    records = [
        data.event("play_video"),  # context, course-v1
        data.event("play_video", course=L),  # context, legacy
        data.event(f"/courses/{C}/courseware/week_1/", course=None),  # the path, course-v1
        data.event(f"/courses/{L}/courseware/week_1/", course=None),  # the path, legacy
        data.event("seq_next", course=None, page=page),  # the page URL
        data.event("seq_next", course=None, context={"user_id": 7}),  # none: --course
        data.event("seq_next", course=None, context=None),  # none
    ]
    frame, rejected = _read(data.write(tmp_path, "raw", records))
    assert rejected == []
    assert frame["course"].tolist() == [C, L, C, L, L, None, None]


# --- through the store (SQLite or PostgreSQL, as the test run says) --------------------------------------


def _stored_types(app, course: str) -> dict[str, int]:
    from db.courses import ActivityDay, Course

    with app.app_context():
        sums = [peewee.fn.SUM(getattr(ActivityDay, kind)) for kind in EVENT_TYPES]
        row = (
            ActivityDay.select(*sums)
            .join(Course, on=ActivityDay.course == Course.id)
            .where(Course.code == course)
            .tuples()
            .first()
        )
    return {kind: int(value) for kind, value in zip(EVENT_TYPES, row, strict=True) if value}


def test_a_rotated_tutor_log_imports_with_what_is_not_activity_counted_apart(app, tmp_path):
    from services.ingest import import_file

    records = [
        *data.session(),
        *[
            data.event(
                r["event_type"], course=data.LEGACY, second=i + 60, **{"event_source": r["event_source"]}
            )
            for i, r in enumerate(data.session()[:3])
        ],
    ]
    path = data.write(tmp_path, "tutor-rotated", records)
    with app.app_context():
        report = import_file(path)
        again = import_file(path)
    assert report.status == "done" and report.format == "edx", report.error
    assert report.lines_read == len(records) and report.rows_imported == 20
    assert report.reasons == {"not learner activity": data.SESSION_NOT_ACTIVITY}
    assert sorted(report.courses) == sorted([data.COURSE, data.LEGACY])
    assert _stored_types(app, data.COURSE) == data.SESSION_TYPES  # the problem_check request not counted
    assert _stored_types(app, data.LEGACY) == {"access": 1, "video": 2}
    assert again.status == "done" and again.rows_changed == 0  # the same events are not counted twice


def test_a_log_of_only_studio_and_staff_pages_fails_and_creates_no_course(app, tmp_path):
    from db.courses import Course
    from services.ingest import import_file

    records = [
        data.event(f"/settings/details/{data.COURSE}"),
        data.event(f"/courses/{data.COURSE}/instructor"),
    ]
    path = data.write(tmp_path, "tutor", records)
    with app.app_context():
        report = import_file(path)
        created = Course.select().where(Course.code == data.COURSE).count()
    assert report.status == "failed" and "not learner activity" in report.error
    assert created == 0


def test_the_command_line_detects_a_rotated_tutor_log(app, tmp_path):
    path = data.write(tmp_path, "tutor-rotated", data.session())
    result = app.test_cli_runner().invoke(args=["import-activity", str(path)])
    assert result.exit_code == 0, result.output
    assert "tracking.log-20230524.gz: edx" in result.output and "17 imported" in result.output


def test_an_upload_of_a_rotated_tutor_log_is_detected(app, client, make_user, bearer, tmp_path):
    headers = bearer(make_user("admin"))
    content = data.write(tmp_path, "tutor-rotated", data.session()).read_bytes()
    response = client.post(
        "/api/v1/activity/import",
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(content), "tracking.log-20230524.gz")},
    )
    assert response.status_code == 202, response.get_data(as_text=True)[:300]
    done = wait_for_job(client, headers, response.json["id"])
    assert done["status"] == "succeeded", done
    assert done["result"]["format"] == "edx" and done["result"]["rows_imported"] == 17
    assert done["result"]["reasons"] == {"not learner activity": data.SESSION_NOT_ACTIVITY}


def test_the_quick_pass_finds_each_course_s_first_day_as_the_full_read_does(tmp_path):
    from services.ingest.store import _earliest_of_chunks

    records = [
        *data.session(),
        data.event("play_video", course=data.LEGACY, time="2023-05-20T23:59:00+00:00"),
        data.event("play_video", course=None, time="2023-05-19T08:00:00+00:00"),
        data.event("/dashboard", course=data.LEGACY, time="2023-05-01T08:00:00+00:00"),
    ]  # not counted
    path = data.write(tmp_path, "tutor-rotated", records)
    expected = _earliest_of_chunks(edx.read(path), "FALLBACK")
    assert edx.earliest(path, "FALLBACK") == expected
    assert {code: day.isoformat() for code, day in expected.items()} == {
        data.COURSE: "2023-05-23",
        data.LEGACY: "2023-05-20",
        "FALLBACK": "2023-05-19",
    }


def _two_days_of_events(course: str) -> list[dict]:
    """Events of two learners, the later day first in the file (a first chunk that is not the earliest)."""
    return [
        data.event(kind, course=course, username=who, time=f"2023-05-{day}T08:{i:02d}:00+00:00")
        for day in ("23", "10", "24")
        for i, (kind, who) in enumerate([("play_video", "ada"), ("problem_check", "bo"), ("play_video", "bo")]
                                        * 4)
    ]


@pytest.mark.parametrize("options", [{}, {"days": 5}, {"start": "2023-05-23", "days": 2}], ids=str)
def test_a_log_read_once_stores_what_a_first_pass_for_its_first_day_stored(app, tmp_path, monkeypatch,
                                                                           make_user, options):
    """A course made by the import starts on its first chunk's earliest day and widens with the later
    chunks: the same window, rows and activity kept aside as when a pass found the first day first."""
    from datetime import date

    from services.course_admin import delete_course
    from services.ingest import import_file, store
    from tests.import_snapshot import stored

    options = {**options, "start": date.fromisoformat(options["start"])} if "start" in options else options
    code, admin = "course-v1:Org+ONCE+R", make_user("admin")
    path = data.write(tmp_path, "raw", _two_days_of_events(code))
    monkeypatch.setattr(edx_arrow, "BLOCK", 2048)  # a few lines a block: chunks of a few lines are made
    results = []
    for table in (store.EARLIEST, {**store.EARLIEST, "edx": edx.earliest}):
        monkeypatch.setattr(store, "EARLIEST", table)
        with app.app_context():
            report = import_file(path, chunk_rows=5, **options)
            results.append((report.status, report.lines_read, report.rows_imported, report.outside_window,
                            report.reasons, stored([code])))
            delete_course(code, admin.id)
    assert results[0] == results[1]
    assert results[0][0] == "done" and results[0][3] == (12 if "start" in options else 0)
    assert results[0][5][code]["window"][0] == options.get("start", date(2023, 5, 10))
