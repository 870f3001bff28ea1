"""The code's layering rules, checked on the source: tasks are data, modelling stands alone."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from modelling.tasks import ALL_TASK_NAMES as TASK_NAMES

ROOT = Path(__file__).resolve().parents[1]
APP_FOLDERS = ("api", "dashboard", "db", "modelling", "server", "services")
# The task declarations (one module per task) and the outcomes they predict (the interval level).
TASK_DEFINITIONS = (ROOT / "modelling" / "tasks", ROOT / "modelling" / "outcomes.py")
# The last migration written for the two original tasks updates their stored rows by name.
MIGRATIONS = ROOT / "db" / "migrations.py"


def _sources(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def _declares_tasks(path: Path) -> bool:
    return any(path == place or place in path.parents for place in TASK_DEFINITIONS)


def _is_task_name(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in TASK_NAMES


def task_comparisons(source: str) -> list[int]:
    """Lines of `source` that compare anything with a literal task name (or a collection of them)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        literal = any(
            _is_task_name(side)
            or (isinstance(side, ast.Tuple | ast.List | ast.Set) and any(_is_task_name(e) for e in side.elts))
            for side in sides
        )
        if literal:
            lines.append(node.lineno)
    return lines


def test_the_check_finds_a_task_comparison():
    sample = (
        'if task == "dropout":\n    pass\nok = schema.task != "exam-score"\nx = name in ("dropout", "y")\n'
    )
    assert task_comparisons(sample) == [1, 3, 4]
    assert task_comparisons('label = {"dropout": "Dropout"}\nif value == 3:\n    pass\n') == []


def test_no_module_but_the_task_definitions_compares_task_names():
    found = {
        str(path.relative_to(ROOT)): lines
        for path in _sources(*APP_FOLDERS)
        if not _declares_tasks(path) and path != MIGRATIONS
        for lines in [task_comparisons(path.read_text())]
        if lines
    }
    assert found == {}, f"task-name comparisons (declare it in its module, modelling/tasks/): {found}"


def task_literals(source: str) -> list[int]:
    """Lines of `source` that write a task name as a string literal (a page reads it from its task)."""
    return sorted({node.lineno for node in ast.walk(ast.parse(source)) if _is_task_name(node)})


def test_the_literal_check_finds_a_task_name():
    assert task_literals('TASK = "early-warning"\nlabel = "Dropout"\nkey = "dropout"\n') == [1, 3]


def test_no_page_or_component_names_a_task_with_a_literal():
    found = {
        str(path.relative_to(ROOT)): lines
        for path in _sources("dashboard")
        for lines in [task_literals(path.read_text())]
        if lines
    }
    assert found == {}, f"task names written as literals (use the task's own declaration): {found}"


def _imported_packages(source: str) -> set[str]:
    packages = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            packages.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            packages.add(node.module.split(".")[0])
    return packages


def test_modelling_imports_nothing_above_it():
    above = {"db", "services", "api", "dashboard", "server", "wsgi", "flask", "peewee", "dash"}
    found = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path.read_text()) & above)
        for path in _sources("modelling")
    }
    assert {path: names for path, names in found.items() if names} == {}


def test_the_interval_level_is_declared_once():
    written = [
        str(path.relative_to(ROOT))
        for path in _sources(*APP_FOLDERS)
        if re.search(r"(interval|level)[^\n]*(?<![\d.])0\.9(?![\d])", path.read_text())
        and not _declares_tasks(path)
    ]
    assert written == []


def test_test_modules_share_through_helpers_not_each_other():
    importing = {
        str(path.relative_to(ROOT)): sorted(
            node.module
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and node.module and ".test_" in f".{node.module}"
        )
        for path in _sources("tests")
    }
    assert {path: names for path, names in importing.items() if names} == {}


def test_services_leave_the_planner_alone_and_analytics_builds_sql_with_peewee():
    planner = re.compile(r"\bSET\s+(LOCAL\s+)?(enable_\w+|jit|max_parallel\w*)\b", re.IGNORECASE)
    tuning = [
        str(path.relative_to(ROOT)) for path in _sources("services") if planner.search(path.read_text())
    ]
    assert tuning == [], "planner settings belong to no service (an index or the query's shape instead)"
    text_sql = re.compile(r"execute_sql|\bSQL\(\s*f[\"']")
    raw = [
        str(path.relative_to(ROOT))
        for path in _sources("services/analytics")
        if text_sql.search(path.read_text())
    ]
    assert raw == []
