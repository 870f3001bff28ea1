"""Configuration per environment: zero-config development, production refuses weak secrets."""

from __future__ import annotations

import json
import stat
import time

import jwt
import pytest

from server.config import PUBLISHED_SECRETS, load_config

OLD_DEVELOPMENT_SECRET = next(iter(PUBLISHED_SECRETS))


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("SECRET_KEY", "JWT_SECRET_KEY", "DATABASE_URL", "APP_ENV", "COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_development_needs_no_configuration(clean_env, tmp_path):
    clean_env.setenv("INSTANCE_DIR", str(tmp_path))
    config = load_config()
    assert config.ENV_NAME == "development"
    assert f"sqlite:///{tmp_path / 'ssa.db'}" == config.DATABASE_URL
    assert config.SECRET_KEY and config.JWT_SECRET_KEY
    assert config.JWT_COOKIE_SECURE is False and config.JWT_COOKIE_CSRF_PROTECT is True


def test_production_refuses_to_start_without_secrets(clean_env):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config("production")
    clean_env.setenv("SECRET_KEY", OLD_DEVELOPMENT_SECRET)
    clean_env.setenv("JWT_SECRET_KEY", OLD_DEVELOPMENT_SECRET)
    with pytest.raises(RuntimeError, match="published"):
        load_config("production")
    clean_env.setenv("SECRET_KEY", "too-short")
    clean_env.setenv("JWT_SECRET_KEY", "x" * 40)
    with pytest.raises(RuntimeError, match="32 characters"):
        load_config("production")


def test_production_with_real_secrets(clean_env):
    clean_env.setenv("SECRET_KEY", "s" * 48)
    clean_env.setenv("JWT_SECRET_KEY", "j" * 48)
    config = load_config("production")
    assert config.JWT_COOKIE_SECURE is True and config.AUTO_MIGRATE is False


def test_environment_overrides(clean_env):
    clean_env.setenv("DATABASE_URL", "postgresql+pool://u@db/ssa")
    clean_env.setenv("ACCESS_TOKEN_MINUTES", "5")
    config = load_config("development")
    assert config.DATABASE_URL == "postgresql+pool://u@db/ssa"
    assert config.JWT_ACCESS_TOKEN_EXPIRES.total_seconds() == 300


def test_unknown_environment(clean_env):
    with pytest.raises(RuntimeError, match="APP_ENV"):
        load_config("staging")


def test_an_unknown_synchronous_commit_setting_is_refused(clean_env):
    clean_env.setenv("PG_SYNCHRONOUS_COMMIT", "sometimes")
    with pytest.raises(RuntimeError, match="PG_SYNCHRONOUS_COMMIT"):
        load_config("development")


def test_development_secrets_are_random_kept_private_and_stable(clean_env, tmp_path):
    clean_env.setenv("INSTANCE_DIR", str(tmp_path / "one"))
    first, again = load_config("development"), load_config("development")
    clean_env.setenv("INSTANCE_DIR", str(tmp_path / "two"))
    other = load_config("development")
    secret_file = tmp_path / "one" / "secret_keys.json"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert json.loads(secret_file.read_text())["JWT_SECRET_KEY"] == first.JWT_SECRET_KEY
    assert (first.SECRET_KEY, first.JWT_SECRET_KEY) == (again.SECRET_KEY, again.JWT_SECRET_KEY)
    assert first.JWT_SECRET_KEY != other.JWT_SECRET_KEY and first.SECRET_KEY != first.JWT_SECRET_KEY
    assert len(first.JWT_SECRET_KEY) >= 32 and first.JWT_SECRET_KEY not in PUBLISHED_SECRETS


def test_the_published_development_secret_is_refused_in_every_environment(clean_env):
    clean_env.setenv("JWT_SECRET_KEY", OLD_DEVELOPMENT_SECRET)
    for name in ("development", "testing"):
        with pytest.raises(RuntimeError, match="published"):
            load_config(name)


def test_a_token_signed_with_the_old_repository_secret_is_refused(client, make_user):
    admin = make_user("admin")
    now = int(time.time())
    claims = {
        "sub": str(admin.id),
        "type": "access",
        "jti": "x",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "epoch": 0,
    }
    forged = jwt.encode(claims, OLD_DEVELOPMENT_SECRET, "HS256")
    response = client.get("/api/v1/users", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_the_development_configuration_warns_when_not_started_for_development(clean_env, tmp_path, caplog):
    from server.factory import warn_if_development_outside_cli

    clean_env.setenv("INSTANCE_DIR", str(tmp_path))
    clean_env.delenv("FLASK_RUN_FROM_CLI", raising=False)
    clean_env.delenv("SSA_DEVELOPMENT_SERVER", raising=False)
    config = load_config("development")
    warn_if_development_outside_cli(config)
    assert "DEVELOPMENT configuration" in caplog.text
    caplog.clear()
    clean_env.setenv("FLASK_RUN_FROM_CLI", "true")
    warn_if_development_outside_cli(config)
    assert "DEVELOPMENT" not in caplog.text


def test_early_warning_level_shares_are_a_setting_checked_at_start_up(clean_env, tmp_path):
    clean_env.setenv("INSTANCE_DIR", str(tmp_path))
    clean_env.delenv("EARLY_WARNING_LEVEL_SHARES", raising=False)
    assert load_config().EARLY_WARNING_LEVEL_SHARES == (0.2, 0.3)
    clean_env.setenv("EARLY_WARNING_LEVEL_SHARES", "0.1,0.4")
    assert load_config().EARLY_WARNING_LEVEL_SHARES == (0.1, 0.4)
    clean_env.setenv("EARLY_WARNING_LEVEL_SHARES", "[0.25, 0.25]")
    assert load_config().EARLY_WARNING_LEVEL_SHARES == (0.25, 0.25)
    wrongs = (("0.6,0.5", "add up to 1.1"), ("20,30", "above 0 and below 1"), ("high", "two numbers"))
    for wrong, says in wrongs:
        clean_env.setenv("EARLY_WARNING_LEVEL_SHARES", wrong)
        with pytest.raises(RuntimeError, match=f"EARLY_WARNING_LEVEL_SHARES: .*{says}"):
            load_config()
