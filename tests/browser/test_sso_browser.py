"""The sign-in page with a single sign-on provider: the button at desktop and phone widths, axe clean,
the full round trip through a real provider in Chromium, a refusal's reason, and local passwords off."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By

from server.sso_settings import parse_providers
from tests.browser import axe
from tests.oidc_provider import provider_setting, start_provider

BUTTON = "#login-sso-campus"


@pytest.fixture
def campus(app, monkeypatch):
    provider, server = start_provider()
    monkeypatch.setitem(
        app.config, "OIDC_PROVIDERS", parse_providers(json.dumps([provider_setting(provider)]))
    )
    provider.reset({"sub": "campus-7", "email": "grace@campus.example", "preferred_username": "grace"})
    yield provider
    server.shutdown()


def _fits(page, selector: str) -> bool:
    """The element is shown and lies inside the window's width."""
    return page.driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return r.width > 0 && r.left >= 0 && r.right <= document.documentElement.clientWidth;",
        selector,
    )


def test_sign_in_with_the_provider_from_the_sign_in_page(page, campus, app, monkeypatch):
    source = axe.script()
    page.open("/login?next=/profile")
    for width in (1280, 390):
        page.driver.set_window_size(width, 900)
        assert page.wait_for_text(BUTTON, "Sign in with Campus account")
        assert page.until(lambda: _fits(page, BUTTON), f"the provider button overflows at {width} px")
        assert page.driver.find_elements(By.CSS_SELECTOR, "#login-username")  # passwords still on
        found = axe.violations(page, source)
        assert not found, f"{width} px:\n{axe.describe(found)}"
    page.driver.set_window_size(1280, 900)

    page.click(BUTTON)  # to the provider on its own port, and back signed in
    page.wait_for_path("/profile", timeout=20)
    page.browser.wait_for_element("#shell-signout")
    assert campus.authorize_requests and campus.token_requests

    page.sign_out()
    page.open("/login?sso_error=audience")
    page.wait_for_text("#login-message", "issued for another application")
    monkeypatch.setitem(app.config, "LOCAL_PASSWORDS", False)
    page.open("/login")
    page.wait_for_text(BUTTON, "Sign in with Campus account")
    assert not page.driver.find_elements(By.CSS_SELECTOR, "#login-username")
    assert not page.driver.find_elements(By.CSS_SELECTOR, "#login-register-link")
