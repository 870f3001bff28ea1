"""The product's module import graph: no cycles, and the arrows between layers run one way
(modelling <- db <- services <- server <- api, dashboard)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_FOLDERS = ("api", "dashboard", "db", "modelling", "server", "services")

KNOWN_CYCLES: list[set[str]] = []

# What each layer may not import. The application factory composes the API and the dashboard on the
# server, so it alone may import them.
FORBIDDEN = {
    "modelling": {"db", "services", "server", "api", "dashboard"},
    "db": {"services", "server", "api", "dashboard"},
    "services": {"server", "api", "dashboard"},
    "server": {"api", "dashboard"},
    "api": {"dashboard"},
    "dashboard": {"api"},
}
COMPOSITION_ROOT = "server.factory"


def module_names(root: Path, folders: tuple[str, ...]) -> dict[str, Path]:
    """Dotted module name -> file, for every module under `folders` (a package by its __init__)."""
    names = {}
    for folder in folders:
        for path in (root / folder).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that module `name` imports, anywhere in it (functions included).

    `from package import x` reads the package's namespace, so it is an arrow to the package (whose
    __init__ must have run) and, when x is a submodule, to x too; `import package.module` and
    `from package.module import x` are arrows to that module."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found & known


def import_graph(root: Path = ROOT, folders: tuple[str, ...] = APP_FOLDERS) -> dict[str, set[str]]:
    """Module -> the modules it imports."""
    names = module_names(root, folders)
    return {name: imported_modules(name, path, set(names)) for name, path in names.items()}


@cache
def product_graph() -> dict[str, set[str]]:
    """The product's import graph, built once for the tests below."""
    return import_graph()


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module, and modules importing
    themselves (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(component)
    return found


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_the_check_finds_cycles_between_modules_and_through_a_package(tmp_path):
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/a.py": "from app.b import thing\n",
            "app/b.py": "def f():\n    from app import a\n",
            "app/c.py": "from app.b import thing\n",
            "pkg/__init__.py": "from pkg.store import save\n",
            "pkg/store.py": "from pkg import formats\n",
            "pkg/formats.py": "import json\n",
            "own/__init__.py": "from own import part\n",
            "own/part.py": "",
        },
    )
    found = cycles(import_graph(tmp_path, ("app", "pkg", "own")))
    assert sorted(map(sorted, found)) == [["app.a", "app.b"], ["own"], ["pkg", "pkg.store"]]


def test_the_check_passes_a_package_whose_modules_import_each_other_by_path(tmp_path):
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.store import save\n",
            "pkg/store.py": "import pkg.formats as formats\nfrom pkg.parsed import Chunk\n",
            "pkg/formats.py": "from .parsed import Chunk\n",
            "pkg/parsed.py": "",
        },
    )
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.store"] == {"pkg.formats", "pkg.parsed"}
    assert graph["pkg.formats"] == {"pkg.parsed"}
    assert cycles(graph) == []


def test_no_module_imports_itself_back_through_others():
    found = [sorted(component) for component in cycles(product_graph()) if component not in KNOWN_CYCLES]
    assert found == [], f"import cycles (break each by moving what both sides need below them): {found}"


def test_arrows_between_layers_run_one_way():
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in product_graph().items()
        if module != COMPOSITION_ROOT
        for target in targets
        if target.split(".")[0] in FORBIDDEN[module.split(".")[0]]
    )
    assert upward == [], f"imports running back up the layers: {upward}"
