"""The sign-in page returns only to a path of this app (issue 16 point 2: open redirect)."""

from __future__ import annotations

import pytest

CALLBACK = "/_dash-update-component"

BYPASSES = [
    "/\\evil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%09/evil.example",
    "/%0A/evil.example",
    "/%0D/evil.example",
    "//evil.example",
    "///evil.example",
    "/%2F/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\\/evil.example",
    "/records\\..\\\\evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/ /evil.example",
    "/\x00/evil.example",
    "/\x7f/evil.example",
    "/\u2028/evil.example",
    "",
    None,
]


@pytest.mark.parametrize("target", BYPASSES)
def test_unsafe_targets_fall_back_to_home(app, target):
    from dashboard.access import safe_next

    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/profile", "/records?task=dropout", "/predict/exam-score"])
def test_paths_of_this_app_are_kept(app, target):
    from dashboard.access import safe_next

    assert safe_next(target) == target


def _sign_in_body(account, target: str) -> dict:
    return {
        "output": "..login-message.children...login-redirect.href..",
        "outputs": [
            {"id": "login-message", "property": "children"},
            {"id": "login-redirect", "property": "href"},
        ],
        "inputs": [
            {"id": "login-submit", "property": "n_clicks", "value": 1},
            {"id": "login-password", "property": "n_submit", "value": None},
        ],
        "changedPropIds": ["login-submit.n_clicks"],
        "state": [
            {"id": "login-username", "property": "value", "value": account.username},
            {"id": "login-password", "property": "value", "value": account.password},
            {"id": "login-next", "property": "value", "value": target},
        ],
    }


def _login_page_body(search: str) -> dict:
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/login"},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }


@pytest.mark.parametrize("target", ["/\\evil.example", "/\t/evil.example", "//evil.example"])
def test_sign_in_redirects_home_for_a_foreign_target(client, make_user, target):
    account = make_user()
    body = _sign_in_body(account, target)
    body["state"][2]["property"] = "data"
    response = client.post(CALLBACK, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.json["response"]["login-redirect"]["href"] == "/"


@pytest.mark.parametrize("search", ["?next=/%5Cevil.example", "?next=/%09/evil.example", "?next=//evil"])
def test_signed_in_user_on_login_page_goes_home(client, make_user, search):
    client.post("/api/v1/auth/login", json=make_user().login_json())
    csrf = client.get_cookie("csrf_access_token").value
    response = client.post(CALLBACK, json=_login_page_body(search), headers={"X-CSRF-TOKEN": csrf})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    location = response.json["response"]["_pages_content"]["children"]
    assert location["props"].get("href") == "/", str(location)[:500]
