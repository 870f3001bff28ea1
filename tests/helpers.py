"""Assertions shared by the tests."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response has `status` and the SPEC's error shape (and `code`, when given)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/json", response.mimetype
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["message"], body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def imported_while_serving(app, instance_dir, serve: str, module: str) -> bool:
    """Whether `module` is imported by a fresh process that builds the app on the test database
    and runs `serve` (Python code using the app's active predictors) inside its app context."""
    script = "\n".join(
        [
            "import os, sys",
            f"os.environ['DATABASE_URL'] = {app.config['DATABASE_URL']!r}",
            f"os.environ['ARTIFACTS_DIR'] = {str(app.config['ARTIFACTS_DIR'])!r}",
            f"os.environ['INSTANCE_DIR'] = {str(instance_dir)!r}",
            "from server.factory import create_app",
            "app = create_app('testing')",
            "with app.app_context():",
            textwrap.indent(textwrap.dedent(serve).strip(), "    "),
            f"print({module!r} in sys.modules)",
        ]
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip().splitlines()[-1] == "True"
