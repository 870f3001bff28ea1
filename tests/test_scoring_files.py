"""Scoring jobs' files do not pile up: a result nobody fetched within SCORED_FILE_HOURS, and an
upload a crashed process left, go when the next scoring job starts; training files stay."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from db.tables import User
from modelling.synthetic import generate_exam
from services import batch, jobs
from services.errors import NotFound


def _age(path: Path, hours: float) -> None:
    stamp = time.time() - hours * 3600
    os.utime(path, (stamp, stamp))


def _wait(job_id: int, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.get(job_id)
        if job.status in ("succeeded", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def _upload(tmp_path: Path, name: str) -> Path:
    source = tmp_path / name
    generate_exam(5, 3).drop(columns="exam_score").to_csv(source, index=False)
    return source


def test_old_scoring_files_go_when_the_next_job_starts(app, make_user, active_models, tmp_path):
    with app.app_context():
        admin = User.get_by_id(make_user(role="admin").id)
        first = _wait(batch.start_scoring("exam-score", _upload(tmp_path, "a.csv"), user=admin).id)
        assert first.status == "succeeded", first.error
        assert batch.scored_file(first.id).is_file()
        directory = Path(app.config["UPLOAD_DIR"])
        left_by_a_crash = directory / "batch-in-0123abcd.csv"
        left_by_a_crash.write_text("hours_studied\n1\n")
        training = directory / "train-exam-score-0123abcd.csv"
        training.write_text("kept: a version's training data\n")
        hours = app.config["SCORED_FILE_AGE"].total_seconds() / 3600
        for path in (batch.scored_file(first.id), left_by_a_crash, training):
            _age(path, hours + 1)

        second = _wait(batch.start_scoring("exam-score", _upload(tmp_path, "b.csv"), user=admin).id)

        assert second.status == "succeeded" and batch.scored_file(second.id).is_file()
        with pytest.raises(NotFound, match="no longer kept"):
            batch.scored_file(first.id)
        assert not left_by_a_crash.exists() and training.exists()
        training.unlink()


def test_a_recent_result_is_kept(app, make_user, active_models, tmp_path):
    with app.app_context():
        admin = User.get_by_id(make_user(role="admin").id)
        first = _wait(batch.start_scoring("exam-score", _upload(tmp_path, "a.csv"), user=admin).id)
        hours = app.config["SCORED_FILE_AGE"].total_seconds() / 3600
        _age(batch.scored_file(first.id), hours - 1)
        _wait(batch.start_scoring("exam-score", _upload(tmp_path, "b.csv"), user=admin).id)
        assert batch.scored_file(first.id).is_file()
