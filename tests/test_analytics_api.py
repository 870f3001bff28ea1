"""GET /analytics/...: aggregates over stored predictions (SQL) and over the training data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from modelling.synthetic import generate_dropout, generate_exam
from tests.helpers import assert_error


def _save_many(client, headers, task, frame):
    values = []
    for row in frame.to_dict("records"):
        row = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        body = client.post(
            f"/api/v1/predictions/{task}", headers=headers, json={**row, "save": True, "student_ref": "S"}
        ).json
        values.append(body)
    return values


def test_summary_levels_features_and_correlations_match_the_records(client, make_user, bearer, active_models):
    admin = bearer(make_user("admin"))
    exam_frame = generate_exam(30, 3).drop(columns="exam_score")
    exams = _save_many(client, admin, "exam-score", exam_frame)
    dropouts = _save_many(client, admin, "dropout", generate_dropout(20, 3).drop(columns="dropout"))

    summary = client.get("/api/v1/analytics/summary", headers=admin).json
    assert (
        summary["predictions"] == 50 and summary["students"] == 1 and summary["predictions_this_week"] == 50
    )
    assert summary["average_exam_score"] == round(np.mean([e["score"] for e in exams]), 2)
    high = sum(d["risk_level"] == "High" for d in dropouts) / 20
    assert summary["high_risk_share"] == round(high, 4)
    assert summary["active_models"]["exam-score"]["version"] == active_models["exam-score"]

    levels = client.get("/api/v1/analytics/exam-score/levels", headers=admin).json
    expected = pd.Series([e["level"] for e in exams]).value_counts().to_dict()
    assert {item["level"]: item["count"] for item in levels["levels"] if item["count"]} == expected
    assert sum(day["count"] for day in levels["per_day"]) == 30

    features = client.get("/api/v1/analytics/exam-score/features", headers=admin).json["fields"]
    hours = features["hours_studied"]
    assert sum(b["count"] for b in hours["histogram"]) == 30
    by_level = pd.DataFrame({"level": [e["level"] for e in exams], "h": exam_frame["hours_studied"]})
    for level, mean in by_level.groupby("level")["h"].mean().items():
        assert abs(hours["mean_by_level"][level] - mean) < 1e-3
    gender = features["gender"]["counts_by_level"]
    assert sum(sum(c.values()) for c in gender.values()) == 30

    corr = client.get("/api/v1/analytics/exam-score/correlations", headers=admin).json
    assert corr["rows"] == 30 and corr["fields"][-1] == "prediction"
    frame = (
        exam_frame[[f for f in corr["fields"][:-1]]]
        .astype(float)
        .assign(prediction=[e["score"] for e in exams])
    )
    assert np.allclose(np.array(corr["matrix"]), frame.corr().to_numpy(), atol=1e-3)


def test_filters_apply_to_aggregates(client, make_user, bearer, active_models):
    admin = bearer(make_user("admin"))
    _save_many(client, admin, "dropout", generate_dropout(10, 5).drop(columns="dropout"))
    some = client.get("/api/v1/analytics/dropout/levels?level=High", headers=admin).json
    total = sum(item["count"] for item in some["levels"])
    assert all(item["count"] == 0 for item in some["levels"] if item["level"] != "High")
    assert client.get("/api/v1/analytics/summary?level=High", headers=admin).json["predictions"] == total
    assert client.get("/api/v1/analytics/summary?from=2999-01-01", headers=admin).json["predictions"] == 0


def test_training_data_source(client, make_user, bearer, active_models):
    admin = bearer(make_user("admin"))
    features = client.get("/api/v1/analytics/dropout/features?source=training", headers=admin).json["fields"]
    assert set(features["video"]["mean_by_level"]) == {"Dropped out", "Stayed"}
    corr = client.get("/api/v1/analytics/dropout/correlations?source=training", headers=admin).json
    assert corr["fields"][-1] == "dropout" and corr["rows"] > 0


def test_bad_analytics_requests(client, make_user, bearer, active_models):
    admin = bearer(make_user("admin"))
    assert_error(client.get("/api/v1/analytics/height/levels", headers=admin), 404)
    assert_error(client.get("/api/v1/analytics/exam-score/features?source=rumours", headers=admin), 422)
    assert_error(client.get("/api/v1/analytics/summary", headers=bearer(make_user())), 403)
