"""By hand: `score-enrollments` scores every enrollment (of one course) at a day;
`resend-digests` sends the digest emails a stopped process left pending (what the scheduler does)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from services.early_warning import scoring
from services.errors import ServiceError
from services.tutoring import digest_recovery


@click.command("score-enrollments")
@click.option("--day", type=int, required=True, help="The course day to score (activity of days 0..DAY-1).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--course", "course_code", help="Only this course (default: every course that reached DAY).")
@with_appcontext
def score_enrollments(day: int, out_path: str, course_code: str | None) -> None:
    """Score every enrollment at day DAY into OUT.csv, also kept as the prediction history."""
    try:
        outcome = scoring.score_at_day("cli", day, course_code, keep=True)
        written = scoring.write_csv(outcome, out_path)
    except ServiceError as exc:
        Path(out_path).unlink(missing_ok=True)
        details = "; ".join(f"{name}: {reason}" for name, reason in exc.fields.items())
        raise click.ClickException(f"{exc.message} {details}".strip()) from None
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


COMMANDS = (score_enrollments, resend_digests)
