"""A service's refusal as a command-line error."""

from __future__ import annotations

import click

from services.errors import ServiceError


def fail(exc: ServiceError) -> None:
    """Stop the command with the service's message and its fields' reasons."""
    details = "; ".join(f"{name}: {reason}" for name, reason in exc.fields.items())
    raise click.ClickException(f"{exc.message} {details}".strip())
