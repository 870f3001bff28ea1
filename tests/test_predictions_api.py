"""POST /predictions/exam-score and /predictions/dropout: validation, answers, saving, activity."""

from __future__ import annotations

from db.tables import Activity, Record
from tests.helpers import GOOD_DROPOUT, GOOD_EXAM, assert_error


def test_exam_prediction_answer(client, make_user, bearer, active_models):
    response = client.post("/api/v1/predictions/exam-score", headers=bearer(make_user()), json=GOOD_EXAM)
    assert response.status_code == 200, response.json
    body = response.json
    assert 0 <= body["score"] <= 100
    assert body["interval"]["low"] <= body["score"] <= body["interval"]["high"]
    assert body["level"] in {"Excellent", "Very good", "Average", "Needs improvement", "At risk"}
    assert body["model_version"] == active_models["exam-score"]
    assert {c["field"] for c in body["contributions"]} == set(GOOD_EXAM)
    assert body["extrapolated"] == [] and "id" not in body or body["id"] is None


def test_dropout_prediction_answer(client, make_user, bearer, active_models):
    response = client.post("/api/v1/predictions/dropout", headers=bearer(make_user()), json=GOOD_DROPOUT)
    assert response.status_code == 200, response.json
    body = response.json
    assert 0 <= body["probability"] <= 1
    expected = "High" if body["probability"] >= 0.7 else "Medium" if body["probability"] >= 0.4 else "Low"
    assert body["risk_level"] == expected
    assert body["model_version"] == active_models["dropout"]


def test_save_stores_an_auditable_record(app, client, make_user, bearer, active_models):
    account = make_user()
    payload = {**GOOD_EXAM, "save": True, "student_ref": "S-17"}
    body = client.post("/api/v1/predictions/exam-score", headers=bearer(account), json=payload).json
    with app.app_context():
        record = Record.with_outputs().where(Record.id == body["id"]).get()
        assert record.user_id == account.id and record.student_ref == "S-17"
        assert record.model_version == body["model_version"] and record.value == body["score"]
        assert record.inputs["gender"] == "Female" and record.outputs["level"] == body["level"]
        actions = [a.action for a in Activity.select().where(Activity.user == account.id)]
        assert "predict" in actions


def test_every_wrong_field_is_named(client, make_user, bearer, active_models):
    headers = bearer(make_user())
    bad = {**GOOD_EXAM, "hours_studied": 99, "gender": "Robot", "attendance": "lots"}
    del bad["sleep_hours"]
    error = assert_error(client.post("/api/v1/predictions/exam-score", headers=headers, json=bad), 422)
    assert set(error["fields"]) == {"hours_studied", "gender", "attendance", "sleep_hours"}
    rule = {**GOOD_DROPOUT, "server": 999}
    error = assert_error(client.post("/api/v1/predictions/dropout", headers=headers, json=rule), 422)
    assert "server" in error["fields"] and "add up" in error["fields"]["server"]
    extra = {**GOOD_DROPOUT, "colour": "blue"}
    assert (
        "colour"
        in assert_error(client.post("/api/v1/predictions/dropout", headers=headers, json=extra), 422)[
            "fields"
        ]
    )


def test_true_and_underscored_digits_are_not_numbers(client, make_user, bearer, active_models):
    headers = bearer(make_user())
    for field, value in (("tutoring_sessions", True), ("hours_studied", "1_0"), ("attendance", "nan")):
        response = client.post(
            "/api/v1/predictions/exam-score", headers=headers, json={**GOOD_EXAM, field: value}
        )
        assert assert_error(response, 422, "invalid")["fields"] == {field: "Must be a number."}, field
    response = client.post(
        "/api/v1/predictions/dropout", headers=headers, json={**GOOD_DROPOUT, "video": True}
    )
    assert assert_error(response, 422)["fields"] == {"video": "Must be a number."}
    plain = client.post(
        "/api/v1/predictions/exam-score", headers=headers, json={**GOOD_EXAM, "attendance": "85"}
    )
    assert plain.status_code == 200, plain.json


def test_malformed_and_wrong_type(client, make_user, bearer, active_models):
    headers = bearer(make_user())
    assert_error(
        client.post(
            "/api/v1/predictions/dropout", headers=headers, data="{", content_type="application/json"
        ),
        400,
    )
    assert_error(
        client.post("/api/v1/predictions/dropout", headers=headers, data="a=1", content_type="text/plain"),
        415,
    )


def test_extrapolation_is_flagged(client, make_user, bearer, active_models):
    payload = {**GOOD_EXAM, "attendance": 30, "hours_studied": 55}
    body = client.post("/api/v1/predictions/exam-score", headers=bearer(make_user()), json=payload).json
    assert set(body["extrapolated"]) == {"attendance", "hours_studied"}


def test_no_active_model_is_503(client, make_user, bearer):
    error = assert_error(
        client.post("/api/v1/predictions/exam-score", headers=bearer(make_user()), json=GOOD_EXAM), 503
    )
    assert error["code"] == "model_unavailable"
