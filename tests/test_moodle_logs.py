"""Moodle's Logs report download read as Moodle and spreadsheet programs write it (CSV with a BOM and
commas, CSV with semicolons, Excel with text or date cells): the same events from every shape, learners
by user id or name, local times by the given day/month order and zone, staff's rows counted apart,
the course from the Descriptions, and bad rows reported with their line."""

from __future__ import annotations

import csv
import zipfile

import pandas as pd
import pytest

from services.ingest import formats
from services.ingest.event_map import for_format
from services.ingest.moodle_events import NOT_ACTIVITY, STAFF_EVENTS
from services.ingest.moodle_logs import LEARNER_FIELD
from services.ingest.textfile import FormatError
from tests import moodle_logs_data as data

SHAPES = {
    "csv, BOM and commas": lambda path: data.write_csv(path / "logs.csv"),
    "csv saved again with semicolons": lambda path: data.write_csv(path / "logs.csv", ";", bom=False),
    "xlsx as Moodle writes it": lambda path: data.write_xlsx(path / "logs.xlsx"),
    "xlsx with date cells": lambda path: data.write_xlsx(path / "logs.xlsx", date_cells=True),
}


def _read(path, **options):
    chunks = list(formats.read(path, "auto", **options))
    frame = pd.concat([chunk.frame for chunk in chunks])
    rejected = [rejection for chunk in chunks for rejection in chunk.rejected]
    return frame, rejected


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_gives_the_same_events_and_rejections(tmp_path, shape):
    path = SHAPES[shape](tmp_path)
    assert formats.detect(path) == "moodle"
    frame, rejected = _read(path)
    expected = {line: outcome for line, (_, outcome) in enumerate(data.ROWS, start=2)}
    assert dict(zip(frame["line"], frame["type"], strict=True)) == {
        line: outcome for line, outcome in expected.items() if line not in {r.line for r in rejected}
    }
    assert len(frame) == data.kept()
    for rejection in rejected:
        outcome = expected[rejection.line]
        assert rejection.reason.startswith("not learner activity" if outcome == NOT_ACTIVITY else outcome)
    assert frame.groupby("learner").size().to_dict() == data.LEARNERS
    assert set(frame["course"]) == {data.COURSE_CODE}
    first = frame[frame["line"] == 17].iloc[0]  # "7/12/23, 13:01", day first, UTC by default
    assert first["time"] == pd.Timestamp("2023-12-07 13:01")


def test_staff_are_known_by_their_staff_events_and_the_system_by_its_id(tmp_path):
    _, rejected = _read(data.write_csv(tmp_path / "logs.csv"))
    reasons = {rejection.line: rejection.reason for rejection in rejected}
    # Tess graded a submission: her course view is a teacher's, and so is her view of Ana's grades.
    assert reasons[3] == "not learner activity: 'course viewed by course staff'"
    assert reasons[4] == "not learner activity: 'grade user report viewed by course staff'"
    assert reasons[18] == "not learner activity: 'user logged in'"
    rows = [data.HEADER, ["7/12/23, 13:00", "-", "-", "System", "System", "Course viewed",
                          "The user with id '0' viewed the course with id '7'.", "cli", ""],
            ["7/12/23, 13:00", "-", "-", "Course: Biology 101", "System", "Course viewed", "", "web", ""]]
    path = tmp_path / "system.csv"
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    assert [r.reason for r in _read(path)[1]] == [
        "not learner activity: 'course viewed by the system'", "missing learner (" + LEARNER_FIELD + ")"]


def test_the_date_order_and_time_zone_given_at_import(tmp_path):
    path = data.write_csv(tmp_path / "logs.csv")
    frame, rejected = _read(path, date_order="mdy", time_zone="Europe/Paris")
    times = dict(zip(frame["line"], frame["time"], strict=True))
    assert times[17] == pd.Timestamp("2023-07-12 11:01")  # 13:01 in Paris in summer, month first
    assert times[11] == pd.Timestamp("2023-12-25 09:00")  # the row a day-first reading rejects
    assert 11 not in {rejection.line for rejection in rejected}
    with pytest.raises(FormatError, match="time zone 'Mars/Olympus': an IANA name"):
        _read(path, time_zone="Mars/Olympus")


def test_the_course_from_the_file_or_the_import(tmp_path):
    path = data.write_csv(tmp_path / "logs.csv")
    frame, _ = _read(path, course="BIO101")
    assert frame["course"].isna().all()  # the import's course applies
    rows = [data.HEADER] + [row for row, _ in data.ROWS]
    rows.append(["7/12/23, 12:00", "Ana Souza", "-", "Course: Chemistry", "System", "Course viewed",
                 "The user with id '12' viewed the course with id '9'.", "web", ""])
    several = tmp_path / "site.csv"
    with several.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    frame, rejected = _read(several)
    assert set(frame["course"]) == {"moodle-course-7", "moodle-course-9"}
    assert frame[frame["line"] == len(rows)]["course"].tolist() == ["moodle-course-9"]
    no_course = {r.line for r in rejected if r.reason.startswith("no course: the file holds several")}
    assert 16 in no_course and 6 in no_course  # a quiz started, a video: their Descriptions name no course
    with pytest.raises(FormatError, match="logs of 2 courses \\(Moodle course ids 7, 9\\)"):
        _read(several, course="BIO101")
    alone = tmp_path / "alone.csv"
    with alone.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows[:2])
    with pytest.raises(FormatError, match="no Description names a course"):
        _read(alone)


def test_rows_with_a_wrong_number_of_values_are_rejected_with_their_line(tmp_path):
    path = tmp_path / "logs.csv"
    good = [row for row, _ in data.ROWS[-3:]]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([data.HEADER, good[0], [*good[1], "extra"], [], good[2]])
        handle.write("7/12/23, 12:00,Ana Souza,-,Course: Biology 101\n")
    frame, rejected = _read(path)
    assert frame["line"].tolist() == [2, 5]  # the blank line 4 is no event
    assert [(r.line, r.reason.split(" (")[0]) for r in rejected] == [
        (3, "wrong number of values: 10 where the header has 9"),
        (6, "wrong number of values: 5 where the header has 9")]


def test_detection_and_clear_refusals(tmp_path):
    other = tmp_path / "other.xlsx"
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    book.create_sheet("Grades").append(["Name", "Grade"])
    book.save(other)
    assert formats.detect(other) == "moodle"
    with pytest.raises(FormatError, match="has no Time, User full name and Event name columns"):
        list(formats.read(other))
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("readme.txt", "not a workbook")
    with pytest.raises(FormatError):
        formats.detect(archive)


def test_the_event_table_and_the_setting_that_extends_it():
    moodle = for_format("moodle")
    assert all(moodle.type_of(name) == NOT_ACTIVITY for name in STAFF_EVENTS)
    extended = for_format("moodle", {"moodle": {"Spaceship launched": "access"}, "edx": {"x": "video"}})
    assert extended.type_of("spaceship launched") == "access" and moodle.type_of("spaceship launched") is None


def test_the_sites_defaults_are_settings_checked_at_start_up(monkeypatch, tmp_path):
    from server.config import load_config

    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("MOODLE_DATE_ORDER", "MDY")
    monkeypatch.setenv("MOODLE_TIME_ZONE", "America/Chicago")
    config = load_config()
    assert (config.MOODLE_DATE_ORDER, config.MOODLE_TIME_ZONE) == ("mdy", "America/Chicago")
    monkeypatch.setenv("MOODLE_TIME_ZONE", "Central Time")
    with pytest.raises(RuntimeError, match="MOODLE_TIME_ZONE: time zone 'Central Time'"):
        load_config()
    monkeypatch.setenv("MOODLE_DATE_ORDER", "ydm")
    with pytest.raises(RuntimeError, match="date order 'ydm': one of dmy, mdy"):
        load_config()


def test_a_workbook_that_expands_past_the_limits_is_refused(tmp_path):
    path = data.write_xlsx(tmp_path / "logs.xlsx")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/media/zeros.bin", b"\0" * (17 << 20))  # 17 MB of zeros pack into a few KB
    with pytest.raises(FormatError, match="the workbook expands to 17 MB, more than 16 MB"):
        list(formats.read(path))
