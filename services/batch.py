"""Batch scoring of an uploaded CSV for administrators, optionally saving every good row."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd
from flask import current_app

from db.connection import database
from db.models import Activity, Record, User, utcnow
from modelling.batch import BatchInputError, BatchSummary, score_csv
from modelling.predict import NoActiveModel
from services import models
from services.errors import InvalidInput
from services.predictions import ModelUnavailable, bands_for

SAVE_BATCH = 1000


@dataclass
class BatchResult:
    path: Path
    summary: BatchSummary
    version: int


def spool(stream: IO[bytes]) -> Path:
    """Copy an upload to a temporary file without holding it in memory."""
    handle, name = tempfile.mkstemp(prefix="ssa-batch-in-", suffix=".csv")
    with os.fdopen(handle, "wb") as out:
        while chunk := stream.read(1 << 20):
            out.write(chunk)
    return Path(name)


def _outputs(task: str, row: dict) -> dict:
    if task == "dropout":
        return {"probability": row["probability"], "risk_level": row["risk_level"]}
    return {
        "score": row["score"],
        "level": row["level"],
        "interval": {"low": row["interval_low"], "high": row["interval_high"], "level": 0.9},
    }


def score_upload(
    task: str, source: Path, *, user: User, save: bool = False, ip: str | None = None
) -> BatchResult:
    """Score `source` into a temporary CSV; with `save`, store every good row as a record."""
    models.check_task(task)
    try:
        predictor = models.active_predictor(task)
    except NoActiveModel as exc:
        raise ModelUnavailable(str(exc)) from exc
    value_column, level_column = ("probability", "risk_level") if task == "dropout" else ("score", "level")

    def save_block(inputs: pd.DataFrame, predictions: pd.DataFrame) -> None:
        now = utcnow()
        clean_inputs = inputs.astype(object).where(inputs.notna(), None).to_dict("records")
        rows = [
            {
                "user": user.id,
                "task": task,
                "inputs": values,
                "outputs": _outputs(task, prediction),
                "model_version": predictor.version,
                "value": float(prediction[value_column]),
                "level": prediction[level_column],
                "created_at": now,
            }
            for values, prediction in zip(clean_inputs, predictions.to_dict("records"), strict=True)
        ]
        with database.atomic():
            for start in range(0, len(rows), SAVE_BATCH):
                Record.insert_many(rows[start : start + SAVE_BATCH]).execute()

    handle, name = tempfile.mkstemp(prefix="ssa-batch-out-", suffix=".csv")
    os.close(handle)
    target = Path(name)
    try:
        summary = score_csv(
            predictor,
            bands_for(task),
            str(source),
            str(target),
            block_bytes=current_app.config["BATCH_BLOCK_KB"] << 10,
            on_scored=save_block if save else None,
        )
    except BatchInputError as exc:
        target.unlink(missing_ok=True)
        raise InvalidInput(str(exc), {"file": str(exc)}) from exc
    Activity.record(
        "batch_score",
        user,
        ip,
        task=task,
        rows=summary.rows,
        scored=summary.scored,
        rejected=summary.rejected,
        saved=save,
        version=predictor.version,
    )
    return BatchResult(target, summary, predictor.version)
