"""POST /activity takes its documented 1 to 5,000 items: its byte limit (MAX_PUSH_KB) fits 5,000
statements of a realistic size, while every other JSON body keeps the small limit."""

from __future__ import annotations

import json

import pytest

from services import api_keys
from tests.helpers import assert_error

PUSH = "/api/v1/activity"


@pytest.fixture
def key(app) -> dict[str, str]:
    with app.app_context():
        _row, secret = api_keys.create("lms", "ingest", may_create_courses=True, may_push_finished=True)
        return {"X-API-Key": secret}


def _statement(i: int) -> dict:
    """An xAPI statement of about 245 bytes."""
    return {
        "actor": {"account": {"name": f"learner-{i:05d}"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": f"http://example.org/activity/{i % 50}"},
        "context": {"contextActivities": {"parent": [{"id": "LIMITS"}]}},
        "timestamp": "2024-03-01T10:00:00Z",
    }


def test_five_thousand_statements_of_245_bytes_are_accepted(client, key):
    body = json.dumps({"statements": [_statement(i) for i in range(5000)]})
    assert len(body) > 1024 * 1024  # more than the small JSON limit of other endpoints
    response = client.post(PUSH, data=body, content_type="application/json", headers=key)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.json["accepted"] == 5000 and response.json["rejected"] == []


def test_a_push_over_its_limit_is_413_and_other_bodies_keep_the_small_limit(app, client, key):
    app.config["MAX_PUSH_KB"] = 64
    try:
        body = json.dumps({"statements": [_statement(i) for i in range(400)]})
        assert_error(client.post(PUSH, data=body, content_type="application/json", headers=key), 413)
    finally:
        app.config["MAX_PUSH_KB"] = 10240
    login = json.dumps({"username": "x" * (2 * 1024 * 1024), "password": "y"})
    assert_error(client.post("/api/v1/auth/login", data=login, content_type="application/json"), 413)
