"""A Moodle Logs download imported into the store (CLI, service, API upload): one course, learners by
Moodle user id, the CSV and the Excel download counting the same events once, staff's rows counted
apart, a file of nothing but staff's rows failing with its reason and leaving no course behind."""

from __future__ import annotations

import csv
import io

import peewee
import pytest

from db.courses import ActivityDay, Course, Enrollment
from services.ingest import import_file
from tests import moodle_logs_data as data
from tests.helpers import assert_error, wait_for_job

IMPORT = "/api/v1/activity/import"


def _stored(course: str) -> dict[str, int]:
    """Per learner of the course, the events stored (all types)."""
    types = ("navigate", "access", "page_close", "problem", "video", "discussion", "wiki")
    total = sum((getattr(ActivityDay, kind) for kind in types[1:]), getattr(ActivityDay, types[0]))
    rows = (ActivityDay.select(Enrollment.learner_ref, peewee.fn.SUM(total))
            .join(Enrollment, on=ActivityDay.enrollment == Enrollment.id)
            .join(Course, on=ActivityDay.course == Course.id)
            .where(Course.code == course).group_by(Enrollment.learner_ref).tuples())
    return {learner: int(count) for learner, count in rows}


def test_the_csv_makes_one_course_and_the_xlsx_of_the_same_logs_adds_nothing(app, tmp_path):
    with app.app_context():
        report = import_file(data.write_csv(tmp_path / "logs.csv"))
        assert report.status == "done" and report.format == "moodle"
        assert report.courses == [data.COURSE_CODE] and report.rows_imported == data.kept()
        assert report.reasons == {"not learner activity": 4, "unknown event type 'spaceship launched'": 1,
                                  "date not in day/month/year order": 1}
        staff = [r.reason for r in report.first_rejections if r.line == 3]
        assert staff == ["not learner activity: 'course viewed by course staff'"]
        assert _stored(data.COURSE_CODE) == data.LEARNERS
        assert Course.select().count() == 1
        again = import_file(data.write_xlsx(tmp_path / "logs.xlsx", date_cells=True))
        assert again.status == "done" and again.rows_imported == data.kept() and again.rows_changed == 0
        assert _stored(data.COURSE_CODE) == data.LEARNERS


def test_a_file_of_staff_rows_only_fails_with_its_reason_and_creates_no_course(app, tmp_path):
    path = tmp_path / "teacher.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows([data.HEADER, *(row for row, _ in data.ROWS[1:4])])
    with app.app_context():
        report = import_file(path)
        assert report.status == "failed" and report.rows_imported == 0
        assert "not learner activity" in report.error
        assert Course.by_code(data.COURSE_CODE) is None


def test_the_cli_takes_the_date_order_and_time_zone(app, tmp_path):
    path = data.write_csv(tmp_path / "logs.csv")
    runner = app.test_cli_runner()
    args = ["import-activity", str(path), "--course", "BIO101", "--date-order", "mdy", "--time-zone",
            "America/New_York"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "logs.csv: moodle" in result.output and "in BIO101" in result.output
    with app.app_context():
        assert Course.by_code("BIO101").start_date.isoformat() == "2023-07-12"  # month first
    wrong = runner.invoke(args=["import-activity", str(path), "--time-zone", "Nowhere/Town"])
    assert wrong.exit_code != 0 and "time zone 'Nowhere/Town'" in wrong.output


@pytest.fixture
def admin_headers(make_user, bearer):
    return bearer(make_user("admin"))


def test_an_excel_upload_with_its_local_time_options(app, client, admin_headers):
    content = data.write_xlsx(app.config["UPLOAD_DIR"].parent / "logs-upload.xlsx").read_bytes()
    fields = {"file": (io.BytesIO(content), "logs.xlsx"), "date_order": "dmy", "time_zone": "Asia/Tokyo"}
    response = client.post(IMPORT, data=fields, headers=admin_headers, content_type="multipart/form-data")
    assert response.status_code == 202, response.get_data(as_text=True)[:300]
    done = wait_for_job(client, admin_headers, response.json["id"])
    assert done["status"] == "succeeded", done
    report = done["result"]
    assert report["format"] == "moodle" and report["rows_imported"] == data.kept()
    lines = {item["line"]: item["reason"] for item in report["first_rejections"]}
    assert lines[11].startswith("date not in day/month/year order: '12/25/23, 10:00'")
    with app.app_context():
        # 13:01 in Tokyo is 04:01 UTC: the course starts on the 7th either way, its first event is earlier
        assert Course.by_code(data.COURSE_CODE).start_date.isoformat() == "2023-12-07"
    bad = {"file": (io.BytesIO(content), "logs.xlsx"), "date_order": "ymd", "time_zone": "Tokyo"}
    error = assert_error(client.post(IMPORT, data=bad, headers=admin_headers,
                                     content_type="multipart/form-data"), 422)
    assert set(error["fields"]) == {"date_order", "time_zone"}
