"""GET /health reports the database and models; 503 when the database is really unreachable."""

from __future__ import annotations

import pytest

from db.connection import bind_database, database
from tests.helpers import assert_error

UNREACHABLE = {
    "sqlite": "sqlite:////proc/ssa-unreachable.db",
    "postgres": "postgresql://postgres@127.0.0.1:1/test",
}


def test_health_ok(client, make_user, bearer):
    response = client.get("/api/v1/health", headers=bearer(make_user("admin")))
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "up"
    assert set(response.json["models"]) == {"exam-score", "dropout"}


@pytest.mark.parametrize("backend", sorted(UNREACHABLE))
def test_health_is_503_when_the_database_is_down(client, app, backend):
    original = app.config["DATABASE_URL"]
    database.close() if not database.is_closed() else None
    bind_database(UNREACHABLE[backend])
    try:
        response = client.get("/api/v1/health")
        assert response.status_code == 503
        assert response.json["database"] == "down" and response.json["status"] == "degraded"
        # Any other endpoint that needs the database answers 503 in the error shape.
        assert_error(client.post("/api/v1/auth/login", json={"username": "a", "password": "b"}), 503)
    finally:
        bind_database(original, app.config["PG_SYNCHRONOUS_COMMIT"])
