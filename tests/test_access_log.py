"""Who looked at whom: every view of an enrollment, an at-risk list, an export and an erasure is in the
access log (API and pages alike), which administrators read filtered by learner and user, and which
is purged after ACCESS_LOG_RETENTION_DAYS."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers import assert_error
from tests.learner_data import REF, hold_everything

GRID = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}


@pytest.fixture
def held(app, make_user):
    from db.access_log import AccessEntry

    admin, tutor = make_user("admin"), make_user("tutor")
    ours = hold_everything(app, admin.id, tutor.id)
    with app.app_context():
        AccessEntry.delete().execute()  # only what the test does is looked at
    return admin, tutor, ours


def _entries(app) -> list[tuple]:
    from db.access_log import AccessEntry

    with app.app_context():
        query = AccessEntry.select().order_by(AccessEntry.id)
        return [(e.action, e.channel, e.username, e.course_code, e.learner_ref) for e in query]


def _output_key(app, outputs: list[tuple[str, str]]) -> str:
    """The callback's output key as registered (an allow_duplicate output carries a suffix)."""
    from dash._callback import GLOBAL_CALLBACK_MAP

    wanted = [f"{i}.{p}" for i, p in outputs]
    for key in [*app.extensions["dash_app"].callback_map, *GLOBAL_CALLBACK_MAP]:
        parts = key.strip(".").split("...")
        if [part.split("@")[0] for part in parts] == wanted:
            return key
    return f"..{'...'.join(wanted)}.." if len(wanted) > 1 else wanted[0]  # the pages' own callback


def _callback(client, outputs: list[tuple[str, str]], inputs: list[tuple], state: list[tuple] = ()) -> dict:
    """Run one dashboard callback as the browser does, for the signed-in cookie."""
    key = _output_key(client.application, outputs)
    named = [part.split(".")[-1] for part in key.strip(".").split("...")]
    described = [{"id": i, "property": name} for (i, _), name in zip(outputs, named, strict=True)]
    body = {
        "output": key,
        "outputs": described if len(outputs) > 1 else described[0],
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"],
    }
    csrf = client.get_cookie("csrf_access_token").value
    response = client.post("/_dash-update-component", json=body, headers={"X-CSRF-TOKEN": csrf})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.json["response"]


def test_each_api_view_is_recorded(app, client, bearer, held):
    admin, tutor, ours = held
    as_tutor, as_admin = bearer(tutor), bearer(admin)
    assert client.get(f"/api/v1/enrollments/{ours['ER1']}", headers=as_tutor).status_code == 200
    assert client.get("/api/v1/courses/ER1/at-risk", headers=as_tutor).status_code == 200
    assert client.get("/api/v1/records/export.csv", headers=as_admin).status_code == 200
    assert client.get(f"/api/v1/learners/export?learner_ref={REF}", headers=as_admin).status_code == 200
    assert (
        client.post("/api/v1/learners/erase", json={"learner_ref": REF}, headers=as_admin).status_code == 200
    )
    seen = _entries(app)
    assert seen == [
        # The tutor's view of the enrollment names the learner until the erasure replaces them.
        ("enrollment_view", "api", tutor.username, "ER1", "erased learner"),
        ("at_risk_list", "api", tutor.username, "ER1", None),
        ("export", "api", admin.username, None, None),
        ("export", "api", admin.username, None, "erased learner"),
        ("erasure", "api", admin.username, None, None),
    ]


def test_each_page_view_is_recorded(app, client, held):
    admin, _, ours = held
    assert client.post("/api/v1/auth/login", json=admin.login_json()).status_code == 200
    page = _callback(
        client,
        [("_pages_content", "children"), ("_pages_store", "data")],
        [("_pages_location", "pathname", "/enrollment"), ("_pages_location", "search", f"?id={ours['ER1']}")],
    )
    assert REF in str(page["_pages_content"])
    course_grid = [("course-filters", "data", {}), ("course-code", "data", "ER1")]
    _callback(
        client,
        [("course-grid", "getRowsResponse"), ("course-count", "children")],
        [("course-grid", "getRowsRequest", GRID)],
        course_grid,
    )
    csv = _callback(
        client,
        [("course-download", "data")],
        [("course-export", "n_clicks", 1)],
        [
            ("course-filters", "data", {}),
            ("course-grid", "getRowsRequest", None),
            ("course-code", "data", "ER1"),
        ],
    )
    assert REF in csv["course-download"]["data"]["content"]
    at_risk = [
        ("at-risk-grid", "getRowsResponse"),
        ("at-risk-count", "children"),
        ("at-risk-message", "children"),
    ]
    rows = _callback(
        client, at_risk, [("at-risk-grid", "getRowsRequest", GRID)], [("at-risk-threshold", "value", 50)]
    )
    assert rows["at-risk-grid"]["getRowsResponse"]["rowCount"] == 2
    _callback(
        client,
        [
            ("at-risk-modal", "is_open"),
            ("at-risk-modal-title", "children"),
            ("at-risk-modal-body", "children"),
        ],
        [("at-risk-grid", "cellClicked", {"rowId": REF})],
    )
    _callback(
        client,
        [("at-risk-download", "data"), ("at-risk-message", "children")],
        [("at-risk-export", "n_clicks", 1)],
        [("at-risk-threshold", "value", 50), ("at-risk-grid", "getRowsRequest", None)],
    )
    _callback(
        client,
        [("privacy-download", "data"), ("privacy-message", "children"), ("privacy-log-version", "data")],
        [("privacy-export", "n_clicks", 1)],
        [
            ("privacy-ref", "value", REF),
            ("privacy-course", "value", "ER1"),
            ("privacy-log-version", "data", 0),
        ],
    )
    erased = _callback(
        client,
        [
            ("privacy-confirm", "is_open"),
            ("privacy-message", "children"),
            ("privacy-counts", "children"),
            ("privacy-log-version", "data"),
        ],
        [("privacy-confirm-yes", "n_clicks", 1), ("privacy-confirm-no", "n_clicks", None)],
        [("privacy-pending", "data", {"ref": REF, "course": "ER1"}), ("privacy-log-version", "data", 1)],
    )
    assert "Erased" in str(erased["privacy-message"])
    name = admin.username
    assert _entries(app) == [
        ("enrollment_view", "page", name, "ER1", "erased learner"),
        ("at_risk_list", "page", name, "ER1", None),
        ("export", "page", name, "ER1", None),
        ("at_risk_list", "page", name, None, None),
        ("learner_history", "page", name, None, REF),  # saved predictions: not erased with one course
        ("export", "page", name, None, None),
        ("export", "page", name, "ER1", "erased learner"),
        ("erasure", "page", name, None, None),
    ]


def test_administrators_read_the_log_by_learner_and_by_user(app, client, bearer, held):
    admin, tutor, ours = held
    assert client.get(f"/api/v1/enrollments/{ours['ER1']}", headers=bearer(tutor)).status_code == 200
    assert client.get(f"/api/v1/enrollments/{ours['other']}", headers=bearer(tutor)).status_code == 200
    assert_error(client.get("/api/v1/learners/access-log", headers=bearer(tutor)), 403)
    headers = bearer(admin)
    everything = client.get("/api/v1/learners/access-log", headers=headers).json
    assert everything["meta"]["total"] == 2
    mine = client.get(f"/api/v1/learners/access-log?learner={REF}", headers=headers).json["items"]
    assert [(item["learner_ref"], item["username"]) for item in mine] == [(REF, tutor.username)]
    assert (
        client.get(f"/api/v1/learners/access-log?user={admin.username}", headers=headers).json["items"] == []
    )
    client.post("/api/v1/learners/erase", json={"learner_ref": REF}, headers=headers)
    # After the erasure the reference still finds the erasure itself (by its keyed hash), nothing else.
    after = client.get(f"/api/v1/learners/access-log?learner={REF}", headers=headers).json["items"]
    assert [(item["action"], item["learner_ref"]) for item in after] == [("erasure", None)]


def test_entries_past_their_retention_are_purged(app, make_user, monkeypatch):
    from db.access_log import AccessEntry
    from db.tables import utcnow
    from server.housekeeping import purge_once

    monkeypatch.setitem(app.config, "ACCESS_LOG_RETENTION_DAYS", 30)
    with app.app_context():
        now = utcnow()
        for days in (29, 31):
            AccessEntry.create(
                username="x", action="export", channel="api", created_at=now - timedelta(days=days)
            )
    purge_once(app)
    with app.app_context():
        kept = [round((now - entry.created_at) / timedelta(days=1)) for entry in AccessEntry.select()]
    assert kept == [29]


@pytest.mark.parametrize("value", ["0", "-3", "a year", "1.5"])
def test_a_wrong_retention_setting_stops_the_start(monkeypatch, value):
    from server.config import load_config

    monkeypatch.setenv("ACCESS_LOG_RETENTION_DAYS", value)
    with pytest.raises(RuntimeError, match="ACCESS_LOG_RETENTION_DAYS"):
        load_config("testing")
