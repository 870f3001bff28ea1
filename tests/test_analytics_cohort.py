"""Cohort profiles for the analytics page: filters, SQL aggregates checked against pandas, the window."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from db.tables import Record, User, utcnow
from modelling.levels import level_for
from modelling.synthetic import generate_exam
from modelling.tasks import schema_for
from services import analytics, model_versions
from services.errors import Forbidden, InvalidInput

EXAM_BANDS = [
    ("Excellent", 90),
    ("Very good", 75),
    ("Average", 65),
    ("Needs improvement", 50),
    ("At risk", 0),
]


@pytest.fixture
def exam_records(app, make_user):
    """60 stored exam predictions with known inputs, values and times (newest last)."""
    admin = make_user("admin")
    frame = generate_exam(60, 11).drop(columns="exam_score")
    rng = np.random.default_rng(3)
    values = rng.uniform(40, 95, len(frame)).round(2)
    now = utcnow()
    with app.app_context():
        for i, row in enumerate(frame.to_dict("records")):
            inputs = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
            Record.add(
                user=admin.id,
                task="exam-score",
                student_ref=f"S{i % 7}",
                inputs=inputs,
                outputs={"score": values[i]},
                model_version=1,
                value=float(values[i]),
                level=level_for(values[i], EXAM_BANDS),
                created_at=now - timedelta(minutes=60 - i),
            )
    frame = frame.assign(prediction=values, level=[level_for(v, EXAM_BANDS) for v in values])
    return admin, frame


def _profile(app, admin, raw, source="records", task="exam-score"):
    with app.app_context():
        viewer = User.get_by_id(admin.id)
        return analytics.cohort_profile(viewer, task, source, analytics.make_cohort(task, source, raw))


def _check_against(profile, frame):
    assert profile["rows"] == len(frame) == profile["analysed"]
    counts = frame["level"].value_counts().to_dict()
    assert {g["name"]: g["count"] for g in profile["groups"] if g["count"]} == counts
    hours = next(i for i in profile["numeric"] if i["name"] == "hours_studied")
    assert sum(sum(c) for c in hours["counts"].values()) == len(frame)
    assert hours["edges"][0] == pytest.approx(frame["hours_studied"].min())
    assert hours["edges"][-1] == pytest.approx(frame["hours_studied"].max())
    for level, mean in frame.groupby("level")["hours_studied"].mean().items():
        assert hours["mean"][level] == pytest.approx(mean, abs=1e-3)
    gender = next(i for i in profile["category"] if i["name"] == "gender")
    for level, part in frame.groupby("level"):
        assert gender["counts"][level] == {v: int((part["gender"] == v).sum()) for v in gender["values"]}
    corr = profile["correlation"]
    expected = frame[corr["fields"]].astype(float).corr().to_numpy()
    assert np.allclose(np.array(corr["matrix"]), expected, atol=1e-3)


def test_profile_of_stored_predictions_matches_pandas(app, exam_records, active_models):
    admin, frame = exam_records
    profile = _profile(app, admin, {})
    _check_against(profile, frame)
    assert profile["students"] == 7
    assert profile["value"] == "prediction" and profile["correlation"]["fields"][-1] == "prediction"


def test_cohort_filters_apply_in_sql(app, exam_records, active_models):
    admin, frame = exam_records
    raw = {
        "categories": {"school_type": ["Public"], "motivation_level": ["Low", "Medium"]},
        "ranges": {"hours_studied": [10, 30], "prediction": [45, 90]},
    }
    expected = frame[
        (frame["school_type"] == "Public")
        & frame["motivation_level"].isin(["Low", "Medium"])
        & frame["hours_studied"].between(10, 30)
        & frame["prediction"].between(45, 90)
    ]
    assert 0 < len(expected) < len(frame)
    _check_against(_profile(app, admin, raw), expected)
    group = expected["level"].value_counts().index[0]
    only = _profile(app, admin, {**raw, "groups": [group]})
    assert only["rows"] == int((expected["level"] == group).sum())
    assert _profile(app, admin, {"date_from": "2999-01-01"})["rows"] == 0


def test_missing_category_is_a_filter_value(app, exam_records, active_models):
    admin, frame = exam_records
    missing = frame["teacher_quality"].isna().sum()
    profile = _profile(app, admin, {"categories": {"teacher_quality": ["missing"]}})
    assert profile["rows"] == missing


def test_field_figures_cover_the_newest_rows_only(app, exam_records, active_models, monkeypatch):
    admin, frame = exam_records
    monkeypatch.setattr(analytics.profile, "ANALYSIS_ROWS", 25)
    profile = _profile(app, admin, {})
    assert profile["rows"] == 60 and profile["analysed"] == 25
    newest = frame.tail(25)
    hours = next(i for i in profile["numeric"] if i["name"] == "hours_studied")
    assert sum(sum(c) for c in hours["counts"].values()) == 25
    assert hours["overall"] == pytest.approx(newest["hours_studied"].mean(), abs=1e-3)


def test_a_large_cohort_filtered_on_input_fields_reports_the_window(
    app, exam_records, active_models, monkeypatch
):
    admin, frame = exam_records
    monkeypatch.setattr(analytics.profile, "ANALYSIS_ROWS", 10)
    profile = _profile(app, admin, {"categories": {"gender": ["Male", "Female"]}})
    assert profile["rows"] is None and profile["analysed"] == 10
    assert sum(g["count"] for g in profile["groups"]) == 10
    newest = frame.tail(10)
    assert {g["name"]: g["count"] for g in profile["groups"] if g["count"]} == newest[
        "level"
    ].value_counts().to_dict()
    group = newest["level"].iloc[-1]
    counted = _profile(app, admin, {"groups": [group]})
    assert counted["rows"] == int((frame["level"] == group).sum())


def test_pair_density_counts_every_row(app, exam_records, active_models):
    admin, frame = exam_records
    with app.app_context():
        viewer = User.get_by_id(admin.id)
        cohort = analytics.make_cohort("exam-score", "records", {"categories": {"gender": ["Female"]}})
        pair = analytics.pair_density(viewer, "exam-score", "records", cohort, "attendance", "prediction")
        assert (
            sum(p["count"] for p in pair["points"]) == pair["analysed"] == (frame["gender"] == "Female").sum()
        )
        assert pair["x"]["label"] == "Attendance" and pair["y"]["name"] == "prediction"
        with pytest.raises(InvalidInput):
            analytics.pair_density(viewer, "exam-score", "records", cohort, "gender", "prediction")


def test_training_source(app, make_user, active_models):
    admin = make_user("admin")
    everyone = _profile(app, admin, {}, source="training", task="dropout")
    assert [g["name"] for g in everyone["groups"]] == ["Dropped out", "Stayed"]
    assert everyone["correlation"]["fields"][-1] == "dropout"
    stayed = _profile(
        app, admin, {"groups": ["Stayed"], "ranges": {"study_days": [5, 30]}}, "training", "dropout"
    )
    assert 0 < stayed["rows"] < everyone["rows"]
    assert stayed["groups"][0]["count"] == 0
    with app.app_context():
        pair = analytics.pair_density(
            User.get_by_id(admin.id),
            "dropout",
            "training",
            analytics.make_cohort("dropout", "training", {}),
            "video",
            "problem",
        )
    assert sum(p["count"] for p in pair["points"]) == everyone["rows"]


def test_bad_cohorts_and_students_are_refused(app, make_user, active_models):
    student = make_user()
    with app.app_context():
        with pytest.raises(InvalidInput) as error:
            analytics.make_cohort("exam-score", "records", {"categories": {"password": ["x"]}})
        assert "password" in error.value.fields
        with pytest.raises(InvalidInput):
            analytics.make_cohort("exam-score", "records", {"ranges": {"gender": [0, 1]}})
        with pytest.raises(InvalidInput):
            analytics.make_cohort("exam-score", "nowhere", {})
        with pytest.raises(Forbidden):
            analytics.cohort_profile(User.get_by_id(student.id), "exam-score", "records", analytics.Cohort())
        with pytest.raises(Forbidden):
            model_versions.version_diagnostics(User.get_by_id(student.id), "exam-score", 1)


def test_version_diagnostics_read_the_stored_files(app, make_user, active_models):
    admin = make_user("admin")
    with app.app_context():
        viewer = User.get_by_id(admin.id)
        found = model_versions.version_diagnostics(viewer, "dropout", active_models["dropout"])
        importance = model_versions.active_importance(User.get_by_id(admin.id), "dropout")
    assert found["metrics"]["winner"] == found["row"].algorithm
    assert found["details"]["confusion_matrix"]["matrix"] and found["details"]["calibration_curve"]
    assert found["card"].startswith("# dropout")
    assert importance["version"] == active_models["dropout"] and "Study days" in importance["importance"]


def test_profile_table_for_every_figure(app, exam_records, active_models):
    from dashboard.components.analytics_figures import figure_table

    admin, frame = exam_records
    profile = _profile(app, admin, {})
    levels = figure_table(profile, "levels")
    assert levels["rows"].sum() == 60
    hours = figure_table(profile, "field-hours_studied")
    assert list(hours.columns[:2]) == ["from", "to"] and hours.iloc[:, 2:].to_numpy().sum() == 60
    gender = figure_table(profile, "field-gender")
    assert gender.set_index("value").sum(axis=1).to_dict() == frame["gender"].value_counts().to_dict()
    assert figure_table(profile, "value").iloc[:, 2:].to_numpy().sum() == 60
    corr = figure_table(profile, "correlation")
    assert isinstance(corr, pd.DataFrame) and corr.shape == (7, 8)


def test_the_api_and_the_page_give_the_same_numbers(app, client, bearer, exam_records, active_models):
    admin, frame = exam_records
    group = frame["level"].value_counts().index[0]
    for query, raw in (("", {}), (f"?level={group}", {"groups": [group]})):
        profile = _profile(app, admin, raw)
        headers = bearer(admin)
        fields = client.get(f"/api/v1/analytics/exam-score/features{query}", headers=headers).json["fields"]
        corr = client.get(f"/api/v1/analytics/exam-score/correlations{query}", headers=headers).json
        assert corr["rows"] == profile["analysed"] == profile["rows"]
        assert corr["fields"] == profile["correlation"]["fields"]
        assert corr["matrix"] == profile["correlation"]["matrix"]
        for item in profile["numeric"][:-1]:
            bars = [
                sum(counts[b] for counts in item["counts"].values()) for b in range(len(item["edges"]) - 1)
            ]
            api = fields[item["name"]]
            assert [b["count"] for b in api["histogram"]] == [n for n in bars if n]
            assert api["histogram"][0]["from"] == item["edges"][0]
            assert api["mean_by_level"] == {g: m for g, m in item["mean"].items() if m is not None}
        gender = next(i for i in profile["category"] if i["name"] == "gender")
        for value in gender["values"]:
            expected = {g: counts[value] for g, counts in gender["counts"].items() if counts[value]}
            assert fields["gender"]["counts_by_level"][value] == expected


def test_both_stores_sum_up_the_same_rows_alike_and_as_numpy(app, exam_records, active_models):
    admin, frame = exam_records
    numeric = analytics.cohort.numeric_fields("exam-score", "records")
    fields = (numeric, [f.name for f in schema_for("exam-score").categorical])
    with app.app_context():
        viewer = User.get_by_id(admin.id)
        stored = analytics.stored.StoredCohort(
            viewer, "exam-score", analytics.Cohort(), fields, None
        ).summary()
    framed = analytics.frame.FrameCohort(frame, analytics.Cohort(), fields).summary()
    assert stored[1:3] == framed[1:3]  # histogram bins and category counts, per group
    assert stored[3] == 7 and framed[3] is None  # students: training rows name none
    assert set(stored[0]) == set(framed[0]) == set(frame["level"])
    for group, sums in stored[0].items():
        expected = framed[0][group]
        assert sums.rows == expected.rows and sums.count == expected.count
        assert sums.low == pytest.approx(expected.low) and sums.high == pytest.approx(expected.high)
        assert sums.product == pytest.approx(expected.product)
    expected = np.corrcoef(frame[numeric].astype(float).to_numpy(), rowvar=False)
    for by_group, bins in ((stored[0], stored[1]), (framed[0], framed[1])):
        everyone = analytics.stats.combine(list(by_group.values()), numeric)
        assert np.allclose(analytics.stats.correlation(everyone, numeric), expected, atol=1e-4)
        edges = analytics.stats.bin_edges(everyone.low["hours_studied"], everyone.high["hours_studied"])
        bars = [sum(counts[b] for counts in bins["hours_studied"].values()) for b in range(len(edges) - 1)]
        assert bars == np.histogram(frame["hours_studied"].astype(float), edges)[0].tolist()


def test_a_new_prediction_shows_in_the_counted_rows(app, exam_records, active_models, monkeypatch):
    admin, frame = exam_records
    monkeypatch.setattr(analytics.profile, "ANALYSIS_ROWS", 10)
    assert _profile(app, admin, {})["rows"] == 60
    with app.app_context():
        Record.add(
            user=admin.id,
            task="exam-score",
            student_ref="S-new",
            inputs=frame.drop(columns=["prediction", "level"]).iloc[0].dropna().to_dict(),
            outputs={"score": 50.0},
            model_version=1,
            value=50.0,
            level=level_for(50.0, EXAM_BANDS),
        )
    profile = _profile(app, admin, {})
    assert profile["rows"] == 61 and profile["analysed"] == 10
