"""Dashboard figures measured in headless Chromium (issue: dashboard for every signed-in user).

One student with 10,000 saved predictions (half exam scores, half dropout risks, over a year) among
200 other users with 20 each; gunicorn serves the app on loopback over SQLite. For My trends and
Records: the first render (navigation start to the figures or grid rows drawn, from the browser's
own clock) and a filter change (the filter set in the page to the new content drawn).

Run:  python -m tests.benchmarks.bench_dashboard [--records 10000] [--repeat 5] [--workers 1]
Targets: first render <= 1 s, filter change <= 300 ms. Needs Debian's chromium and chromium-driver.
"""

from __future__ import annotations

import argparse
import atexit
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "quartz-meadow-91"
OTHER_USERS = 200
PER_OTHER = 20

# Resolves with performance.now() once `ready()` holds (checked every animation frame).
WAIT_JS = """
const done = arguments[arguments.length - 1];
const ready = new Function(arguments[0]);
const limit = performance.now() + 30000;
(function poll() {
  if (ready()) { done(performance.now()); return; }
  if (performance.now() > limit) { done(-1); return; }
  requestAnimationFrame(poll);
})();
"""

# Changes a filter the way a person does, then resolves with the milliseconds until `ready()` holds.
CHANGE_JS = """
const done = arguments[arguments.length - 1];
const [selector, value, readyBody] = [arguments[0], arguments[1], arguments[2]];
const ready = new Function(readyBody);
const element = document.querySelector(selector);
const start = performance.now();
const proto = element.tagName === "SELECT" ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
Object.getOwnPropertyDescriptor(proto, "value").set.call(element, value);
element.dispatchEvent(new Event(element.tagName === "SELECT" ? "change" : "input", {bubbles: true}));
element.dispatchEvent(new FocusEvent("focusout", {bubbles: true}));
const limit = start + 30000;
(function poll() {
  if (ready()) { done(performance.now() - start); return; }
  if (performance.now() > limit) { done(-1); return; }
  requestAnimationFrame(poll);
})();
"""

TRENDS_READY = """
const drawn = (key) => document.querySelector(`#trends-${key}-count`)
  && document.querySelector(`#trends-${key}-graph .scatterlayer .trace`);
return drawn('examscore') && drawn('dropout');
"""
RECORDS_READY = """
const count = document.querySelector('#records-count');
return count && /records?/.test(count.textContent)
  && document.querySelectorAll('#records-grid .ag-row').length > 0;
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(records: int) -> None:
    """The bench student, their records over a year, and a cohort (run with the bench environment)."""
    from db.connection import database
    from db.tables import Record, utcnow
    from server.factory import create_app
    from services import accounts
    from tests.helpers import GOOD_DROPOUT, GOOD_EXAM

    app = create_app()
    rng = random.Random(5)
    now = utcnow()
    with app.app_context():
        student = accounts.register("bench-student", "bench-student@example.org", PASSWORD, "Bench Student")
        others = [
            accounts.register(f"peer{i}", f"peer{i}@example.org", PASSWORD, f"Peer {i}").id
            for i in range(OTHER_USERS)
        ]

        def row(user_id: int, index: int) -> dict:
            exam = index % 2 == 0
            value = 55 + rng.random() * 40 if exam else rng.random()
            if exam:
                level = "Very good" if value >= 75 else "Average" if value >= 65 else "Needs improvement"
            else:
                level = "High" if value >= 0.7 else "Medium" if value >= 0.4 else "Low"
            return {
                "user": user_id,
                "task": "exam-score" if exam else "dropout",
                "student_ref": f"S{index % 300}",
                "inputs": GOOD_EXAM if exam else GOOD_DROPOUT,
                "outputs": {"score": value} if exam else {"probability": value},
                "model_version": 1,
                "value": value,
                "level": level,
                "created_at": now - timedelta(minutes=rng.randrange(365 * 24 * 60)),
            }

        rows = [row(student.id, i) for i in range(records)]
        rows += [row(user_id, i) for user_id in others for i in range(PER_OTHER)]
        with database.atomic():
            for start in range(0, len(rows), 2000):
                Record.add_many(rows[start : start + 2000])


class Server:
    """gunicorn serving wsgi:app on a loopback port."""

    def __init__(self, env: dict[str, str], port: int, workers: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", "4"]
        command += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        for _ in range(300):
            try:
                urllib.request.urlopen(self.url + "/api/v1/health", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def sign_in(driver, url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url + "/login")
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "login-username"))
    time.sleep(0.5)
    driver.find_element(By.ID, "login-username").send_keys("bench-student")
    driver.find_element(By.ID, "login-password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 30).until(lambda d: d.current_url.rstrip("/") == url)


def first_render(driver, url: str, ready: str) -> float:
    driver.get(url)
    elapsed = driver.execute_async_script(WAIT_JS, ready)
    if elapsed < 0:
        raise RuntimeError(f"{url} never rendered")
    return elapsed


def change(driver, selector: str, value: str, ready: str) -> float:
    elapsed = driver.execute_async_script(CHANGE_JS, selector, value, ready)
    if elapsed < 0:
        raise RuntimeError(f"{selector} = {value!r} never rendered")
    return elapsed


def measure(url: str, repeat: int) -> dict[str, list[float]]:
    driver = browser()
    driver.set_script_timeout(60)
    figures: dict[str, list[float]] = {}
    try:
        sign_in(driver, url)
        first_render(driver, url + "/trends", TRENDS_READY)  # warm the browser cache once
        for _ in range(repeat):
            figures.setdefault("My trends, first render", []).append(
                first_render(driver, url + "/trends", TRENDS_READY)
            )
            count = driver.execute_script(
                "return document.querySelector('#trends-examscore-count').textContent"
            )
            dated = TRENDS_READY.replace(
                "return ",
                f"return document.querySelector('#trends-examscore-count').textContent !== '{count}' && ",
                1,
            )
            day = time.gmtime(time.time() - 90 * 86400)
            figures.setdefault("My trends, date filter change", []).append(
                change(driver, "#trends-from", time.strftime("%Y-%m-%d", day), dated)
            )
            figures.setdefault("Records, first render", []).append(
                first_render(driver, url + "/records", RECORDS_READY)
            )
            dropout_only = RECORDS_READY.replace(
                "return ",
                "return document.querySelector('#records-count').textContent !== '10,000 records' && "
                'document.querySelector(\'#records-grid .ag-row[row-index="0"] [col-id="task"]\')'
                "?.textContent === 'Dropout risk' && ",
                1,
            )
            figures.setdefault("Records, task filter change", []).append(
                change(driver, "#records-task", "dropout", dropout_only)
            )
    finally:
        driver.quit()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ssa-bench-dashboard-"))
    atexit.register(shutil.rmtree, workdir, True)  # its databases can take gigabytes
    env = {
        **os.environ,
        "APP_ENV": "development",
        "INSTANCE_DIR": str(workdir),
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "ARTIFACTS_DIR": str(workdir / "artifacts"),
        # Cheap password hashing: 201 accounts are created for the cohort.
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "8192",
    }
    os.environ.update(env)
    start = time.perf_counter()
    seed(args.records)
    print(
        f"seeded {args.records:,} records for one student (+{OTHER_USERS * PER_OTHER:,} for the cohort) "
        f"in {time.perf_counter() - start:.1f} s"
    )
    server = Server(env, free_port(), args.workers)
    try:
        figures = measure(server.url, args.repeat)
    finally:
        server.stop()
    targets = {"first render": 1000, "change": 300}
    print(f"\n{'figure':34} {'median ms':>10} {'max ms':>8}  target")
    for name, values in figures.items():
        target = next(v for k, v in targets.items() if k in name)
        print(f"{name:34} {statistics.median(values):10.0f} {max(values):8.0f}  <= {target} ms")
    print(f"\n{args.repeat} runs each; gunicorn -w {args.workers} --threads 4, SQLite, headless Chromium.")
    print(
        f"command: python -m tests.benchmarks.bench_dashboard --records {args.records} --repeat {args.repeat}"
    )


if __name__ == "__main__":
    main()
