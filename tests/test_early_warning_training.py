"""Training early warning from the store: a version per run with per-checkpoint figures, the evaluation
gate, activation of a refused version only with a confirmation, the CLI and the API job."""

from __future__ import annotations

import pytest

from tests.helpers import assert_error, insert_courses, wait_for_job

FAST = ["spline_logistic"]

# Every checkpoint keeps the fixed band's figures and those of the levels relative to the course.
FIGURES = {"roc_auc", "pr_auc", "brier", "ece", "high_precision", "flagged_precision", "lift", "base_rate"}


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _train(app, **kwargs):
    from services.early_warning import training

    with app.app_context():
        return training.train(candidates=FAST, **kwargs)


def test_training_from_the_store_registers_a_version_with_figures_per_checkpoint(app):
    with app.app_context():
        insert_courses("good", number=3)
    row = _train(app, checkpoints=(7, 14, 30))
    metrics = row.metrics
    assert row.task == "early-warning" and row.version == 1 and not row.is_active
    assert set(metrics["checkpoints"]) == {"7", "14", "30"} == set(metrics["auc_by_checkpoint"])
    assert metrics["courses"] == ["good-1", "good-2", "good-3"]
    assert metrics["left_out_enrollments"] == 6 and row.rows == 3 * 58
    assert row.data_source == "3 finished courses"
    for day, checkpoint in metrics["checkpoints"].items():
        assert checkpoint["algorithm"] == "spline_logistic"
        assert set(checkpoint["candidates"]) == {"spline_logistic"}
        assert set(
            checkpoint["metrics"]
        ) >= FIGURES
        assert checkpoint["calibration_curve"] and checkpoint["rows"] == 174
        assert checkpoint["metrics"]["roc_auc"] == metrics["auc_by_checkpoint"][day]
    # Dropouts stop being active: later checkpoints see it better, and every one beats chance.
    assert metrics["auc_by_checkpoint"]["30"] > 0.8
    assert metrics["gate"]["passed"], metrics["gate"]
    with app.app_context():
        from services.early_warning import versions

        assert versions.load_files(row).auc_by_checkpoint == {
            7: pytest.approx(metrics["auc_by_checkpoint"]["7"]),
            14: pytest.approx(metrics["auc_by_checkpoint"]["14"]),
            30: pytest.approx(metrics["auc_by_checkpoint"]["30"]),
        }


def test_the_gate_refuses_a_weak_version_and_the_active_one_keeps_serving(app):
    from services.early_warning import versions
    from services.model_versions import ModelUnavailable

    with app.app_context():
        with pytest.raises(ModelUnavailable):
            versions.active_version()
        insert_courses("good", number=3)
    good = _train(app, activate=True, checkpoints=(14, 30))
    assert good.is_active
    with app.app_context():
        row, loaded = versions.active_version()
        assert row.version == good.version and set(loaded.models) == {14, 30}
        # Replace the outcomes by ones drawn apart from the activity: nothing to learn from.
        from db.courses import Course

        Course.delete().execute()
        insert_courses("noise", number=3, signal=False)
    weak = _train(app, activate=True, checkpoints=(14, 30))
    assert not weak.is_active
    gate = weak.metrics["gate"]
    assert not gate["passed"] and gate["against"] == good.version
    assert any("below the floor" in reason for reason in gate["reasons"]), gate
    with app.app_context():
        assert versions.active_version()[0].version == good.version


def test_a_refused_version_is_activated_only_with_a_confirmation(app, client, make_user, bearer, runner):
    with app.app_context():
        insert_courses("noise", number=3, signal=False)
    weak = _train(app, activate=True, checkpoints=(30,))
    assert not weak.is_active and weak.metrics["gate"]["reasons"]
    headers = bearer(make_user("admin"))
    path = f"/api/v1/models/early-warning/{weak.version}/activate"
    error = assert_error(client.post(path, headers=headers), 409, "gate_refused")
    assert "below the floor" in error["fields"]["gate"]
    assert_error(client.post(path, headers=headers, json={"confirm": False}), 409, "gate_refused")
    assert_error(client.post(path, headers=headers, json={"confirm": "maybe"}), 422)
    assert client.get("/api/v1/models", headers=headers).json["active"]["early-warning"] is None
    answer = client.post(path, headers=headers, json={"confirm": True})
    assert answer.status_code == 200, answer.json
    assert answer.json["is_active"] and answer.json["metrics"]["gate"]["passed"] is False
    listed = client.get("/api/v1/models", headers=headers).json
    assert listed["active"]["early-warning"] == weak.version
    assert listed["course_versions"]["early-warning"][0]["metrics"]["auc_by_checkpoint"].keys() == {"30"}
    # The CLI: refused without --force when the prompt is declined, activated with --force.
    again = _train(app, checkpoints=(30,))
    declined = runner.invoke(args=["activate", "early-warning", str(again.version)], input="n\n")
    assert declined.exit_code != 0 and "refused by the evaluation gate" in declined.output
    forced = runner.invoke(args=["activate", "early-warning", str(again.version), "--force"])
    assert forced.exit_code == 0, forced.output
    assert f"served by v{again.version}" in forced.output


def test_cli_train_early_warning(app, runner):
    nothing = runner.invoke(args=["train", "early-warning", "--candidates", "spline_logistic"])
    assert nothing.exit_code != 0 and "at least 2 finished courses" in nothing.output
    assert "Traceback" not in nothing.output
    with app.app_context():
        insert_courses("good", number=3)
    for bad, says in (("7,x", "'x'"), ("40", "40"), ("0", "0")):
        result = runner.invoke(args=["train", "early-warning", "--checkpoints", bad])
        assert result.exit_code != 0 and says in result.output and "Checkpoints are days" in result.output
    unknown = runner.invoke(args=["train", "early-warning", "--candidates", "magic"])
    assert unknown.exit_code != 0 and "magic" in unknown.output
    good = runner.invoke(
        args=[
            "train",
            "early-warning",
            "--activate",
            "--checkpoints",
            "7,30",
            "--candidates",
            "spline_logistic",
        ]
    )
    assert good.exit_code == 0, good.output
    assert "3 finished course(s)" in good.output and "6 enrollment(s) without an outcome" in good.output
    assert "gate passed; v1 now serves" in good.output
    listing = runner.invoke(args=["models"])
    assert "early-warning" in listing.output and "ROC AUC by day: 7" in listing.output


def test_ensure_models_skips_early_warning_without_finished_courses(app, runner, active_models):
    result = runner.invoke(args=["ensure-models"])
    assert result.exit_code == 0, result.output
    assert "early-warning: no active model, and 0 finished course(s)" in result.output


def test_api_train_job_runs_to_success_and_is_for_administrators(app, client, make_user, bearer):
    with app.app_context():
        insert_courses("good", number=3)
    student = bearer(make_user("student"))
    assert_error(client.post("/api/v1/models/early-warning/train", headers=student), 403)
    admin = bearer(make_user("admin"))
    bad = client.post("/api/v1/models/early-warning/train?checkpoints=7,x", headers=admin)
    assert_error(bad, 422)
    started = client.post(
        "/api/v1/models/early-warning/train?activate=true&checkpoints=14,30&candidates=spline_logistic",
        headers=admin,
    )
    assert started.status_code == 202, started.json
    job = wait_for_job(client, admin, started.json["id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["version"] == 1 and job["result"]["active"] and job["result"]["gate"]["passed"]
    assert set(job["result"]["auc_by_checkpoint"]) == {"14", "30"}
    assert len(job["seen_progress"]) >= 1
    listed = client.get("/api/v1/models", headers=student).json
    version = listed["course_versions"]["early-warning"][0]
    assert version["library_versions"] is None and set(version["metrics"]["checkpoints"]) == {"14", "30"}


def test_an_api_train_job_without_finished_courses_fails_with_the_reason(app, client, make_user, bearer):
    admin = bearer(make_user("admin"))
    started = client.post("/api/v1/models/early-warning/train?candidates=spline_logistic", headers=admin)
    job = wait_for_job(client, admin, started.json["id"])
    assert job["status"] == "failed" and "at least 2 finished courses" in job["error"]


def test_the_gate_judges_a_new_version_against_an_active_one_whose_auc_was_not_measured(app):
    from db.tables import ModelVersion
    from services.early_warning import versions

    with app.app_context():
        # An administrator confirmed a version whose day-14 AUC could not be measured (stored as null).
        active = ModelVersion.create(
            task="early-warning", version=1, algorithm="spline_logistic", data_fingerprint="f",
            data_source="2 finished courses", rows=10, artifact_dir="early-warning/v1",
            metrics={"auc_by_checkpoint": {"14": None, "30": 0.8}},
        )
        ModelVersion.make_active(active)
        verdict = versions.gate_verdict({14: 0.75, 30: 0.7})
    assert verdict["against"] == 1 and not verdict["passed"]
    assert verdict["reasons"] == [
        "day 30: ROC AUC 0.700 is 0.100 below the active version's 0.800 (the largest drop allowed is 0.020)"
    ]
