"""The modelling CLI on good and bad CSVs: make-data, train, models, activate, score."""

from __future__ import annotations

import pandas as pd
import pytest

from modelling.synthetic import generate_dropout, generate_exam
from modelling.tasks.dropout import SCHEMA as DROPOUT
from modelling.tasks.exam import SCHEMA as EXAM


def original_headers(frame: pd.DataFrame, schema, target_header: str) -> pd.DataFrame:
    renames = {f.name: f.header for f in schema.fields} | {schema.target: target_header}
    return frame.rename(columns=renames)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_make_data_is_deterministic(runner, tmp_path, monkeypatch):
    import modelling.data as data

    outputs = []
    for attempt in range(2):
        folder = tmp_path / str(attempt)
        monkeypatch.setattr(data, "DATA_DIR", folder)
        monkeypatch.setattr(
            "server.cli.training.make_bundled_data",
            lambda seed, folder=folder: data.make_bundled_data(seed, folder),
        )
        result = runner.invoke(args=["make-data", "--seed", "5"])
        assert result.exit_code == 0, result.output
        outputs.append({p.name: p.read_bytes() for p in folder.iterdir()})
    assert outputs[0] == outputs[1] and len(outputs[0]) == 2


def test_train_on_a_csv_in_original_naming_skips_bad_rows(runner, tmp_path):
    frame = original_headers(generate_dropout(1500, 4), DROPOUT, "label")
    frame = frame.astype(object)
    frame.loc[3, "video"] = "lots"
    frame.loc[7, "label"] = 2
    path = tmp_path / "labelled.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(
        args=[
            "train",
            "dropout",
            "--data",
            str(path),
            "--folds",
            "3",
            "--candidates",
            "logistic_regression",
            "--activate",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "2 row(s) skipped" in result.output
    assert (
        "line 5: video: not a number" in result.output and "line 9: dropout: must be 0 or 1" in result.output
    )
    assert "Training dropout on 1498 rows" in result.output
    listing = runner.invoke(args=["models"])
    assert "* dropout" in listing.output and "logistic_regression" in listing.output


def test_train_refuses_a_file_without_the_target(runner, tmp_path):
    path = tmp_path / "unlabelled.csv"
    generate_exam(50, 1).drop(columns="exam_score").to_csv(path, index=False)
    result = runner.invoke(args=["train", "exam-score", "--data", str(path)])
    assert result.exit_code != 0 and "no target column" in result.output
    missing = runner.invoke(args=["train", "exam-score", "--data", str(tmp_path / "nope.csv")])
    assert missing.exit_code != 0


def test_score_without_an_active_model_says_so(runner, tmp_path):
    path = tmp_path / "in.csv"
    generate_exam(5, 1).to_csv(path, index=False)
    result = runner.invoke(args=["score", "exam-score", str(path), str(tmp_path / "out.csv")])
    assert result.exit_code != 0 and "No exam-score model is active" in result.output


def test_score_good_and_bad_rows_in_either_naming(runner, tmp_path):
    assert (
        runner.invoke(
            args=["train", "exam-score", "--folds", "3", "--candidates", "linear_regression", "--activate"]
        ).exit_code
        == 0
    )
    frame = original_headers(generate_exam(300, 9), EXAM, "Exam_Score").drop(columns="Exam_Score")
    frame = frame.astype(object)
    frame.loc[0, "Attendance"] = "150"
    frame.loc[1, "Gender"] = "Robot"
    source = tmp_path / "students.csv"
    frame.to_csv(source, index=False)
    target = tmp_path / "scored.csv"
    result = runner.invoke(args=["score", "exam-score", str(source), str(target), "--block-kb", "16"])
    assert result.exit_code == 0, result.output
    assert "298 row(s) scored, 2 with errors" in result.output
    scored = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert list(scored.columns) == list(frame.columns) + [
        "score",
        "level",
        "interval_low",
        "interval_high",
        "error",
    ]
    assert len(scored) == 300
    assert "attendance: must be between 0 and 100" in scored.loc[0, "error"] and scored.loc[0, "score"] == ""
    assert "gender" in scored.loc[1, "error"]
    good = scored.iloc[2:]
    assert (good["error"] == "").all()
    scores = good["score"].astype(float)
    assert scores.between(0, 100).all()
    assert (good["interval_low"].astype(float) <= scores).all() and (
        scores <= good["interval_high"].astype(float)
    ).all()
    assert set(good["level"]) <= {"Excellent", "Very good", "Average", "Needs improvement", "At risk"}
    assert (scored["Hours_Studied"] == frame["Hours_Studied"].astype(str)).all()


def test_score_refuses_a_file_missing_columns(runner, tmp_path):
    assert (
        runner.invoke(
            args=["train", "dropout", "--folds", "3", "--candidates", "logistic_regression", "--activate"]
        ).exit_code
        == 0
    )
    source = tmp_path / "partial.csv"
    generate_dropout(10, 1).drop(columns=["video", "wiki"]).to_csv(source, index=False)
    target = tmp_path / "out.csv"
    result = runner.invoke(args=["score", "dropout", str(source), str(target)])
    assert result.exit_code != 0 and "lacks the column(s): video, wiki" in result.output
    assert not target.exists()
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert runner.invoke(args=["score", "dropout", str(empty), str(target)]).exit_code != 0


def test_ensure_models_leaves_active_versions_alone(runner, active_models):
    result = runner.invoke(args=["ensure-models"])
    assert result.exit_code == 0, result.output
    assert f"exam-score: v{active_models['exam-score']} is active." in result.output
    assert f"dropout: v{active_models['dropout']} is active." in result.output
