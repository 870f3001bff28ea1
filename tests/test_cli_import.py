"""`flask --app wsgi import-activity` and `import-outcomes`, run through Flask's CLI runner."""

from __future__ import annotations

HEADER = "enrollment_id,time,event_video,event_problem\n"


def test_import_activity_prints_a_summary_per_file_and_the_first_reasons(app, tmp_path):
    good = tmp_path / "course_a.csv"
    good.write_text(HEADER + "u1,2014-05-25,1,0\nu2,2014-05-26,2,1\nu3,2014-05-27,-4,0\n")
    other = tmp_path / "course_b.csv"
    other.write_text(HEADER + "u1,2014-05-20,1,0\n")
    runner = app.test_cli_runner()  # its output holds what the command printed to stdout and stderr
    result = runner.invoke(
        args=[
            "import-activity",
            str(good),
            str(other),
            "--course",
            "CLI1",
            "--start",
            "2014-05-25",
            "--days",
            "7",
        ]
    )
    assert result.exit_code == 0, result.output
    output = result.output
    assert "course_a.csv: daily, 3 rows read, 2 imported" in output and "2 enrollments in CLI1" in output
    assert "line 4: negative count: event_video is -4" in output
    assert "course_b.csv: daily, 1 rows read, 0 imported" in output
    assert "1 rows outside the course window kept aside" in output
    assert "its 1 rows outside the window are kept aside" in output
    again = runner.invoke(args=["import-activity", str(good), "--course", "CLI1"])
    assert again.exit_code == 0 and "2 imported (0 new or changed)" in again.output


def test_import_activity_fails_only_when_nothing_could_be_read(app, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["import-activity", str(notes), str(tmp_path / "missing.csv"), "--course", "Z"]
    )
    assert result.exit_code != 0
    assert "cannot tell the format" in result.output and "Nothing could be read" in result.output
    bad_days = runner.invoke(args=["import-activity", str(notes), "--days", "0"])
    assert bad_days.exit_code != 0 and "course length" in bad_days.output


def test_import_outcomes_command(app, tmp_path):
    activity = tmp_path / "activity.csv"
    activity.write_text(HEADER + "u1,2014-05-25,1,0\nu2,2014-05-26,2,1\n")
    outcomes = tmp_path / "truth.csv"
    outcomes.write_text("enrollment_id,label\nu1,1\nu2,0\nu9,1\n")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["import-activity", str(activity), "--course", "OC"]).exit_code == 0
    result = runner.invoke(args=["import-outcomes", str(outcomes), "--course", "OC"])
    assert result.exit_code == 0, result.output
    assert "3 rows read, 2 outcomes set, 1 rejected" in result.output
    assert "line 4: unknown enrollment: 'u9'" in result.output
    none = runner.invoke(args=["import-outcomes", str(outcomes), "--course", "NOPE"])
    assert none.exit_code != 0 and "unknown course" in none.output
