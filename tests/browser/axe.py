"""axe-core in the browser tests: the pinned script, installed from npm on first use, run in a page."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

AXE_VERSION = "4.10.3"
AXE_DIR = Path(__file__).resolve().parent / ".axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def install() -> str | None:
    """Install the pinned axe-core under tests/browser/.axe when missing; why it could not, or None."""
    if AXE_SCRIPT.is_file():
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "axe-core is missing and npm is not installed (install Node.js, then run ./test.sh)"
    command = [npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR)]
    done = subprocess.run([*command, f"axe-core@{AXE_VERSION}"], capture_output=True, text=True)
    if done.returncode != 0 or not AXE_SCRIPT.is_file():
        return f"npm could not install axe-core@{AXE_VERSION}: {done.stderr.strip()[-500:]}"
    return None


def script() -> str:
    """axe.min.js's text; fails in CI (which has Node.js) and skips elsewhere when it cannot be had."""
    problem = install()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    return AXE_SCRIPT.read_text(encoding="utf-8")


def violations(page, source: str, impacts: tuple[str, ...] = BLOCKING) -> list[dict]:
    """Run axe on the page shown now; the violations of the given impacts, each with its nodes."""
    page.driver.execute_script("if (!window.axe) { (0, eval)(arguments[0]); }", source)
    page.driver.set_script_timeout(60)
    result = page.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then((r) => done(r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map((n) => n.target.join(' '))}))))"
        ".catch((e) => done({error: String(e)}));"
    )
    if isinstance(result, dict):
        raise AssertionError(f"axe.run failed: {result['error']}")
    return [v for v in result if v["impact"] in impacts]


def describe(found: list[dict]) -> str:
    """One line per violation: rule, impact, help and the first few elements."""
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][:4]}" for v in found)
