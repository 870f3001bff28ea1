"""Batch scoring and training uploads: duplicated columns, formula cells, student references."""

from __future__ import annotations

import csv
import io
import tempfile

import pytest
import requests

from db.tables import Record, User
from modelling.cells import neutralise
from modelling.synthetic import generate_dropout, generate_exam
from services import at_risk_records
from tests.helpers import assert_error


def _with_second_column(frame, header: str, source: str) -> bytes:
    """The frame as CSV with `source`'s values repeated under `header` (a duplicated field)."""
    text = frame.to_csv(index=False)
    lines = text.splitlines()
    column = list(frame.columns).index(source)
    rows = [line + "," + line.split(",")[column] for line in lines[1:]]
    return "\n".join([lines[0] + "," + header, *rows]).encode() + b"\n"


@pytest.mark.parametrize("header", ["hours_studied", "Hours_Studied", " hours studied "])
def test_batch_with_a_duplicated_column_is_422_naming_it(client, make_user, bearer, active_models, header):
    admin = bearer(make_user("admin"))
    body = _with_second_column(generate_exam(5, 1).drop(columns="exam_score"), header, "hours_studied")
    response = client.post(
        "/api/v1/predictions/exam-score/batch", headers={**admin, "Content-Type": "text/csv"}, data=body
    )
    error = assert_error(response, 422)
    assert "hours_studied" in error["message"] and "hours_studied" in error["fields"]["file"]


def test_training_upload_with_a_duplicated_column_is_422_naming_it(client, make_user, bearer, active_models):
    admin = bearer(make_user("admin"))
    body = _with_second_column(generate_exam(50, 1), "Hours_Studied", "hours_studied")
    response = client.post(
        "/api/v1/models/exam-score/train?folds=3&candidates=linear_regression",
        headers=admin,
        data={"file": (io.BytesIO(body), "students.csv")},
        content_type="multipart/form-data",
    )
    assert "hours_studied" in assert_error(response, 422)["fields"]["file"]


def test_cli_score_with_a_duplicated_column_says_which(app, active_models, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(
        _with_second_column(generate_exam(5, 1).drop(columns="exam_score"), "Hours_Studied", "hours_studied")
    )
    result = app.test_cli_runner().invoke(
        args=["score", "exam-score", str(source), str(tmp_path / "out.csv")]
    )
    assert result.exit_code != 0 and "hours_studied appears more than once" in result.output
    assert "Traceback" not in result.output


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "@SUM(A1:A9)", "-1+1", "\t=1+1"]
FULL_WIDTH = ["\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20SUM(A1)"]


def test_one_rule_for_every_csv_cell():
    # The batch reader takes no line breaks inside cells, so a CR prefix is checked here.
    assert [neutralise(cell) for cell in ["\r=1+1", "-1.5", "+2e3", None, 7]] == [
        "'\r=1+1",
        "-1.5",
        "+2e3",
        "",
        7,
    ]


def test_batch_output_neutralises_formula_cells_and_keeps_numbers(client, make_user, bearer, active_models):
    admin = bearer(make_user("admin"))
    cells = FORMULAS + FULL_WIDTH
    frame = generate_exam(len(cells) + 1, 3).drop(columns="exam_score").astype(object)
    frame["note"] = [*cells, "plain"]
    frame.loc[0, "gender"] = "=1+1"
    frame.loc[1, "hours_studied"] = "-1.5"
    response = client.post(
        "/api/v1/predictions/exam-score/batch",
        headers={**admin, "Content-Type": "text/csv"},
        data=frame.to_csv(index=False).encode(),
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))
    assert [row["note"] for row in rows] == ["'" + cell for cell in cells] + ["plain"]
    assert rows[0]["gender"] == "'=1+1" and rows[0]["error"] and not rows[0]["error"].startswith("=")
    assert rows[1]["hours_studied"] == "-1.5" and "hours_studied" in rows[1]["error"]
    assert all(not row[name].startswith(("=", "+", "@")) for row in rows for name in row)


def _batch_through_server(live_server: str, token: str, rows: int, **options):
    body = generate_exam(rows, 5).drop(columns="exam_score").to_csv(index=False).encode()
    return requests.post(
        f"{live_server}/api/v1/predictions/exam-score/batch",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        data=body,
        timeout=120,
        **options,
    )


def test_batch_leaves_no_file_behind_read_or_abandoned(
    live_server, make_user, login, active_models, tmp_path, monkeypatch
):
    # The live server runs in this process, so its temporary files land in tmp_path.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    token = login(make_user("admin"))["access_token"]
    read = _batch_through_server(live_server, token, 200)
    assert read.status_code == 200 and len(read.text.splitlines()) == 201
    assert list(tmp_path.iterdir()) == []
    abandoned = _batch_through_server(live_server, token, 20_000, stream=True)
    assert abandoned.status_code == 200
    next(abandoned.iter_content(1024))
    abandoned.close()
    assert list(tmp_path.iterdir()) == []


def test_saved_batch_rows_keep_their_student_reference_and_reach_the_at_risk_list(
    client, make_user, bearer, active_models, app
):
    account = make_user("admin")
    admin = bearer(account)
    frame = generate_dropout(6, 8).drop(columns="dropout").astype(object)
    frame.insert(0, "Student_Ref", [" S-1 ", "S-2", "", "x" * 65, "bad\x01ref", "S-6"])
    response = client.post(
        "/api/v1/predictions/dropout/batch?save=true",
        headers={**admin, "Content-Type": "text/csv"},
        data=frame.to_csv(index=False).encode(),
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))
    assert "student_ref: at most 64 characters" in rows[3]["error"] and rows[3]["probability"] == ""
    assert "student_ref: control character" in rows[4]["error"]
    with app.app_context():
        saved = [r.student_ref for r in Record.select().order_by(Record.id)]
        assert saved == ["S-1", "S-2", None, "S-6"]
        viewer = User.get_by_id(account.id)
        listed, total = at_risk_records.at_risk_rows(
            viewer, at_risk_records.AtRiskQuery(threshold=0.0), 0, 50
        )
        assert sorted(row["student_ref"] for row in listed) == ["S-1", "S-2", "S-6"] and total == 3
        assert at_risk_records.unreferenced_count(viewer, 0.0) == 1
