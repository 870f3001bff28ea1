"""Files into the store: `import-activity`, `import-outcomes`, `import-contacts`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from db import migrations
from server.cli.errors import call
from services import ingest
from services.errors import ServiceError
from services.ingest.moodle_times import DATE_ORDERS
from services.tutoring import contacts


def _print_import(report) -> None:
    click.echo(
        f"{report.file_name}: {report.format}, {report.lines_read:,} rows read,"
        f" {report.rows_imported:,} imported"
        f" ({report.rows_changed:,} new or changed), {report.rejected:,} rejected,"
        f" {report.enrollments:,} enrollments in {', '.join(report.courses) or 'no course'} [{report.status}]"
    )
    if report.outside_window:
        click.echo(f"  {report.outside_window:,} rows outside the course window kept aside (counted once the"
                   " window covers them)")
    if report.resumes:
        click.echo(f"  completes the failed import run {report.resumes} of the same file")
    if report.error:
        click.echo(f"  failed: {report.error} (rows up to line {report.last_line} are stored)", err=True)
    for kind, count in sorted(report.reasons.items(), key=lambda item: -item[1]):
        click.echo(f"  {count:,} x {kind}", err=True)
    for rejection in report.first_rejections[:10]:
        click.echo(f"  line {rejection.line}: {rejection.reason}", err=True)


@click.command("import-activity")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--course", help="Course code for rows without a course_id.")
@click.option(
    "--start", type=click.DateTime(["%Y-%m-%d"]), help="Start date of a course created by the import."
)
@click.option("--days", type=int, help="Length in days of a course created by the import (default 30).")
@click.option("--format", "fmt", type=click.Choice(ingest.FORMATS), default="auto", show_default=True)
@click.option("--rebase", is_flag=True, help="Move each course's first date in the file onto its day 0.")
@click.option("--date-order", type=click.Choice(DATE_ORDERS),
              help="Local times' day/month order, of a Moodle Logs download (default MOODLE_DATE_ORDER).")
@click.option("--time-zone", metavar="ZONE",
              help="Local times' IANA time zone, e.g. Europe/Paris (default MOODLE_TIME_ZONE).")
@with_appcontext
def import_activity(
    paths: tuple[str, ...], course: str | None, start, days: int | None, fmt: str, rebase: bool,
    date_order: str | None, time_zone: str | None,
) -> None:
    """Import learner activity files; exits non-zero only when nothing could be read."""
    migrations.upgrade()
    anything = False
    for path in paths:
        try:
            report = ingest.import_file(
                path, fmt=fmt, course=course, start=start and start.date(), days=days, rebase=rebase,
                date_order=date_order, time_zone=time_zone,
            )
        except ServiceError as exc:
            click.echo(f"{path}: {exc.message} {'; '.join(exc.fields.values())}".strip(), err=True)
            continue
        _print_import(report)
        anything = anything or report.rows_imported > 0
    if not anything:
        raise click.ClickException("Nothing could be read.")


@click.command("import-outcomes")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--course", help="Course code for rows without a course_id.")
@with_appcontext
def import_outcomes(path: str, course: str | None) -> None:
    """Set enrollments' outcomes (label 1 dropped out, 0 stayed); unknown enrollments are reported."""
    migrations.upgrade()
    report = call(ingest.import_outcomes, path, course=course)
    click.echo(
        f"{report.file_name}: {report.lines_read:,} rows read, {report.updated:,} outcomes set,"
        f" {report.rejected:,} rejected"
    )
    for kind, count in sorted(report.reasons.items(), key=lambda item: -item[1]):
        click.echo(f"  {count:,} x {kind}", err=True)
    for rejection in report.first_rejections[:10]:
        click.echo(f"  line {rejection.line}: {rejection.reason}", err=True)
    if report.updated == 0:
        raise click.ClickException("No outcome could be set.")


@click.command("import-contacts")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--course", help="Course of rows without course_id (else: all the learner's enrollments).")
@with_appcontext
def import_contacts(path: str, course: str | None) -> None:
    """Store learners' email addresses (learner_ref,email[,name][,course_id]); bad rows are reported."""
    migrations.upgrade()
    text = call(contacts.read_text, Path(path).read_bytes())
    report = call(contacts.import_contacts, text, file_name=Path(path).name, course=course)
    click.echo(f"{report.file_name}: {report.lines_read:,} rows read, {report.stored:,} contacts stored,"
               f" {report.rejected:,} rejected")
    for rejection in report.first_rejections:
        click.echo(f"  line {rejection['line']}: {rejection['reason']}", err=True)


COMMANDS = (import_activity, import_outcomes, import_contacts,)


def init_app(app: Flask) -> None:
    """Attach these commands to `flask --app wsgi`."""
    for command in COMMANDS:
        app.cli.add_command(command)
