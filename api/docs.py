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
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
<link rel="stylesheet" href="/api/docs/assets/docs-contrast.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/docs-init.js"></script>
</body></html>"""

# Without deep links: Swagger UI draws them as a link inside each operation's button (a control in a
# control, which screen readers cannot reach); the server choice gets the name its label lacks.
DOCS_INIT = """window.ui = SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#swagger-ui",
  deepLinking: false, validatorUrl: null, withCredentials: true});
new MutationObserver(function () {
  var servers = document.getElementById("servers");
  if (servers && !servers.getAttribute("aria-label")) { servers.setAttribute("aria-label", "Server"); }
}).observe(document.body, {subtree: true, childList: true});"""
# Swagger UI's white-on-light method badges and green texts, darkened to WCAG AA (4.5:1).
DOCS_CONTRAST = """.swagger-ui .opblock.opblock-get .opblock-summary-method { background: #1a65a8; }
.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #17734a; }
.swagger-ui .opblock.opblock-put .opblock-summary-method { background: #9a5208; }
.swagger-ui .opblock.opblock-delete .opblock-summary-method { background: #c0262d; }
.swagger-ui .opblock.opblock-patch .opblock-summary-method { background: #17705f; }
.swagger-ui .info .title small pre, .swagger-ui .version-stamp, .swagger-ui .info .title small {
  background: #4a6b00; }
.swagger-ui .info .url, .swagger-ui .info a { color: #1a5fa8; }
.swagger-ui .btn.authorize { color: #17734a; border-color: #17734a; }
.swagger-ui .btn.authorize svg { fill: #17734a; }
.swagger-ui .json-schema-2020-12-expand-deep-button { color: #505050; }
"""


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


@bp.get("/api/docs/assets/docs-contrast.css")
def docs_contrast() -> Response:
    """Swagger UI's colours darkened to readable contrast."""
    return Response(DOCS_CONTRAST, mimetype="text/css")


@bp.get("/api/docs/assets/<path:filename>")
def docs_assets(filename: str) -> Response:
    """Swagger UI's own files, served from this package."""
    return send_from_directory(ASSETS, filename)
