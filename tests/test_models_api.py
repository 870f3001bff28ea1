"""GET /models, training as a job (bundled or uploaded data), GET /jobs/{id}, activation."""

from __future__ import annotations

import io

from modelling.synthetic import generate_exam
from modelling.tasks.exam import SCHEMA as EXAM
from tests.helpers import GOOD_EXAM, assert_error, csv_bytes, wait_for_job


def test_models_lists_versions_and_the_active_one(client, make_user, bearer, active_models):
    body = client.get("/api/v1/models", headers=bearer(make_user())).json
    assert body["active"] == {
        "exam-score": active_models["exam-score"],
        "dropout": active_models["dropout"],
        "early-warning": None,
    }
    assert body["course_versions"] == {"early-warning": []}
    exam = body["versions"]["exam-score"][0]
    assert exam["is_active"] and "mae" in exam["metrics"] and exam["candidates"]


def test_train_on_an_upload_then_activate_switches_what_serves(client, make_user, bearer, active_models):
    admin = bearer(make_user("admin"))
    frame = generate_exam(900, 33).rename(
        columns={f.name: f.header for f in EXAM.fields} | {"exam_score": "Exam_Score"}
    )
    frame.loc[5, "Gender"] = "Robot"
    response = client.post(
        "/api/v1/models/exam-score/train?folds=3&candidates=linear_regression",
        headers=admin,
        data={"file": (io.BytesIO(csv_bytes(frame)), "students.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.json
    job = wait_for_job(client, admin, response.json["id"])
    assert job["status"] == "succeeded", job
    assert job["progress"] == 100 and job["result"]["rejected_rows"] == 1
    assert "line 7: gender" in job["result"]["rejected_examples"][0]
    new_version = job["result"]["version"]
    assert job["result"]["active"] is False
    served = client.post("/api/v1/predictions/exam-score", headers=admin, json=GOOD_EXAM).json
    assert served["model_version"] == active_models["exam-score"]
    activated = client.post(f"/api/v1/models/exam-score/{new_version}/activate", headers=admin)
    assert activated.status_code == 200 and activated.json["is_active"]
    served = client.post("/api/v1/predictions/exam-score", headers=admin, json=GOOD_EXAM).json
    assert served["model_version"] == new_version
    rollback = client.post(f"/api/v1/models/exam-score/{active_models['exam-score']}/activate", headers=admin)
    assert rollback.status_code == 200
    assert (
        client.post("/api/v1/predictions/exam-score", headers=admin, json=GOOD_EXAM).json["model_version"]
        == (active_models["exam-score"])
    )


def test_train_with_activate_on_a_text_csv_body(client, make_user, bearer, active_models):
    admin = bearer(make_user("admin"))
    response = client.post(
        "/api/v1/models/exam-score/train?folds=3&candidates=huber&activate=true",
        headers={**admin, "Content-Type": "text/csv"},
        data=csv_bytes(generate_exam(600, 5)),
    )
    job = wait_for_job(client, admin, response.json["id"])
    assert job["status"] == "succeeded", job
    assert (
        client.get("/api/v1/models", headers=admin).json["active"]["exam-score"] == job["result"]["version"]
    )
    trained = client.get("/api/v1/models", headers=admin).json["versions"]["exam-score"]
    newest = max(trained, key=lambda v: v["version"])
    assert job["result"]["algorithm"] == "huber" and [c["name"] for c in newest["candidates"]] == ["huber"]


def test_a_job_that_fails_reports_why_and_changes_nothing(client, make_user, bearer, active_models):
    admin = bearer(make_user("admin"))
    frame = generate_exam(40, 5)
    frame["attendance"] = 500
    response = client.post(
        "/api/v1/models/exam-score/train?activate=true",
        headers={**admin, "Content-Type": "text/csv"},
        data=csv_bytes(frame),
    )
    job = wait_for_job(client, admin, response.json["id"])
    assert job["status"] == "failed" and "at least" in job["error"]
    assert (
        client.get("/api/v1/models", headers=admin).json["active"]["exam-score"]
        == active_models["exam-score"]
    )


def test_bad_training_requests(client, make_user, bearer, active_models):
    admin = bearer(make_user("admin"))
    no_target = csv_bytes(generate_exam(30, 1).drop(columns="exam_score"))
    error = assert_error(
        client.post(
            "/api/v1/models/exam-score/train", headers={**admin, "Content-Type": "text/csv"}, data=no_target
        ),
        422,
    )
    assert "exam_score" in error["fields"]["file"]
    assert_error(client.post("/api/v1/models/height/train", headers=admin), 404)
    assert_error(client.post("/api/v1/models/exam-score/train?candidates=magic", headers=admin), 422)
    assert_error(client.post("/api/v1/models/exam-score/train?folds=1", headers=admin), 422)
    assert_error(
        client.post(
            "/api/v1/models/exam-score/train",
            headers={**admin, "Content-Type": "application/pdf"},
            data=b"%PDF",
        ),
        415,
    )
    assert_error(client.post("/api/v1/models/exam-score/99/activate", headers=admin), 404)
    assert_error(client.get("/api/v1/jobs/999999", headers=admin), 404)
