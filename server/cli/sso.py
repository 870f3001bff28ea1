"""Commands for single sign-on accounts: link an existing account to a provider's subject, and give
an account a role (the way back in when local passwords are off and no administrator can sign in)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from db.connection import database
from db.tables import ROLES, Activity, User
from server.cli.errors import call
from services import sso


@click.command("sso-link")
@with_appcontext
@click.argument("username")
@click.argument("provider")
@click.argument("subject")
def sso_link(username: str, provider: str, subject: str) -> None:
    """Let USERNAME sign in through PROVIDER as SUBJECT (the provider's `sub` claim)."""
    user = call(sso.link, username, provider, subject)
    click.echo(f"{user.username} now signs in through {provider}.")


@click.command("set-role")
@with_appcontext
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
def set_role(username: str, role: str) -> None:
    """Give USERNAME (or the account with this e-mail) ROLE."""
    user = User.by_login(username)
    if user is None:
        raise click.ClickException(f"No account {username!r}.")
    with database.atomic():
        previous, user.role = user.role, role
        user.save()
        Activity.record("account_changed_by_admin", user, None, by="command line", role=role)
    click.echo(f"{user.username}: {previous} -> {role}.")


COMMANDS = (sso_link, set_role)


def init_app(app: Flask) -> None:
    """Attach these commands to `flask --app wsgi`."""
    for command in COMMANDS:
        app.cli.add_command(command)
