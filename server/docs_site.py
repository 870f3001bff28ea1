"""The product's documentation at /docs: the static site MkDocs builds from docs/ (./run.sh builds it
into DOCS_SITE_DIR), served from this origin with nothing fetched from elsewhere.

Each HTML page gets the same Content-Security-Policy as the rest of the app, with the hashes of the
theme's own inline scripts in that page (the theme writes a few; nothing else runs inline)."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, redirect, send_from_directory
from werkzeug.exceptions import NotFound

from server.headers import content_security_policy

bp = Blueprint("docs_site", __name__)
# An inline script is one without src; a JSON block (the theme's configuration) does not run.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", re.S)
NOT_BUILT = (
    "The documentation is not built on this server. Build it with `mkdocs build` "
    "(./run.sh does so at start), or read the pages under docs/ in the repository."
)


def inline_script_hashes(page: str) -> list[str]:
    """The CSP source expressions ('sha256-...') of a page's inline scripts."""
    found = []
    for body in INLINE_SCRIPT.findall(page):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        found.append(f"'sha256-{digest}'")
    return sorted(set(found))


@lru_cache(maxsize=256)
def _page_policy(path: str, _modified: float) -> str:
    """The policy for one built page (cached until the file changes)."""
    return content_security_policy(inline_script_hashes(Path(path).read_text(encoding="utf-8")))


@bp.get("/docs")
def docs_root() -> Response:
    """The site's pages link relative to /docs/."""
    return redirect("/docs/", code=308)


@bp.get("/docs/", defaults={"path": ""})
@bp.get("/docs/<path:path>")
def docs_file(path: str) -> Response:
    """A file of the built site; a folder's index.html for a page address."""
    site = Path(current_app.config["DOCS_SITE_DIR"])
    if not (site / "index.html").is_file():
        return Response(NOT_BUILT, status=404, mimetype="text/plain")
    if path and (site / path).is_dir() and not path.endswith("/"):
        return redirect(f"/docs/{path}/", code=308)
    if path == "" or path.endswith("/"):
        path += "index.html"
    try:
        response = send_from_directory(site, path)
    except NotFound:
        response = send_from_directory(site, "404.html")
        response.status_code = 404
        path = "404.html"
    if path.endswith(".html"):
        page = site / path
        response.headers["Content-Security-Policy"] = _page_policy(str(page), page.stat().st_mtime)
    return response


def init_app(app: Flask) -> None:
    """Serve the documentation site."""
    app.register_blueprint(bp)
