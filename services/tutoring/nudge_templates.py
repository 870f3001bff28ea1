"""Nudge templates: administrators keep them (name, subject, body with {placeholders}); tutors pick one
and each learner's email is the template with the placeholders filled."""

from __future__ import annotations

import string
from typing import Any

import peewee

from db.connection import write_transaction
from db.nudges import NudgeTemplate
from db.tables import User, utcnow
from services.errors import Forbidden, InvalidInput, NotFound

PLACEHOLDERS = ("name", "course", "days_inactive", "link")
LIMITS = {"name": 100, "subject": 200, "body": 5000}


def _placeholder_problem(text: str) -> str | None:
    """Why `text` cannot be a template part (an unknown placeholder, a stray brace), or None."""
    allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        return f"A lone brace: write {{{{ or }}}} for a brace itself; placeholders are {allowed}."
    unknown = [name for name in fields if name not in PLACEHOLDERS]
    if unknown:
        return f"Unknown placeholder {{{unknown[0]}}}: use {allowed}."
    return None


def check(name: str, subject: str, body: str) -> dict[str, str]:
    """{field: problem} for a template's fields (empty when it can be saved)."""
    given = {"name": name.strip(), "subject": subject.strip(), "body": body.strip()}
    problems = {}
    for field, value in given.items():
        if not value:
            problems[field] = "Required."
        elif len(value) > LIMITS[field]:
            problems[field] = f"At most {LIMITS[field]} characters."
        elif field != "name" and (problem := _placeholder_problem(value)):
            problems[field] = problem
    if "\n" in subject or "\r" in subject:
        problems["subject"] = "One line."
    return problems


def templates() -> list[dict[str, Any]]:
    """Every template, by name."""
    return [row.to_dict() for row in NudgeTemplate.select().order_by(NudgeTemplate.name)]


def find(name_or_id: str | int) -> NudgeTemplate:
    """The template of this name (or id); 404 otherwise."""
    key = NudgeTemplate.id == name_or_id if isinstance(name_or_id, int) else NudgeTemplate.name == name_or_id
    found = NudgeTemplate.get_or_none(key)
    if found is None:
        raise NotFound(f"No nudge template {name_or_id}.")
    return found


def save(viewer: User, template_id: int | None, name: str, subject: str, body: str) -> dict[str, Any]:
    """Create a template (no id) or change one (administrators only); unknown placeholders are refused
    with the field named."""
    if not viewer.is_admin:
        raise Forbidden("Only administrators change nudge templates.")
    problems = check(name or "", subject or "", body or "")
    if problems:
        raise InvalidInput("Please correct the highlighted fields.", problems)
    values = {"name": name.strip(), "subject": subject.strip(), "body": body.strip(), "updated_at": utcnow()}
    try:
        with write_transaction():
            if template_id is None:
                return NudgeTemplate.create(**values).to_dict()
            if not NudgeTemplate.update(**values).where(NudgeTemplate.id == template_id).execute():
                raise NotFound(f"No nudge template {template_id}.")
    except peewee.IntegrityError:
        raise InvalidInput(
            "Please correct the highlighted fields.", {"name": "Another template has this name."}
        ) from None
    return find(template_id).to_dict()


def render(template: NudgeTemplate, values: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) with the placeholders filled from `values` (every one of PLACEHOLDERS)."""
    return template.subject.format(**values), template.body.format(**values)
