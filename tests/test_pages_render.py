"""Every page's layout builds for each kind of visitor and shows only what they may see."""

from __future__ import annotations

import dash
import pytest
from dash import dcc
from flask_jwt_extended import create_access_token


def _render(app, path: str, account=None):
    entry = next(e for e in dash.page_registry.values() if e["path"] == path)
    headers = {}
    if account is not None:
        with app.app_context():
            token = create_access_token(identity=str(account.id), additional_claims={"epoch": 0, "sid": "t"})
        headers["Cookie"] = f"access_token_cookie={token}"
    with app.test_request_context(path, headers=headers):
        return entry["layout"]()


def _text(component) -> str:
    return str(component.to_plotly_json())


def _paths(access: str) -> list[str]:
    return sorted(e["path"] for e in dash.page_registry.values() if e.get("access") == access)


def test_pages_declare_their_access(app):
    for entry in dash.page_registry.values():
        assert entry.get("access") in {"public", "user", "staff", "admin"}, entry["module"]


@pytest.mark.parametrize("role", ["student", "admin"])
def test_every_page_builds_for_each_role(app, make_user, role):
    account = make_user(role)
    for entry in dash.page_registry.values():
        layout = _render(app, entry["path"], account)
        assert layout is not None, entry["path"]


def test_signed_out_private_pages_redirect_to_sign_in(app):
    for path in _paths("user") + _paths("admin"):
        layout = _render(app, path)
        assert isinstance(layout, dcc.Location) and layout.href.startswith("/login?next="), path


def test_students_get_not_allowed_on_admin_pages(app, make_user):
    student = make_user("student")
    assert _paths("admin")
    for path in _paths("admin"):
        text = _text(_render(app, path, student))
        assert "Not allowed" in text and student.username not in text, path
