"""Accounts and platform keys: `create-user`, `create-api-key`, `revoke-api-key`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from db import migrations
from db.api_keys import SCOPES as API_KEY_SCOPES
from db.tables import ROLES
from server.cli.errors import call
from services import accounts, api_keys


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(ROLES), default="student", show_default=True)
@click.option("--full-name", default="")
def create_user(username: str, email: str, password: str, role: str, full_name: str) -> None:
    """Create an account non-interactively."""
    migrations.upgrade()
    user = call(accounts.register, username, email, password, full_name, role=role)
    click.echo(f"Created {user.role} {user.username} (id {user.id}).")


# API keys for platforms: a named, revocable secret a learning platform's scripts push activity with.


@click.command("create-api-key")
@click.argument("name")
@click.option("--scope", type=click.Choice(API_KEY_SCOPES), required=True, help="What the key may do.")
@click.option("--courses", default="", help="Course codes or patterns (* ?), comma-separated; default: any.")
@click.option("--may-create-courses", is_flag=True, help="Let the key create courses it names.")
@click.option("--may-push-finished", is_flag=True, help="Let the key push into finished courses.")
@with_appcontext
def create_api_key(
    name: str, scope: str, courses: str, may_create_courses: bool, may_push_finished: bool
) -> None:
    """Create a platform's key and print it once (only its hash is kept)."""
    migrations.upgrade()
    row, key = call(api_keys.create, name, scope, courses=courses, may_create_courses=may_create_courses,
                    may_push_finished=may_push_finished)
    limits = ", ".join(row.course_patterns) or "any course"
    click.echo(
        f"Created API key {row.name} (scope {row.scope}, prefix {row.prefix}; courses: {limits};"
        f" creates courses: {'yes' if row.may_create_courses else 'no'};"
        f" pushes into finished courses: {'yes' if row.may_push_finished else 'no'})."
    )
    click.echo("The key, shown only now (keep it in the platform's secrets):")
    click.echo(f"  {key}")
    click.echo(f"Send it in the {api_keys.HEADER} header, e.g.:")
    click.echo(
        f"  curl -X POST -H 'Content-Type: application/json' -H '{api_keys.HEADER}: <the key>'"
        """ -d '{"events": [...]}' <server>/api/v1/activity"""
    )
    if row.scope == "ingest":
        click.echo("As an LRS (xAPI) credential, for <server>/api/v1/xapi/ by HTTP Basic:")
        click.echo(f"  user name: {row.prefix}")
        click.echo("  password:  the key")


@click.command("revoke-api-key")
@click.argument("name")
@with_appcontext
def revoke_api_key(name: str) -> None:
    """Stop a platform's key working at once."""
    row = call(api_keys.revoke, name)
    click.echo(f"API key {row.name} ({row.prefix}) revoked at {row.revoked_at:%Y-%m-%d %H:%M} UTC.")


COMMANDS = (create_user, create_api_key, revoke_api_key,)


def init_app(app: Flask) -> None:
    """Attach these commands to `flask --app wsgi`."""
    for command in COMMANDS:
        app.cli.add_command(command)
