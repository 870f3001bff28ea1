"""Helpers shared by the administrator pages' browser tests."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from db.tables import Record, User, utcnow
from modelling.synthetic import generate_exam
from tests.helpers import PASSWORD


def sign_in(page, account) -> None:
    """Sign ACCOUNT in through the login page."""
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")


def wait(page, condition, message: str, timeout: float = 20):
    """Wait for CONDITION (re-tried through re-renders), failing with MESSAGE."""
    return page.until(condition, message, timeout)


def figure_data(page, selector: str) -> str:
    """The traces of the Plotly figure under SELECTOR, as JSON (None before it is drawn)."""
    return page.driver.execute_script(
        "const g = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "return g && g.data ? JSON.stringify(g.data) : null;",
        selector,
    )


def figure_title(page, selector: str) -> str:
    """The title of the Plotly figure under SELECTOR."""
    return page.driver.execute_script(
        "const t = document.querySelector(arguments[0] + ' .gtitle'); return t ? t.textContent : '';",
        selector,
    )


def download(page, name: str, timeout: float = 20) -> Path:
    """The downloaded file NAME, once it is complete."""
    path = Path(page.browser.download_path) / name
    wait(page, lambda: path.is_file() and path.stat().st_size > 0, f"{name} was not downloaded", timeout)
    time.sleep(0.3)
    return path


def choose(page, dropdown: str, option: str) -> None:
    """Pick OPTION in a Dash dropdown and close it."""
    page.click(dropdown)
    wait(
        page,
        lambda: any(
            o.text == option for o in page.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
        ),
        f"no option {option}",
    )
    next(
        o for o in page.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option") if o.text == option
    ).click()
    page.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)


def save_exam_predictions(app, account, count: int) -> None:
    """Save COUNT exam predictions of synthetic students as ACCOUNT."""
    from services import predictions

    frame = generate_exam(count, 17).drop(columns="exam_score")
    with app.app_context():
        user = User.get_by_id(account.id)
        for i, row in enumerate(frame.to_dict("records")):
            values = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
            predictions.predict("exam-score", values, user=user, save=True, student_ref=f"S{i % 12:02d}")


def click_in(page, graph: str, target: str, fx: float, fy: float) -> None:
    """Click at a fraction of an element inside a figure, at viewport coordinates (SVG elements are
    not reliable origins for WebDriver's pointer)."""
    outer = page.browser.wait_for_element(graph)
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", outer)
    box, inner = page.driver.execute_script(
        "const r = (e) => { const b = e.getBoundingClientRect();"
        " return [b.left, b.top, b.width, b.height]; };"
        "return [r(arguments[0]), r(arguments[0].querySelector(arguments[1]))];",
        outer,
        target,
    )
    x, y = int(inner[0] + inner[2] * fx), int(inner[1] + inner[3] * fy)
    actions = ActionBuilder(page.driver)
    actions.pointer_action.move_to_location(x - 2, y - 2).pause(0.2).move_to_location(x, y).pause(0.3).click()
    actions.perform()


def seed_dropout(app, account) -> None:
    """Save dropout predictions of synthetic students as ACCOUNT (a few checks each)."""
    now = utcnow()
    history = {"A1": [0.2, 0.9], "B2": [0.95, 0.3], "C3": [0.75], "D4": [0.5, 0.85], "E5": [0.1]}
    with app.app_context():
        for ref, values in history.items():
            for i, p in enumerate(values):
                Record.add(
                    user=account.id,
                    task="dropout",
                    student_ref=ref,
                    inputs={},
                    outputs={
                        "probability": p,
                        "top_factors": [f"Video events ({i}) raised the dropout risk."],
                    },
                    model_version=1,
                    value=p,
                    level="High" if p >= 0.7 else "Medium" if p >= 0.4 else "Low",
                    created_at=now - timedelta(days=len(values) - i),
                )
