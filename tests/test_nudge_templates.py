"""Nudge templates: the defaults are there, administrators edit them, an unknown placeholder is refused
with the field named."""

from __future__ import annotations

import pytest

from db.migrations import _nudge_templates
from db.nudges import DEFAULT_TEMPLATES
from db.tables import User
from services.errors import Forbidden, InvalidInput
from services.tutoring import nudge_templates


def test_defaults_are_seeded_and_an_admin_edits_a_template(app, make_user):
    admin, tutor = make_user("admin"), make_user("tutor")
    with app.app_context():
        from db.connection import database

        _nudge_templates(database.obj)  # the tests empty every table: seed as migration 32 does
        names = [row["name"] for row in nudge_templates.templates()]
        assert sorted(names) == sorted(row["name"] for row in DEFAULT_TEMPLATES)
        first = nudge_templates.templates()[0]
        saved = nudge_templates.save(
            User.get_by_id(admin.id), first["id"], "Come back", "Back to {course}", "Hi {name}: {link}"
        )
        assert nudge_templates.find("Come back").subject == "Back to {course}" and saved["id"] == first["id"]
        with pytest.raises(Forbidden):
            nudge_templates.save(User.get_by_id(tutor.id), None, "Mine", "s", "b")


def test_an_unknown_placeholder_is_refused_with_its_field(app, make_user):
    admin = make_user("admin")
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        nudge_templates.save(
            User.get_by_id(admin.id), None, "Odd", "Hi {firstname}", "See {url} or {link"
        )
    assert refused.value.fields["subject"].startswith("Unknown placeholder {firstname}: use {name}, {course}")
    assert "lone brace" in refused.value.fields["body"].lower()
    assert "name" not in refused.value.fields
