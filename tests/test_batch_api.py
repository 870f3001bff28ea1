"""POST /predictions/{task}/batch: good, bad and mixed rows in both namings, saving, limits."""

from __future__ import annotations

import csv
import io

from db.tables import Activity, Record
from modelling.synthetic import generate_dropout, generate_exam
from modelling.tasks.exam import SCHEMA as EXAM
from tests.helpers import assert_error


def _rows(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _original(frame, schema):
    return frame.rename(columns={f.name: f.header for f in schema.fields})


def test_exam_batch_in_original_naming_with_bad_rows(client, make_user, bearer, active_models, app):
    admin = bearer(make_user("admin"))
    frame = _original(generate_exam(50, 2).drop(columns="exam_score"), EXAM).astype(object)
    frame.loc[3, "Attendance"] = "abc"
    frame.loc[4, "Gender"] = ""
    body = frame.to_csv(index=False).encode()
    response = client.post(
        "/api/v1/predictions/exam-score/batch",
        headers=admin,
        data={"file": (io.BytesIO(body), "class.csv")},
        content_type="multipart/form-data",
    )
    rows = _rows(response)
    assert response.headers["X-Rows-Scored"] == "48" and response.headers["X-Rows-Rejected"] == "2"
    assert list(rows[0]) == [*frame.columns, "score", "level", "interval_low", "interval_high", "error"]
    assert "attendance: not a number" in rows[3]["error"] and rows[3]["score"] == ""
    assert "gender: required" in rows[4]["error"]
    good = [r for i, r in enumerate(rows) if i not in (3, 4)]
    assert all(r["error"] == "" and 0 <= float(r["score"]) <= 100 for r in good)
    assert rows[0]["Hours_Studied"] == str(frame.loc[0, "Hours_Studied"])
    with app.app_context():
        assert Record.select().count() == 0
        assert Activity.select().where(Activity.action == "batch_score").count() == 1


def test_dropout_batch_as_text_csv_with_save(client, make_user, bearer, active_models, app):
    admin = bearer(make_user("admin"))
    frame = generate_dropout(120, 4).drop(columns="dropout").astype(object)
    frame.loc[0, "server"] = 999999
    response = client.post(
        "/api/v1/predictions/dropout/batch?save=true",
        headers={**admin, "Content-Type": "text/csv"},
        data=frame.to_csv(index=False).encode(),
    )
    rows = _rows(response)
    assert "add up to server + browser" in rows[0]["error"] and rows[0]["probability"] == ""
    assert all(
        0 <= float(r["probability"]) <= 1 and r["risk_level"] in {"Low", "Medium", "High"} for r in rows[1:]
    )
    with app.app_context():
        saved = list(Record.select().where(Record.task == "dropout").order_by(Record.id))
        assert len(saved) == 119
        assert saved[0].model_version == active_models["dropout"]
        assert saved[0].value == float(rows[1]["probability"]) and saved[0].level == rows[1]["risk_level"]


def test_exam_batch_with_save_keeps_each_rows_interval(client, make_user, bearer, active_models, app):
    admin = bearer(make_user("admin"))
    frame = generate_exam(30, 6).drop(columns="exam_score")
    response = client.post(
        "/api/v1/predictions/exam-score/batch?save=true",
        headers={**admin, "Content-Type": "text/csv"},
        data=frame.to_csv(index=False).encode(),
    )
    rows = _rows(response)
    with app.app_context():
        saved = list(Record.with_outputs().where(Record.task == "exam-score").order_by(Record.id))
    assert len(saved) == len(rows) == 30
    for record, row in zip(saved, rows, strict=True):
        assert record.value == float(row["score"])
        assert record.interval_low == float(row["interval_low"])
        assert record.interval_high == float(row["interval_high"])
        assert record.outputs["interval"]["low"] == record.interval_low


def test_batch_refuses_what_it_cannot_read(client, make_user, bearer, active_models, app):
    admin = bearer(make_user("admin"))
    partial = generate_dropout(5, 1).drop(columns=["dropout", "video"]).to_csv(index=False).encode()
    error = assert_error(
        client.post(
            "/api/v1/predictions/dropout/batch", headers={**admin, "Content-Type": "text/csv"}, data=partial
        ),
        422,
    )
    assert "video" in error["fields"]["file"]
    assert_error(
        client.post(
            "/api/v1/predictions/dropout/batch", headers={**admin, "Content-Type": "text/csv"}, data=b""
        ),
        422,
    )
    assert_error(client.post("/api/v1/predictions/dropout/batch", headers=admin, json={"rows": []}), 415)
    picture = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"
    not_csv = client.post(
        "/api/v1/predictions/dropout/batch",
        headers=admin,
        data={"file": (io.BytesIO(picture), "photo.png")},
        content_type="multipart/form-data",
    )
    assert "UTF-8 CSV" in assert_error(not_csv, 422)["fields"]["file"]
    assert_error(
        client.post(
            "/api/v1/predictions/height/batch", headers={**admin, "Content-Type": "text/csv"}, data=partial
        ),
        404,
    )
    limit = app.config["MAX_UPLOAD_BYTES"]
    app.config["MAX_UPLOAD_BYTES"] = 1000
    try:
        big = generate_dropout(200, 1).drop(columns="dropout").to_csv(index=False).encode()
        assert_error(
            client.post(
                "/api/v1/predictions/dropout/batch", headers={**admin, "Content-Type": "text/csv"}, data=big
            ),
            413,
        )
    finally:
        app.config["MAX_UPLOAD_BYTES"] = limit


def test_batch_without_an_active_model_is_503(client, make_user, bearer):
    admin = bearer(make_user("admin"))
    body = generate_exam(5, 1).drop(columns="exam_score").to_csv(index=False).encode()
    assert_error(
        client.post(
            "/api/v1/predictions/exam-score/batch", headers={**admin, "Content-Type": "text/csv"}, data=body
        ),
        503,
        "model_unavailable",
    )


def test_students_cannot_batch(client, make_user, bearer, active_models):
    body = generate_exam(5, 1).drop(columns="exam_score").to_csv(index=False).encode()
    assert_error(
        client.post(
            "/api/v1/predictions/exam-score/batch",
            headers={**bearer(make_user()), "Content-Type": "text/csv"},
            data=body,
        ),
        403,
    )
