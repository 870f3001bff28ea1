"""The interactive API docs render the OpenAPI 3.1 document in the browser."""

from __future__ import annotations

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.browser


def _operations(live_server: str) -> set[tuple[str, str]]:
    document = requests.get(f"{live_server}/api/v1/openapi.json", timeout=10).json()
    assert document["openapi"].startswith("3.1")
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def _listed(driver) -> set[tuple[str, str]]:
    listed = set()
    for block in driver.find_elements(By.CSS_SELECTOR, ".opblock"):
        method = block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text
        path = block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path")
        listed.add((method, path))
    return listed


def test_every_operation_is_listed_and_one_expands(page, live_server):
    expected = _operations(live_server)
    page.driver.get(f"{live_server}/api/docs")
    wait = WebDriverWait(page.driver, 20)
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= len(expected))
    body = page.driver.find_element(By.TAG_NAME, "body").text
    assert "Unable to render" not in body and "does not specify a valid version" not in body
    assert _listed(page.driver) == expected
    page.screenshot("api-docs")

    login = page.driver.find_element(
        By.XPATH, "//div[contains(@class,'opblock')][.//*[@data-path='/api/v1/auth/login']]"
    )
    login.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait.until(lambda d: login.find_elements(By.CSS_SELECTOR, ".opblock-body .responses-wrapper"))
    assert "429" in login.find_element(By.CSS_SELECTOR, ".responses-wrapper").text
