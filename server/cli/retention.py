"""Retention on the command line: purge what has expired, or archive a course."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from db.tables import utcnow
from server.cli.errors import call
from services import retention


@click.command("purge-expired")
@click.option("--dry-run", is_flag=True, help="Only count what would be removed; change nothing.")
@with_appcontext
def purge_expired(dry_run: bool) -> None:
    """Delete the rows of finished courses whose retention period has run out, printing per table
    how many rows went (or, with --dry-run, would go)."""
    removed = retention.purge(utcnow().date(), current_app.config, dry_run=dry_run)
    verb = "would go" if dry_run else "removed"
    for table, rows in removed.items():
        click.echo(f"{table}: {rows:,} {verb}")
    click.echo(f"total: {sum(removed.values()):,} {verb}")


@click.command("archive-course")
@click.argument("code")
@with_appcontext
def archive_course(code: str) -> None:
    """Archive the course CODE: its raw event keys go; daily counts, outcomes, scores and actions stay."""
    done = call(retention.archive_course, code, None, batch=int(current_app.config["RETENTION_BATCH_ROWS"]))
    removed = sum(done["removed"].values())
    kept = ", ".join(f"{table} {rows:,}" for table, rows in done["kept"].items())
    click.echo(f"{done['code']} archived: {removed:,} event-key rows removed; kept {kept}.")


COMMANDS = (purge_expired, archive_course)


def init_app(app: Flask) -> None:
    """Attach these commands to `flask --app wsgi`."""
    for command in COMMANDS:
        app.cli.add_command(command)
