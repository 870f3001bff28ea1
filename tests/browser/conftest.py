"""Browser fixtures: dash[testing]'s Chromium driving the live server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

SCREENSHOT_DIR = Path(
    os.environ.get("SCREENSHOT_DIR", Path(__file__).parents[2] / "instance" / "screenshots")
)


class Page:
    """A thin helper over dash's Browser for the flows a person performs."""

    def __init__(self, browser, base_url: str) -> None:
        self.browser = browser
        self.driver = browser.driver
        self.base_url = base_url

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)
        self.browser.wait_for_element("#shell-navbar")

    def fill(self, selector: str, text: str) -> None:
        element = self.browser.wait_for_element(selector)
        element.send_keys(Keys.CONTROL, "a")
        element.send_keys(Keys.DELETE)
        element.send_keys(text)

    def click(self, selector: str) -> None:
        self.browser.wait_for_element(selector).click()

    def text(self, selector: str) -> str:
        return self.browser.wait_for_element(selector).text

    def wait_for_path(self, path: str, timeout: float = 10) -> None:
        WebDriverWait(self.driver, timeout).until(
            lambda d: d.current_url.split(self.base_url, 1)[-1] == path,
            message=f"expected {path}, at {self.driver.current_url}",
        )

    def wait_for_text(self, selector: str, fragment: str, timeout: float = 10) -> str:
        WebDriverWait(self.driver, timeout).until(
            lambda d: (
                fragment
                in (
                    d.find_element(By.CSS_SELECTOR, selector).text
                    if d.find_elements(By.CSS_SELECTOR, selector)
                    else ""
                )
            ),
            message=f"{fragment!r} never appeared in {selector}",
        )
        return self.text(selector)

    def sign_in(self, username: str, password: str) -> None:
        self.fill("#login-username", username)
        self.fill("#login-password", password)
        self.click("#login-submit")

    def sign_out(self) -> None:
        self.click("#shell-signout")
        self.wait_for_path("/login")

    def resource_hosts(self) -> set[str]:
        """Every URL the page loaded (scripts, styles, XHR), as origin strings."""
        urls = self.driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href])"
        )
        return {"/".join(url.split("/")[:3]) for url in urls}

    def screenshot(self, name: str) -> None:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SCREENSHOT_DIR / f"{name}.png"))


@pytest.fixture
def page(dash_br, live_server) -> Page:
    return Page(dash_br, live_server)
