"""Browser fixtures: dash[testing]'s Chromium driving the live server."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

# How long a wait lasts before it fails: long enough for a machine running both suites side by side
# (a wait that succeeds ends as soon as its condition holds, so only a failure takes this long).
WAIT = 40

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

    def _retry(self, selector: str, action) -> None:
        """Run `action(element)` on the element scrolled into view, retrying if Dash re-rendered it
        or something covered it for a moment."""
        for attempt in range(5):
            try:
                element = self.browser.wait_for_element(selector, timeout=WAIT)
                self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
                action(element)
                return
            except (StaleElementReferenceException, ElementClickInterceptedException):
                if attempt == 4:
                    raise
                time.sleep(0.2)

    def fill(self, selector: str, text: str) -> None:
        def type_into(element) -> None:
            element.send_keys(Keys.CONTROL, "a")
            element.send_keys(Keys.DELETE)
            element.send_keys(text)

        self._retry(selector, type_into)

    def click(self, selector: str) -> None:
        self._retry(selector, lambda element: element.click())

    def text(self, selector: str) -> str:
        """The element's text, found again if Dash re-rendered it between finding and reading."""
        found = self.until(
            lambda: (self.browser.wait_for_element(selector, timeout=WAIT).text,), f"no {selector}"
        )
        return found[0]

    def until(self, condition, message: str, timeout: float = WAIT):
        """Wait until `condition()` is truthy; a stale element (a re-render) means look again."""
        return WebDriverWait(
            self.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)
        ).until(lambda d: condition(), message=message)

    def wait_for_path(self, path: str, timeout: float = WAIT) -> None:
        WebDriverWait(self.driver, timeout).until(
            lambda d: d.current_url.split(self.base_url, 1)[-1] == path,
            message=f"expected {path}, at {self.driver.current_url}",
        )

    def wait_for_text(self, selector: str, fragment: str, timeout: float = WAIT) -> str:
        def current(driver) -> str:
            found = driver.find_elements(By.CSS_SELECTOR, selector)
            try:
                return found[0].text if found else ""
            except StaleElementReferenceException:
                return ""

        try:
            self.until(lambda: fragment in current(self.driver), "", timeout)
        except TimeoutException:
            raise AssertionError(
                f"{fragment!r} never appeared in {selector}; it shows {current(self.driver)!r}"
            ) from None
        return current(self.driver)

    def value(self, selector: str) -> str:
        return (
            self.until(
                lambda: (self.browser.wait_for_element(selector).get_attribute("value"),),
                f"no value in {selector}",
            )[0]
            or ""
        )

    def sign_in(self, username: str, password: str) -> None:
        """Type the credentials and submit, re-typing if the form was re-rendered meanwhile."""
        for _ in range(3):
            self.fill("#login-username", username)
            self.fill("#login-password", password)
            if self.value("#login-username") == username and self.value("#login-password") == password:
                break
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

    def screenshot(self, name: str, element_id: str | None = None) -> None:
        """The window as a person sees it: from the top, or scrolled to the element `element_id`."""
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        if element_id:
            self.driver.execute_script("document.getElementById(arguments[0]).scrollIntoView()", element_id)
        else:
            self.driver.execute_script("window.scrollTo(0, 0)")
        self.driver.save_screenshot(str(SCREENSHOT_DIR / f"{name}.png"))


@pytest.fixture
def page(dash_br, live_server) -> Page:
    return Page(dash_br, live_server)
