"""The models and jobs resources: versions, training as a job, activation."""

from __future__ import annotations

from flask import Blueprint, request
from flask_jwt_extended import current_user

from api.contract import operation, parse_json_body
from api.schemas.common import CSV_UPLOAD
from api.schemas.fairness import FairnessOut
from api.schemas.model_versions import (
    ActivateIn,
    EarlyWarningTrainQuery,
    EarlyWarningVersionOut,
    JobOut,
    ModelsOut,
    ModelVersionOut,
    TrainQuery,
)
from modelling.tasks import COURSE_TASKS, EARLY_WARNING
from modelling.tasks import TASK_NAMES as TASKS
from server.errors import UnsupportedMediaType
from server.security import client_ip
from services import model_versions, score_now
from services.early_warning import training as early_warning_training

bp = Blueprint("models", __name__, url_prefix="/models")
jobs_bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.get("")
@operation(response=ModelsOut, tags=("models",))
def list_models():
    """Every version per task with its cross-validated metrics, and which one serves."""
    rows = model_versions.versions_shown_to(current_user.is_admin)
    return {
        "versions": {task: [row for row in rows if row.task == task] for task in TASKS},
        "course_versions": {task: [row for row in rows if row.task == task] for task in COURSE_TASKS},
        "active": {
            task: next((r.version for r in rows if r.task == task and r.is_active), None)
            for task in (*TASKS, *COURSE_TASKS)
        },
    }


def _uploaded_file(task: str):
    if request.files.get("file") is not None:
        return model_versions.save_training_upload(task, request.files["file"].stream)
    if request.mimetype == "text/csv":
        return model_versions.save_training_upload(task, request.stream)
    if request.content_length:
        raise UnsupportedMediaType("Upload the CSV as multipart field `file` or as a text/csv body.")
    return None


# The course task's routes: it trains on the store, and a refused version needs a confirmation. The
# form tasks' routes below match only a form task's name (`<task:task>`), so each path has one schema.
@bp.post(f"/{EARLY_WARNING.name}/train")
@operation(auth="admin", query=EarlyWarningTrainQuery, response=JobOut, status=202, tags=("models",))
def train_early_warning(query: EarlyWarningTrainQuery):
    """Start training an early-warning version on every finished course with outcomes; returns the job."""
    job = early_warning_training.start_training(
        user=current_user,
        activate=query.activate,
        checkpoints=query.checkpoints,
        candidates=query.candidates.split(",") if query.candidates else None,
        ip=client_ip(),
    )
    return job.to_dict()


@bp.post(f"/{EARLY_WARNING.name}/<id:version>/activate")
@operation(
    auth="admin",
    response=EarlyWarningVersionOut,
    errors=(404, 409),
    tags=("models",),
    raw_body={"application/json": ActivateIn.model_json_schema()},
)
def activate_early_warning(version: int):
    """Make an early-warning version serve; one the evaluation gate refused needs `{"confirm": true}` (409
    with the reasons otherwise)."""
    body = parse_json_body(ActivateIn) if request.content_length else ActivateIn()
    return model_versions.activate_version(
        EARLY_WARNING.name, version, user=current_user, ip=client_ip(), confirm=body.confirm
    )


@bp.post("/<task:task>/train")
@operation(
    auth="admin",
    query=TrainQuery,
    response=JobOut,
    status=202,
    errors=(404,),
    tags=("models",),
    raw_body=CSV_UPLOAD,
)
def train(task: str, query: TrainQuery):
    """Start training a new version on the bundled data or an uploaded labelled CSV; returns the job."""
    model_versions.check_task(task)
    upload = _uploaded_file(task)
    job = model_versions.start_training(
        task,
        user=current_user,
        upload=upload,
        activate=query.activate,
        folds=query.folds,
        candidates=query.candidates.split(",") if query.candidates else None,
        ip=client_ip(),
    )
    return job.to_dict()


@bp.post("/<task:task>/<id:version>/activate")
@operation(
    auth="admin",
    response=ModelVersionOut,
    errors=(404, 409),
    tags=("models",),
    raw_body={"application/json": ActivateIn.model_json_schema()},
)
def activate(task: str, version: int):
    """Make this version serve the task (its files must load and predict first); one the fairness gate
    refused needs `{"confirm": true}` (409 with the reasons otherwise)."""
    body = parse_json_body(ActivateIn) if request.content_length else ActivateIn()
    return model_versions.activate_version(
        task, version, user=current_user, ip=client_ip(), confirm=body.confirm
    )


@bp.get("/<task>/<id:version>/fairness")
@operation(auth="admin", response=FairnessOut, errors=(404,), tags=("models",))
def fairness(task: str, version: int):
    """A version's fairness report: per group of each group attribute its figures and the largest gaps,
    with bootstrap 95% intervals, and the fairness gate's verdict."""
    return model_versions.version_fairness(task, version)


@jobs_bp.get("/<id:job_id>")
@operation(auth="staff", response=JobOut, errors=(404,), tags=("models",))
def get_job(job_id: int):
    """A job's status, progress, result or error (a tutor's own jobs, e.g. a course they score now)."""
    return score_now.job_of(current_user, job_id).to_dict()
