"""The application factory: one Flask server with the API and the Dash app on it."""

from __future__ import annotations

import gc
import logging
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import api
import dashboard
from db import connection, migrations
from server import (
    cli,
    docs_site,
    errors,
    headers,
    housekeeping,
    lti,
    request_guards,
    security,
    sso,
    unsubscribe,
)
from server.config import Config, load_config
from services import jobs, passwords
from services.early_warning import schedule as early_warning_schedule


def create_app(config: Config | str | None = None) -> Flask:
    """Build the server for a configuration object or environment name (default: APP_ENV)."""
    if not isinstance(config, Config):
        config = load_config(config)
    app = Flask("ssa", instance_path=str(config.INSTANCE_DIR))
    app.config.from_object(config)
    app.config["ENV_NAME"] = config.ENV_NAME
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    warn_if_development_outside_cli(config)
    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    passwords.configure(app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"])
    connection.init_app(app)
    errors.init_app(app)
    request_guards.init_app(app)
    security.init_app(app)
    housekeeping.init_app(app)
    early_warning_schedule.init_app(app)
    api.init_app(app)
    unsubscribe.init_app(app)
    sso.init_app(app)
    lti.init_app(app)
    docs_site.init_app(app)
    cli.init_app(app)
    if app.config["REDIS_URL"]:
        from server.celery_app import init_celery

        init_celery(app)
    else:
        jobs.init_app(app)
    dash_app = dashboard.init_app(app)
    headers.init_app(app, dash_app.csp_hashes)

    if app.config["AUTO_MIGRATE"]:
        with app.app_context():
            migrations.upgrade()
    return app


def warn_if_development_outside_cli(config: Config) -> None:
    """Log loudly when a server runs the development settings without being started for development."""
    started_for_development = (
        os.environ.get("FLASK_RUN_FROM_CLI") == "true" or os.environ.get("SSA_DEVELOPMENT_SERVER") == "1"
    )
    if config.ENV_NAME == "development" and not started_for_development:
        logging.getLogger("ssa").warning(
            "Running the DEVELOPMENT configuration (APP_ENV is not set): debug settings, cookies "
            "without Secure, auto-migration. Set APP_ENV=production with real secrets for a deployment."
        )


def settle_process() -> None:
    """Called once a serving or worker process has built its app: what start-up built (modules, models,
    the Dash layout) lives as long as the process, so it is kept out of every garbage collection, and
    collections come less often (a request's objects are freed by reference counting as it ends).
    A push of thousands of statements makes hundreds of thousands of objects: each collection would
    otherwise walk everything start-up built as well."""
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
