"""Training, registry, serving, explanations and recommendations with real (small) trained models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from db.tables import ModelVersion
from modelling.data import LoadedData
from modelling.synthetic import generate_dropout, generate_exam
from modelling.tasks import schema_for, task_for
from modelling.tasks.dropout import SCHEMA as DROPOUT
from modelling.tasks.exam import SCHEMA as EXAM
from services import model_versions
from services.errors import InvalidInput, NotFound
from tests.helpers import FAST, imported_while_serving, small_data, train

BANDS = {"exam-score": "EXAM_LEVELS", "dropout": "RISK_LEVELS"}


def records(task: str, count: int = 20, seed: int = 7) -> list[dict]:
    frame = generate_exam(count, seed) if task == "exam-score" else generate_dropout(count, seed)
    schema = schema_for(task)
    return [
        {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        for row in frame[schema.names].to_dict("records")
    ]


@pytest.mark.parametrize("task", ["exam-score", "dropout"])
def test_train_register_activate_and_serve(app, task):
    row = train(app, task)
    directory = app.config["ARTIFACTS_DIR"] / row.artifact_dir
    for name in ("model.joblib", "metrics.json", "details.json", "serving.json", "model_card.md"):
        assert (directory / name).exists(), name
    with app.app_context():
        stored = ModelVersion.find(task, row.version)
        assert stored.is_active and stored.rows == len(small_data(task).frame)
        assert stored.algorithm in FAST[task] and len(stored.candidates) == 2
        assert len(stored.data_fingerprint) == 64 and "scikit-learn" in stored.library_versions
        predictor = model_versions.active_predictor(task)
        frame = pd.DataFrame(records(task))
        values = predictor.outcomes(frame)
        assert np.allclose(values, task_for(task).outcome.values(predictor.estimator, frame))
        assert ((values >= 0) & (values <= (100 if task == "exam-score" else 1))).all()
        answer = predictor.analyse(records(task)[0], app.config[BANDS[task]])
        assert answer["model_version"] == row.version


def test_activation_rollback_and_no_restart_needed(app):
    first = train(app, "exam-score", seed=1)
    second = train(app, "exam-score", seed=2)
    with app.app_context():
        assert model_versions.active_predictor("exam-score").version == second.version
        model_versions.activate_version("exam-score", first.version)
        assert model_versions.active_predictor("exam-score").version == first.version
        assert ModelVersion.select().where(ModelVersion.is_active == True).count() == 1  # noqa: E712
        model_versions.activate_version("exam-score", second.version)
        assert model_versions.active_predictor("exam-score").version == second.version
        with pytest.raises(NotFound):
            model_versions.activate_version("exam-score", 99)


@pytest.mark.parametrize("damage", ["garbage", "missing"])
def test_a_corrupt_version_never_activates(app, damage):
    good = train(app, "dropout", seed=1)
    bad = train(app, "dropout", seed=2, activate=False)
    model_file = app.config["ARTIFACTS_DIR"] / bad.artifact_dir / "model.joblib"
    if damage == "garbage":
        model_file.write_bytes(b"not a model at all")
    else:
        model_file.unlink()
    with app.app_context():
        with pytest.raises(InvalidInput) as raised:
            model_versions.activate_version("dropout", bad.version)
        assert raised.value.code == "model_unusable"
        assert ModelVersion.active("dropout").version == good.version
        assert model_versions.active_predictor("dropout").version == good.version


@pytest.mark.parametrize("task", ["exam-score", "dropout"])
def test_explanations_add_up_to_the_prediction(app, task):
    train(app, task, candidates=[FAST[task][0]])
    with app.app_context():
        predictor = model_versions.active_predictor(task)
        assert predictor.additive, "a linear model is additive in its fields"
        for record in records(task, 10):
            answer = predictor.analyse(record, app.config[BANDS[task]])
            total = answer["contribution_base"] + sum(c["contribution"] for c in answer["contributions"])
            value = predictor.outcomes(pd.DataFrame([record]))[0]
            if task == "dropout":
                value = np.log(value / (1 - value))
            assert total == pytest.approx(value, abs=1e-3)
            assert {c["field"] for c in answer["contributions"]} == set(schema_for(task).names)


def test_linear_contributions_match_the_coefficients(app):
    train(app, "exam-score", candidates=["linear_regression"])
    with app.app_context():
        predictor = model_versions.active_predictor("exam-score")
        record = records("exam-score", 1)[0]
        changed = {**record, "hours_studied": record["hours_studied"] + 1}
        answer = predictor.analyse(record, app.config["EXAM_LEVELS"])
        answer_changed = predictor.analyse(changed, app.config["EXAM_LEVELS"])
        slope = predictor.outcomes(pd.DataFrame([changed]))[0] - predictor.outcomes(pd.DataFrame([record]))[0]

        def hours(a):
            return next(c["contribution"] for c in a["contributions"] if c["field"] == "hours_studied")

        assert hours(answer_changed) - hours(answer) == pytest.approx(slope, abs=1e-3)


@pytest.mark.parametrize("task", ["exam-score", "dropout"])
def test_recommendations_are_actionable_and_really_help(app, task):
    train(app, task)
    schema = schema_for(task)
    actionable = {f.name for f in schema.actionable}
    seen = 0
    with app.app_context():
        predictor = model_versions.active_predictor(task)
        for record in records(task, 25):
            answer = predictor.analyse(record, app.config[BANDS[task]])
            before = predictor.outcomes(pd.DataFrame([record]))[0]
            for rec in answer["recommendations"]:
                seen += 1
                assert rec["field"] in actionable
                changed = {**record, **rec["values"]}
                assert schema.validate_record(changed)[1] == {}, "a recommendation must be a valid input"
                after = predictor.outcomes(pd.DataFrame([changed]))[0]
                assert (after > before) if task == "exam-score" else (after < before)
                touched = {k for k, v in rec["values"].items() if v != record[k]}
                assert not touched & {
                    "gender",
                    "family_income",
                    "learning_disabilities",
                    "school_type",
                    "parental_education_level",
                    "internet_access",
                }
    assert seen > 0


def test_extrapolation_is_flagged_in_the_answer(app):
    train(app, "exam-score", candidates=["linear_regression"])
    with app.app_context():
        predictor = model_versions.active_predictor("exam-score")
        record = {**records("exam-score", 1)[0], "attendance": 30.0}
        assert predictor.analyse(record, app.config["EXAM_LEVELS"])["extrapolated"] == ["attendance"]


def test_serving_a_scikit_learn_model_does_not_import_tensorflow(app, tmp_path):
    train(app, "exam-score", candidates=["linear_regression"])
    serve = """
        from services.model_versions import active_predictor
        from modelling.synthetic import generate_exam
        p = active_predictor("exam-score")
        row = generate_exam(1, 3).drop(columns="exam_score").iloc[0].to_dict()
        p.analyse(row, app.config["EXAM_LEVELS"])
    """
    assert not imported_while_serving(app, tmp_path, serve, "tensorflow")


def test_too_little_data_is_refused(app):
    with app.app_context(), pytest.raises(InvalidInput):
        model_versions.train_version("exam-score", LoadedData(generate_exam(20, 1), [], "tiny"), folds=5)


def test_schemas_cover_every_model_input():
    assert set(EXAM.names) | {"exam_score"} == set(generate_exam(5, 1).columns)
    assert set(DROPOUT.names) | {"dropout"} == set(generate_dropout(5, 1).columns)
