"""A malformed or unknown Dash callback request gets 400 with the error shape, signed in or not,
before Dash reads it (never a 500)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import assert_error

CALLBACK = "/_dash-update-component"
DOWNLOAD = {"id": "course-download", "property": "data"}
MALFORMED = [
    b"{}",
    b"[]",
    b"null",
    b"[{},{}]",
    json.dumps({"output": 1}).encode(),
    json.dumps({"output": "nope.children", "outputs": {"id": "nope", "property": "children"},
                "inputs": [], "changedPropIds": []}).encode(),
    json.dumps({"output": "course-download.data", "outputs": DOWNLOAD}).encode(),
    json.dumps({"output": "course-download.data", "outputs": DOWNLOAD, "inputs": 5, "state": "x",
                "changedPropIds": []}).encode(),
    json.dumps({"output": "course-download.data", "outputs": [], "inputs": [],
                "changedPropIds": []}).encode(),
    json.dumps({"output": "course-download.data", "outputs": DOWNLOAD, "inputs": [{}],
                "changedPropIds": 3}).encode(),
    json.dumps({"output": "course-download.data", "outputs": DOWNLOAD,
                "inputs": [{"id": "course-export", "property": "n_clicks", "value": 1}],
                "state": [], "changedPropIds": ["course-export.n_clicks"]}).encode(),
]


@pytest.mark.parametrize("signed_in", [False, True])
def test_malformed_or_unknown_callbacks_are_400(client, make_user, signed_in):
    headers = {}
    if signed_in:
        account = make_user("admin")
        assert client.post("/api/v1/auth/login", json=account.login_json()).status_code == 200
        headers = {"X-CSRF-TOKEN": client.get_cookie("csrf_access_token").value}
    for body in MALFORMED:
        response = client.post(CALLBACK, data=body, content_type="application/json", headers=headers)
        assert_error(response, 400)
        assert response.json["error"]["code"] == "malformed", body
