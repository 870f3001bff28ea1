"""The one error shape of every JSON response (API and Dash callbacks), and the handlers that produce it."""

from __future__ import annotations

import logging

import peewee
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from services.errors import RateLimited, ServiceError

log = logging.getLogger(__name__)

JSON_PATH_PREFIXES = ("/api/", "/_dash-")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class BadRequest(ServiceError):
    status, code = 400, "malformed"


class UnsupportedMediaType(ServiceError):
    status, code = 415, "unsupported_media_type"


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """`{"error": {"code", "message", "fields"}}` with the given status."""
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def wants_json() -> bool:
    """API and Dash callback requests always get JSON errors."""
    return request.path.startswith(JSON_PATH_PREFIXES)


def init_app(app: Flask) -> None:
    """Register handlers so no error reaches a client as HTML or a traceback."""

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return error_response(exc.status, exc.code, exc.message, exc.fields, headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response | HTTPException:
        if not wants_json():
            return exc
        status = exc.code or 500
        headers = {}
        if status == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        message = {
            404: "No such resource.",
            413: "The request body is too large.",
        }.get(status, exc.description or exc.name)
        return error_response(status, HTTP_CODES.get(status, "error"), message, headers=headers)

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    def database_down(exc: Exception) -> Response:
        log.error("database unavailable: %s", exc)
        return error_response(503, "database_unavailable", "The database is unavailable. Try again shortly.")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Something went wrong on our side. It has been logged.")
