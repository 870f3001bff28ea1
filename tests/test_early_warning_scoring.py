"""Scoring courses into the prediction history: checkpoints reached, one row per enrollment and day,
failed runs, the CLI, the score-now and at-risk endpoints."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import timedelta

import pytest

from db.connection import database
from db.early_warning import EnrollmentPrediction, ScoringRun
from db.tables import User, utcnow
from services.early_warning import scoring
from services.early_warning.course_levels import set_level_shares
from services.model_versions import ModelUnavailable, version_directory
from tests.helpers import assert_error, dropout_counts, early_warning_version, store_course, wait_for_job


def running_course(code: str, day: int, enrollments: int = 40, seed: int = 5):
    """A 30-day course whose today is `day`, with generated activity before today."""
    counts, _ = dropout_counts(seed, enrollments)
    counts[:, day:] = 0
    return store_course(code, counts, start=utcnow().date() - timedelta(days=day))


def predictions(course) -> list[tuple]:
    query = EnrollmentPrediction.select(
        EnrollmentPrediction.enrollment, EnrollmentPrediction.day, EnrollmentPrediction.probability
    ).where(EnrollmentPrediction.course == course)
    return sorted(query.tuples())


def test_a_running_course_is_scored_at_the_checkpoints_it_reached_once(app):
    early_warning_version(app)
    with app.app_context():
        course = running_course("RUN16", 16)
        early = running_course("EARLY5", 5)
        upcoming = store_course(
            "LATER", dropout_counts(1, 5)[0] * 0, start=utcnow().date() + timedelta(days=3)
        )
        outcome = scoring.score_running_courses("cli")
        assert outcome.run.status == "succeeded"
        assert EnrollmentPrediction.counts_by_day(course) == {7: 40, 14: 40}
        assert EnrollmentPrediction.counts_by_day(early) == {}  # checkpoint 7 not reached
        assert EnrollmentPrediction.counts_by_day(upcoming) == {}
        run = ScoringRun.get_by_id(outcome.run.id)
        assert (run.courses, run.enrollments, run.status) == (1, 80, "succeeded")
        # Nothing missing any more: a second run scores nothing and keeps the rows.
        again = scoring.score_running_courses("cli")
        assert ScoringRun.get_by_id(again.run.id).enrollments == 0
        assert EnrollmentPrediction.counts_by_day(course) == {7: 40, 14: 40}


def test_scoring_a_day_twice_keeps_one_prediction_per_enrollment_and_day(app):
    early_warning_version(app)
    with app.app_context():
        course = running_course("TWICE", 20)
        first = scoring.score_at_day("cli", 14, "TWICE")
        before = predictions(course)
        second = scoring.score_at_day("cli", 14, "TWICE")
        after = predictions(course)
        assert len(after) == 40 and after == before
        runs = {
            row.run_id for row in EnrollmentPrediction.select().where(EnrollmentPrediction.course == course)
        }
        assert runs == {second.run.id} != {first.run.id}  # the newer run replaced the rows


def test_daily_setting_scores_every_day_from_the_first_checkpoint(app):
    early_warning_version(app)
    app.config["EARLY_WARNING_SCORE_DAILY"] = True
    try:
        with app.app_context():
            course = running_course("DAILY", 10)
            scoring.score_running_courses("cli")
            assert sorted(EnrollmentPrediction.counts_by_day(course)) == [7, 8, 9, 10]
    finally:
        app.config["EARLY_WARNING_SCORE_DAILY"] = False


def test_a_failed_run_keeps_the_earlier_history_and_says_why(app):
    early_warning_version(app)
    with app.app_context():
        course = running_course("FAIL", 16)
        scoring.score_at_day("cli", 7, "FAIL")
        kept = predictions(course)
        # A real fault: a newly activated version whose model file is gone (a loaded version stays in
        # memory, so the fault is in the version the run has to load).
        row = early_warning_version(app)
        for path in version_directory(row).glob("checkpoint_14*"):
            path.unlink()
        with pytest.raises(ModelUnavailable):
            scoring.score_running_courses("schedule")
        failed = ScoringRun.select().where(ScoringRun.trigger == "schedule").get()
        assert failed.status == "failed" and "checkpoint_14" in failed.error
        assert failed.finished_at is not None
        assert predictions(course) == kept


def test_a_run_broken_midway_keeps_the_courses_it_finished(app):
    """On PostgreSQL the run's own connection is terminated by the server after the first course."""
    if "postgres" not in database.obj.__class__.__name__.lower():
        pytest.skip("terminating a backend needs PostgreSQL")
    early_warning_version(app)
    with app.app_context():
        first = running_course("MID1", 8)
        second = running_course("MID2", 8, seed=6)
        import psycopg2

        def kill_my_connection(fraction: float, message: str) -> None:
            if fraction < 1:
                pid = database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
                other = psycopg2.connect(dbname=database.obj.database, **database.obj.connect_params)
                other.autocommit = True
                other.cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))
                other.close()

        with pytest.raises(Exception):  # noqa: B017 (whatever the driver raises for a lost connection)
            scoring.score_running_courses("schedule", progress=kill_my_connection)
        if not database.is_closed():
            database.close()
        assert len(predictions(first)) == 40
        assert predictions(second) == []
        run = ScoringRun.get(ScoringRun.trigger == "schedule")
        assert run.status == "failed" and run.courses == 1


def test_cli_scores_a_course_at_a_day_into_a_file_and_the_history(app, tmp_path):
    early_warning_version(app)
    runner = app.test_cli_runner()
    with app.app_context():
        course = running_course("CLI", 20)
    out = tmp_path / "scores.csv"
    result = runner.invoke(args=["score-enrollments", "--day", "14", "--out", str(out), "--course", "CLI"])
    assert result.exit_code == 0, result.output
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(scoring.CSV_COLUMNS)
    assert len(rows) == 40 and {row["course"] for row in rows} == {"CLI"}
    assert {row["day"] for row in rows} == {"14"} and {row["model_version"] for row in rows} == {"1"}
    assert all(0 <= float(row["probability"]) <= 1 and row["top_factors"] for row in rows)
    with app.app_context():
        assert EnrollmentPrediction.counts_by_day(course) == {14: 40}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--day", "14", "--course", "NOPE"], "No course NOPE"),
        (["--day", "31", "--course", "CLIBAD"], "outside course CLIBAD"),
        (["--day", "3", "--course", "CLIBAD"], "before the first checkpoint"),
    ],
)
def test_cli_refuses_bad_input_clearly(app, tmp_path, args, says):
    early_warning_version(app)
    with app.app_context():
        running_course("CLIBAD", 20)
    out = tmp_path / "scores.csv"
    result = app.test_cli_runner().invoke(args=["score-enrollments", "--out", str(out), *args])
    assert result.exit_code != 0 and says in result.output, result.output
    assert not out.exists()
    with app.app_context():
        assert EnrollmentPrediction.select().count() == 0


def test_cli_without_an_active_model_says_so(app, tmp_path):
    with app.app_context():
        running_course("NOMODEL", 20)
    result = app.test_cli_runner().invoke(
        args=["score-enrollments", "--day", "14", "--out", str(tmp_path / "x.csv")]
    )
    assert result.exit_code != 0 and "No early-warning model is active" in result.output


def test_score_now_endpoint_runs_a_job_and_the_at_risk_list_shows_it(app, client, make_user, bearer):
    early_warning_version(app)
    headers = bearer(make_user("admin"))
    with app.app_context():
        running_course("API", 16)
    answer = client.post("/api/v1/courses/API/score", json={"day": 7}, headers=headers)
    assert answer.status_code == 202, answer.json
    assert wait_for_job(client, headers, answer.json["id"])["status"] == "succeeded"
    answer = client.post("/api/v1/courses/API/score", headers=headers)  # no body: today's day, 16
    job = wait_for_job(client, headers, answer.json["id"])
    assert job["status"] == "succeeded" and job["result"]["enrollments"] == 40, job
    listed = client.get("/api/v1/courses/API/at-risk", headers=headers)
    assert listed.status_code == 200, listed.json
    body = listed.json
    assert (body["day"], body["checkpoint"], body["previous_day"]) == (16, 14, 7)
    assert len(body["items"]) == 40
    probabilities = [item["probability"] for item in body["items"]]
    assert probabilities == sorted(probabilities, reverse=True)
    item = body["items"][0]
    assert item["change"] is not None and item["top_factors"] and item["last_action"] is None
    at_seven = client.get("/api/v1/courses/API/at-risk?day=7", headers=headers).json
    assert at_seven["day"] == 7 and at_seven["previous_day"] is None
    assert all(row["change"] is None for row in at_seven["items"])
    changes = {row["enrollment"]: row["probability"] for row in at_seven["items"]}
    assert item["change"] == pytest.approx(item["probability"] - changes[item["enrollment"]], abs=1e-4)


def test_at_risk_before_any_scoring_and_on_bad_input(app, client, make_user, bearer):
    headers = bearer(make_user("admin"))
    with app.app_context():
        running_course("EMPTY", 16)
    body = client.get("/api/v1/courses/EMPTY/at-risk", headers=headers).json
    assert body["items"] == [] and body["day"] is None and body["message"]
    assert_error(client.get("/api/v1/courses/EMPTY/at-risk?day=7", headers=headers), 404)
    assert_error(client.get("/api/v1/courses/EMPTY/at-risk?day=x", headers=headers), 422)
    assert_error(client.get("/api/v1/courses/NOPE/at-risk", headers=headers), 404)


def test_score_now_refuses_bad_input(app, client, make_user, bearer):
    headers = bearer(make_user("admin"))
    with app.app_context():
        running_course("BAD", 16)
        store_course("SOON", dropout_counts(1, 3)[0] * 0, start=utcnow().date() + timedelta(days=2))
    assert_error(client.post("/api/v1/courses/BAD/score", json={"day": 14}, headers=headers), 503)
    early_warning_version(app)
    assert_error(client.post("/api/v1/courses/NOPE/score", headers=headers), 404)
    assert_error(client.post("/api/v1/courses/BAD/score", json={"day": 31}, headers=headers), 422)
    assert_error(client.post("/api/v1/courses/BAD/score", json={"day": 2}, headers=headers), 422)
    assert_error(client.post("/api/v1/courses/BAD/score", json={"day": "x"}, headers=headers), 422)
    assert_error(client.post("/api/v1/courses/BAD/score", json={"days": 7}, headers=headers), 422)
    assert_error(
        client.post(
            "/api/v1/courses/BAD/score", data="{", headers={**headers, "Content-Type": "application/json"}
        ),
        400,
    )
    assert_error(
        client.post(
            "/api/v1/courses/BAD/score", data="day=7", headers={**headers, "Content-Type": "text/plain"}
        ),
        415,
    )
    assert_error(client.post("/api/v1/courses/SOON/score", headers=headers), 422)
    with app.app_context():
        assert EnrollmentPrediction.select().count() == 0 and ScoringRun.select().count() == 0


def test_students_and_anonymous_callers_are_refused(app, client, make_user, bearer):
    student = bearer(make_user("student"))
    with app.app_context():
        running_course("PRIV", 16)
    for method, path in (("get", "/api/v1/courses/PRIV/at-risk"), ("post", "/api/v1/courses/PRIV/score")):
        assert_error(getattr(client, method)(path, headers=student), 403)
        assert_error(getattr(app.test_client(), method)(path), 401)  # no session cookie either


def _levels_at(course, day: int) -> dict[str, int]:
    query = EnrollmentPrediction.select(EnrollmentPrediction.risk_level).where(
        (EnrollmentPrediction.course == course) & (EnrollmentPrediction.day == day)
    )
    return dict(Counter(level for (level,) in query.tuples()))


def test_scoring_levels_each_course_relative_to_itself_with_its_own_shares_first(app, make_user):
    early_warning_version(app)
    make_user("admin", username="levels-admin")
    with app.app_context():
        # The same 40 learners in two courses: one uses the deployment's shares, one its own.
        plain = running_course("SHARES-PLAIN", 16)
        own = running_course("SHARES-OWN", 16)
        set_level_shares(User.get(User.username == "levels-admin"), "SHARES-OWN", [0.1, 0.1])
        scoring.score_at_day("cli", 14)
        # 20% of 40 at High, the next 30% Medium; 10% and 10% in the course with its own shares.
        assert _levels_at(plain, 14) == {"High": 8, "Medium": 12, "Low": 20}
        assert _levels_at(own, 14) == {"High": 4, "Medium": 4, "Low": 32}
        # The deployment's setting changes the course without its own shares only.
        app.config["EARLY_WARNING_LEVEL_SHARES"] = (0.5, 0.25)
        try:
            scoring.score_at_day("cli", 14)
        finally:
            app.config["EARLY_WARNING_LEVEL_SHARES"] = (0.2, 0.3)
        assert _levels_at(plain, 14) == {"High": 20, "Medium": 10, "Low": 10}
        assert _levels_at(own, 14) == {"High": 4, "Medium": 4, "Low": 32}
        # Cleared, the course follows the deployment again.
        set_level_shares(User.get(User.username == "levels-admin"), "SHARES-OWN", None)
        scoring.score_at_day("cli", 14, "SHARES-OWN")
        assert _levels_at(own, 14) == {"High": 8, "Medium": 12, "Low": 20}
