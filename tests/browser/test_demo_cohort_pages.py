"""A fresh install: each empty page says how rows get there; after seed-demo the pages show rows."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD

browser = pytest.mark.browser


def _sign_in(page, account) -> None:
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")


@browser
def test_empty_pages_explain_then_the_demo_cohort_fills_them(page, app, make_user, active_models):
    _sign_in(page, make_user("admin"))
    page.open("/records")
    page.wait_for_text("#records-grid", "No saved predictions yet")
    assert "seed-demo" in page.text("#records-grid")
    page.open("/at-risk")
    page.wait_for_text("#at-risk-grid", "No students yet")

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    page.open("/at-risk")
    page.wait_for_text("#at-risk-grid", "DEMO-", timeout=20)
    page.open("/records")
    page.wait_for_text("#records-grid", "DEMO-", timeout=20)
