"""What any client can send gets a 4xx with the error shape, never a 500:
JSON nested 1,000 deep, NUL characters in JSON strings and query parameters, traversal paths under
/_dash-component-suites/, and bodies over the JSON limit (with a Content-Length or chunked)."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import api_operations, assert_error

DEEP = "[" * 1000 + "]" * 1000
PATH_ARGS = {"id": "1", "task": "dropout"}


def _admin(make_user, bearer) -> dict[str, str]:
    return bearer(make_user("admin"))


def test_deep_json_is_400_on_every_json_endpoint(app, client, make_user, bearer):
    headers = _admin(make_user, bearer)
    checked = 0
    for method, url, op in api_operations(app, PATH_ARGS):
        if op.body is None:
            continue
        response = client.open(
            url, method=method, data=DEEP, content_type="application/json", headers=headers
        )
        assert_error(response, 400)
        checked += 1
    assert checked >= 5


def test_nul_in_any_json_field_is_400(app, client, make_user, bearer):
    headers = _admin(make_user, bearer)
    for method, url, op in api_operations(app, PATH_ARGS):
        if op.body is None:
            continue
        for name in op.body.model_fields:
            body = {name: "a\x00"}
            response = client.open(url, method=method, json=body, headers=headers)
            assert_error(response, 400)


def test_nul_in_any_query_parameter_is_400(app, client, make_user, bearer):
    headers = _admin(make_user, bearer)
    for method, url, op in api_operations(app, PATH_ARGS):
        if op.query is None:
            continue
        for name in op.query.model_fields:
            response = client.open(url, method=method, query_string={name: "a\x00"}, headers=headers)
            assert_error(response, 400)


def test_nul_at_sign_in_register_and_profile_is_400(client, make_user, bearer):
    account = make_user()
    assert_error(client.post("/api/v1/auth/login", json={"username": "a\x00", "password": "x" * 10}), 400)
    register = {
        "username": "new\x00",
        "email": "n@example.org",
        "password": "long-enough-1",
        "full_name": "N",
    }
    assert_error(client.post("/api/v1/auth/register", json=register), 400)
    patch = client.patch("/api/v1/me", json={"full_name": "A\x00"}, headers=bearer(account))
    assert_error(patch, 400)
    assert_error(client.get("/api/v1/users?q=a%00", headers=_admin(make_user, bearer)), 400)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values, key=st.text(max_size=5), prefix=st.text(max_size=3))
def test_a_nul_anywhere_in_a_login_body_is_400(client, body, key, prefix):
    payload = {"username": "someone", "password": "whatever-1", key: [body, prefix + "\x00"]}
    response = client.post("/api/v1/auth/login", data=json.dumps(payload), content_type="application/json")
    assert_error(response, 400)


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-component-suites/dash/../../etc/passwd",
        "/_dash-component-suites/dash/..%2F..%2Fetc%2Fpasswd",
        "/_dash-component-suites/dash/deps/../../../x.js",
        "/_dash-component-suites/dash/%2e%2e/x.js",
        "/_dash-component-suites/nope/x.js",
    ],
)
def test_dash_asset_traversal_is_404(client, path):
    assert_error(client.get(path), 404)


def test_deep_json_to_a_signed_in_dash_callback_is_400(client, make_user):
    client.post("/api/v1/auth/login", json=make_user().login_json())
    csrf = client.get_cookie("csrf_access_token").value
    response = client.post(
        "/_dash-update-component", data=DEEP, content_type="application/json", headers={"X-CSRF-TOKEN": csrf}
    )
    assert_error(response, 400)


def _raw_post(live_server: str, path: str, body: bytes, chunked: bool) -> tuple[int, dict]:
    address = urlsplit(live_server)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    headers = {"Content-Type": "application/json"}
    try:
        if chunked:
            conn.request(
                "POST",
                path,
                body=iter([body[i : i + 65536] for i in range(0, len(body), 65536)]),
                headers=headers,
                encode_chunked=True,
            )
        else:
            conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_json_body_over_its_limit_is_413(app, live_server, chunked):
    assert app.config["MAX_CONTENT_LENGTH"] <= 1024 * 1024
    body = b"[" + b"1," * 1024 * 1024 + b"1]"  # 2 MiB: a valid JSON document over the JSON limit
    status, payload = _raw_post(live_server, "/api/v1/auth/login", body, chunked)
    assert status == 413, payload
    assert set(payload["error"]) == {"code", "message", "fields"}


def test_upload_endpoints_keep_the_upload_limit(app, client, make_user, bearer):
    big = b"a,b\n" + b"1,2\n" * (app.config["MAX_CONTENT_LENGTH"] // 4 + 10)
    response = client.post(
        "/api/v1/predictions/dropout/batch",
        data=big,
        headers={**_admin(make_user, bearer), "Content-Type": "text/csv"},
    )
    # No active model here: 503 is the answer once the body has been accepted.
    assert response.status_code not in (413, 500), response.get_data(as_text=True)[:300]


def _outcomes_upload(padding: str) -> dict:
    """The Data page's outcomes upload callback, its file as a dcc.Upload sends it (base64 inside)."""
    return {
        "output": "data-outcomes-result.children",
        "outputs": {"id": "data-outcomes-result", "property": "children"},
        "inputs": [{"id": "data-outcomes-submit", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["data-outcomes-submit.n_clicks"],
        "state": [
            {"id": "data-outcomes-upload", "property": "contents", "value": "data:,"
             + padding},
            {"id": "data-outcomes-upload", "property": "filename", "value": "outcomes.csv"},
            {"id": "data-outcomes-course", "property": "value", "value": None},
        ],
    }


def _callback(client, body: dict, headers: dict):
    """`body` in the order Dash's renderer writes it (`output` first), not sorted as `json=` sorts it."""
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                       headers=headers)


def test_only_an_upload_callback_run_by_whom_its_page_allows_gets_the_upload_limit(app, client, make_user):
    padding = "x" * (app.config["DASH_CALLBACK_MAX_KB"] * 1024 + 1000)  # as a dcc.Upload file would be
    body = {
        "output": "shell-navbar.children",
        "outputs": {"id": "shell-navbar", "property": "children"},
        "inputs": [
            {"id": "shell-url", "property": "pathname", "value": "/about"},
            {"id": "shell-refresh", "property": "data", "value": 0},
        ],
        "changedPropIds": ["shell-url.pathname"],
        "state": [],
        "padding": padding,
    }
    assert_error(_callback(client, body, {}), 413)
    assert_error(_callback(client, _outcomes_upload(padding), {}), 413)
    client.post("/api/v1/auth/login", json=make_user().login_json())
    csrf = {"X-CSRF-TOKEN": client.get_cookie("csrf_access_token").value}
    assert_error(_callback(client, body, csrf), 413)
    assert_error(_callback(client, _outcomes_upload(padding), csrf), 413)
    client.post("/api/v1/auth/login", json=make_user("admin").login_json())
    csrf = {"X-CSRF-TOKEN": client.get_cookie("csrf_access_token").value}
    assert_error(_callback(client, body, csrf), 413)
    response = _callback(client, _outcomes_upload(padding), csrf)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


def _nested(depth: int) -> str:
    """A login body whose extra field nests lists so that the body is `depth` levels deep."""
    return ('{"username": "someone", "password": "whatever-1", "extra": '
            + "[" * (depth - 1) + "]" * (depth - 1) + "}")


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (_nested(64).encode(), False),
        (_nested(65).encode(), True),
        (_nested(300).encode(), True),
        ('{"username": "a\\u0000", "password": "whatever-1"}'.encode("utf-16"), True),  # another encoding
        (b'{"username": "a\xed\xa0\x80", "password": "whatever-1"}', True),  # a surrogate's UTF-8 bytes
        (b'{"username": "a\\uDC00", "password": "whatever-1"}', True),
        (b'{"a\\u0000": 1, "username": "someone", "password": "whatever-1"}', True),  # in a key
        (b'{"username": "a\\ud83d\\ude00", "password": "whatever-1"}', False),  # a pair: one character
    ],
)
def test_json_bodies_are_refused_for_their_nesting_or_text_however_written(client, body, refused):
    response = client.post("/api/v1/auth/login", data=body, content_type="application/json")
    if refused:
        assert_error(response, 400)
        assert "nested deeper" in response.get_json()["error"]["message"] or "Text may not" in (
            response.get_json()["error"]["message"])
    else:  # past the guard: the login's own answer (an unknown field, a wrong password)
        assert response.status_code in (401, 422), response.get_json()
