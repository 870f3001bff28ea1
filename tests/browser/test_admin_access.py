"""A student refused on every administrator page and by every administrator callback."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By

from tests.browser.admin_pages import (
    seed_dropout,
    sign_in,
)
from tests.helpers import assert_error

browser = pytest.mark.browser
ADMIN_PATHS = ("/analytics", "/at-risk", "/batch", "/models", "/users")
ADMIN_PREFIXES = ("analytics-", "at-risk-", "batch-", "models-", "users-")


@browser
def test_student_sees_not_allowed_on_every_admin_page(page, app, make_user):
    admin = make_user("admin")
    seed_dropout(app, admin)
    student = make_user("student")
    sign_in(page, student)
    assert not page.driver.find_elements(By.ID, "shell-nav-admin")
    for path in ADMIN_PATHS:
        assert not page.driver.find_elements(By.ID, f"shell-nav-{path[1:].replace('-', '_')}")
        page.open(path)
        assert "Not allowed" in page.wait_for_text("#_pages_content", "Not allowed")
        for secret in ("A1", admin.username, "Feature importance"):
            assert secret not in page.text("#_pages_content")


def _admin_callbacks(app) -> list[dict]:
    """A request body for every callback that reads or writes a component of an admin page."""
    bodies = []
    for output, spec in app.extensions["dash_app"].callback_map.items():
        items = [*spec["inputs"], *spec["state"]]
        ids = [json.loads(i["id"]) if i["id"].startswith("{") else i["id"] for i in items]
        names = [i.get("type", "") if isinstance(i, dict) else i for i in ids]
        if not any(str(n).startswith(ADMIN_PREFIXES) for n in names):
            continue
        entries = [
            {"id": component, "property": item["property"], "value": None}
            for component, item in zip(ids, items, strict=True)
        ]
        count = len(spec["inputs"])
        bodies.append(
            {
                "output": output,
                "outputs": [],
                "inputs": entries[:count],
                "state": entries[count:],
                "changedPropIds": [],
            }
        )
    return bodies


def test_student_is_refused_by_every_admin_callback(app, client, make_user):
    client.get("/_dash-dependencies")
    bodies = _admin_callbacks(app)
    assert len(bodies) >= 30
    student = make_user()
    client.post("/api/v1/auth/login", json=student.login_json())
    csrf = client.get_cookie("csrf_access_token").value
    for body in bodies:
        response = client.post("/_dash-update-component", json=body, headers={"X-CSRF-TOKEN": csrf})
        assert_error(response, 403)
    admin = make_user("admin")
    client.post("/api/v1/auth/login", json=admin.login_json())
    csrf = client.get_cookie("csrf_access_token").value
    users = next(b for b in bodies if b["output"].startswith("..users-table.children"))
    users["outputs"] = [
        {"id": "users-table", "property": "children"},
        {"id": "users-pages", "property": "max_value"},
    ]
    users["inputs"][2]["value"] = 1
    response = client.post("/_dash-update-component", json=users, headers={"X-CSRF-TOKEN": csrf})
    assert response.status_code == 200 and student.username in response.get_data(as_text=True)
