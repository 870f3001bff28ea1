"""Single sign-on against a real OpenID provider started by the test: the redirect with state, nonce
and PKCE, the code exchange, the ID token's checks, accounts by subject, and local passwords off."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from server.sso_settings import check_local_passwords, parse_providers
from services import sso
from tests.helpers import assert_error
from tests.oidc_provider import provider_setting, start_provider

ADA = {
    "sub": "campus-0001",
    "email": "ada@campus.example",
    "preferred_username": "ada",
    "name": "Ada Lovelace",
}


@pytest.fixture(scope="module")
def provider():
    started, server = start_provider()
    yield started
    server.shutdown()


@pytest.fixture
def campus(app, provider, monkeypatch):
    """The app with the test provider configured (groups "staff" -> tutor, "it" -> admin)."""
    setting = provider_setting(provider, role_claim="groups", role_map={"staff": "tutor", "it": "admin"})
    monkeypatch.setitem(app.config, "OIDC_PROVIDERS", parse_providers(json.dumps([setting])))
    provider.reset(ADA)
    return provider


def _round_trip(client, provider, target: str = "/courses"):
    """Start at the app, let the provider answer, and return the app's answer to the callback."""
    started = client.get(f"/sso/campus/login?next={target}")
    assert started.status_code == 302
    assert started.headers["Location"].startswith(f"{provider.issuer}/authorize?")
    answer = requests.get(started.headers["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def _signed_in_user(client) -> dict:
    me = client.get("/api/v1/me")
    assert me.status_code == 200, me.json
    return me.json


def _refusal(response) -> str:
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    return parse_qs(location.query)["sso_error"][0]


def test_first_sign_in_creates_the_account_with_the_mapped_role_and_the_second_reuses_it(client, campus):
    campus.user["groups"] = ["staff"]
    response = _round_trip(client, campus)
    assert response.status_code == 302 and response.headers["Location"] == "/courses"
    cookies = " ".join(response.headers.getlist("Set-Cookie"))
    assert "access_token_cookie=" in cookies and "HttpOnly" in cookies and "csrf_access_token=" in cookies
    sent = campus.authorize_requests[-1]
    assert sent["scope"].split()[0] == "openid" and sent["code_challenge_method"] == "S256"
    assert len(sent["state"]) >= 32 and len(sent["nonce"]) >= 32
    assert campus.token_requests[-1]["code_verifier"]  # the provider checked it against the challenge
    first = _signed_in_user(client)
    assert (first["username"], first["role"], first["email"]) == ("ada", "tutor", "ada@campus.example")

    client.post("/api/v1/auth/logout", headers={"X-CSRF-TOKEN": client.get_cookie("csrf_access_token").value})
    campus.user["groups"] = ["it"]  # the role is the provider's at creation; an admin changes it later
    _round_trip(client, campus)
    again = _signed_in_user(client)
    assert (again["id"], again["role"]) == (first["id"], "tutor")


@pytest.mark.parametrize(
    ("tamper", "code", "words"),
    [
        ("signature", "signature", "not signed with the provider's keys"),
        ("audience", "audience", "issued for another application"),
        ("nonce", "nonce", "wrong nonce"),
        ("expired", "expired", "has expired"),
        ("issuer", "issuer", "issued by another provider"),
    ],
)
def test_a_wrong_id_token_is_refused_with_its_reason(client, campus, tamper, code, words):
    campus.tamper = tamper
    response = _round_trip(client, campus)
    assert _refusal(response) == code
    assert words in sso.REFUSALS[code]
    assert "access_token_cookie=" not in " ".join(response.headers.getlist("Set-Cookie"))
    assert client.get("/api/v1/me").status_code == 401
    with client.application.app_context():
        from db.tables import User

        assert User.select().count() == 0


def test_a_callback_replayed_or_not_started_here_is_refused(client, app, campus):
    started = client.get("/sso/campus/login")
    answer = requests.get(started.headers["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(answer.headers["Location"])
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    assert _refusal(client.get(f"{back.path}?{back.query}")) == "state"
    assert _refusal(app.test_client().get(f"{back.path}?{back.query}")) == "state"
    assert _refusal(client.get("/sso/nowhere/login")) == "not_found"


def test_a_local_account_with_the_same_email_is_not_taken_over(client, app, campus, make_user, login):
    local = make_user("admin", username="adalocal")
    campus.user["email"] = local.email.upper()
    assert _refusal(_round_trip(client, campus)) == "email_taken"
    assert client.get("/api/v1/me").status_code == 401
    assert login(local)["user"]["role"] == "admin"  # the owner still signs in with the password

    with app.app_context():  # an administrator links the two on purpose
        sso.link(local.username, "campus", ADA["sub"])
    signed_in_elsewhere = app.test_client()
    _round_trip(signed_in_elsewhere, campus)
    assert _signed_in_user(signed_in_elsewhere)["id"] == local.id


def test_a_deactivated_account_cannot_sign_in_through_the_provider(client, app, campus):
    from db.tables import User

    _round_trip(client, campus)
    with app.app_context():
        User.update(is_active=False).where(User.username == "ada").execute()
    assert _refusal(_round_trip(app.test_client(), campus)) == "inactive"


def test_without_a_role_claim_a_new_account_is_a_student_and_the_highest_mapped_role_wins(app, campus):
    with app.app_context():
        item = sso.provider("campus")
    assert sso.role_for(item, {}) == "student"
    assert sso.role_for(item, {"groups": ["library"]}) == "student"
    assert sso.role_for(item, {"groups": ["staff", "it"]}) == "admin"
    assert sso.role_for(item, {"groups": "staff"}) == "tutor"


def test_local_passwords_off_refuse_password_sign_in_and_sign_up_but_not_the_provider(
    client, app, campus, make_user, monkeypatch
):
    account = make_user("admin")
    monkeypatch.setitem(app.config, "LOCAL_PASSWORDS", False)
    refused = assert_error(
        client.post("/api/v1/auth/login", json=account.login_json()), 403, "local_passwords_off"
    )
    assert "sign in with Campus account" in refused["message"]
    body = {"username": "newbie", "email": "newbie@example.org", "password": "a long enough passphrase 42"}
    assert_error(client.post("/api/v1/auth/register", json=body), 403, "local_passwords_off")
    _round_trip(client, campus)
    assert _signed_in_user(client)["username"] == "ada"


def test_provider_settings_are_checked_at_start_up():
    good = {
        "name": "kc",
        "issuer": "https://id.example.org/realms/uni",
        "client_id": "ssa",
        "client_secret": "s",
    }
    assert parse_providers(json.dumps(good))[0]["scopes"] == "openid email profile"
    wrong = [
        ({**good, "client_secret": ""}, "missing client_secret"),
        ({**good, "issuer": "http://id.example.org"}, "must be an https URL"),
        ({**good, "role_map": {"staff": "dean"}}, "must be one of student, tutor, admin"),
        ({**good, "scopes": "email"}, "must include openid"),
        ({**good, "colour": "blue"}, "unknown setting colour"),
        ([good, good], "same name"),
    ]
    for value, message in wrong:
        with pytest.raises(RuntimeError, match=message):
            parse_providers(json.dumps(value))
    with pytest.raises(RuntimeError, match="not valid JSON"):
        parse_providers("[{")
    with pytest.raises(RuntimeError, match="LOCAL_PASSWORDS=off needs at least one provider"):
        check_local_passwords(False, [])


def test_the_commands_link_an_account_and_give_back_the_administrator_role(app, campus, make_user):
    local = make_user("student", username="grace")
    runner = app.test_cli_runner()
    linked = runner.invoke(args=["sso-link", "grace", "campus", "campus-0042"])
    assert linked.exit_code == 0 and "grace now signs in through campus" in linked.output
    assert "No such sign-in provider" in runner.invoke(args=["sso-link", "grace", "nowhere", "x"]).output
    twice = runner.invoke(args=["sso-link", "grace", "campus", "campus-0042"])
    assert twice.exit_code == 1 and "already signs in to an account" in twice.output
    promoted = runner.invoke(args=["set-role", local.email, "admin"])
    assert promoted.exit_code == 0 and "student -> admin" in promoted.output
    campus.user = {"sub": "campus-0042", "email": "someone.else@campus.example"}
    client = app.test_client()
    _round_trip(client, campus)
    assert (_signed_in_user(client)["id"], _signed_in_user(client)["role"]) == (local.id, "admin")


def test_local_passwords_off_without_a_provider_stops_the_app(monkeypatch):
    from server.config import load_config

    monkeypatch.setenv("LOCAL_PASSWORDS", "off")
    monkeypatch.delenv("OIDC_PROVIDERS", raising=False)
    with pytest.raises(RuntimeError, match="needs at least one provider"):
        load_config("testing")
    monkeypatch.setenv("OIDC_PROVIDERS", '{"name": "x", "issuer": "https://id.example.org"}')
    with pytest.raises(RuntimeError, match="missing client_id, client_secret"):
        load_config("testing")
