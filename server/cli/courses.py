"""A tutor's courses, and which account is which learner: `assign-tutor`, `unassign-tutor`,
`link-learner`, `unlink-learner`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from server.cli.errors import call
from services import learner_links
from services.tutoring import tutors


@click.command("assign-tutor")
@click.argument("username")
@click.argument("course")
@with_appcontext
def assign_tutor(username: str, course: str) -> None:
    """Make USERNAME (a tutor or an administrator) a tutor of COURSE."""
    done = call(tutors.assign_tutor, None, username, course)
    state = "now tutors" if done.changed else "already tutors"
    click.echo(f"{done.username} {state} {done.course}.")


@click.command("unassign-tutor")
@click.argument("username")
@click.argument("course")
@with_appcontext
def unassign_tutor(username: str, course: str) -> None:
    """Remove USERNAME from COURSE's tutors."""
    done = call(tutors.unassign_tutor, None, username, course)
    state = "no longer tutors" if done.changed else "was not a tutor of"
    click.echo(f"{done.username} {state} {done.course}.")


@click.command("link-learner")
@click.argument("username")
@click.argument("course")
@click.argument("learner_ref")
@with_appcontext
def link_learner(username: str, course: str, learner_ref: str) -> None:
    """Link the account USERNAME to the learner LEARNER_REF of COURSE (they then see their activity)."""
    done = call(learner_links.link_learner, None, username, course, learner_ref)
    state = "now linked to" if done.changed else "already linked to"
    click.echo(f"{done.username} {state} {done.learner_ref} in {done.course}.")


@click.command("unlink-learner")
@click.argument("course")
@click.argument("learner_ref")
@with_appcontext
def unlink_learner(course: str, learner_ref: str) -> None:
    """Remove the account link of the learner LEARNER_REF of COURSE."""
    done = call(learner_links.unlink_learner, None, course, learner_ref)
    state = "unlinked" if done.changed else "was not linked"
    click.echo(f"{done.learner_ref} in {done.course} {state}.")


COMMANDS = (assign_tutor, unassign_tutor, link_learner, unlink_learner,)


def init_app(app: Flask) -> None:
    """Attach these commands to `flask --app wsgi`."""
    for command in COMMANDS:
        app.cli.add_command(command)
