"""The product's documentation: built with warnings as errors (broken links and anchors included),
served by the app at /docs with nothing loaded from another origin."""

from __future__ import annotations

import re

import pytest
import yaml

from server.docs_site import inline_script_hashes
from tests.docs_site import ROOT, build_output, built_site

# Anything the browser would fetch to draw a page: scripts, stylesheets, fonts, preconnects.
EXTERNAL_ASSET = re.compile(
    r"<script[^>]*\bsrc=\"(?:https?:)?//|<link[^>]*\bhref=\"(?:https?:)?//|@import\s+url\(\"?(?:https?:)?//"
    r"|url\(\"?(?:https?:)?//",
    re.I,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return built_site(tmp_path_factory)


def _nav_files(nav) -> list[str]:
    files = []
    for item in nav:
        for value in item.values():
            files += _nav_files(value) if isinstance(value, list) else [value]
    return files


def test_the_site_builds_strict_and_lists_every_page(site):
    assert "WARNING" not in build_output()
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    in_nav = set(_nav_files(config["nav"]))
    on_disk = {path.name for path in (ROOT / "docs").glob("*.md")}
    assert on_disk == in_nav, "every page under docs/ is in the navigation, and only those"
    for name in in_nav:
        page = "index.html" if name == "index.md" else f"{name[:-3]}/index.html"
        assert (site / page).is_file(), page


def test_no_page_loads_anything_from_another_origin(site):
    pages = list(site.rglob("*.html")) + list(site.rglob("*.css"))
    assert len(pages) > 20
    for path in pages:
        text = path.read_text(encoding="utf-8")
        assert not EXTERNAL_ASSET.search(text), f"{path.relative_to(site)}: {EXTERNAL_ASSET.search(text)[0]}"
    assert (site / "assets" / "javascripts" / "mermaid.min.js").is_file()
    assert "fonts.googleapis" not in (site / "index.html").read_text()


def test_the_app_serves_the_site_at_docs(app, client, site, monkeypatch):
    monkeypatch.setitem(app.config, "DOCS_SITE_DIR", site)
    moved = client.get("/docs")
    assert moved.status_code == 308 and moved.headers["Location"].endswith("/docs/")

    home = client.get("/docs/")
    assert home.status_code == 200 and home.mimetype == "text/html"
    assert "Student Success Analytics" in home.text and "Product reference" in home.text
    # The page's own inline scripts are allowed by hash; nothing else runs.
    policy = home.headers["Content-Security-Policy"]
    scripts = policy.split("script-src")[1].split(";")[0]
    assert scripts.startswith(" 'self' 'sha256-") and "unsafe-inline" not in scripts
    for digest in inline_script_hashes(home.text):
        assert digest in policy

    architecture = client.get("/docs/architecture/")
    assert architecture.status_code == 200 and 'class="mermaid"' in architecture.text
    assert client.get("/docs/architecture").status_code == 308
    script = client.get("/docs/assets/javascripts/mermaid.min.js")
    assert script.status_code == 200 and len(script.data) > 1_000_000

    missing = client.get("/docs/no-such-page/")
    assert missing.status_code == 404 and "Student Success Analytics" in missing.text
    assert client.get("/docs/../wsgi.py").status_code == 404
    assert client.get("/docs/%2e%2e/wsgi.py").status_code == 404


def test_docs_not_built_says_how_to_build_them(app, client, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "DOCS_SITE_DIR", tmp_path / "nothing")
    answer = client.get("/docs/")
    assert answer.status_code == 404 and "mkdocs build" in answer.text
