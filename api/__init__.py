"""The JSON API under /api/v1: one blueprint per resource."""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.routing import BaseConverter, IntegerConverter

import api.activity as activity
import api.analytics as analytics
import api.auth as auth
import api.caliper as caliper
import api.courses as courses
import api.docs as docs
import api.health as health
import api.learners as learners
import api.lti as lti
import api.me as me
import api.model_versions as model_versions
import api.notifications as notifications
import api.predictions as predictions
import api.records as records
import api.unknown_paths as unknown_paths
import api.users as users
import api.worklist as worklist
import api.xapi as xapi
from api.outcomes import across_bp as outcomes_across_bp
from api.outcomes import bp as outcomes_bp
from modelling.tasks import TASK_NAMES

RESOURCE_BLUEPRINTS = [
    auth.bp,
    me.bp,
    notifications.bp,
    users.bp,
    health.bp,
    predictions.bp,
    records.bp,
    model_versions.bp,
    model_versions.jobs_bp,
    analytics.bp,
    activity.bp,
    courses.bp,
    courses.enrollments_bp,
    outcomes_bp,
    outcomes_across_bp,
    xapi.bp,
    caliper.bp,
    worklist.bp,
    learners.bp,
    lti.bp,
]
API_PREFIX = "/api/v1"


class IdConverter(IntegerConverter):
    """A database id in a path: up to 9 digits (longer cannot exist, so it is simply not found)."""

    regex = r"\d{1,9}"


class FormTaskConverter(BaseConverter):
    """A form task's name in a path. A course task's path (`/models/early-warning/...`) is its own route,
    with its own schemas: were it matched by `<task>` too, the document would promise it the form's."""

    regex = "|".join(re.escape(name) for name in TASK_NAMES)


def init_app(app: Flask) -> None:
    """Register every resource under /api/v1, the docs, and JSON 404/405 for unknown API paths."""
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["task"] = FormTaskConverter
    for blueprint in RESOURCE_BLUEPRINTS:
        app.register_blueprint(blueprint, url_prefix=API_PREFIX + blueprint.url_prefix)
    app.register_blueprint(docs.bp)
    api_blueprints = {blueprint.name for blueprint in RESOURCE_BLUEPRINTS} | {docs.bp.name}
    unknown_paths.init_app(app, api_blueprints)
