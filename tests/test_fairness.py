"""The fairness report: per group figures and the largest gaps with bootstrap intervals, computed on data
with a known gap; the fairness gate refusing a version (form task and early warning), its reasons in the
API, a confirmed activation, the train command's report, the learners' attributes from the contacts file,
and the setting checked at start-up."""

from __future__ import annotations

import numpy as np
import pytest

from db.courses import Enrollment
from db.nudges import LearnerContact
from db.tables import ModelVersion
from modelling import fairness
from modelling.data import LoadedData
from modelling.synthetic import generate_exam
from server.config import load_config
from tests.helpers import assert_error, insert_courses


def _known_gap():
    """Two groups of 400 with the same base rate (25%): A's flag finds every dropout, B's half of them
    (and as many who stay); A's probabilities rank perfectly, B's are all 0.5. A group of 10 besides."""
    y, p, flagged, groups = [], [], [], []
    for group, size in (("A", 400), ("B", 400), ("C", 10)):
        positives = size // 4
        truth = np.r_[np.ones(positives), np.zeros(size - positives)]
        if group == "A":
            prob, flag = np.where(truth == 1, 0.8, 0.2), truth == 1
        else:
            prob = np.full(size, 0.5)
            flag = np.r_[np.arange(positives) < positives // 2, np.arange(size - positives) < positives // 2]
        y.append(truth), p.append(prob), flagged.append(flag), groups.append(np.full(size, group))
    return [np.concatenate(part) for part in (y, p, flagged, groups)]


def _report(boots: int = 100, seed: int = 0):
    y, p, flagged, groups = _known_gap()
    return fairness.report(
        y,
        p,
        {"group": ("Group", groups)},
        concern=y == 1,
        flagged=flagged,
        metric="roc_auc",
        flag_label="High",
        boots=boots,
        seed=seed,
    )


def test_the_report_gives_each_groups_figures_and_the_largest_gaps_with_intervals():
    attribute = _report()["attributes"][0]
    groups = {g["group"]: g for g in attribute["groups"]}
    a, b, c = groups["A"], groups["B"], groups["C"]
    assert (a["size"], b["size"], c["size"]) == (400, 400, 10)
    assert (a["compared"], b["compared"], c["compared"]) == (True, True, False)
    expected = {
        "A": {"base_rate": 0.25, "roc_auc": 1.0, "mean_predicted": 0.35, "flag_rate": 0.25, "recall": 1.0},
        "B": {"base_rate": 0.25, "roc_auc": 0.5, "mean_predicted": 0.5, "flag_rate": 0.25, "recall": 0.5},
    }
    for name, figures in expected.items():
        for key, value in figures.items():
            assert groups[name][key]["value"] == pytest.approx(value), (name, key)
    assert a["precision"]["value"] == 1.0 and b["precision"]["value"] == 0.5
    assert b["calibration"]["value"] == pytest.approx(0.25)
    gaps = attribute["gaps"]
    assert gaps["recall"]["value"] == pytest.approx(0.5) and gaps["recall"]["between"] == ["A", "B"]
    assert gaps["flag_rate"]["value"] == pytest.approx(0.0)
    assert gaps["roc_auc"]["value"] == pytest.approx(0.5)
    assert gaps["calibration"]["value"] == pytest.approx(0.15)
    assert gaps["abroca"]["value"] == pytest.approx(0.5, abs=0.01) and gaps["abroca"]["between"] == ["B", "A"]
    # Every figure lies inside its interval; the small group's interval is wider than the large ones'.
    for group in attribute["groups"]:
        for key in ("base_rate", "flag_rate", "precision", "recall", "mean_predicted"):
            found = group[key]
            assert found["low"] <= found["value"] <= found["high"], (group["group"], key)
    width = {name: groups[name]["base_rate"]["high"] - groups[name]["base_rate"]["low"] for name in groups}
    assert width["C"] > 2 * width["A"]
    assert 0.4 < gaps["recall"]["low"] < 0.5 < gaps["recall"]["high"] < 0.6


def test_the_gap_intervals_cover_the_true_gap():
    """Recall 0.9 in one group and 0.6 in the other, drawn afresh 15 times: the 95% interval of the
    recall gap holds the true 0.3 nearly every time."""
    covered = 0
    for seed in range(15):
        rng = np.random.default_rng(seed)
        groups = np.repeat(["A", "B"], 300)
        y = rng.random(600) < 0.4
        flagged = y & (rng.random(600) < np.where(groups == "A", 0.9, 0.6))
        found = fairness.report(
            y,
            y * 0.6,
            {"g": ("G", groups)},
            concern=y,
            flagged=flagged,
            metric="mae",
            flag_label="x",
            boots=80,
            seed=seed,
        )
        gap = found["attributes"][0]["gaps"]["recall"]
        covered += gap["low"] <= 0.3 <= gap["high"]
    assert covered >= 12


def test_the_gate_refuses_a_gap_above_the_limit_at_the_low_end_of_its_interval():
    found = _report()
    passed, reasons = fairness.gate(found, 0.2)
    assert not passed and len(reasons) == 1
    assert "Group: the recall differs by 0.50 between A and B" in reasons[0] and "limit 0.20" in reasons[0]
    assert fairness.gate(found, 0.45)[0]  # 0.50, but its interval reaches below 0.45: not refused
    assert fairness.gate(found, 0)[0] and fairness.gate(None, 0.1)[0]


def test_groups_missing_or_alone_are_left_out():
    y, p, flagged, groups = _known_gap()
    groups = groups.astype(object)
    groups[groups == "C"] = None
    found = fairness.report(
        y,
        p,
        {"g": ("G", groups), "one": ("One", np.full(y.size, "x"))},
        concern=y == 1,
        flagged=flagged,
        metric="roc_auc",
        flag_label="High",
        boots=20,
    )
    assert [a["name"] for a in found["attributes"]] == ["g"]
    assert [g["group"] for g in found["attributes"][0]["groups"]] == ["A", "B"]


def _exam_with_a_gap(rows: int = 600) -> LoadedData:
    """Exam scores where female students score 15 points less: the model learns it, and flags them."""
    frame = generate_exam(rows, 5)
    female = frame["gender"] == "Female"
    frame.loc[female, "exam_score"] = np.clip(frame.loc[female, "exam_score"] - 15, 0, 100)
    return LoadedData(frame, [], "exam with a gap")


def test_a_version_with_a_gap_is_refused_shown_in_the_api_and_activated_only_when_confirmed(
    app, client, make_user, bearer, monkeypatch
):
    from services import model_versions

    monkeypatch.setitem(app.config, "FAIRNESS_MAX_GAP", 0.2)
    with app.app_context():
        row = model_versions.train_version(
            "exam-score", _exam_with_a_gap(), folds=3, activate=True, candidates=["linear_regression"]
        )
        assert not ModelVersion.get_by_id(row.id).is_active  # the gate kept it from serving
    admin = bearer(make_user("admin"))
    body = client.get(f"/api/v1/models/exam-score/{row.version}/fairness", headers=admin).json
    assert body["gate"]["passed"] is False and body["gate"]["limit"] == 0.2
    assert any(
        r.startswith("Gender: the share flagged Needs improvement or at risk")
        for r in body["gate"]["reasons"]
    )
    report = body["reports"][0]["report"]
    assert report["metric"] == "mae" and report["rows"] == 600
    assert [a["name"] for a in report["attributes"]] == [
        c for c, _ in model_versions.task_for("exam-score").group_attributes
    ]
    gender = report["attributes"][0]
    flagged = {g["group"]: g["flag_rate"]["value"] for g in gender["groups"]}
    assert flagged["Female"] - flagged["Male"] > 0.3
    assert gender["gaps"]["flag_rate"]["between"] == ["Female", "Male"]
    assert sum(g["size"] for g in gender["groups"]) == 600

    refused = client.post(f"/api/v1/models/exam-score/{row.version}/activate", headers=admin)
    assert "Gender" in assert_error(refused, 409, "gate_refused")["fields"]["gate"]
    confirmed = client.post(
        f"/api/v1/models/exam-score/{row.version}/activate", headers=admin, json={"confirm": True}
    )
    assert confirmed.status_code == 200 and confirmed.json["is_active"]
    tutor = bearer(make_user("tutor"))
    assert client.get(f"/api/v1/models/exam-score/{row.version}/fairness", headers=tutor).status_code == 403
    assert_error(client.get("/api/v1/models/exam-score/999/fairness", headers=admin), 404)
    with app.app_context():
        card = (model_versions.version_directory(row) / "model_card.md").read_text()
    assert "## Fairness by group" in card and "| Female | " in card


def test_the_train_command_reports_the_gaps(app, tmp_path, monkeypatch):
    path = tmp_path / "exam.csv"
    _exam_with_a_gap(300).frame.to_csv(path, index=False)
    result = app.test_cli_runner().invoke(
        args=["train", "exam-score", "--data", str(path), "--folds", "3", "--candidates", "linear_regression"]
    )
    assert result.exit_code == 0, result.output
    assert "Fairness (Out-of-fold predictions of the chosen model):" in result.output
    assert "Gender: flag rate gap" in result.output and "(Female vs Male)" in result.output


def test_the_contacts_file_brings_group_attributes_the_early_warning_report_compares(
    app, client, make_user, bearer, monkeypatch
):
    from services.early_warning import training
    from services.tutoring import contacts

    with app.app_context():
        insert_courses("FAIR", number=2, enrollments=50)
        # Every dropout is "F", everyone who stays "M": the flag falls almost only on one group.
        lines = ["learner_ref,email,gender,age_band"]
        for enrollment in Enrollment.select().where(Enrollment.dropped_out.is_null(False)):
            gender = "F" if enrollment.dropped_out else "M"
            lines.append(f"{enrollment.learner_ref},l{enrollment.id}@example.org,{gender},")
        report = contacts.import_contacts("\n".join(lines) + "\n")
        assert report.stored == len(lines) - 1
        stored = LearnerContact.select().first()
        assert set(stored.attributes) == {"gender"}  # an empty age band is not kept
        contacts.import_contacts(f"learner_ref,email\n{stored.enrollment.learner_ref},new@example.org\n")
        assert LearnerContact.get_by_id(stored.id).attributes == stored.attributes  # kept as they were
        monkeypatch.setitem(app.config, "FAIRNESS_MAX_GAP", 0.2)
        row = training.train(candidates=["spline_logistic"], checkpoints=(14,), activate=True)
        assert not row.is_active
        assert [r["title"] for r in row.fairness["reports"]] == ["Day 14"]
        gender = row.fairness["reports"][0]["report"]["attributes"][0]
        assert gender["label"] == "Gender" and {g["group"] for g in gender["groups"]} == {"F", "M"}
        assert gender["groups"][1]["base_rate"]["value"] == 0.0  # M: nobody dropped out
        assert any("Gender: the share flagged High" in r for r in row.metrics["gate"]["reasons"])
        assert row.metrics["gate"]["passed"] is False
    body = client.get(
        f"/api/v1/models/early-warning/{row.version}/fairness", headers=bearer(make_user("admin"))
    )
    assert body.status_code == 200 and body.json["gate"]["passed"] is False
    assert body.json["reports"][0]["report"]["metric"] == "roc_auc"
    assert "abroca" in body.json["reports"][0]["report"]["attributes"][0]["gaps"]


def test_fairness_max_gap_is_a_setting_checked_at_start_up(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("FAIRNESS_MAX_GAP", raising=False)
    assert load_config().FAIRNESS_MAX_GAP == 0.0
    monkeypatch.setenv("FAIRNESS_MAX_GAP", "0.1")
    assert load_config().FAIRNESS_MAX_GAP == 0.1
    for wrong in ("1.5", "-0.1", "ten percent"):
        monkeypatch.setenv("FAIRNESS_MAX_GAP", wrong)
        with pytest.raises(RuntimeError, match="FAIRNESS_MAX_GAP must be a number from 0 to 1"):
            load_config()


def test_a_task_without_group_attributes_has_no_report(app, active_models):
    with app.app_context():
        assert ModelVersion.active("dropout").fairness is None
        exam = ModelVersion.active("exam-score").fairness
    assert exam["gate"] == {"passed": True, "reasons": [], "limit": None}  # the gate is off by default
    report = exam["reports"][0]["report"]
    assert report["rows"] == 1500 and len(report["attributes"]) == 4
