"""What anonymous callers and students may see: no model details, paths, versions or decoder text."""

from __future__ import annotations

from tests.helpers import assert_error


def test_health_shows_models_only_to_admins(client, make_user, bearer, login, active_models):
    public = client.get("/api/v1/health")
    assert public.status_code == 200 and public.json == {"status": "ok", "database": "up"}
    student = client.get("/api/v1/health", headers=bearer(make_user()))
    assert "models" not in student.json
    assert "models" not in client.get("/api/v1/health", headers={"Authorization": "Bearer x.y.z"}).json
    admin_json = client.get("/api/v1/health", headers=bearer(make_user("admin"))).json
    assert set(admin_json["models"]) == {"exam-score", "dropout"}
    admin = make_user("admin")
    login(admin)  # the test client now holds the admin's cookies
    assert "models" in client.get("/api/v1/health").json


def test_models_listing_hides_paths_and_library_versions_from_students(
    app, client, make_user, bearer, active_models
):
    from db.tables import ModelVersion

    with app.app_context():
        ModelVersion.update(data_source="/srv/secret/place/train.csv").execute()
    versions = client.get("/api/v1/models", headers=bearer(make_user())).json["versions"]
    rows = [row for task_rows in versions.values() for row in task_rows]
    assert rows and all(r["data_source"] == "train.csv" and r["library_versions"] is None for r in rows)
    admin_versions = client.get("/api/v1/models", headers=bearer(make_user("admin"))).json["versions"]
    admin_rows = [row for task_rows in admin_versions.values() for row in task_rows]
    assert all(
        r["data_source"] == "/srv/secret/place/train.csv" and r["library_versions"] for r in admin_rows
    )


def test_token_errors_give_fixed_messages(client):
    for token in ("abc", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.bad"):
        body = assert_error(client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401)
        assert body["message"] == "The token is not valid. Sign in again.", body
    missing = assert_error(client.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401)
    assert "Authorization" not in missing["message"]
