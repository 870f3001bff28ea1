"""What a client reads from the API matches what it does: OPTIONS and 405 name only the methods the
API serves on a path, dates are YYYY-MM-DD only, and no answer names a server path."""

from __future__ import annotations

import re

import pytest

from tests.helpers import assert_error, wait_for_job

API_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _api_routes(app) -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            routes.setdefault(rule.rule, set()).update(rule.methods & API_METHODS)
    return routes


def test_options_lists_the_methods_each_api_route_serves_and_no_others(app, client):
    wrong = {}
    for rule, methods in _api_routes(app).items():
        path = re.sub(r"<task:task>", "dropout", rule)
        path = re.sub(r"<(?:path:)?[^>]*>", "1", path)
        allow = set(client.options(path).headers.get("Allow", "").replace(" ", "").split(","))
        if allow & API_METHODS != methods:
            wrong[rule] = (sorted(methods), sorted(allow))
    assert wrong == {}


def test_a_method_not_served_is_405_naming_the_served_ones(client, make_user, bearer):
    response = client.get("/api/v1/auth/login")
    assert_error(response, 405)
    assert response.headers["Allow"] == "POST"


@pytest.mark.parametrize("bad", ["0", "20240101", "2024-1-1", "yesterday", "2024-02-30"])
def test_record_dates_are_yyyy_mm_dd_only(client, make_user, bearer, bad):
    headers = bearer(make_user("admin"))
    assert_error(client.get(f"/api/v1/records?to={bad}", headers=headers), 422)
    assert_error(client.get(f"/api/v1/records?from={bad}", headers=headers), 422)
    assert client.get("/api/v1/records?from=2024-01-01&to=2024-12-31", headers=headers).status_code == 200


def test_no_answer_names_a_server_path(app, client, make_user, bearer):
    headers = bearer(make_user("admin"))
    csv = {**headers, "Content-Type": "text/csv"}
    unreadable = client.post("/api/v1/activity/outcomes", data=b"\xff\xfe\x00garbage", headers=csv)
    assert str(app.config["UPLOAD_DIR"]) not in unreadable.get_data(as_text=True)
    job = client.post(
        "/api/v1/activity/import?format=daily&course=C1",
        data=b"enrollment_id,time,event_video\na,2024-03-01,1\n",
        headers={**headers, "Content-Type": "text/csv"},
    ).json
    done = wait_for_job(client, headers, job["id"])
    listed = client.get(f"/api/v1/jobs/{job['id']}", headers=headers).get_data(as_text=True)
    shown = str(job) + str(done) + listed
    assert "source" not in job["params"] and str(app.config["UPLOAD_DIR"]) not in shown
