"""A learner's data on request from the command line: `export-learner` writes the zip of everything
held about a learner, `erase-learner` erases it (after showing what goes, unless --yes)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from server.cli.errors import call, fail
from services import learner_data
from services.errors import NotFound, ServiceError


def _where(course: str | None) -> str:
    return f"course {course}" if course else "every course it appears in"


@click.command("export-learner")
@click.argument("learner_ref")
@click.option("--course", help="Only this course (default: every course the reference appears in).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def export_learner(learner_ref: str, course: str | None, out_path: str) -> None:
    """Write everything held about LEARNER_REF to OUT (a zip: learner.json and one CSV per table)."""
    bundle, _ = call(learner_data.export, None, learner_ref, course)
    Path(out_path).write_bytes(bundle)
    click.echo(f"Data of {learner_ref} in {_where(course)} -> {out_path} ({len(bundle):,} bytes)")


@click.command("erase-learner")
@click.argument("learner_ref")
@click.option("--course", help="Only this course (default: every course the reference appears in).")
@click.option("--yes", is_flag=True, help="Erase without asking.")
@with_appcontext
def erase_learner(learner_ref: str, course: str | None, yes: bool) -> None:
    """Erase everything held about LEARNER_REF (models already trained are not retrained)."""
    try:
        counts = learner_data.counts(None, learner_ref, course)
    except NotFound as exc:
        click.echo(f"{exc.message} Nothing to erase.")  # erasing twice is not an error
        return
    except ServiceError as exc:
        fail(exc)
    click.echo(f"Held about {learner_ref} in {_where(course)}:")
    for table, count in counts.items():
        click.echo(f"  {table}: {count:,}")
    if not yes:
        click.confirm("Erase all of it? This cannot be undone", abort=True)
    try:
        removed = learner_data.erase(None, learner_ref, course)
    except NotFound as exc:
        click.echo(f"{exc.message} Nothing to erase.")
        return
    click.echo(f"Erased {sum(removed.values()):,} row(s) about {learner_ref}.")


COMMANDS = (export_learner, erase_learner)


def init_app(app: Flask) -> None:
    """Attach these commands to `flask --app wsgi`."""
    for command in COMMANDS:
        app.cli.add_command(command)
