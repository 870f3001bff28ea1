"""Scoring by hand: `score` scores a CSV with a form task's model, `export-features` writes the
enrollments' features at a day, `score-enrollments` scores every enrollment (of one course) at a day;
`resend-digests` sends the digest emails a stopped process left pending (what the scheduler does)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from modelling.batch import BatchInputError, score_csv
from modelling.tasks import TASK_NAMES, task_for
from server.cli.errors import refusals
from services import course_activity, model_versions
from services.early_warning import scoring
from services.errors import ServiceError
from services.tutoring import digest_recovery

TASK = click.Choice(TASK_NAMES)


@click.command("score")
@click.argument("task", type=TASK)
@click.argument("input_path", type=click.Path(dir_okay=False))
@click.argument("output_path", type=click.Path(dir_okay=False, writable=True))
@click.option("--version", type=int, help="Score with this version instead of the active one.")
@click.option("--block-kb", default=4096, show_default=True, help="Size of the blocks read at a time.")
@with_appcontext
def score(task: str, input_path: str, output_path: str, version: int | None, block_kb: int) -> None:
    """Score a CSV (either naming) into OUTPUT: inputs, predictions and an error column."""
    try:
        if version is None:
            predictor = model_versions.active_predictor(task)
        else:
            predictor = model_versions.version_predictor(task, version)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    bands = task_for(task).bands(current_app.config)
    try:
        with tqdm(unit=" rows", unit_scale=True) as bar:
            summary = score_csv(
                predictor,
                bands,
                input_path,
                output_path,
                block_bytes=block_kb << 10,
                on_block=lambda s: bar.update(s.rows - bar.n),
            )
    except OSError as exc:
        raise click.ClickException(str(exc)) from exc
    except BatchInputError as exc:
        Path(output_path).unlink(missing_ok=True)
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{summary.scored} row(s) scored, {summary.rejected} with errors, by {task} v{predictor.version}"
        f" -> {output_path}"
    )
    for line, reason in summary.examples:
        click.echo(f"  line {line}: {reason}", err=True)
    if summary.scored == 0:
        raise click.ClickException("No row could be scored.")


@click.command("export-features")
@click.option("--day", type=click.IntRange(min=0), required=True, help="Features from days 0..DAY-1.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--course", "course_code", help="Only this course (default: every course).")
@with_appcontext
def export_features(day: int, out_path: str, course_code: str | None) -> None:
    """Write one row per enrollment: course, enrollment_id, then its features as of day DAY."""
    try:
        with refusals(lambda: Path(out_path).unlink(missing_ok=True)):
            summary = course_activity.export_features(day, out_path, course_code)
    except OSError as exc:
        raise click.ClickException(str(exc)) from exc
    for code in summary.skipped:
        click.echo(f"  {code}: left out, the course is shorter than {day} days", err=True)
    click.echo(
        f"{summary.rows} enrollment(s) of {summary.courses} course(s), features as of day {day} -> {out_path}"
    )


@click.command("score-enrollments")
@click.option("--day", type=int, required=True, help="The course day to score (activity of days 0..DAY-1).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--course", "course_code", help="Only this course (default: every course that reached DAY).")
@with_appcontext
def score_enrollments(day: int, out_path: str, course_code: str | None) -> None:
    """Score every enrollment at day DAY into OUT.csv, also kept as the prediction history."""
    try:
        with refusals(lambda: Path(out_path).unlink(missing_ok=True)):
            outcome = scoring.score_at_day("cli", day, course_code, keep=True)
            written = scoring.write_csv(outcome, out_path)
    except OSError as exc:
        raise click.ClickException(str(exc)) from exc
    for note in outcome.notes:
        click.echo(f"  {note}", err=True)
    run = outcome.run
    click.echo(
        f"{written} enrollment(s) of {run.courses} course(s) scored at day {day} with early-warning "
        f"version {run.model_version.version} -> {out_path} (run {run.id})"
    )


@click.command("resend-digests")
@with_appcontext
def resend_digests() -> None:
    """Send the digest emails still pending DIGEST_RESEND_AFTER_MINUTES after they were stored."""
    found = digest_recovery.resend_pending_now()
    click.echo(f"{found} digest email(s) left pending found and tried (their notifications say how it went)")


COMMANDS = (score, export_features, score_enrollments, resend_digests)


def init_app(app: Flask) -> None:
    """Attach these commands to `flask --app wsgi`."""
    for command in COMMANDS:
        app.cli.add_command(command)
