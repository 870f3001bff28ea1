"""Configuration per environment: zero-config development, production refuses weak secrets."""

from __future__ import annotations

import pytest

from server.config import DEV_SECRET, load_config


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
    clean_env.setenv("SECRET_KEY", DEV_SECRET)
    clean_env.setenv("JWT_SECRET_KEY", DEV_SECRET)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
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
