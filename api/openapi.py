"""Build the OpenAPI 3.1 document from the operations declared with `api.contract.operation`."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api.contract import Operation
from api.schemas.common import ErrorResponse
from modelling.tasks import TASK_NAMES
from services import api_keys

REF_TEMPLATE = "#/components/schemas/{model}"
RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>\w+)>")
ERROR_DESCRIPTIONS = {
    400: "Malformed request.",
    401: "Not signed in, or the token is expired, revoked or invalid.",
    403: "Signed in but not allowed (wrong role, CSRF check failed, or account deactivated).",
    404: "No such resource (also for another user's record).",
    409: "Conflicts with existing data.",
    413: "The request body is too large.",
    415: "Wrong content type.",
    422: "Invalid values; `error.fields` names each wrong field.",
    429: "Too many attempts; see Retry-After.",
    503: "A dependency (the database) is down.",
}
ROLES_BY_AUTH = {
    "public": [],
    "user": ["student", "tutor", "admin"],
    "staff": ["tutor", "admin"],
    "refresh": ["student", "tutor", "admin"],
    "admin": ["admin"],
    "ingest": ["admin"],  # or an API key with the ingest scope (see `x-api-key-scopes`)
    "lrs": [],  # an API key with the ingest scope, by HTTP Basic
    "sensor": [],  # an API key with the ingest scope, as a header, a bearer token or the key parameter
}
SECURITY_BY_AUTH = {
    "public": [],
    "ingest": [{"apiKeyAuth": []}, {"bearerAuth": []}, {"cookieAuth": []}],
    "lrs": [{"basicAuth": []}],
    "sensor": [{"apiKeyAuth": []}, {"keyBearerAuth": []}, {"apiKeyQuery": []}],
}
JWT_SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]
CONVERTER_SCHEMAS = {
    "int": {"type": "integer"},
    "id": {"type": "integer", "minimum": 0, "maximum": 999_999_999},
    "float": {"type": "number"},
    "task": {"type": "string", "enum": list(TASK_NAMES)},
}


def _models(operations: list[Operation]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = [ErrorResponse]
    for op in operations:
        for model in (op.body, op.response):
            if model is not None and model not in found:
                found.append(model)
    return found


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": {k: v for k, v in prop.items() if k != "title"},
            **({"description": prop["description"]} if "description" in prop else {}),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _error_statuses(op: Operation, has_path_args: bool) -> list[int]:
    statuses = {400, 422, 503, *op.errors}  # 400: a NUL in the path or query, on any endpoint
    if op.auth != "public":
        statuses |= {401, 403}
    if op.body is not None:
        statuses |= {400, 413, 415}
    if has_path_args:
        statuses.add(404)
    return sorted(statuses)


def _operation_document(view: Any, op: Operation, path_args: list[dict]) -> dict[str, Any]:
    summary = (view.__doc__ or "").strip().splitlines()[0] if view.__doc__ else view.__name__
    document: dict[str, Any] = {
        "summary": summary,
        "operationId": view.__name__,
        "tags": list(op.tags),
        "parameters": path_args + (_query_parameters(op.query) if op.query else []),
        "responses": {},
    }
    document["security"] = SECURITY_BY_AUTH.get(op.auth, JWT_SECURITY)
    document["x-roles"] = ROLES_BY_AUTH[op.auth]
    if op.auth in ("ingest", "lrs", "sensor"):
        document["x-api-key-scopes"] = ["ingest"]
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": REF_TEMPLATE.format(model=op.body.__name__)}}
            },
        }
    if op.raw_body:
        document["requestBody"] = {
            "required": False,
            "content": {media: {"schema": schema} for media, schema in op.raw_body.items()},
        }
        statuses_extra = {400, 413, 415}
    else:
        statuses_extra = set()
    success: dict[str, Any] = {"description": "Success."}
    if op.raw_response:
        success["content"] = {op.raw_response: {"schema": {"type": "string"}}}
    elif op.response is not None:
        success["content"] = {
            "application/json": {"schema": {"$ref": REF_TEMPLATE.format(model=op.response.__name__)}}
        }
    document["responses"][str(op.status)] = success
    for status in sorted(set(_error_statuses(op, bool(path_args))) | statuses_extra):
        document["responses"][str(status)] = {
            "description": ERROR_DESCRIPTIONS.get(status, "Error."),
            "content": {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(model="ErrorResponse")}}},
        }
    return document


# Every way a request may authenticate, named as the operations' `security` lists name them.
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "apiKeyAuth": {
        "type": "apiKey",
        "in": "header",
        "name": api_keys.HEADER,
        "description": "A platform's key (created by an administrator); only for pushing activity.",
    },
    "keyBearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "API key",
        "description": "An ingest key as a bearer token (how Caliper sensors authenticate).",
    },
    "apiKeyQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "key",
        "description": "An ingest key in the URL, for webhooks that send no header (Canvas Live Events).",
    },
    "basicAuth": {
        "type": "http",
        "scheme": "basic",
        "description": "An ingest key as an LRS credential: its prefix as user, the key as password.",
    },
}


def build_openapi(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of every endpoint declared with `operation`."""
    spec = APISpec(
        title="Student Success Analytics API",
        version="1",
        openapi_version="3.1.0",
        info={
            "description": (
                "Predict and explain exam scores and dropout risk. Sign in with "
                "`POST /api/v1/auth/login` and send `Authorization: Bearer <access_token>`. "
                'Every error has the shape `{"error": {"code", "message", "fields"}}`.'
            )
        },
        servers=[{"url": "/"}],
    )
    cookie_name = app.config.get("JWT_ACCESS_COOKIE_NAME", "access_token_cookie")
    cookie = {"type": "apiKey", "in": "cookie", "name": cookie_name}
    # The browser's cookie second, as it always was listed (updating a key keeps its place).
    schemes = {"bearerAuth": None, "cookieAuth": cookie, **SECURITY_SCHEMES}
    for name, scheme in schemes.items():
        spec.components.security_scheme(name, scheme)
    paths, operations = _paths(app)
    _, definitions = models_json_schema(
        [(model, "validation") for model in _models(operations)], ref_template=REF_TEMPLATE
    )
    for name, schema in definitions.get("$defs", {}).items():
        spec.components.schema(name, schema)
    for path, path_operations in paths.items():
        spec.path(path=path, operations=path_operations)
    return spec.to_dict()


def _paths(app: Flask) -> tuple[dict[str, dict[str, Any]], list[Operation]]:
    """Each declared endpoint's document by path and method, and the operations met."""
    paths: dict[str, dict[str, Any]] = {}
    operations: list[Operation] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op = getattr(view, "openapi_operation", None)
        if op is None:
            continue
        operations.append(op)
        path_args = [
            {
                "name": m.group("name"),
                "in": "path",
                "required": True,
                "schema": CONVERTER_SCHEMAS.get(m.group("converter") or "", {"type": "string"}),
            }
            for m in RULE_ARGUMENT.finditer(rule.rule)
        ]
        path = RULE_ARGUMENT.sub(lambda m: "{" + m.group("name") + "}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation_document(view, op, path_args)
    return paths, operations
