"""JSON 404 and 405 answers for /api paths no API endpoint serves, and OPTIONS listing the API's methods.

The dashboard's catch-all route matches every path, so an unknown /api path would otherwise get the
dashboard's page; these hooks answer it as the API answers everything: in its error shape."""

from __future__ import annotations

import re

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from server.errors import error_response

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_BLUEPRINTS = "api_blueprints"  # app.extensions key: the names of the API's blueprints


def init_app(app: Flask, api_blueprints: set[str]) -> None:
    """Answer unknown /api paths and wrong methods in the API's error shape."""
    app.extensions[_BLUEPRINTS] = frozenset(api_blueprints)
    app.after_request(allowed_methods_of_the_api)
    app.before_request(unknown_api_path)
    app.register_error_handler(MethodNotAllowed, routing_error)
    app.register_error_handler(NotFound, routing_error)


def api_methods() -> set[str]:
    """Methods that an API endpoint (not the dashboard's catch-all) serves on this path. Where a
    course code's path converter lets a shorter route match too (`/courses/<code>` for
    `/courses/X/score`), only the most specific route counts: the one with the most fixed text."""
    api_blueprints = current_app.extensions[_BLUEPRINTS]
    adapter = current_app.url_map.bind_to_environ(request.environ)
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


def _fixed_text(rule: str) -> int:
    """How much of a route is fixed text (its converters taken out)."""
    return len(re.sub(r"<[^>]*>", "", rule))


def allowed_methods_of_the_api(response: Response) -> Response:
    """An OPTIONS answer on an API path lists the API's methods there, not the dashboard's GET."""
    if request.method == "OPTIONS" and request.path.startswith("/api/") and "Allow" in response.headers:
        allowed = api_methods()
        if "GET" in allowed:
            allowed.add("HEAD")
        response.headers["Allow"] = ", ".join(sorted(allowed | {"OPTIONS"}))
    return response


def not_found_or_not_allowed() -> Response:
    """405 with Allow where the API serves this path with other methods, else 404."""
    allowed = api_methods()
    if allowed:
        return error_response(
            405,
            "method_not_allowed",
            "This method is not allowed here.",
            headers={"Allow": ", ".join(sorted(allowed))},
        )
    return error_response(404, "not_found", "No such resource.")


def unknown_api_path():
    """An /api path that only the dashboard's catch-all matched."""
    if (
        request.path.startswith("/api/")
        and request.url_rule is not None
        and request.blueprint not in current_app.extensions[_BLUEPRINTS]
    ):
        return not_found_or_not_allowed()
    return None


def routing_error(exc: HTTPException):
    """Werkzeug's own 404 and 405, in the API's error shape on /api paths."""
    if request.path.startswith("/api/"):
        return not_found_or_not_allowed()
    return exc
