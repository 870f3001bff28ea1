"""Early-warning models on small generated courses: no look-ahead, honest folds, the gate, files, reasons."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logit

from modelling.early_warning import reasons
from modelling.early_warning.gate import gate
from modelling.early_warning.inputs import model_frame
from modelling.early_warning.serving import load_version, save_version
from modelling.early_warning.training import (
    checkpoint_data,
    choose,
    course_folds,
    figures,
    train_early_warning,
)
from modelling.event_types import EVENT_TYPES
from modelling.tasks import ALL_TASKS, EARLY_WARNING, TASKS, task_for

DAYS = 30
FAST = ("spline_logistic", "gradient_boosting", "ensemble")

# Every checkpoint keeps the fixed band's figures and those of the levels relative to the course.
FIGURES = {"roc_auc", "pr_auc", "brier", "ece", "high_precision", "flagged_precision", "lift", "base_rate"}


def make_course(code: str, learners: int, seed: int) -> tuple:
    """A course where learners who stay are active more often, and dropouts fall silent at a random day."""
    rng = np.random.default_rng(seed)
    dropped = rng.random(learners) < 0.6
    stop = np.where(dropped, rng.integers(2, 20, learners), DAYS)
    keen = np.where(dropped, rng.uniform(0.1, 0.6, learners), rng.uniform(0.4, 0.95, learners))
    days = np.arange(DAYS)
    active = (rng.random((learners, DAYS)) < keen[:, None]) & (days[None, :] < stop[:, None])
    counts = rng.poisson(2.0, (learners, DAYS, len(EVENT_TYPES))) * active[:, :, None]
    ids = [f"{code}-{i}" for i in range(learners)]
    return code, DAYS, ids, counts.astype(np.int64), None, dropped.astype(int)


def courses(number: int, learners: int = 80, seed: int = 0) -> list[tuple]:
    return [make_course(f"C{k}", learners, seed + k) for k in range(number)]


@pytest.fixture(scope="module")
def trained():
    """Two checkpoints, three fast candidates, five courses."""
    return train_early_warning(courses(5), checkpoints=(7, 14), candidates=FAST, seed=0)


@pytest.fixture(scope="module")
def version(trained, tmp_path_factory):
    return load_version(save_version(trained, tmp_path_factory.mktemp("ew") / "v1"))


def test_the_task_scales_its_checkpoints_and_stays_off_the_form_pages():
    assert EARLY_WARNING.course.checkpoint_days(30) == (7, 14, 21, 30)
    assert EARLY_WARNING.course.checkpoint_days(60) == (14, 28, 42, 60)
    assert task_for("early-warning") is EARLY_WARNING
    assert EARLY_WARNING.name not in TASKS and EARLY_WARNING.name in ALL_TASKS


def test_a_checkpoint_prediction_ignores_later_days(version):
    code, days, ids, counts, sources, _ = make_course("N", 60, seed=99)
    before = version.score_course(ids, counts, 7, days)
    changed = counts.copy()
    changed[:, 7:] = np.random.default_rng(1).poisson(5.0, changed[:, 7:].shape)
    after = version.score_course(ids, changed, 7, days)
    np.testing.assert_array_equal(before.frame["probability"], after.frame["probability"])
    assert before.frame["top_factors"].tolist() == after.frame["top_factors"].tolist()
    # Between checkpoints the latest checkpoint's model scores the activity as of its own day.
    between = version.score_course(ids, changed, 10, days)
    assert (between.checkpoint, between.as_of_day) == (7, 7)
    np.testing.assert_array_equal(between.frame["probability"], before.frame["probability"])


def test_before_the_first_checkpoint_there_is_no_prediction_and_it_says_so(version):
    _, days, ids, counts, _, _ = make_course("N", 20, seed=5)
    scored = version.score_course(ids, counts, 5, days)
    assert scored.frame.empty and scored.checkpoint is None
    assert "before the first checkpoint (day 7)" in scored.message


@pytest.mark.parametrize("number, folds", [(7, 5), (3, 3)])
def test_course_grouped_folds_never_split_a_course(number, folds):
    _, _, groups = checkpoint_data(courses(number, learners=30), 7)
    splits = course_folds(groups, seed=3)
    assert len(splits) == folds
    held_out = [set(groups[test]) for _, test in splits]
    for (train, test), codes in zip(splits, held_out, strict=True):
        assert codes.isdisjoint(set(groups[train]))
        # a held-out course is held out whole
        assert all((groups[test] == code).sum() == (groups == code).sum() for code in codes)
    assert sorted(code for codes in held_out for code in codes) == sorted(set(groups))


def test_training_keeps_every_candidates_figures_per_checkpoint(trained):
    assert sorted(trained.checkpoints) == [7, 14]
    assert sorted(code for fold in trained.folds for code in fold) == [f"C{k}" for k in range(5)]
    for result in trained.checkpoints.values():
        assert set(result.candidates) == set(FAST)
        for evidence in result.candidates.values():
            assert len(evidence["folds"]) == 5
            assert set(evidence["mean"]) >= FIGURES
        best = max(e["mean"]["roc_auc"] for e in result.candidates.values())
        close = [n for n in EARLY_WARNING.candidates if n in FAST]
        close = [n for n in close if result.candidates[n]["mean"]["roc_auc"] >= best - 0.005]
        assert result.algorithm == close[0] and result.metrics == result.candidates[close[0]]["mean"]
        assert result.calibration_curve
    # the generated courses tell dropouts apart, more so with more days seen
    assert 0.7 < trained.auc_by_checkpoint[7] <= trained.auc_by_checkpoint[14]


def _evidence(**auc: float) -> dict:
    return {name: {"mean": {"roc_auc": value}} for name, value in auc.items()}


def test_the_simplest_candidate_within_the_tolerance_of_the_best_is_chosen():
    assert EARLY_WARNING.course.selection_tolerance == 0.005
    # a gain of 0.002 does not buy the ensemble; whatever order the candidates were run in
    run = _evidence(ensemble=0.760, gradient_boosting=0.750, spline_logistic=0.758)
    assert choose(run) == "spline_logistic"
    # a gain beyond the tolerance does
    assert choose(_evidence(spline_logistic=0.750, ensemble=0.760)) == "ensemble"
    assert choose(_evidence(spline_logistic=0.740, gradient_boosting=0.756, ensemble=0.758)) == (
        "gradient_boosting"
    )
    # a candidate that could not be measured is never preferred
    assert choose(_evidence(spline_logistic=float("nan"), ensemble=0.70)) == "ensemble"


def test_the_gate_refuses_a_weak_version_and_passes_a_good_one():
    active = {7: 0.78, 14: 0.84}
    passed, why = gate({7: 0.68, 14: 0.85}, None, floor=0.70, margin=0.02)
    assert not passed and why == ["day 7: ROC AUC 0.68 is below the floor 0.70"]
    passed, why = gate({7: 0.68, 14: 0.85}, active, floor=0.70, margin=0.02)
    assert not passed and len(why) == 2
    passed, why = gate({7: 0.75, 14: 0.85}, active, floor=0.70, margin=0.02)
    assert not passed and len(why) == 1 and why[0].startswith("day 7: ROC AUC 0.750 is 0.030 below")
    assert gate({7: 0.77, 14: 0.86}, active, floor=0.70, margin=0.02) == (True, [])
    assert gate({7: 0.71, 14: 0.72}, None, floor=0.70, margin=0.02) == (True, [])


def test_a_saved_version_predicts_the_same_after_loading(trained, tmp_path):
    folder = save_version(trained, tmp_path / "version")
    assert {p.name for p in folder.iterdir()} >= {"checkpoint_7.joblib", "metrics.json", "MODEL_CARD.md"}
    loaded = load_version(folder)
    _, days, ids, counts, _, _ = make_course("N", 50, seed=7)
    X = model_frame(counts, 14, days, None, window=14)
    expected = trained.checkpoints[14].estimator.predict_proba(X)[:, 1]
    scored = loaded.score_course(ids, counts, 14, days)
    np.testing.assert_allclose(scored.frame["probability"], np.round(expected, 4))
    assert loaded.auc_by_checkpoint == pytest.approx(trained.auc_by_checkpoint)
    assert set(scored.frame["risk_level"]) <= {"High", "Medium", "Low"}


def test_reasons_name_the_days_without_activity(version):
    _, days, ids, counts, _, _ = make_course("N", 60, seed=11)
    counts[0] = 0
    counts[0, 0] = 3  # active on day 0 only: idle on days 1..6
    counts[1, :7] = 4  # active every day
    model = version.models[7]["estimator"]
    X = model_frame(counts, 7, days, None, window=7)
    contrib, _ = reasons.contributions(model, X, version.models[7]["explainer"])
    factors = reasons.top_factors(contrib, X, 7, k=50)
    idle_texts = [factor["text"] for factor in factors[0]]
    # Last active on day 0, scored at day 7: 7 days, as the at-risk list counts them.
    assert any(text.startswith("7 days since the last activity") for text in idle_texts), idle_texts
    assert all(factor["direction"] == "raises" for factor in factors[0])
    assert not any("since the last activity" in factor["text"] for factor in factors[1])
    favour = reasons.favour_factors(contrib, X, 7, k=50)
    assert favour[1] and all(factor["direction"] == "lowers" for factor in favour[1])


def test_every_scored_learner_has_a_reason_and_each_reason_raises_the_risk(version):
    """A learner with nothing against them still gets a true line; a reason for the risk never has a
    negative contribution, and what lowers the risk is given apart, as in the learner's favour."""
    _, days, ids, counts, _, _ = make_course("N", 120, seed=12)
    for day in (7, 10, 14):
        frame = version.score_course(ids, counts, day, days).frame
        assert all(len(row) >= 1 for row in frame["factors"]), day
        raising = [f for row in frame["factors"] for f in row if f["contribution"] is not None]
        assert raising and all(f["contribution"] > 0 and f["direction"] == "raises" for f in raising)
        favour = [f for row in frame["in_favour"] for f in row]
        assert favour and all(f["contribution"] < 0 and f["direction"] == "lowers" for f in favour)
        fallback = [f for row in frame["factors"] for f in row if f["contribution"] is None]
        assert all(f["text"].startswith(("active on", "not active yet")) for f in fallback)


def test_a_reason_for_the_risk_reads_as_one(version):
    """More activity than the course's typical learner is never given as a reason for the risk."""
    from modelling.early_warning import reason_words

    _, days, ids, counts, _, _ = make_course("N", 120, seed=14)
    X = model_frame(counts, 14, days, None, window=14)
    model = version.models[14]["estimator"]
    contrib, _ = reasons.contributions(model, X, version.models[14]["explainer"])
    medians = reasons.course_medians(X)
    for sign, rows in (
        (1, reasons.top_factors(contrib, X, 14)),
        (-1, reasons.favour_factors(contrib, X, 14)),
    ):
        for row, factors in enumerate(rows):
            for factor in (f for f in factors if f["contribution"] is not None):
                said = reason_words.SPOKEN_AS.get(factor["feature"], factor["feature"])
                assert reason_words.side(said, X[said].iloc[row], medians[said]) == sign, factor


def test_one_cell_never_says_the_same_thing_twice(version):
    _, days, ids, counts, _, _ = make_course("N", 60, seed=15)
    counts[:3] = 0  # never active: both "days since" and "first active" would say "not active yet"
    frame = version.score_course(ids, counts, 14, days).frame
    for row in list(frame["factors"]) + list(frame["in_favour"]):
        clauses = [part for factor in row for part in factor["text"].split("; ")]
        firsts = [factor["text"].split(";")[0] for factor in row]
        assert len(set(firsts)) == len(firsts), row
        assert sum("not active yet" in clause for clause in clauses) <= 1, row


def test_the_spline_logistic_contributions_add_up_to_its_log_odds(trained):
    model = (
        trained.checkpoints[14].candidates
        and train_early_warning(
            courses(3, learners=60, seed=20), checkpoints=(14,), candidates=("spline_logistic",)
        )
        .checkpoints[14]
        .estimator
    )
    _, days, ids, counts, _, _ = make_course("N", 40, seed=13)
    X = model_frame(counts, 14, days, None, window=14)
    contrib, method = reasons.contributions(model, X)
    medians = reasons.course_medians(X)
    baseline = X.iloc[:1].copy()
    for name in medians.index:
        baseline[name] = medians[name]
    log_odds = model.decision_function(X)
    np.testing.assert_allclose(
        contrib.sum(axis=1), log_odds - model.decision_function(baseline)[0], atol=1e-9
    )
    assert method.startswith("exact")
    np.testing.assert_allclose(logit(model.predict_proba(X)[:, 1]), log_odds, atol=1e-9)


@pytest.mark.parametrize("rows_per_call", [reasons.REPLACED_ROWS_PER_CALL, 25])
def test_replacement_contributions_are_each_feature_replaced_in_turn(monkeypatch, rows_per_call):
    """The stacked calls give what one model call per feature gives, however the rows are split."""
    model = (
        train_early_warning(
            courses(3, learners=60, seed=30), checkpoints=(14,), candidates=("gradient_boosting",)
        )
        .checkpoints[14]
        .estimator
    )
    _, days, _, counts, _, _ = make_course("R", 50, seed=31)
    X = model_frame(counts, 14, days, None, window=14)
    medians = reasons.course_medians(X)
    monkeypatch.setattr(reasons, "REPLACED_ROWS_PER_CALL", rows_per_call)
    stacked = reasons.replacement_contributions(model, X, medians)
    own = reasons._log_odds(model, X)
    for name in stacked.columns:
        one = X.copy()
        one[name] = medians[name]
        np.testing.assert_allclose(stacked[name], own - reasons._log_odds(model, one), atol=1e-9)
    assert (stacked.abs().sum() > 0).any()


def test_the_ensemble_reasons_are_its_members_mean_and_match_replacing_in_the_whole_ensemble():
    """Each member's own way (exact terms, nothing for the sequence model, replaced rows for boosting)
    gives what replacing one feature in the whole ensemble gives."""
    from modelling.early_warning.candidates import build
    from modelling.estimators import LogitAverageClassifier

    code, days, ids, counts, _, labels = make_course("E", 160, seed=41)
    X = model_frame(counts, 14, days, None, window=14)
    members = [
        ("spline_logistic", build("spline_logistic")),
        ("gradient_boosting", build("gradient_boosting")),
        ("keras_sequence", build("keras_sequence").set_params(max_epochs=2)),
    ]
    model = LogitAverageClassifier(members).fit(X, labels)
    _, days, _, counts, _, _ = make_course("F", 50, seed=42)
    X = model_frame(counts, 14, days, None, window=14)
    contrib, method = reasons.contributions(model, X)
    replaced = reasons.replacement_contributions(model, X, reasons.course_medians(X))
    assert method == reasons.ENSEMBLE_METHOD
    assert list(contrib.columns) == list(replaced.columns)
    # The sequence member predicts in float32: the two ways agree to its precision, not to float64's.
    np.testing.assert_allclose(contrib.to_numpy(), replaced.to_numpy(), atol=1e-5)
    assert (contrib.abs().sum() > 0).sum() > 3


def test_the_figures_give_the_calibration_offset_of_a_fold():
    """Mean probability minus the observed dropout rate: what a course's own rate does to the ECE."""
    y = np.array([1, 1, 1, 0])
    shifted = figures(y, np.full(4, 0.55))
    assert shifted["offset"] == pytest.approx(-0.2)
    assert shifted["ece"] == pytest.approx(0.2)
    assert figures(y, np.full(4, 0.75))["offset"] == pytest.approx(0.0)


def test_the_phrases_read_as_words():
    assert reasons.words.phrase("active_days", 3, 7, 14) == "active on 3 of 14 days; the course median is 7"
    assert reasons.words.phrase("week_trend", 0.7, np.nan, 14, (1, 5)) == (
        "1 event in the last 7 days, after 5 in the 7 days before"
    )
    assert reasons.words.phrase("video", 2, 40, 14) == "2 video events so far; the course median is 40"
    idle = "days_since_last_active"
    assert (
        reasons.words.phrase(idle, 3, 5, 14) == "4 days since the last activity; the course median is 6 days"
    )


def test_no_comparison_with_a_median_of_zero():
    phrase = reasons.words.phrase
    assert phrase("discussion", 18, 0, 14) == "18 discussion events so far; most learners have none"
    assert phrase("active_days", 3, 0, 7) == "active on 3 of 7 days; most learners have not been active yet"
    assert (
        phrase("first_active_day", 2, 0, 7)
        == "first active on day 2 of the course; most learners were active on day 0"
    )
    assert phrase("longest_idle_streak", 2, 0, 14) == "longest run without activity: 2 days"
    assert (
        phrase("active_day_share", 0.5, 0, 14)
        == "active on 50% of the days so far; most learners have not been active yet"
    )
    for name in reasons.words.PHRASINGS:
        assert "median is 0" not in phrase(name, 3, 0, 14) and "median is day 0" not in phrase(name, 3, 0, 14)


def test_counts_read_singular_for_one_and_never_as_zero_days():
    phrase = reasons.words.phrase
    idle = "days_since_last_active"
    assert phrase(idle, 0, 3, 7) == "1 day since the last activity; the course median is 4 days"
    assert phrase(idle, 0, 0, 7) == "1 day since the last activity; the course median is 1 day"
    assert phrase("discussion", 1, 2, 7) == "1 discussion event so far; the course median is 2"
    assert (
        phrase("current_active_streak", 1, 3, 7)
        == "1 active day in a row up to yesterday; the course median is 3"
    )
    assert phrase("last_week_active_days", 1, 3, 1) == "active on 1 of the last 1 day; the course median is 3"
    assert phrase("video", 0, 2, 7) == "no video events so far; the course median is 2"
    for name in reasons.words.PHRASINGS:
        for value in (0, 1):
            assert "0 days" not in phrase(name, value, 2, 14) and " 1 days" not in phrase(name, value, 2, 14)


def test_the_phrases_say_who_has_not_started():
    """A learner or a course median not active yet holds the day itself; the words say so instead."""
    idle, first = "days_since_last_active", "first_active_day"
    most = "most of the course has not been active yet"
    phrase = reasons.words.phrase
    assert phrase(idle, 2, 7, 7) == f"3 days since the last activity; {most}"
    assert phrase(first, 2, 7, 7) == f"first active on day 2 of the course; {most}"
    assert phrase(idle, 7, 2, 7) == "not active yet in 7 days; the course median is 3 days"
    assert phrase(first, 7, 1, 7) == (
        "not active yet in 7 days; the course's typical learner was first active on day 1"
    )


def test_the_keras_sequence_model_trains_scores_and_travels(tmp_path):
    result = train_early_warning(
        courses(3, learners=60, seed=30), checkpoints=(7,), candidates=("keras_sequence", "spline_logistic")
    )
    evidence = result.checkpoints[7].candidates["keras_sequence"]
    assert len(evidence["folds"]) == 3 and 0.0 <= evidence["mean"]["brier"] <= 1.0
    from modelling.early_warning.candidates import build

    code, days, ids, counts, _, labels = make_course("K", 200, seed=31)
    X = model_frame(counts, 7, days, None, window=7)
    model = build("keras_sequence", seed=0).set_params(max_epochs=3).fit(X, labels)
    assert not reasons.reads_features(model)
    result.checkpoints[7].estimator, result.checkpoints[7].algorithm = model, "keras_sequence"
    result.checkpoints[7].explainer = build("spline_logistic").fit(X, labels)
    loaded = load_version(save_version(result, tmp_path / "keras"))
    scored = loaded.score_course(ids, counts, 7, days)
    np.testing.assert_allclose(scored.frame["probability"], np.round(model.predict_proba(X)[:, 1], 4))
    assert scored.method == "the checkpoint's additive spline logistic"
    assert scored.frame["probability"].min() > 0.0 and scored.frame["probability"].max() < 1.0


def test_the_evaluation_levels_each_course_by_itself_and_gives_the_lift_beside_the_precision():
    # Course A: 9 of 10 drop out, every probability above the old 0.7 cut-off; course B: 5 of 10.
    y = np.array([1] * 9 + [0] + [1, 0, 1, 1, 0, 1, 0, 1, 0, 0])
    p = np.concatenate([np.linspace(0.99, 0.90, 10), np.linspace(0.50, 0.05, 10)])
    groups = np.array(["A"] * 10 + ["B"] * 10)
    found = figures(y, p, groups=groups)
    # High: the riskiest 2 of each course; A's two dropped out, one of B's: 3 of 4.
    assert found["flagged_share"] == pytest.approx(0.2)
    assert found["flagged_precision"] == pytest.approx(0.75)
    assert found["base_rate"] == pytest.approx(0.7)
    assert found["lift"] == pytest.approx(0.75 / 0.7)
    assert found["flagged_recall"] == pytest.approx(3 / 14)
    # The fixed cut-off flags all of A and none of B: half the learners.
    assert found["high_share"] == pytest.approx(0.5)
