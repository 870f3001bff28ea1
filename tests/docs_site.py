"""Build the documentation site once per test process, the way CI and ./run.sh build it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_built: dict[str, Path] = {}


def build_site(dest: Path) -> tuple[Path, str]:
    """`mkdocs build --strict` into dest; the site folder and everything mkdocs printed."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(dest)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return dest, output


def built_site(tmp_path_factory) -> Path:
    """The site built once per process (the tests only read it)."""
    if "site" not in _built:
        _built["site"], _built["output"] = build_site(tmp_path_factory.mktemp("docs-site") / "site")
    return _built["site"]


def build_output() -> str:
    """What the one build printed."""
    return str(_built.get("output", ""))
