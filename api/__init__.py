"""The JSON API under /api/v1: one blueprint per resource."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter

from api import (
    activity,
    analytics,
    auth,
    courses,
    docs,
    health,
    me,
    models,
    notifications,
    predictions,
    records,
    users,
    xapi,
)
from api.errors import error_response
from api.outcomes import bp as outcomes_bp

RESOURCE_BLUEPRINTS = [
    auth.bp,
    me.bp,
    notifications.bp,
    users.bp,
    health.bp,
    predictions.bp,
    records.bp,
    models.bp,
    models.jobs_bp,
    analytics.bp,
    activity.bp,
    courses.bp,
    courses.enrollments_bp,
    outcomes_bp,
    xapi.bp,
]
API_PREFIX = "/api/v1"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class IdConverter(IntegerConverter):
    """A database id in a path: up to 9 digits (longer cannot exist, so it is simply not found)."""

    regex = r"\d{1,9}"


def init_app(app: Flask) -> None:
    """Register every resource under /api/v1, the docs, and JSON 404/405 for unknown API paths."""
    app.url_map.converters["id"] = IdConverter
    for blueprint in RESOURCE_BLUEPRINTS:
        app.register_blueprint(blueprint, url_prefix=API_PREFIX + blueprint.url_prefix)
    app.register_blueprint(docs.bp)
    api_blueprints = {blueprint.name for blueprint in RESOURCE_BLUEPRINTS} | {docs.bp.name}

    def api_methods() -> set[str]:
        """Methods that an API endpoint (not the dashboard's catch-all) serves on this path."""
        adapter = app.url_map.bind_to_environ(request.environ)
        allowed = set()
        for method in METHODS:
            try:
                endpoint, _ = adapter.match(method=method)
            except HTTPException:
                continue
            if endpoint.split(".")[0] in api_blueprints:
                allowed.add(method)
        return allowed

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
