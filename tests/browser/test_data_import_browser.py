"""The Data page's uploads as an administrator uses them: a daily CSV with two bad lines is imported as a
job (the progress bar finishes), the summary and the error report show the two lines with their numbers and
reasons, the run is in the import history and opens its report; an outcomes CSV sets outcomes."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from db.courses import Course, Enrollment
from tests.helpers import PASSWORD

browser = pytest.mark.browser

DAILY = (
    "enrollment_id,time,event_video,event_problem,course_id\n"
    "b1,2024-03-01,3,1,WEB1\n"  # 2
    "b2,2024-03-02,2,0,WEB1\n"  # 3
    "b3,2024-03-02,x,0,WEB1\n"  # 4 not a number
    "b1,2024-03-03,4,2,WEB1\n"  # 5
    "b4,2024-02-31,1,1,WEB1\n"  # 6 no such date
    "b3,2024-03-05,1,5,WEB1\n"  # 7
)


def _rejection_rows(page, selector: str) -> list[tuple[str, str]]:
    cells = page.driver.find_elements(By.CSS_SELECTOR, f"{selector} tbody tr")
    return [tuple(td.text for td in row.find_elements(By.TAG_NAME, "td")) for row in cells]


@browser
def test_admin_uploads_a_daily_csv_and_reads_its_error_report(page, app, make_user, tmp_path):
    admin = make_user("admin")
    source = tmp_path / "march-daily.csv"
    source.write_text(DAILY)
    page.open("/login")
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/data")
    page.wait_for_text("#data-history-table", "No import yet")
    page.click("#data-import-submit")
    page.wait_for_text("#data-import-message", "Choose a file first")

    page.browser.wait_for_element("#data-import-upload input[type=file]").send_keys(str(source))
    page.wait_for_text("#data-import-filename", "march-daily.csv")
    page.fill("#data-import-days", "25")
    page.click("#data-import-submit")
    page.wait_for_text("#data-import-status", "Finished.", timeout=60)
    assert page.text("#data-import-progress") == "100 %"
    summary = page.wait_for_text("#data-import-summary", "Rows read")
    figures = {
        key: page.text(f"#data-import-figure-{key}").splitlines()[-1]
        for key in ("format", "read", "imported", "rejected", "enrollments", "courses")
    }
    assert figures == {
        "format": "daily",
        "read": "6",
        "imported": "4",
        "rejected": "2",
        "enrollments": "3",
        "courses": "WEB1",
    }, summary
    rows = _rejection_rows(page, "#data-import-rejections")
    assert [line for line, _ in rows] == ["4", "6"]
    assert rows[0][1].startswith("non-integer count") and "'x'" in rows[0][1]
    assert rows[1][1].startswith("unparseable date") and "2024-02-31" in rows[1][1]
    reasons = dict(_rejection_rows(page, "#data-import-reasons"))
    assert reasons == {"non-integer count": "1", "unparseable date": "1"}
    page.screenshot("data-import-report", "data-import-result")

    row = page.wait_for_text("#data-history-list", "march-daily.csv")
    assert "daily" in row and admin.username in row and "done" in row
    page.click('#data-history-list button[id*="data-history-open"]')
    page.wait_for_text("#data-history-title", "march-daily.csv")
    assert [line for line, _ in _rejection_rows(page, "#data-history-rejections")] == ["4", "6"]
    with app.app_context():
        course = Course.by_code("WEB1")
        assert course.length_days == 25
        assert sorted(ref for _, ref in Enrollment.of_course(course)) == ["b1", "b2", "b3"]


@browser
def test_admin_uploads_outcomes_and_sees_the_unknown_enrollment(page, app, make_user, tmp_path):
    from services.ingest import import_file

    admin = make_user("admin")
    daily = tmp_path / "daily.csv"
    daily.write_text(DAILY)
    with app.app_context():
        import_file(daily)
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text("enrollment_id,label\nb1,1\nb2,0\nnobody,1\n")
    page.open("/login")
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/data")
    page.browser.wait_for_element("#data-outcomes-upload input[type=file]").send_keys(str(outcomes))
    page.wait_for_text("#data-outcomes-filename", "outcomes.csv")
    page.fill("#data-outcomes-course", "WEB1")
    page.click("#data-outcomes-submit")
    page.wait_for_text("#data-outcomes-summary", "Outcomes set", timeout=30)
    assert page.text("#data-outcomes-figure-updated").splitlines()[-1] == "2"
    ((line, reason),) = _rejection_rows(page, "#data-outcomes-rejections")
    assert line == "4" and "unknown enrollment" in reason and "nobody" in reason
    with app.app_context():
        outcomes_set = {row.learner_ref: row.dropped_out for row in Enrollment.select()}
    assert outcomes_set == {"b1": True, "b2": False, "b3": None}


@browser
def test_a_file_that_cannot_be_read_says_what_failed_and_what_to_do(page, make_user, tmp_path):
    source = tmp_path / "broken.csv"
    source.write_bytes(b"enrollment_id,time,event_video\nb1,2024-03-01,1\n\xff\xfe,2024-03-02,1\n")
    admin = make_user("admin")
    page.open("/login")
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/data")
    page.browser.wait_for_element("#data-import-upload input[type=file]").send_keys(str(source))
    page.wait_for_text("#data-import-filename", "broken.csv")
    page.click("#data-import-submit")
    page.wait_for_text("#data-import-status", "The import failed", timeout=60)
    outcome = page.wait_for_text("#data-import-outcome", "could not be read")
    assert "Importing the same file again completes it" in outcome
    page.wait_for_text("#data-history-list", "failed")
