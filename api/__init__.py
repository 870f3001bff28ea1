"""The JSON API under /api/v1: one blueprint per resource."""

from __future__ import annotations

import re

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
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
import api.users as users
import api.worklist as worklist
import api.xapi as xapi
from api.outcomes import across_bp as outcomes_across_bp
from api.outcomes import bp as outcomes_bp
from modelling.tasks import TASK_NAMES
from server.errors import error_response

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
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class IdConverter(IntegerConverter):
    """A database id in a path: up to 9 digits (longer cannot exist, so it is simply not found)."""

    regex = r"\d{1,9}"


class FormTaskConverter(BaseConverter):
    """A form task's name in a path. A course task's path (`/models/early-warning/...`) is its own route,
    with its own schemas: were it matched by `<task>` too, the document would promise it the form's."""

    regex = "|".join(re.escape(name) for name in TASK_NAMES)


def _fixed_text(rule: str) -> int:
    """How much of a route is fixed text (its converters taken out)."""
    return len(re.sub(r"<[^>]*>", "", rule))


def init_app(app: Flask) -> None:
    """Register every resource under /api/v1, the docs, and JSON 404/405 for unknown API paths."""
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["task"] = FormTaskConverter
    for blueprint in RESOURCE_BLUEPRINTS:
        app.register_blueprint(blueprint, url_prefix=API_PREFIX + blueprint.url_prefix)
    app.register_blueprint(docs.bp)
    api_blueprints = {blueprint.name for blueprint in RESOURCE_BLUEPRINTS} | {docs.bp.name}

    def api_methods() -> set[str]:
        """Methods that an API endpoint (not the dashboard's catch-all) serves on this path. Where a
        course code's path converter lets a shorter route match too (`/courses/<code>` for
        `/courses/X/score`), only the most specific route counts: the one with the most fixed text."""
        adapter = app.url_map.bind_to_environ(request.environ)
        by_rule: dict[str, set[str]] = {}
        for method in METHODS:
            try:
                rule, _ = adapter.match(method=method, return_rule=True)
            except HTTPException:
                continue
            if rule.endpoint.split(".")[0] in api_blueprints:
                by_rule.setdefault(rule.rule, set()).add(method)
        if not by_rule:
            return set()
        return by_rule[max(by_rule, key=_fixed_text)]

    @app.after_request
    def allowed_methods_of_the_api(response: Response) -> Response:
        """An OPTIONS answer on an API path lists the API's methods there, not the dashboard's GET."""
        if request.method == "OPTIONS" and request.path.startswith("/api/") and "Allow" in response.headers:
            allowed = api_methods()
            if "GET" in allowed:
                allowed.add("HEAD")
            response.headers["Allow"] = ", ".join(sorted(allowed | {"OPTIONS"}))
        return response

    def not_found_or_not_allowed() -> Response:
        allowed = api_methods()
        if allowed:
            return error_response(
                405,
                "method_not_allowed",
                "This method is not allowed here.",
                headers={"Allow": ", ".join(sorted(allowed))},
            )
        return error_response(404, "not_found", "No such resource.")

    @app.before_request
    def unknown_api_path():
        """An /api path that only the dashboard's catch-all matched."""
        if (
            request.path.startswith("/api/")
            and request.url_rule is not None
            and request.blueprint not in api_blueprints
        ):
            return not_found_or_not_allowed()
        return None

    @app.errorhandler(MethodNotAllowed)
    @app.errorhandler(NotFound)
    def routing_error(exc: HTTPException):
        if request.path.startswith("/api/"):
            return not_found_or_not_allowed()
        return exc
