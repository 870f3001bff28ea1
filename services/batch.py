"""Batch scoring of an uploaded CSV for administrators, optionally saving every good row."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO

import pandas as pd
from flask import current_app

from db.connection import database
from db.tables import Activity, Job, Record, User, utcnow
from modelling.batch import BatchInputError, BatchSummary, results_first, score_csv
from modelling.tasks import Task, task_for
from services import jobs, model_versions
from services.errors import InvalidInput, NotFound
from services.predictions import bands_for

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


def open_result(result: BatchResult) -> IO[bytes]:
    """The scored file opened for reading and already removed from its folder.

    Every server closes the response's file when it ends, read to the end or abandoned by the
    client; the open handle keeps the data readable until then, and closing it frees the disk."""
    handle = result.path.open("rb")
    result.path.unlink()
    return handle


def _outputs(task: Task, row: dict) -> dict:
    """A batch row's predictions as a record's outputs (the shape of a single prediction's)."""
    outputs = {task.value_name: row[task.value_name], task.level_name: row[task.level_name]}
    if task.outcome.has_interval:
        outputs["interval"] = {
            "low": row["interval_low"],
            "high": row["interval_high"],
            "level": task.outcome.interval_level,
        }
    return outputs


def _count_rows(source: Path) -> int:
    """Data lines in a CSV (line breaks after the header; a last line without one counts too)."""
    lines, last = 0, b"\n"
    with source.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return max(1, lines - 1 + (last != b"\n"))


def score_upload(
    task: str,
    source: Path,
    *,
    user: User,
    save: bool = False,
    ip: str | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> BatchResult:
    """Score `source` into a temporary CSV; with `save`, store every good row as a record.

    `progress(fraction, message)` is called after each block when given."""
    definition = task_for(model_versions.check_task(task))
    predictor = model_versions.active_predictor(task)
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
            on_scored=_saver(definition, predictor, task, user) if save else None,
            on_block=_reporter(source, progress) if progress is not None else None,
        )
    except BatchInputError as exc:
        target.unlink(missing_ok=True)
        raise InvalidInput(str(exc), {"file": str(exc)}) from exc
    except BaseException:
        target.unlink(missing_ok=True)
        raise
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


def _saver(definition, predictor, task: str, user: User) -> Callable[..., None]:
    """A block callback storing each scored row as the user's record."""
    value_column, level_column = definition.value_name, definition.level_name

    def save_block(inputs: pd.DataFrame, predictions: pd.DataFrame, refs: list | None) -> None:
        now = utcnow()
        clean_inputs = inputs.astype(object).where(inputs.notna(), None).to_dict("records")
        refs = refs or [None] * len(clean_inputs)
        rows = []
        for values, prediction, ref in zip(clean_inputs, predictions.to_dict("records"), refs, strict=True):
            outputs = _outputs(definition, prediction)
            rows.append(
                {
                    "user": user.id,
                    "task": task,
                    "inputs": values,
                    "outputs": outputs,
                    "model_version": predictor.version,
                    "student_ref": ref,
                    "value": float(prediction[value_column]),
                    "level": prediction[level_column],
                    "created_at": now,
                    **Record.interval_of(outputs),
                }
            )
        with database.atomic():
            for start in range(0, len(rows), SAVE_BATCH):
                Record.add_many(rows[start : start + SAVE_BATCH])

    return save_block


def _reporter(source: Path, progress: Callable[[float, str], None]) -> Callable[[BatchSummary], None]:
    """A block callback reporting the share of the file's rows scored so far."""
    expected = _count_rows(source)

    def on_block(summary: BatchSummary) -> None:
        progress(min(summary.rows / expected, 1.0), f"Scored {summary.rows:,} of about {expected:,} rows")

    return on_block


def prune_scoring_files(directory: Path, max_age: timedelta) -> int:
    """Delete scoring jobs' files in `directory` older than `max_age` (results nobody fetched,
    uploads a crashed process left); returns how many went."""
    cutoff = time.time() - max_age.total_seconds()
    removed = 0
    for path in [*directory.glob("batch-in-*.csv"), *directory.glob("batch-out-*.csv")]:
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def start_scoring(task: str, source: Path, *, user: User, save: bool = False, ip: str | None = None) -> Job:
    """Queue scoring of a spooled upload as a job (the dashboard shows its progress); older jobs'
    files past SCORED_FILE_HOURS go first, so the upload folder does not grow for ever."""
    model_versions.check_task(task)
    directory = Path(current_app.config["UPLOAD_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    prune_scoring_files(directory, current_app.config["SCORED_FILE_AGE"])
    kept = directory / f"batch-in-{uuid.uuid4().hex}.csv"
    shutil.move(str(source), kept)
    return jobs.create("batch_score", {"task": task, "source": str(kept), "save": save, "ip": ip}, user)


@jobs.handler("batch_score")
def _run_scoring(job: Job, progress: Callable[[float, str], None]) -> dict:
    params = job.params
    source = Path(params["source"])
    try:
        result = score_upload(
            params["task"],
            source,
            user=job.created_by,
            save=params["save"],
            ip=params["ip"],
            progress=progress,
        )
    finally:
        source.unlink(missing_ok=True)
    kept = source.with_name(f"batch-out-{job.id}.csv")
    shutil.move(str(result.path), kept)
    summary = result.summary
    return {
        "task": params["task"],
        "file": kept.name,
        "rows": summary.rows,
        "scored": summary.scored,
        "rejected": summary.rejected,
        "examples": [f"line {line}: {reason}" for line, reason in summary.examples],
        "version": result.version,
        "saved": params["save"],
    }


def scored_file(job_id: int) -> Path:
    """The result file of a finished scoring job."""
    job = jobs.get(job_id)
    if job.kind != "batch_score" or job.status != "succeeded":
        raise NotFound("That scoring job has no result file.")
    path = Path(current_app.config["UPLOAD_DIR"]) / job.result["file"]
    if not path.is_file():
        raise NotFound("The scored file is no longer kept.")
    return path


def result_preview(job_id: int, limit: int = 20) -> dict:
    """The first rows of a scoring job's result and its first rows with errors (with line numbers)."""
    path = scored_file(job_id)
    head = pd.read_csv(path, nrows=limit, dtype=str, keep_default_na=False)
    problems: list[pd.DataFrame] = []
    found = 0
    for chunk in pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=50_000):
        bad = chunk[chunk["error"] != ""]
        if not bad.empty:
            problems.append(bad.head(limit - found).assign(line=bad.index[: limit - found] + 2))
            found += min(len(bad), limit - found)
        if found >= limit:
            break
    errors = pd.concat(problems) if problems else pd.DataFrame(columns=["line", *head.columns])
    errors = errors[["line", "error", *[c for c in errors.columns if c not in ("line", "error")]]]
    return {
        "head": head.to_dict("records"),
        "errors": errors.to_dict("records"),
        "columns": results_first(list(head.columns), task_for(jobs.get(job_id).params["task"])),
    }
