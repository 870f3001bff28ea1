"""LTI 1.3 launches from a platform simulated here, with its own key pair and its key set served over
HTTP: an instructor opens the course as its tutor, a learner opens their own enrollment, and every
forged, stale, replayed or misdirected launch is refused with a page saying why."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify
from werkzeug.serving import make_server

from db.courses import Enrollment
from db.lti import LtiAccount, LtiPlatform
from db.tables import User
from db.tutoring import CourseTutor
from services import lti_registry
from services.errors import Conflict, Forbidden, InvalidInput
from tests.helpers import store_course

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
ISSUER = "https://lms.example.edu"
CLIENT_ID = "ssa-tool-1"
DEPLOYMENT = "deployment-7"
KID = "platform-key-1"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
TEACHING_ASSISTANT = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


@pytest.fixture(scope="module")
def platform_keys():
    """The simulated platform's key pair, its key set served on a free loopback port, and a stranger's key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    keyset = Flask("platform")
    keyset.add_url_rule("/jwks", "jwks", lambda: jsonify({"keys": [{**public, "kid": KID, "alg": "RS256"}]}))
    server = make_server("127.0.0.1", 0, keyset, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    yield {"key": key, "stranger": stranger, "jwks": f"http://127.0.0.1:{server.server_port}/jwks"}
    server.shutdown()


@pytest.fixture
def platform(app, platform_keys):
    """The platform registered with the tool, and a course with three learners."""
    with app.app_context():
        registered = lti_registry.register_platform(
            None,
            {
                "issuer": ISSUER,
                "client_id": CLIENT_ID,
                "deployment_ids": f"{DEPLOYMENT}\nother-deployment",
                "keyset_url": platform_keys["jwks"],
                "auth_login_url": f"{ISSUER}/mod/lti/auth.php",
                "token_url": f"{ISSUER}/mod/lti/token.php",
            },
        )
        store_course("BIO-101", np.ones((3, 30, 7), dtype=np.int64))
    return registered


def _login(client, **params) -> tuple:
    query = {"iss": ISSUER, "login_hint": "u-42", "target_link_uri": "http://localhost/lti/launch", **params}
    return client.get("/lti/login", query_string=query)


def _claims(nonce: str, **changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "u-42",
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
        "name": "Ada Lovelace",
        "email": "ada@lms.example.edu",
        CLAIM + "deployment_id": DEPLOYMENT,
        CLAIM + "message_type": "LtiResourceLinkRequest",
        CLAIM + "version": "1.3.0",
        CLAIM + "roles": [INSTRUCTOR],
        CLAIM + "context": {"id": "ctx-9", "label": "BIO-101", "title": "Biology"},
        CLAIM + "resource_link": {"id": "link-1"},
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _launch(client, keys, signer: str = "key", **changes):
    """A whole launch: the login initiation, then the platform's form post of a signed id_token."""
    started = _login(client)
    assert started.status_code == 302, started.get_data(as_text=True)
    sent = parse_qs(urlsplit(started.headers["Location"]).query)
    token = jwt.encode(_claims(sent["nonce"][0], **changes), keys[signer], "RS256", headers={"kid": KID})
    form = {"state": sent["state"][0], "id_token": token}
    return client.post("/lti/launch", data=form), form


def _signed_in(response) -> bool:
    return any(header.startswith("access_token_cookie=") for header in response.headers.getlist("Set-Cookie"))


def test_the_tool_publishes_one_stored_key_and_sends_the_login_to_the_platform(client, platform):
    first, again = client.get("/lti/jwks").json, client.get("/lti/jwks").json
    assert first == again and len(first["keys"]) == 1
    assert (
        first["keys"][0]["kty"] == "RSA"
        and first["keys"][0]["alg"] == "RS256"
        and "d" not in first["keys"][0]
    )

    started = _login(client, lti_message_hint="hint-1")
    address = urlsplit(started.headers["Location"])
    sent = parse_qs(address.query)
    assert f"{address.scheme}://{address.netloc}{address.path}" == f"{ISSUER}/mod/lti/auth.php"
    assert sent["client_id"] == [CLIENT_ID] and sent["login_hint"] == ["u-42"]
    assert sent["redirect_uri"] == ["http://localhost/lti/launch"] and sent["lti_message_hint"] == ["hint-1"]
    assert sent["response_mode"] == ["form_post"] and sent["state"] != sent["nonce"]
    assert "lti_state=" in started.headers["Set-Cookie"] and "SameSite=None" in started.headers["Set-Cookie"]

    unknown = client.get("/lti/login", query_string={"iss": "https://other.example", "login_hint": "x"})
    assert unknown.status_code == 403 and "is not registered with this tool" in unknown.get_data(as_text=True)


def test_an_instructor_and_a_teaching_assistant_open_their_course_as_its_tutors(
    app, client, platform, platform_keys
):
    response, _ = _launch(client, platform_keys)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Signed in as Ada Lovelace" in page
    assert 'url=/course?code=BIO-101"' in page and _signed_in(response)
    assert any(c.startswith("csrf_access_token=") for c in response.headers.getlist("Set-Cookie"))
    me = client.get("/api/v1/me")  # the launch's cookie signs the browser in
    assert me.status_code == 200 and me.json["role"] == "tutor" and me.json["email"] == "ada@lms.example.edu"
    assert client.get("/api/v1/courses/BIO-101").status_code == 200

    again, _ = _launch(app.test_client(), platform_keys)  # the same platform user: the same account
    assistant, _ = _launch(
        app.test_client(),
        platform_keys,
        sub="u-43",
        email=None,
        aud=[CLIENT_ID, "x"],
        azp=CLIENT_ID,
        **{CLAIM + "roles": [TEACHING_ASSISTANT]},
    )
    assert again.status_code == 200 and assistant.status_code == 200
    with app.app_context():
        tutors = sorted(u.username for u in CourseTutor.tutors_of(platform_course()))
        assert len(tutors) == 2 and LtiAccount.select().count() == 2
        assert User.get(User.username == tutors[0]).role == "tutor"
        assert {u.email.endswith("@lti.invalid") for u in User.select()} == {True, False}


def platform_course():
    from db.courses import Course

    return Course.by_code("BIO-101")


def test_a_learner_opens_their_own_enrollment_matched_by_their_platform_id(
    app, client, platform, platform_keys
):
    roles = {CLAIM + "roles": [LEARNER]}
    by_sourcedid = {CLAIM + "lis": {"person_sourcedid": "BIO-101-L1"}}
    response, _ = _launch(client, platform_keys, sub="BIO-101-L2", **roles)
    other, _ = _launch(app.test_client(), platform_keys, sub="p-7", **roles, **by_sourcedid)
    with app.app_context():
        mine = Enrollment.get(Enrollment.learner_ref == "BIO-101-L2")
        theirs = Enrollment.get(Enrollment.learner_ref == "BIO-101-L1")
        assert mine.user.role == "student" and theirs.user_id not in (None, mine.user_id)
    assert response.status_code == 200 and f'url=/enrollment?id={mine.id}"' in response.get_data(as_text=True)
    assert other.status_code == 200
    assert client.get(f"/api/v1/enrollments/{mine.id}").status_code == 200
    assert client.get(f"/api/v1/enrollments/{theirs.id}").status_code == 404

    stranger, _ = _launch(app.test_client(), platform_keys, sub="nobody", **roles)
    assert stranger.status_code == 403 and "No enrollment of BIO-101 matches" in stranger.get_data(
        as_text=True
    )
    unknown_course, _ = _launch(
        app.test_client(), platform_keys, **{CLAIM + "context": {"id": "c-1", "label": "CHEM-9"}}
    )
    assert "The course CHEM-9 is not in Student Success Analytics" in unknown_course.get_data(as_text=True)


REFUSALS = {
    "wrong audience": ({"aud": "another-tool"}, "meant for another tool"),
    "several audiences, none authorized": ({"aud": [CLIENT_ID, "another-tool"]}, "meant for another tool"),
    "expired": ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}, "The launch has expired"),
    "unknown deployment": ({CLAIM + "deployment_id": "deployment-99"}, "deployment deployment-99"),
    "bad signature": ({"signer": "stranger"}, "signature is not valid"),
    "unknown issuer": ({"iss": "https://evil.example"}, "https://evil.example is not registered"),
    "not a launch": ({CLAIM + "message_type": "LtiDeepLinkingRequest"}, "Only LTI 1.3 resource link"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_a_forged_stale_or_misdirected_launch_is_refused_with_a_reason(
    app, client, platform, platform_keys, case
):
    changes, reason = REFUSALS[case]
    changes = dict(changes)
    response, _ = _launch(client, platform_keys, signer=changes.pop("signer", "key"), **changes)
    assert response.status_code == 403 and reason in response.get_data(as_text=True)
    assert not _signed_in(response)
    with app.app_context():
        assert not LtiAccount.select().exists() and not CourseTutor.select().exists()


def test_a_replayed_launch_or_nonce_is_refused(app, client, platform, platform_keys):
    first, form = _launch(client, platform_keys)
    assert first.status_code == 200
    client.set_cookie("lti_state", form["state"], path="/lti/launch")  # a replay with the state cookie too
    replayed = client.post("/lti/launch", data=form)
    assert replayed.status_code == 403 and "already used" in replayed.get_data(as_text=True)

    started = _login(client)  # a fresh login, but the old token (and its nonce) posted again
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]
    stale_nonce = client.post("/lti/launch", data={"state": state, "id_token": form["id_token"]})
    assert stale_nonce.status_code == 403 and "nonce does not match" in stale_nonce.get_data(as_text=True)

    other_browser = app.test_client()  # the state cookie is in the first browser only
    started = _login(client)
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]
    elsewhere = other_browser.post("/lti/launch", data={"state": state, "id_token": form["id_token"]})
    assert elsewhere.status_code == 403 and "not started in this browser" in elsewhere.get_data(as_text=True)
    garbage = client.post("/lti/launch", data={"state": "x"})
    assert garbage.status_code == 403 and "no state or no id_token" in garbage.get_data(as_text=True)


def test_only_administrators_register_platforms_and_every_bad_field_is_named(app, make_user):
    tutor = make_user("tutor")
    with app.app_context():
        with pytest.raises(Forbidden):
            lti_registry.register_platform(User.get_by_id(tutor.id), {})
        with pytest.raises(InvalidInput) as bad:
            lti_registry.register_platform(None, {"issuer": "x", "keyset_url": "ftp://keys", "token_url": ""})
        assert set(bad.value.fields) == {"client_id", "keyset_url", "auth_login_url", "deployment_ids"}
        fields = {
            "issuer": "i",
            "client_id": "c",
            "deployment_ids": "d",
            "keyset_url": "https://k/",
            "auth_login_url": "https://a/",
        }
        made = lti_registry.register_platform(None, fields)
        with pytest.raises(Conflict):
            lti_registry.register_platform(None, fields)
        lti_registry.remove_platform(None, made["id"])
        assert lti_registry.platforms() == []


def test_a_platform_whose_key_set_cannot_be_fetched_gets_a_clear_page(app, client, platform, platform_keys):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    with app.app_context():
        LtiPlatform.update(keyset_url=f"http://127.0.0.1:{port}/jwks").execute()
    response, _ = _launch(client, platform_keys)
    assert response.status_code == 502 and "key set could not be fetched" in response.get_data(as_text=True)
    assert not _signed_in(response)


def test_administrators_register_and_remove_platforms_over_the_api(client, make_user, bearer):
    admin, tutor = make_user("admin"), make_user("tutor")
    body = {
        "issuer": "https://canvas.example.edu",
        "client_id": "10000000000001",
        "deployment_ids": ["1:abc"],
        "keyset_url": "https://canvas.example.edu/api/lti/security/jwks",
        "auth_login_url": "https://canvas.example.edu/api/lti/authorize_redirect",
    }
    assert client.post("/api/v1/lti/platforms", json=body, headers=bearer(tutor)).status_code == 403
    made = client.post("/api/v1/lti/platforms", json=body, headers=bearer(admin))
    assert made.status_code == 201 and made.json["deployment_ids"] == ["1:abc"]
    assert client.post("/api/v1/lti/platforms", json=body, headers=bearer(admin)).status_code == 409
    bad = client.post("/api/v1/lti/platforms", json={**body, "keyset_url": "jwks"}, headers=bearer(admin))
    assert bad.status_code == 422 and "keyset_url" in str(bad.json)
    listed = client.get("/api/v1/lti/platforms", headers=bearer(admin)).json
    assert listed["tool"]["launch_url"] == "http://localhost/lti/launch"
    assert [p["client_id"] for p in listed["platforms"]] == ["10000000000001"]
    gone = client.delete(f"/api/v1/lti/platforms/{made.json['id']}", headers=bearer(admin))
    assert gone.status_code == 200
    assert client.delete(f"/api/v1/lti/platforms/{made.json['id']}", headers=bearer(admin)).status_code == 404
