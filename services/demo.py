"""The demo cohort: sample students with saved predictions, so a fresh install shows every page.

Every demo row belongs to one account, DEMO_OWNER (its username starts with "demo-", it cannot
sign in), and every demo student reference starts with DEMO_REF_PREFIX: removing the cohort
deletes that account and its records, and nothing else.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import numpy as np

from db.connection import database
from db.tables import Record, User, utcnow
from modelling.synthetic import generate_dropout, generate_exam
from modelling.tasks import DROPOUT, EXAM, schema_for
from modelling.tasks import TASK_NAMES as TASKS
from services import accounts, model_versions
from services.predictions import bands_for, stored_value_and_level

DEMO_OWNER = "demo-cohort"
DEMO_REF_PREFIX = "DEMO-"
COHORT_SIZE = 40
DROPOUT_CHECKS = 3  # dropout predictions per student, a week or so apart (the At-risk history)
SPAN_DAYS = 42
SEED = 16


def _owner() -> User:
    """The account that owns the demo rows (made once; deactivated, so nobody signs in as it)."""
    user = User.by_login(DEMO_OWNER)
    if user is None:
        password = secrets.token_urlsafe(24)
        user = accounts.register(DEMO_OWNER, "cohort@demo.local", password, "Demo cohort", role="student")
        User.update(is_active=False).where(User.id == user.id).execute()
    return user


def _rows(task: str, frame, owner: User, days_ago: np.ndarray, refs: list[str]) -> list[dict]:
    """Records for the generated rows, predicted by the task's active model."""
    schema, predictor = schema_for(task), model_versions.active_predictor(task)
    now, rows = utcnow(), []
    for values, ref, days in zip(frame[schema.names].to_dict("records"), refs, days_ago, strict=True):
        clean, _ = schema.validate_record(values)
        result = predictor.analyse(clean, bands_for(task))
        value, level = stored_value_and_level(task, result)
        rows.append(
            {
                "user": owner.id,
                "task": task,
                "student_ref": ref,
                "inputs": clean,
                "outputs": result,
                "model_version": predictor.version,
                "value": value,
                "level": level,
                "created_at": now - timedelta(days=float(days)),
                **Record.interval_of(result),
            }
        )
    return rows


def seed_cohort(size: int = COHORT_SIZE) -> int:
    """Create the demo cohort once (idempotent); how many records were added (0 if it exists).
    Raises NoActiveModel when a task has no serving model to predict with."""
    for task in TASKS:
        model_versions.active_predictor(task)  # fail before writing anything
    owner = _owner()
    if Record.select().where(Record.user == owner.id).exists():
        return 0
    rng = np.random.default_rng(SEED)
    refs = [f"{DEMO_REF_PREFIX}{n:03d}" for n in range(1, size + 1)]
    exam = _rows(EXAM.name, generate_exam(size, SEED), owner, rng.uniform(0, SPAN_DAYS, size), refs)
    checks = size * DROPOUT_CHECKS
    # Each student's checks fall in successive thirds of the span, so the history has a trend.
    thirds = np.repeat(np.arange(DROPOUT_CHECKS)[::-1], size) * SPAN_DAYS / DROPOUT_CHECKS
    days = thirds + rng.uniform(0, SPAN_DAYS / DROPOUT_CHECKS, checks)
    dropout = _rows(DROPOUT.name, generate_dropout(checks, SEED), owner, days, refs * DROPOUT_CHECKS)
    with database.atomic():
        Record.add_many(exam + dropout)
    return len(exam) + len(dropout)


def remove_cohort() -> int:
    """Delete the demo cohort (its account and records); how many records went."""
    owner = User.by_login(DEMO_OWNER)
    if owner is None:
        return 0
    with database.atomic():
        removed = Record.delete().where(Record.user == owner.id).execute()
        User.delete().where(User.id == owner.id).execute()
    return removed
