"""Retake the documentation's screenshots from the demo data.

Sets up a fresh instance in a temporary folder as ./run.sh does (SQLite, APP_ENV=development, the
demo courses, models, accounts and cohort), serves it with gunicorn on a free local port, signs in
as each demo role in headless Chromium and saves one 1280 px wide PNG per shot of `SHOTS`:

    python scripts/docs_screenshots.py [--out docs/screenshots] [--only NAME ...] [--workdir DIR]

`--workdir` keeps the instance in DIR (set up again only where something is missing), so that a
second run skips training the models.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from screenshot_shots import SHOTS, Shot  # noqa: E402

from services.demo_setup import DEMO_USERS  # noqa: E402

# Each demo role's username and password, as ./run.sh prints them.
ROLES = {role: (username, password) for username, _email, password, _name, role in DEMO_USERS}
WIDTH, HEIGHT = 1280, 900
# How long a page may take to settle before the run fails (a settled page ends the wait at once).
WAIT = 60
# The run.sh steps, in its order: the schema, the demo courses, the models, then accounts and cohort.
SETUP_COMMANDS = (
    ("db-upgrade",),
    ("seed-demo", "--courses-only"),
    ("ensure-models",),
    ("seed-demo",),
)
# True once Dash has nothing left to do: no callback in flight, no spinner, every graph drawn.
SETTLED_JS = """
const ready = arguments[0];
if (document.readyState !== "complete") return false;
if (ready && !document.querySelector(ready)) return false;
if (document.querySelector('[data-dash-is-loading="true"]')) return false;
const spinners = document.querySelectorAll('.dash-spinner, ._dash-loading, .dash-default-spinner');
if ([...spinners].some(s => s.offsetParent !== null)) return false;
return [...document.querySelectorAll('.dash-graph')].every(g => g.querySelector('.main-svg'));
"""


def instance_env(workdir: Path) -> dict[str, str]:
    """The environment run.sh gives the app, with every file kept under `workdir`."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        APP_ENV="development",
        SSA_DEVELOPMENT_SERVER="1",
        INSTANCE_DIR=str(workdir / "instance"),
        ARTIFACTS_DIR=str(workdir / "artifacts"),
        DOCS_SITE_DIR=str(workdir / "docs-site"),
    )
    return env


def set_up(env: dict[str, str]) -> None:
    """Run run.sh's set-up commands in its order."""
    for command in SETUP_COMMANDS:
        print(f"==> flask --app wsgi {' '.join(command)}", flush=True)
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *command], cwd=ROOT, env=env, check=True
        )


def free_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(env: dict[str, str]):
    """gunicorn serving the instance, as run.sh starts it; yields the base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def _wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped before serving")
        try:
            urllib.request.urlopen(url + "/api/v1/health", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer")


def chromium():
    """Debian's headless Chromium through its chromedriver, with the browser tests' flags."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--window-size={WIDTH},{HEIGHT}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False},
    )
    return driver


class Camera:
    """One browser session: signs in as a role, opens a shot's page, acts and saves the PNG."""

    def __init__(self, driver, base_url: str, out: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.out = out
        self.role: str | None = "unknown"

    def settle(self, ready: str | None = None) -> None:
        """Wait until the page is settled at three checks in a row (a re-render starts the count again)."""
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        streak = {"count": 0}

        def settled(driver) -> bool:
            streak["count"] = streak["count"] + 1 if driver.execute_script(SETTLED_JS, ready) else 0
            return streak["count"] >= 3

        WebDriverWait(
            self.driver, WAIT, poll_frequency=0.25, ignored_exceptions=(StaleElementReferenceException,)
        ).until(settled, message=f"{self.driver.current_url} never settled (waiting for {ready})")

    def sign_in_as(self, role: str | None) -> None:
        """Sign out, then in as the demo account of `role` (None: stay signed out)."""
        if role == self.role:
            return
        self.driver.delete_all_cookies()
        if role is not None:
            username, password = ROLES[role]
            self.driver.get(self.base_url + "/login")
            self.settle("#login-submit")
            self.act("type", f"#login-username = {username}")
            self.act("type", f"#login-password = {password}")
            self.act("click", "#login-submit")
            self.settle("#shell-signout")
        self.role = role

    def act(self, verb: str, argument: str) -> None:
        """Do one step of a shot: `ACTIONS[verb]` on the argument."""
        ACTIONS[verb](self, argument)

    def take(self, shot: Shot) -> Path:
        """Open the shot's page as its role, do its steps, save the visible window."""
        self.sign_in_as(shot.role)
        self.driver.get(self.base_url + shot.path)
        self.settle(shot.ready)
        for step in shot.steps:
            self.act(*step.split(" ", 1))
            self.settle()
        if not any(step.startswith("scroll ") for step in shot.steps):
            self.driver.execute_script("window.scrollTo(0, 0)")
        target = self.out / f"{shot.name}.png"
        self.driver.save_screenshot(str(target))
        return target


def _element(camera: Camera, selector: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(camera.driver, WAIT).until(
        lambda d: d.find_element(By.CSS_SELECTOR, selector), message=f"no {selector}"
    )


def _type(camera: Camera, argument: str) -> None:
    selector, text = argument.split(" = ", 1)
    field = _element(camera, selector)
    field.clear()
    field.send_keys(text)


def _click(camera: Camera, selector: str) -> None:
    element = _element(camera, selector)
    camera.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def _scroll(camera: Camera, selector: str) -> None:
    camera.driver.execute_script("arguments[0].scrollIntoView()", _element(camera, selector))


def _wait(camera: Camera, selector: str) -> None:
    camera.settle(selector)


def _text(camera: Camera, argument: str) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    selector, fragment = argument.split(" = ", 1)
    WebDriverWait(camera.driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: fragment in _element(camera, selector).text, message=f"no {fragment!r} in {selector}"
    )


def _select(camera: Camera, argument: str) -> None:
    from selenium.webdriver.support.ui import Select

    selector, value = argument.split(" = ", 1)
    Select(_element(camera, selector)).select_by_value(value)


def _upload(camera: Camera, argument: str) -> None:
    selector, relative = argument.split(" = ", 1)
    _element(camera, selector).send_keys(str(ROOT / relative))


ACTIONS = {
    "type": _type,
    "click": _click,
    "scroll": _scroll,
    "wait": _wait,
    "text": _text,
    "select": _select,
    "upload": _upload,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line: where to write, which shots, where to keep the instance."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="take only these shots")
    parser.add_argument("--workdir", type=Path, help="keep the instance here (default: a temporary folder)")
    args = parser.parse_args(argv)
    unknown = set(args.only or ()) - {shot.name for shot in SHOTS}
    if unknown:
        parser.error(f"unknown shot(s): {', '.join(sorted(unknown))}")
    return args


def run(args: argparse.Namespace, workdir: Path) -> None:
    """Set up, then serve once per set of extra settings and take that set's shots in table order."""
    env = instance_env(workdir)
    set_up(env)
    args.out.mkdir(parents=True, exist_ok=True)
    shots = [shot for shot in SHOTS if not args.only or shot.name in args.only]
    failed: list[str] = []
    for settings in dict.fromkeys(shot.settings for shot in shots):
        with served({**env, **dict(settings)}) as url:
            driver = chromium()
            try:
                camera = Camera(driver, url, args.out)
                for shot in (shot for shot in shots if shot.settings == settings):
                    failed += _take(camera, shot)
            finally:
                driver.quit()
    if failed:
        raise SystemExit(f"Not taken: {', '.join(failed)}")


def _take(camera: Camera, shot: Shot) -> list[str]:
    """Take one shot and say how long it took; a shot that fails is named, the others still run."""
    from selenium.common.exceptions import WebDriverException

    started = time.monotonic()
    try:
        path = camera.take(shot)
    except WebDriverException as exc:
        print(f"  {shot.name:<22} FAILED: {exc.msg}", flush=True)
        camera.role = "unknown"  # sign in again: the failure may have left any page open
        return [shot.name]
    seconds = time.monotonic() - started
    print(f"  {shot.name:<22} {shot.role or '-':<8} {shot.path:<34} {seconds:4.1f} s  {path}", flush=True)
    return []


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    args = parse_args(argv)
    started = time.monotonic()
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        run(args, args.workdir.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="ssa-screenshots-") as folder:
            run(args, Path(folder))
    print(f"Done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
