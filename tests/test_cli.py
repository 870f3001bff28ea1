"""`flask --app wsgi ...` commands, run through Flask's CLI runner on the real database."""

from __future__ import annotations

from db.tables import User


def test_init_db_and_upgrade_are_idempotent(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0 and "schema version" in result.output
    result = runner.invoke(args=["db-upgrade"])
    assert result.exit_code == 0 and "nothing to do" in result.output


def test_create_user(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "boss",
            "--email",
            "boss@example.org",
            "--password",
            "boss-quartz-meadow-7",
            "--role",
            "admin",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert User.by_login("boss").role == "admin"
    client = app.test_client()
    assert (
        client.post(
            "/api/v1/auth/login", json={"username": "boss", "password": "boss-quartz-meadow-7"}
        ).status_code
        == 200
    )


def test_create_user_rejects_bad_input_with_a_message(app):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["create-user", "weakling", "--email", "w@example.org", "--password", "short"])
    assert weak.exit_code != 0 and "password" in weak.output
    runner.invoke(args=["create-user", "taken", "--email", "t@example.org", "--password", "good-password-1"])
    dup = runner.invoke(
        args=["create-user", "taken", "--email", "t2@example.org", "--password", "good-password-1"]
    )
    assert dup.exit_code != 0 and "taken" in dup.output
    role = runner.invoke(
        args=[
            "create-user",
            "x1x",
            "--email",
            "x@example.org",
            "--password",
            "good-password-1",
            "--role",
            "king",
        ]
    )
    assert role.exit_code != 0


def test_seed_demo_prints_credentials_and_is_idempotent(app):
    from services.demo_setup import DEMO_USERS

    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0
    for username, _email, password, _name, _role in DEMO_USERS:
        assert username in first.output and password in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "exists" in second.output
    client = app.test_client()
    for username, _email, password, _name, role in DEMO_USERS:
        response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200 and response.json["user"]["role"] == role


def test_seed_demo_refuses_production(app):
    app.config["ENV_NAME"] = "production"
    try:
        result = app.test_cli_runner().invoke(args=["seed-demo"])
    finally:
        app.config["ENV_NAME"] = "testing"
    assert result.exit_code != 0 and "development only" in result.output
