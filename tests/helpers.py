"""Values, example rows and helper functions shared by the tests (fixtures live in conftest.py).

conftest.py imports this module before the app is configured, so the app's own modules are
imported inside the functions here, never at the top.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelling.data import LoadedData

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct-horse-battery"

GOOD_EXAM = {
    "hours_studied": 20,
    "attendance": 85,
    "parental_involvement": "Medium",
    "access_to_resources": "High",
    "extracurricular_activities": "Yes",
    "sleep_hours": 7,
    "previous_scores": 75,
    "motivation_level": "Medium",
    "internet_access": "Yes",
    "tutoring_sessions": 1,
    "family_income": "Medium",
    "teacher_quality": "High",
    "school_type": "Public",
    "peer_influence": "Positive",
    "physical_activity": 3,
    "learning_disabilities": "No",
    "parental_education_level": "College",
    "distance_from_home": "Near",
    "gender": "Female",
}
GOOD_DROPOUT = {
    "navigate": 10,
    "access": 40,
    "page_close": 8,
    "problem": 12,
    "video": 6,
    "discussion": 3,
    "wiki": 1,
    "server": 50,
    "browser": 30,
    "active_span_days": 12,
    "study_days": 6,
    "early_events": 20,
    "mid_events": 30,
    "late_events": 30,
}

# The quick candidates per task, fastest first, for every test that trains: the session's served
# models train the first, `train` the first two, the training tests all of them.
FAST_CANDIDATES = {
    "exam-score": ["linear_regression", "huber", "gradient_boosting"],
    "dropout": ["logistic_regression", "random_forest", "gradient_boosting", "additive_ensemble"],
}
FAST = {task: names[:2] for task, names in FAST_CANDIDATES.items()}


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response has `status` and the API's error shape (and `code`, when given)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/json", response.mimetype
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["message"], body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def imported_while_serving(app, instance_dir, serve: str, module: str) -> bool:
    """Whether `module` is imported by a fresh process that builds the app on the test database
    and runs `serve` (Python code using the app's active predictors) inside its app context."""
    script = "\n".join(
        [
            "import os, sys",
            f"os.environ['DATABASE_URL'] = {app.config['DATABASE_URL']!r}",
            f"os.environ['ARTIFACTS_DIR'] = {str(app.config['ARTIFACTS_DIR'])!r}",
            f"os.environ['INSTANCE_DIR'] = {str(instance_dir)!r}",
            "from server.factory import create_app",
            "app = create_app('testing')",
            "with app.app_context():",
            textwrap.indent(textwrap.dedent(serve).strip(), "    "),
            f"print({module!r} in sys.modules)",
        ]
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1] == "True"


def small_data(task: str, seed: int = 1) -> LoadedData:
    """A small generated training set for `task`."""
    from modelling.data import LoadedData
    from modelling.synthetic import generate_dropout, generate_exam

    frame = generate_exam(1200, seed) if task == "exam-score" else generate_dropout(2400, seed)
    return LoadedData(frame, [], f"test-seed-{seed}")


def train(app, task: str, seed: int = 1, activate: bool = True, candidates: list[str] | None = None):
    """Train (and by default activate) a version of `task` on `small_data`; returns its ModelVersion."""
    from services import model_versions

    with app.app_context():
        return model_versions.train_version(
            task, small_data(task, seed), folds=3, activate=activate, candidates=candidates or FAST[task]
        )


def wait_for_job(client, headers, job_id: int, timeout: float = 120) -> dict:
    """Poll GET /jobs/{id} until the job ends; returns it with the progress values seen on the way."""
    deadline = time.monotonic() + timeout
    seen_progress = set()
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json
        seen_progress.add(job["progress"])
        if job["status"] in ("succeeded", "failed"):
            job["seen_progress"] = seen_progress
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def csv_bytes(frame) -> bytes:
    """A data frame as the bytes of a CSV upload."""
    return frame.to_csv(index=False).encode()


def course_cube(enrollments: int, days: int, seed: int, signal: bool = True):
    """(counts[e, day, type], labels) of a small generated course: with `signal`, a dropout stops being
    active some day of the course; without it, the labels are drawn apart from the activity."""
    import numpy as np

    rng = np.random.default_rng(seed)
    labels = rng.random(enrollments) < 0.4
    stop = rng.integers(2, max(days // 2, 3), enrollments)
    day = np.arange(days)[None, :]
    active_until = np.where(labels[:, None] & signal, day < stop[:, None], True)
    rate = np.where(labels[:, None] & signal, 0.35, 0.6)
    active = (rng.random((enrollments, days)) < rate) & active_until
    counts = rng.poisson(3.0, (enrollments, days, 7)) * active[:, :, None]
    if not signal:
        labels = rng.random(enrollments) < 0.4
    return counts.astype(int), labels.astype(int)


def insert_course(code: str, counts, labels, *, start=None, unknown: int = 0):
    """A finished course (by default started 2 lengths ago) with these counts and outcomes in the store;
    the last `unknown` enrollments get no outcome. Returns the Course (call inside an app context)."""
    from datetime import timedelta

    import numpy as np

    from db.connection import database
    from db.courses import EVENT_TYPES, ActivityDay, Course, Enrollment
    from db.tables import utcnow

    days = counts.shape[1]
    with database.atomic():
        course = Course.create(
            code=code,
            title=code,
            start_date=start or utcnow().date() - timedelta(days=2 * days),
            length_days=days,
        )
        known = len(labels) - unknown
        Enrollment.insert_many(
            [
                {
                    "course": course.id,
                    "learner_ref": f"{code}-{e}",
                    "dropped_out": bool(labels[e]) if e < known else None,
                }
                for e in range(len(labels))
            ]
        ).execute()
        ids = {ref: i for i, ref in Enrollment.of_course(course)}
        rows = [
            {
                "course": course.id,
                "enrollment": ids[f"{code}-{e}"],
                "day": d,
                **dict(zip(EVENT_TYPES, map(int, counts[e, d]), strict=True)),
            }
            for e, d in zip(*np.nonzero(counts.sum(axis=2)), strict=True)
        ]
        for start_row in range(0, len(rows), 400):
            ActivityDay.insert_many(rows[start_row : start_row + 400]).execute()
    return course


def insert_courses(prefix: str, number: int = 3, enrollments: int = 60, days: int = 30, signal: bool = True):
    """`number` finished generated courses named `prefix`-1.. (call inside an app context)."""
    return [
        insert_course(f"{prefix}-{k}", *course_cube(enrollments, days, seed=k, signal=signal), unknown=2)
        for k in range(1, number + 1)
    ]


def dropout_counts(seed: int, enrollments: int, days: int = 30):
    """A course's daily counts and dropout labels: droppers fade out after a random day."""
    import numpy as np

    rng = np.random.default_rng(seed)
    labels = (rng.random(enrollments) < 0.6).astype(int)
    stop = np.where(labels == 1, rng.integers(2, days, enrollments), days)
    on = (rng.random((enrollments, days)) < 0.5) & (np.arange(days)[None, :] < stop[:, None])
    counts = rng.poisson(3.0, (enrollments, days, 7)) * on[:, :, None]
    return counts, labels


def early_warning_version(app, checkpoints=(7, 14)):
    """A tiny real early-warning version (spline logistic on generated courses), its files saved and
    an active row for it; returns the ModelVersion. The trained files are kept under the test instance
    folder, keyed by the modelling code, so that a later session reuses them.

    Stands in for h-ewtrain's training from the store until that branch is merged."""
    import hashlib
    import shutil
    from pathlib import Path

    from db.tables import ModelVersion
    from modelling.early_warning.serving import save_version
    from modelling.early_warning.training import train_early_warning
    from services.model_files import new_version_folder

    code = hashlib.sha256()
    for source in sorted(Path("modelling/early_warning").glob("*.py")):
        code.update(source.read_bytes())
    code.update(repr(checkpoints).encode())
    cache = Path(os.environ["INSTANCE_DIR"]).parent / f"early-warning-{code.hexdigest()[:12]}"
    if not cache.exists():
        courses = []
        for index in range(3):
            counts, labels = dropout_counts(100 + index, 80)
            courses.append((f"T{index}", 30, list(range(80)), counts, None, labels))
        result = train_early_warning(courses, checkpoints=checkpoints, candidates=["spline_logistic"])
        # Two test processes (the SQLite and PostgreSQL suites side by side) may build it at once: each
        # saves under its own name, and the first rename wins.
        own = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        save_version(result, own)
        try:
            own.rename(cache)
        except OSError:
            shutil.rmtree(own, ignore_errors=True)
            if not cache.exists():
                raise
    with app.app_context():
        number = ModelVersion.next_number("early-warning")
        folder = new_version_folder("early-warning", number)
        shutil.copytree(cache, folder, dirs_exist_ok=True)
        row = ModelVersion.create(
            task="early-warning",
            version=number,
            algorithm="spline_logistic",
            data_fingerprint="test",
            data_source="generated courses",
            rows=240,
            artifact_dir=str(folder.relative_to(app.config["ARTIFACTS_DIR"])),
        )
        ModelVersion.make_active(row)
        return ModelVersion.get_by_id(row.id)


def store_course(code: str, counts, start=None, days: int = 30, title: str = ""):
    """A course with one enrollment per row of `counts` (learner refs `<code>-L<i>`), its active days
    stored; returns the Course (call inside an app context)."""
    from datetime import date

    import numpy as np

    from db.connection import database
    from db.courses import EVENT_TYPES, ActivityDay, Course, Enrollment

    with database.atomic():
        course = Course.create(
            code=code, title=title or code, start_date=start or date(2024, 3, 4), length_days=days
        )
        ids = Enrollment.ids_for(course.id, [f"{code}-L{e}" for e in range(len(counts))])
        rows = [
            {
                "course": course.id,
                "enrollment": ids[f"{code}-L{e}"],
                "day": int(t),
                **{name: int(counts[e, t, k]) for k, name in enumerate(EVENT_TYPES)},
            }
            for e, t in zip(*np.nonzero(counts.sum(axis=2)), strict=True)
        ]
        for start_at in range(0, len(rows), 400):
            ActivityDay.insert_many(rows[start_at : start_at + 400]).execute()
    return course


def scored_course(code: str, scores: dict, active: dict, today: int = 20):
    """A running 30-day course (today its day `today`) with one enrollment per learner of `active`
    (learner index -> active days; refs `<code>-L<i>`), scored as `scores` say (day -> (checkpoint,
    probability per learner)) in one succeeded run; returns (Course, learner ref -> enrollment id)."""
    from datetime import timedelta

    import numpy as np

    from db.courses import Enrollment
    from db.early_warning import EnrollmentPrediction, ScoringRun
    from db.tables import utcnow
    from modelling.levels import RISK_LEVELS, level_for

    counts = np.zeros((len(active), 30, 7), dtype=int)
    for learner, days in active.items():
        for day in days:
            counts[learner, day, 0] = 2
    course = store_course(code, counts, start=utcnow().date() - timedelta(days=today))
    run = ScoringRun.create(trigger="cli", status="succeeded", run_date=utcnow().date(), finished_at=utcnow())
    query = Enrollment.select(Enrollment.learner_ref, Enrollment.id).where(Enrollment.course == course)
    ids = dict(query.tuples())
    EnrollmentPrediction.upsert_many(
        [
            {
                "enrollment": ids[f"{code}-L{learner}"],
                "course": course.id,
                "day": day,
                "checkpoint": checkpoint,
                "probability": probability,
                "risk_level": level_for(probability, RISK_LEVELS),
                "top_factors": [{"feature": "x", "text": f"reason {learner} at {day}"}],
                "model_version": None,
                "run": run.id,
                "created_at": utcnow(),
            }
            for day, (checkpoint, probabilities) in scores.items()
            for learner, probability in enumerate(probabilities)
        ]
    )
    return course, ids


def app_process(app, body: str) -> subprocess.Popen:
    """A fresh process that builds the app on the test database and runs `body` in its context."""
    script = "\n".join(
        [
            "import os, sys, time",
            f"os.environ['DATABASE_URL'] = {app.config['DATABASE_URL']!r}",
            f"os.environ['ARTIFACTS_DIR'] = {str(app.config['ARTIFACTS_DIR'])!r}",
            f"os.environ['INSTANCE_DIR'] = {app.instance_path!r}",
            "from server.factory import create_app",
            "from db.tables import Job",
            "from services import jobs",
            "app = create_app('testing')",
            "with app.app_context():",
            textwrap.indent(textwrap.dedent(body).strip(), "    "),
        ]
    )
    return subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def api_operations(app, path_args: dict[str, str]):
    """(method, url, operation) for every API endpoint declared with `operation`."""
    for rule in app.url_map.iter_rules():
        op = getattr(app.view_functions[rule.endpoint], "openapi_operation", None)
        if op is None:
            continue
        url = re.sub(
            r"<(?:(\w+):)?(\w+)>", lambda m: path_args.get(m.group(1) or m.group(2), "dropout"), rule.rule
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url, op
