"""The OpenAPI document and the interactive docs page, served with local assets."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, send_from_directory

from api.contract import operation
from api.openapi import build_openapi

bp = Blueprint("docs", __name__)
# Swagger UI 5 (it reads OpenAPI 3.1; the 4.x of the swagger-ui-bundle package does not), vendored
# from the npm package swagger-ui-dist: see docs_assets/README.md.
ASSETS = Path(__file__).parent / "docs_assets"

DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Student Success Analytics API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/docs-init.js"></script>
</body></html>"""

DOCS_INIT = """window.ui = SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#swagger-ui",
  deepLinking: true, validatorUrl: null, withCredentials: true});"""


@bp.get("/api/v1/openapi.json")
@operation(auth="public", tags=("docs",))
def openapi_document():
    """The OpenAPI 3 document of this API."""
    if "openapi_document" not in current_app.extensions:
        current_app.extensions["openapi_document"] = build_openapi(current_app)
    return jsonify(current_app.extensions["openapi_document"])


@bp.get("/api/docs")
def docs_page() -> Response:
    """Interactive API documentation (Swagger UI)."""
    return Response(DOCS_PAGE, mimetype="text/html")


@bp.get("/api/docs/assets/docs-init.js")
def docs_init() -> Response:
    """Swagger UI start-up script."""
    return Response(DOCS_INIT, mimetype="application/javascript")


@bp.get("/api/docs/assets/<path:filename>")
def docs_assets(filename: str) -> Response:
    """Swagger UI's own files, served from this package."""
    return send_from_directory(ASSETS, filename)
