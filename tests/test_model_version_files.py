"""A new version's files go into a folder of their own: never into, nor removed from, a folder another
version holds, when trainings race (both stores) or the database forgot a version whose files remain."""

from __future__ import annotations

import threading

import peewee
import pytest

from db.tables import ModelVersion, User
from modelling.train import train_task
from services import model_versions
from services.model_files import version_directory
from tests.helpers import FAST, insert_courses, small_data

TASK = "exam-score"
_results: dict[str, object] = {}


@pytest.fixture(autouse=True)
def own_artifacts(app, tmp_path, monkeypatch):
    """Model files of this test only, so that what a test finds in a task's folder is its own."""
    monkeypatch.setitem(app.config, "ARTIFACTS_DIR", tmp_path)


@pytest.fixture
def trained(app):
    """One real (small) training result and its data, registered as often as a test needs."""
    data = small_data(TASK)
    if TASK not in _results:
        _results[TASK] = train_task(TASK, data.frame, folds=3, candidates=FAST[TASK][:1])
    return _results[TASK], data


def _forgotten_version_folder(app, task: str) -> tuple:
    """A `v1` folder whose row the database no longer has (restored from an older backup, emptied)."""
    folder = app.config["ARTIFACTS_DIR"] / task / "v1"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.joblib").write_bytes(b"another version's model")
    return folder, folder / "model.joblib"


def _answers(app, version: int) -> float:
    with app.app_context():
        predictor = model_versions.version_predictor(TASK, version)
        return float(predictor.outcomes(small_data(TASK).frame.head(3))[0])


def test_two_trainings_storing_at_once_each_keep_their_own_files(app, trained):
    result, data = trained
    start = threading.Barrier(2)
    stored, failed = [], []

    def register() -> None:
        with app.app_context():
            start.wait()
            try:
                stored.append(model_versions.register_version(result, data, None).id)
            except Exception as exc:  # noqa: BLE001 - the assertion below shows what went wrong
                failed.append(repr(exc))

    threads = [threading.Thread(target=register) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failed
    with app.app_context():
        rows = list(ModelVersion.for_task(TASK))
        folders = {version_directory(row) for row in rows}
    assert sorted(row.version for row in rows) == [1, 2] and len(folders) == 2
    # The loser of the race left nothing behind: the task's folders are exactly the two versions'.
    assert set((app.config["ARTIFACTS_DIR"] / TASK).iterdir()) == folders
    assert _answers(app, 1) == _answers(app, 2)


def test_a_folder_left_by_a_forgotten_version_is_kept_and_the_new_version_goes_beside_it(app, trained):
    folder, kept = _forgotten_version_folder(app, TASK)
    with app.app_context():
        row = model_versions.register_version(*trained, None)
    assert row.version == 1 and row.artifact_dir.startswith(f"{TASK}/v1-")
    assert kept.read_bytes() == b"another version's model"
    assert (folder.parent / row.artifact_dir.split("/")[1] / "model.joblib").stat().st_size > 1000
    assert _answers(app, 1) > 0


def test_a_version_whose_row_cannot_be_stored_removes_its_own_files_only(app, trained):
    folder, kept = _forgotten_version_folder(app, TASK)
    gone = User(id=10**9, username="deleted-while-training")
    with app.app_context(), pytest.raises(peewee.IntegrityError):
        model_versions.register_version(*trained, gone)
    with app.app_context():
        assert ModelVersion.for_task(TASK).count() == 0
    assert [p.name for p in (app.config["ARTIFACTS_DIR"] / TASK).iterdir()] == ["v1"]
    assert kept.read_bytes() == b"another version's model"


def test_early_warning_versions_keep_a_forgotten_folder_too(app):
    from services.early_warning import training

    folder, kept = _forgotten_version_folder(app, "early-warning")
    with app.app_context():
        insert_courses("good", number=3)
        row = training.train(candidates=["spline_logistic"], checkpoints=(7, 14))
    assert row.version == 1 and row.artifact_dir.startswith("early-warning/v1-")
    assert kept.read_bytes() == b"another version's model"
    assert (folder.parent / row.artifact_dir.split("/")[1] / "metrics.json").exists()
