"""Files with one job: no Python file of the application or its tests runs over 500 lines."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("api", "dashboard", "db", "modelling", "server", "scripts", "services", "tests")
LIMIT = 500


def test_no_python_file_is_over_the_limit():
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for folder in FOLDERS
        for path in (ROOT / folder).rglob("*.py")
    }
    too_long = {name: lines for name, lines in sizes.items() if lines > LIMIT}
    assert too_long == {}
    assert len(sizes) > 100  # the folders were found
