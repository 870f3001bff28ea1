"""Fast tests of feature transformers, metrics, the Keras regressor and cross-validated training."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from modelling import candidates, evaluate, train
from modelling.features import FieldSplines, OneHotLevels, OrdinalLevels, exam_preprocessor, source_field
from modelling.keras_model import CONFIG_FILE, MODEL_FILE, PREPROCESSOR_FILE, KerasMLPRegressor
from modelling.synthetic import generate_dropout, generate_exam
from modelling.tasks import task_for
from modelling.tasks.dropout import SCHEMA as DROPOUT
from modelling.tasks.exam import SCHEMA as EXAM
from tests.helpers import FAST_CANDIDATES

ROWS = 1500
FOLDS = 3
EXAM_FAST = FAST_CANDIDATES["exam-score"]
DROPOUT_FAST = FAST_CANDIDATES["dropout"]
PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def exam_frame() -> pd.DataFrame:
    """Small synthetic exam-score data."""
    return generate_exam(ROWS, 11)


@pytest.fixture(scope="module")
def dropout_frame() -> pd.DataFrame:
    """Small synthetic dropout data."""
    return generate_dropout(ROWS, 11)


@pytest.fixture(scope="module")
def exam_result(exam_frame: pd.DataFrame) -> train.TrainingResult:
    """Exam-score training on the fast candidates, with progress recorded."""
    calls: list[tuple[float, str]] = []
    result = train.train_task(
        "exam-score",
        exam_frame,
        seed=0,
        folds=FOLDS,
        candidates=EXAM_FAST,
        progress=lambda fraction, message: calls.append((fraction, message)),
    )
    result.details["_progress_calls"] = calls
    return result


@pytest.fixture(scope="module")
def dropout_result(dropout_frame: pd.DataFrame) -> train.TrainingResult:
    """Dropout training on every candidate."""
    return train.train_task("dropout", dropout_frame, seed=0, folds=FOLDS, candidates=DROPOUT_FAST)


def test_candidate_names_cover_the_required_models() -> None:
    """Both tasks offer the candidates the brief asks for."""
    exam, dropout = set(train.candidate_names("exam-score")), set(train.candidate_names("dropout"))
    assert {"linear_regression", "huber", "keras_mlp", "gradient_boosting"} <= exam
    assert {"logistic_regression", "random_forest", "gradient_boosting"} <= dropout
    with pytest.raises(KeyError):
        train.candidate_names("nope")


def test_exam_training_end_to_end(exam_result: train.TrainingResult, exam_frame: pd.DataFrame) -> None:
    """The exam winner has the lowest MAE, every candidate has metrics, scores and interval are sane."""
    assert [c.name for c in exam_result.candidates] == EXAM_FAST
    for candidate in exam_result.candidates:
        for name in ("mae", "rmse", "r2", "interval_coverage", "interval_width"):
            assert np.isfinite(candidate.metrics[name]) and np.isfinite(candidate.metrics[f"{name}_std"])
    best = min(exam_result.candidates, key=lambda c: c.metrics["mae"])
    assert exam_result.algorithm == best.name
    assert exam_result.metrics == best.metrics
    assert exam_result.rows == ROWS
    scores = exam_result.estimator.predict(exam_frame[EXAM.names])
    assert scores.shape == (ROWS,) and scores.min() >= 0 and scores.max() <= 100
    extreme = (
        exam_frame[EXAM.names]
        .head(3)
        .assign(hours_studied=60.0, attendance=100.0, previous_scores=100.0, tutoring_sessions=20.0)
    )
    assert exam_result.estimator.predict(extreme).max() <= 100
    details = exam_result.details
    assert details["interval_halfwidth"] > 0
    assert 0.8 <= exam_result.metrics["interval_coverage"] <= 0.98
    assert set(details["feature_importance"]) == set(EXAM.names)
    histogram = details["residuals"]["histogram"]
    assert len(histogram["counts"]) == len(histogram["edges"]) - 1 and sum(histogram["counts"]) == ROWS
    calls = details.pop("_progress_calls")
    json.dumps(details)
    fractions = [fraction for fraction, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert len(calls) == len(EXAM_FAST) * FOLDS + 2


def test_dropout_training_end_to_end(
    dropout_result: train.TrainingResult, dropout_frame: pd.DataFrame
) -> None:
    """The dropout winner has the highest AUC; probabilities are calibrated and within [0, 1]."""
    for candidate in dropout_result.candidates:
        for name in ("roc_auc", "brier", "ece", "log_loss"):
            assert np.isfinite(candidate.metrics[name]) and np.isfinite(candidate.metrics[f"{name}_std"])
    best = max(dropout_result.candidates, key=lambda c: c.metrics["roc_auc"])
    assert dropout_result.algorithm == best.name
    assert dropout_result.metrics["roc_auc"] > 0.75
    assert dropout_result.details["oof_ece"] < 0.05
    proba = dropout_result.estimator.predict_proba(dropout_frame[DROPOUT.names])
    assert proba.shape == (ROWS, 2)
    assert proba.min() >= 0 and proba.max() <= 1
    assert np.allclose(proba.sum(axis=1), 1)
    details = dropout_result.details
    confusion = details["confusion_matrix"]
    assert confusion["tn"] + confusion["fp"] + confusion["fn"] + confusion["tp"] == ROWS
    assert sum(point["count"] for point in details["calibration_curve"]) == ROWS
    assert set(details["feature_importance"]) == set(DROPOUT.names)
    json.dumps(details)


def test_same_seed_gives_same_metrics(exam_frame: pd.DataFrame, dropout_frame: pd.DataFrame) -> None:
    """Training twice with one seed reproduces every figure."""
    for task, frame, names in (
        ("exam-score", exam_frame.head(800), ["huber", "gradient_boosting"]),
        ("dropout", dropout_frame.head(800), ["random_forest", "gradient_boosting"]),
    ):
        first = train.train_task(task, frame, seed=5, folds=FOLDS, candidates=names)
        second = train.train_task(task, frame, seed=5, folds=FOLDS, candidates=names)
        assert [c.metrics for c in first.candidates] == [c.metrics for c in second.candidates]
        assert first.details["feature_importance"] == second.details["feature_importance"]


def test_training_rejects_bad_input(exam_frame: pd.DataFrame) -> None:
    """Missing columns and unknown candidates are refused with a clear error."""
    with pytest.raises(ValueError, match="lacks columns"):
        train.train_task("exam-score", exam_frame.drop(columns=["gender"]), folds=FOLDS)
    with pytest.raises(KeyError):
        train.train_task("exam-score", exam_frame, folds=FOLDS, candidates=["random_forest"])


def test_training_with_keras_candidate(exam_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    """keras_mlp trains inside cross-validation and leaves its history in the details."""
    monkeypatch.setattr(candidates, "KERAS_MAX_EPOCHS", 4)
    frame = exam_frame.head(900)
    result = train.train_task("exam-score", frame, folds=FOLDS, candidates=["huber", "keras_mlp"])
    assert [c.name for c in result.candidates] == ["huber", "keras_mlp"]
    history = result.details["keras_history"]
    assert 1 <= len(history["loss"]) <= 4 and len(history["val_loss"]) == len(history["loss"])
    assert all(np.isfinite(history["loss"]))
    json.dumps(result.details)


def _fitted_keras(frame: pd.DataFrame, seed: int = 0) -> KerasMLPRegressor:
    """A Keras regressor fitted for a few epochs."""
    regressor = KerasMLPRegressor(
        preprocessor=exam_preprocessor(EXAM), max_epochs=5, clip=(0.0, 100.0), seed=seed
    )
    return regressor.fit(frame[EXAM.names], frame[EXAM.target])


def test_keras_round_trip_and_determinism(exam_frame: pd.DataFrame, tmp_path: Path) -> None:
    """save_to/load_from and pickling give identical predictions; one seed gives one model."""
    frame = exam_frame.head(800)
    regressor = _fitted_keras(frame)
    expected = regressor.predict(frame[EXAM.names])
    assert expected.shape == (800,) and expected.min() >= 0 and expected.max() <= 100
    assert regressor.n_epochs_ == len(regressor.history_["loss"]) == len(regressor.history_["val_loss"])

    regressor.save_to(tmp_path)
    assert {MODEL_FILE, PREPROCESSOR_FILE, CONFIG_FILE} <= {p.name for p in tmp_path.iterdir()}
    loaded = KerasMLPRegressor.load_from(tmp_path)
    np.testing.assert_array_equal(loaded.predict(frame[EXAM.names]), expected)
    assert loaded.history_ == regressor.history_

    unpickled = pickle.loads(pickle.dumps(regressor))
    np.testing.assert_array_equal(unpickled.predict(frame[EXAM.names]), expected)

    again = _fitted_keras(frame)
    np.testing.assert_array_equal(again.predict(frame[EXAM.names]), expected)


def test_keras_module_imports_without_tensorflow() -> None:
    """Importing the Keras wrapper (and the training module) does not import TensorFlow."""
    code = (
        "import sys; import modelling.keras_model, modelling.train; "
        "sys.exit(1 if {'tensorflow', 'keras'} & set(sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, check=False).returncode == 0


def test_metrics_on_known_values() -> None:
    """Metric functions return the textbook values as plain floats."""
    truth = np.array([1.0, 2.0, 3.0, 4.0])
    assert evaluate.mae(truth, truth + 1) == 1.0
    assert evaluate.rmse(truth, truth + 2) == 2.0
    assert evaluate.r2(truth, truth) == 1.0
    assert evaluate.conformal_halfwidth(np.arange(1, 10), 0.9) == 9.0
    assert evaluate.interval_coverage(truth, truth - 0.5, truth + 0.5) == 1.0
    labels = np.array([0, 0, 1, 1])
    proba = np.array([0.1, 0.4, 0.35, 0.8])
    assert evaluate.roc_auc(labels, proba) == 0.75
    assert evaluate.brier(labels, labels) == 0.0
    assert evaluate.confusion_at(labels, proba)["matrix"] == [[2, 0], [1, 1]]
    rng = np.random.default_rng(0)
    p = rng.random(200_000)
    outcomes = (rng.random(p.size) < p).astype(int)
    assert evaluate.expected_calibration_error(outcomes, p) < 0.01
    assert evaluate.expected_calibration_error(outcomes, np.clip(p + 0.1, 0, 1)) > 0.05
    assert len(evaluate.calibration_curve(outcomes, p)) == evaluate.CALIBRATION_BINS
    summary = evaluate.summarise_folds([{"mae": 1.0}, {"mae": 3.0}])
    assert summary == {"mae": 2.0, "mae_std": 1.0}
    assert all(isinstance(v, float) for v in evaluate.classification_metrics(labels, proba).values())


def test_level_and_category_encoders() -> None:
    """Ordered levels become codes with a missing flag; other categories one-hot with a missing flag."""
    frame = pd.DataFrame({"teacher_quality": ["Low", "High", np.nan, "Medium"]})
    levels = OrdinalLevels([("Low", "Medium", "High")], [True]).fit(frame)
    out = levels.transform(frame)
    assert out[:, 0].tolist() == [0.0, 2.0, 1.0, 1.0] and out[:, 1].tolist() == [0, 0, 1, 0]
    assert list(levels.get_feature_names_out()) == ["teacher_quality", "teacher_quality__missing"]

    frame = pd.DataFrame(
        {"peer_influence": ["Positive", "Negative", None], "gender": ["Male", "Female", "Male"]}
    )
    onehot = OneHotLevels([("Positive", "Neutral", "Negative"), ("Male", "Female")], [True, False]).fit(frame)
    names = list(onehot.get_feature_names_out())
    assert names == [
        "peer_influence=Positive",
        "peer_influence=Neutral",
        "peer_influence=Negative",
        "peer_influence__missing",
        "gender=Female",
    ]
    assert onehot.transform(frame).tolist() == [[1, 0, 0, 0, 0], [0, 0, 1, 0, 1], [0, 0, 0, 1, 0]]
    assert [source_field(n) for n in names] == ["peer_influence"] * 4 + ["gender"]


def test_spline_features_match_scikit_learn(dropout_frame: pd.DataFrame) -> None:
    """The NumPy B-spline basis equals SplineTransformer's, beyond the training range too."""
    fields = dropout_frame[DROPOUT.names].astype(float)
    splines = FieldSplines().fit(fields.head(1000))
    reference = splines.spline_.transform(np.log1p(fields.to_numpy()))
    np.testing.assert_allclose(splines.transform(fields), reference, rtol=0, atol=1e-12)
    np.testing.assert_allclose(splines.transform(fields.head(1)), reference[:1], rtol=0, atol=1e-12)


def test_exam_features_match_a_column_transformer(exam_frame: pd.DataFrame) -> None:
    """FieldBlocks gives exactly the matrix of the equivalent ColumnTransformer, for 1 row or many."""
    ordered = [f for f in EXAM.categorical if f.ordered]
    unordered = [f for f in EXAM.categorical if not f.ordered]
    reference = ColumnTransformer(
        [
            ("numeric", StandardScaler(), [f.name for f in EXAM.numeric]),
            (
                "levels",
                make_pipeline(
                    OrdinalLevels([f.categories for f in ordered], [f.optional for f in ordered]),
                    StandardScaler(),
                ),
                [f.name for f in ordered],
            ),
            (
                "categories",
                OneHotLevels([f.categories for f in unordered], [f.optional for f in unordered]),
                [f.name for f in unordered],
            ),
        ],
        verbose_feature_names_out=False,
    )
    X = train._split(task_for("exam-score"), exam_frame)[0]
    expected = reference.fit(X).transform(X)
    features = exam_preprocessor(EXAM).fit(X)
    np.testing.assert_array_equal(features.transform(X), expected)
    np.testing.assert_array_equal(features.transform(X.head(1)), expected[:1])
    assert list(features.get_feature_names_out()) == list(reference.get_feature_names_out())


def test_serving_path_is_public_scikit_learn_and_calibrated_once(dropout_frame: pd.DataFrame) -> None:
    """Plain scikit-learn Pipelines with one Platt-calibrated model per member; a row predicts the
    same alone as in a batch."""
    estimator = train.build_candidate("dropout", "additive_ensemble", 0).fit(
        dropout_frame[DROPOUT.names].head(800), dropout_frame[DROPOUT.target].head(800)
    )
    assert type(estimator) is Pipeline
    for _, member in estimator.named_steps["model"].members_:
        assert type(member) is Pipeline
        calibrated = member.named_steps["model"]
        assert type(calibrated) is CalibratedClassifierCV
        assert len(calibrated.calibrated_classifiers_) == 1
    frame = dropout_frame[DROPOUT.names]
    whole = estimator.predict_proba(frame)
    np.testing.assert_allclose(estimator.predict_proba(frame.iloc[[5]]), whole[[5]], rtol=0, atol=1e-12)
