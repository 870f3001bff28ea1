"""The documentation at /docs in a real browser: its diagrams are drawn by the vendored Mermaid under
the app's Content-Security-Policy, with nothing fetched from another origin."""

from __future__ import annotations

import html
import re

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from tests.docs_site import built_site


def _diagram_sources(page_file) -> list[str]:
    """The Mermaid sources of a built page, as written in docs/."""
    found = re.findall(r'<pre class="mermaid"><code>(.*?)</code></pre>', page_file.read_text(), re.S)
    return [html.unescape(source) for source in found]

pytestmark = pytest.mark.browser


def test_architecture_diagrams_draw_offline(page, app, tmp_path_factory, monkeypatch):
    monkeypatch.setitem(app.config, "DOCS_SITE_DIR", built_site(tmp_path_factory))
    site = built_site(tmp_path_factory)
    sources = _diagram_sources(site / "architecture" / "index.html")
    assert len(sources) == 5
    others = _diagram_sources(site / "reference" / "index.html")
    page.driver.get(page.base_url + "/docs/architecture/")
    # The theme swaps each diagram's source for a drawing in a closed shadow root.
    WebDriverWait(page.driver, 30).until(
        lambda d: d.execute_script(
            "return !document.querySelector('pre.mermaid') && [...document.querySelectorAll('div.mermaid')]"
            ".filter(e => e.offsetHeight > 50).length"
        ) == 5,
        message="the architecture page's five diagrams were not drawn",
    )
    errors = page.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "Promise.all(arguments[0].map(s => mermaid.parse(s).then(() => null, e => String(e))))"
        ".then(done);",
        sources + others,
    )
    assert errors == [None] * len(sources + others)
    resources = page.driver.execute_script(
        "return performance.getEntriesByType('resource').map(r => r.name)"
    )
    assert resources and all(name.startswith(page.base_url) for name in resources), resources
    logs = [entry["message"] for entry in page.driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert logs == []
