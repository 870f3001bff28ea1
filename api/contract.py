"""Declare an endpoint's contract once: auth, request and response schemas.

The `operation` decorator validates requests with the declared pydantic models, checks
sign-in and role, shapes the response through the response model, and records all of it
on the view so `api.openapi` can build the OpenAPI document from the same declarations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal

from flask import Response, g, jsonify, request
from flask_jwt_extended import current_user, get_current_user, verify_jwt_in_request
from flask_jwt_extended.exceptions import NoAuthorizationError
from pydantic import BaseModel, ValidationError

from db.api_keys import ApiKey
from db.tables import User
from server.errors import BadRequest, UnsupportedMediaType
from services import api_keys
from services.errors import Forbidden, InvalidInput, Unauthenticated

# "ingest": an API key with the ingest scope (X-API-Key), or a signed-in administrator. Every other
# kind reads only the JWT: an API key sent to it counts for nothing.
# "staff": a tutor or an administrator; which courses a tutor reaches is the services' rule.
# "lrs": an API key with the ingest scope by HTTP Basic (the xAPI statements resource; no cookie, no CSRF).
# "sensor": an API key with the ingest scope as X-API-Key, `Authorization: Bearer <key>` or the `key` query
# parameter (the Caliper endpoint: sensors send a bearer key; a webhook such as Canvas's sends no header).
Auth = Literal["public", "user", "staff", "admin", "refresh", "ingest", "lrs", "sensor"]


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document needs to know about one endpoint."""

    auth: Auth
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    raw_body: dict[str, Any] = field(default_factory=dict)
    raw_response: str | None = None


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic errors as {field: reason}, one reason per field."""
    fields: dict[str, str] = {}
    for err in exc.errors():
        name = ".".join(str(part) for part in err["loc"]) or "body"
        fields.setdefault(name, err["msg"])
    return fields


def parse_json_body(model: type[BaseModel]) -> BaseModel:
    """The request's JSON body validated by `model` (415, 400 or 422 otherwise)."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as application/json.")
    # Not silent: a body that is too large (413), too deep or holds a NUL (400) says so.
    data = request.get_json()
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("Some fields are invalid.", field_errors(exc)) from None


def parse_query(model: type[BaseModel]) -> BaseModel:
    """The query string validated by `model` (422 otherwise)."""
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise InvalidInput("Some query parameters are invalid.", field_errors(exc)) from None


def authorize(auth: Auth) -> None:
    """Check the caller's key or token and role for this endpoint."""
    if auth == "public":
        return
    if auth == "lrs":
        g.api_key = api_keys.authenticate_basic(request.authorization)
        return
    if auth == "sensor":
        g.api_key = api_keys.authenticate_sensor(
            request.headers.get(api_keys.HEADER), request.authorization, request.args.get("key"))
        return
    key = request.headers.get(api_keys.HEADER)
    if auth == "ingest" and key is not None:
        g.api_key = api_keys.authenticate(key, "ingest")
        return
    try:
        verify_jwt_in_request(refresh=auth == "refresh")
    except NoAuthorizationError:
        if key is not None:
            raise Unauthenticated(
                "An API key can only push activity (POST /api/v1/activity); sign in for this endpoint.",
                code="api_key_not_accepted",
            ) from None
        raise
    if auth in ("admin", "ingest") and not current_user.is_admin:
        raise Forbidden("Administrators only.")
    if auth == "staff" and not current_user.is_staff:
        raise Forbidden("Tutors and administrators only.")


def current_actor() -> ApiKey | User:
    """Who is calling an "ingest" endpoint: the API key, or the signed-in administrator."""
    return g.get("api_key") or get_current_user()


def render(op: Operation, result: Any) -> Response:
    """Turn a view's return value into a JSON response shaped by the response model."""
    if isinstance(result, Response):
        return result
    status = op.status
    if isinstance(result, tuple):
        result, status = result
    if op.response is None:
        response = jsonify(result)
        response.status_code = status
        return response
    shaped = op.response.model_validate(result, from_attributes=True)
    return Response(shaped.model_dump_json(), status=status, mimetype="application/json")


def operation(
    *,
    auth: Auth = "user",
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    tags: tuple[str, ...] = (),
    raw_body: dict[str, Any] | None = None,
    raw_response: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Declare and enforce an endpoint's contract; the view gets `body`/`query` models.

    `raw_body` documents a non-JSON request body ({media type: schema}) that the view reads itself;
    `raw_response` names the media type of a non-JSON success response."""
    op = Operation(auth, body, query, response, status, errors, tags, raw_body or {}, raw_response)

    def decorate(view: Callable[..., Any]) -> Callable[..., Response]:
        @wraps(view)
        def wrapper(**path_args: Any) -> Response:
            authorize(op.auth)
            kwargs = dict(path_args)
            if op.query is not None:
                kwargs["query"] = parse_query(op.query)
            if op.body is not None:
                kwargs["body"] = parse_json_body(op.body)
            return render(op, view(**kwargs))

        wrapper.openapi_operation = op  # type: ignore[attr-defined]
        return wrapper

    return decorate
