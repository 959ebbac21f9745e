"""The import graph keeps its layers: contract at the bottom, services above, entry points on top.

``byggpuls`` is what every service agrees on, so it may import none of them; the services
(``gateway``, ``ingest``, ``analytics``, ``api``) stand side by side and import neither each other
nor what sits above them; ``sandbox`` (the demo and development servers) may use the services;
``cli`` is the only package that imports them all. An import *string* (a module path handed to
``importlib`` or to an entry point) counts as an import: it is a dependency all the same, only a
hidden one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

CONTRACT = "byggpuls"
SERVICES = ("gateway", "ingest", "analytics", "api")
PACKAGES = (CONTRACT, "simulation", *SERVICES, "sandbox", "cli")

#: What each package may import from the others (the standard library and third parties aside).
ALLOWED: dict[str, frozenset[str]] = {
    CONTRACT: frozenset(),
    "simulation": frozenset({CONTRACT}),
    **{service: frozenset({CONTRACT, "simulation"}) for service in SERVICES},
    "sandbox": frozenset({CONTRACT, "simulation", *SERVICES}),
    "cli": frozenset({CONTRACT, "simulation", *SERVICES, "sandbox"}),
}


def _imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every module the code names: ``import``/``from`` statements and dotted import strings."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            parts = node.value.split(".")
            if len(parts) > 1 and parts[0] in PACKAGES and all(p.isidentifier() for p in parts):
                yield node.lineno, node.value


def _violations(package: str) -> list[str]:
    found = []
    for path in sorted((REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for lineno, module in _imported_modules(tree):
            top = module.split(".")[0]
            if top in PACKAGES and top != package and top not in ALLOWED[package]:
                found.append(f"{path.relative_to(REPO)}:{lineno} imports {module}")
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    assert _violations(package) == []


def test_the_layer_rules_catch_an_upward_import() -> None:
    tree = ast.parse("import api.app\nfrom cli import bootstrap\nX = 'ingest.service'\n")
    assert sorted(m for _, m in _imported_modules(tree)) == ["api.app", "cli", "ingest.service"]


def test_importing_the_whole_contract_loads_no_service() -> None:
    """At run time too: every module of the contract package, imported, pulls in nothing above."""
    script = (
        "import importlib, pkgutil, sys\n"
        "import byggpuls\n"
        "for m in pkgutil.walk_packages(byggpuls.__path__, 'byggpuls.'):\n"
        "    importlib.import_module(m.name)\n"
        f"above = {sorted(set(PACKAGES) - {CONTRACT})!r}\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in above))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
