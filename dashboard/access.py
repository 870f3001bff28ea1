"""Who is signed in to the dashboard, and what each page and callback lets them reach.

Pages declare `access` ("public", "user", "staff" for tutors and administrators, or "admin") in
`register_page`. A private page
opened while signed out redirects to sign in (server-side for a full load, in the layout
for in-app navigation); a page above the user's role renders "not allowed". Callbacks
need a valid access cookie and the CSRF header unless every output belongs to a public page,
an administrator when any output or input belongs to an admin page, and staff for a staff page.
Which courses a tutor sees is decided by the services (`services.courses.visible_courses`). A page's component
ids start with its id prefix: the module name with "-" for "_" (e.g. `at-risk-`), or the
`id_prefix` given to `register_page`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

import dash
from dash import dcc
from flask import Flask, current_app, g, redirect, request
from flask_jwt_extended import get_current_user, verify_jwt_in_request

import dashboard.callback_shape as callback_shape
from dashboard.components.shell import not_allowed
from db.tables import User
from server.callback_bodies import UPLOAD_CHECK
from server.security import signed_in_user
from services.errors import Forbidden

CALLBACK_PATH = "/_dash-update-component"
ACCESS_AUDIENCE = {"admin": "administrators", "staff": "tutors and administrators"}
PUBLIC_ID_PREFIXES = ("login-", "register-", "about-", "shell-", "_pages_")


def login_url(next_path: str) -> str:
    """The sign-in page that returns to `next_path` afterwards."""
    return f"/login?next={quote(next_path, safe='/')}"


def allowed(access: str, user: User | None) -> bool:
    """Whether `user` may open a page declaring `access`."""
    if access == "public":
        return True
    if user is None:
        return False
    return {"user": True, "staff": user.is_staff, "admin": user.is_admin}.get(access, False)


def page(access: str, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a page's layout so it only renders for those allowed; it receives `user`."""

    def decorate(render: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(render)
        def layout(**kwargs: Any) -> Any:
            user = signed_in_user()
            if access == "public":
                return render(user=user, **kwargs)
            if user is None:
                return dcc.Location(id="shell-redirect", href=login_url(path), refresh=True)
            if not allowed(access, user):
                return not_allowed()
            return render(user=user, **kwargs)

        return layout

    return decorate


def _output_ids(payload: dict[str, Any]) -> list[str]:
    outputs = payload.get("outputs") or []
    if isinstance(outputs, dict):
        outputs = [outputs]
    ids = []
    for output in outputs:
        if isinstance(output, list):
            ids.extend(_output_ids({"outputs": output}))
            continue
        component_id = output.get("id", "") if isinstance(output, dict) else ""
        ids.append(component_id.get("type", "") if isinstance(component_id, dict) else component_id)
    return ids


def _input_ids(payload: dict[str, Any]) -> list[str]:
    items = [*(payload.get("inputs") or []), *(payload.get("state") or [])]
    return _output_ids({"outputs": items})


def _is_public_callback(payload: dict[str, Any]) -> bool:
    ids = _output_ids(payload)
    return bool(ids) and all(str(i).startswith(PUBLIC_ID_PREFIXES) for i in ids)


def _highest_access(payload: dict[str, Any], prefixes: dict[str, str]) -> str:
    """The most restricted access of the pages whose components the callback touches."""
    ids = [str(i) for i in _output_ids(payload) + _input_ids(payload)]
    touched = {access for prefix, access in prefixes.items() if any(i.startswith(prefix) for i in ids)}
    return next((access for access in ("admin", "staff") if access in touched), "user")


def highest_access(ids: list[str]) -> str:
    """The most restricted access of the pages whose components these ids are."""
    return _highest_access({"inputs": [{"id": i} for i in ids]}, _restricted_prefixes())


def id_prefix(entry: dict[str, Any]) -> str:
    """The prefix of every component id on a registered page."""
    return entry.get("id_prefix") or entry["module"].split(".")[-1].replace("_", "-") + "-"


def _private_paths() -> set[str]:
    return {entry["path"] for entry in dash.page_registry.values() if entry.get("access", "user") != "public"}


def _restricted_prefixes() -> dict[str, str]:
    """Id prefix -> access, for every page above "user"."""
    restricted = ("staff", "admin")
    return {id_prefix(e): e["access"] for e in dash.page_registry.values() if e.get("access") in restricted}


def may_send_upload(output: str) -> bool:
    """Whether the signed-in user may send a file to the callback writing `output` (one of the
    callbacks reading an upload, on a page the user may open)."""
    ids = callback_shape.upload_ids(output)
    if ids is None:
        return False
    user = signed_in_user()
    return user is not None and allowed(highest_access(ids), user)


def init_app(server: Flask) -> None:
    """Guard full page loads and callbacks on the Flask server."""
    server.extensions[UPLOAD_CHECK] = may_send_upload
    private_paths: set[str] = set()
    restricted_prefixes: dict[str, str] = {}

    @server.before_request
    def guard_dashboard():
        if request.path == CALLBACK_PATH and request.method == "POST":
            payload = request.get_json(silent=True)
            why = callback_shape.problem(payload, current_app.extensions["dash_app"].callback_map)
            if why:
                raise callback_shape.MalformedCallback(why)
            if _is_public_callback(payload):
                return None
            verify_jwt_in_request(locations=["cookies"])
            g.dashboard_user = get_current_user()
            if not restricted_prefixes:
                restricted_prefixes.update(_restricted_prefixes())
            access = _highest_access(payload, restricted_prefixes)
            if not allowed(access, g.dashboard_user):
                raise Forbidden(f"This part of the dashboard is for {ACCESS_AUDIENCE[access]}.")
            return None
        if request.method == "GET" and not request.path.startswith(("/api/", "/_dash", "/assets/")):
            if not private_paths:
                private_paths.update(_private_paths())
            if request.path in private_paths and signed_in_user() is None:
                return redirect(login_url(request.full_path.rstrip("?")))
        return None
