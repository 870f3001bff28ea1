"""Checks on what any client sends, applied before a view or Dash reads it: body size limits,
JSON nesting depth, NUL characters, and unknown Dash asset paths."""

from __future__ import annotations

import json
import re
from typing import Any

from dash.exceptions import DependencyException
from flask import Flask, Request, Response, current_app, has_request_context, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

from db.text import UNSTORABLE_TEXT, storable
from server.callback_bodies import callback_limit
from server.errors import BadRequest, error_response

MAX_JSON_DEPTH = 64
# What a body must hold for any of its strings to hold a NUL or a lone surrogate: an escaped or raw NUL,
# an escaped surrogate, a surrogate's UTF-8 bytes; or, in another encoding (UTF-16, UTF-32), zero bytes.
_UNSTORABLE_BYTES = re.compile(rb"\\u0000|\x00|\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
_UNSTORABLE_CHARS = re.compile(r"\\u0000|\x00|\\u[dD][89a-fA-F]|[\ud800-\udfff]")
DASH_CALLBACK_PATHS = ("/_dash-update-component",)


class RejectedJSON(ValueError):
    """A JSON body that parses but that the app refuses to read."""


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, except that parsing refuses deep nesting and text that cannot be
    stored (NUL, lone surrogates)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse `s`; raise RejectedJSON when it is too deep or holds text that cannot be stored."""
        try:
            data = json.loads(s, **kwargs)
        except RecursionError:
            raise RejectedJSON(f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels.") from None
        check_json_value(data, _item_lists(), body=s)
        return data


def _item_lists() -> tuple[str, ...]:
    """The body's lists whose items the endpoint checks one by one (its body model's ITEM_LISTS):
    a bad item there is reported by its index, not by refusing the whole body."""
    if not has_request_context():
        return ()
    view = current_app.view_functions.get(request.endpoint or "")
    body = getattr(getattr(view, "openapi_operation", None), "body", None)
    return getattr(body, "ITEM_LISTS", ())


class GuardedRequest(Request):
    """Flask's request whose JSON errors speak the API's one error shape."""

    def get_data(self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False) -> Any:
        """The body; 413 when a body without Content-Length (chunked) reaches the limit."""
        data = super().get_data(cache=cache, as_text=False, parse_form_data=parse_form_data)
        limit = self.max_content_length
        # Werkzeug stops reading a chunked body at the limit and returns the truncated bytes.
        if limit is not None and self.content_length is None and len(data) >= limit:
            raise RequestEntityTooLarge()
        return data.decode(errors="replace") if as_text else data

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        """Answer 400 with why the body was refused."""
        if isinstance(e, RejectedJSON):
            raise BadRequest(str(e))
        raise BadRequest("The request body is not valid JSON.")


def check_json_value(data: Any, item_lists: tuple[str, ...] = (), body: str | bytes | None = None) -> None:
    """Raise RejectedJSON if `data` nests deeper than MAX_JSON_DEPTH or any string holds a NUL or a
    lone surrogate (the database cannot store them, and no field of this app needs them); the text
    inside the top-level lists named by `item_lists` is left to the endpoint's per-item checks. With
    the `body` that `data` was parsed from, a body that cannot hold such text has its nesting checked
    alone (the strings are not visited: a push of thousands of statements holds hundreds of thousands)."""
    if body is not None and not _may_hold_unstorable(body):
        _check_depth(data)
        return
    stack = [(data, 1, True)]
    if isinstance(data, dict) and item_lists:
        per_item = {name for name in item_lists if isinstance(data.get(name), list)}
        stack = [(key, 2, True) for key in data]
        stack += [(value, 2, name not in per_item) for name, value in data.items()]
    while stack:
        value, depth, text_checked = stack.pop()
        if isinstance(value, str):
            if text_checked and not storable(value):
                raise RejectedJSON(f"Text may not contain {UNSTORABLE_TEXT}.")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise RejectedJSON(f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels.")
        items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        stack.extend((item, depth + 1, text_checked) for item in items)


def _may_hold_unstorable(body: str | bytes) -> bool:
    pattern = _UNSTORABLE_BYTES if isinstance(body, bytes) else _UNSTORABLE_CHARS
    return pattern.search(body) is not None


def _check_depth(data: Any) -> None:
    """Raise RejectedJSON if a list or object of `data` sits deeper than MAX_JSON_DEPTH."""
    stack = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise RejectedJSON(f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels.")
        items = value.values() if isinstance(value, dict) else value
        stack.extend([(item, depth + 1) for item in items if isinstance(item, dict | list)])


def accepts_upload() -> bool:
    """True for the file upload endpoints; every other body gets a small limit (a Dash callback
    its own: see `server.callback_bodies`)."""
    view = current_app.view_functions.get(request.endpoint or "")
    operation = getattr(view, "openapi_operation", None)
    return operation is not None and bool(operation.raw_body)


def _body_limit_setting() -> str | None:
    """The setting (in KB) that the endpoint's body model names as its own size limit (BODY_LIMIT):
    a list of up to thousands of items needs more than the small JSON limit."""
    view = current_app.view_functions.get(request.endpoint or "")
    body = getattr(getattr(view, "openapi_operation", None), "body", None)
    return getattr(body, "BODY_LIMIT", None)


def refuse_nul_in_url() -> None:
    """400 for a NUL character in the path or in any query parameter's name or value."""
    if "\x00" in request.path or any(
        "\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)
    ):
        raise BadRequest("The address may not contain the NUL character (%00).")


def init_app(app: Flask) -> None:
    """Install the guarded JSON parsing and the per-request checks."""
    app.json = GuardedJSONProvider(app)
    app.request_class = GuardedRequest

    @app.before_request
    def guard_request() -> None:
        refuse_nul_in_url()
        if request.path in DASH_CALLBACK_PATHS and request.method == "POST":
            request.max_content_length = callback_limit()
        elif accepts_upload():
            request.max_content_length = current_app.config["MAX_UPLOAD_BYTES"]
        elif setting := _body_limit_setting():
            request.max_content_length = current_app.config[setting] * 1024

    @app.errorhandler(DependencyException)
    def unknown_asset(_exc: DependencyException) -> Response:
        return error_response(404, "not_found", "No such resource.")
