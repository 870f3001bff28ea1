"""A service's refusal as a command-line error: `call` one service, or guard a block with `refusals`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from services.errors import ServiceError

T = TypeVar("T")


def fail(exc: ServiceError) -> None:
    """Stop the command with the service's message and its fields' reasons."""
    details = "; ".join(f"{name}: {reason}" for name, reason in exc.fields.items())
    raise click.ClickException(f"{exc.message} {details}".strip())


@contextmanager
def refusals(on_refusal: Callable[[], Any] | None = None) -> Iterator[None]:
    """A service's refusal in the block stops the command as `fail` does (after `on_refusal`, if any)."""
    try:
        yield
    except ServiceError as exc:
        if on_refusal is not None:
            on_refusal()
        fail(exc)


def call(service: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """What `service(*args, **kwargs)` returns; its refusal stops the command as `fail` does."""
    with refusals():
        return service(*args, **kwargs)
