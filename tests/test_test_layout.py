"""Test modules import nothing from one another: what two of them share lives in a helper module (tests/slackapi/,
tests/items.py, tests/clock.py, ...) and fixtures in tests/conftest.py or one of its plugins. Importing a test
module runs its module-level set-up and registers its fixtures a second time, and moving a test breaks others.

Each file under tests/ is read with `ast` (nothing is imported), so an import at any depth (inside a function
too) fails here with its file and line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def _is_test_module(dotted: str) -> bool:
    return any(part.startswith("test_") for part in dotted.split("."))


def _package(relative: str) -> list[str]:
    """The package `relative` (e.g. "tests/slackapi/x.py") belongs to, as its dotted parts."""
    return relative.removesuffix(".py").split("/")[:-1]


def imports_of_test_modules(relative: str, source: str) -> list[str]:
    """Each import in `source` (the text of `relative`) that names a test module, as "file:line: module"."""
    found = []
    for node in ast.walk(ast.parse(source, filename=relative)):
        if isinstance(node, ast.Import):
            named = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module.split(".") if node.module else []
            if node.level:  # from . import x, from .test_x import y
                package = _package(relative)
                base = package[: len(package) - node.level + 1] + base
            module = ".".join(base)
            named = [module] if _is_test_module(module) else [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [f"{relative}:{node.lineno}: {name}" for name in named if _is_test_module(name)]
    return sorted(set(found))


def test_no_module_under_tests_imports_a_test_module() -> None:
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        found += imports_of_test_modules(relative, path.read_text(encoding="utf-8"))
    assert found == [], "import the helper from a shared module instead:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("from tests.test_http import slash", True),
        ("import tests.test_http", True),
        ("import tests.test_http as h", True),
        ("from tests import test_http", True),
        ("from .test_http import slash", True),
        ("from . import test_http", True),
        ("from ..test_http import slash", True),  # from tests/slackapi/, up to tests/
        ("def t():\n    if True:\n        from tests.test_review_http import press", True),
        ("class C:\n    def m(self):\n        import tests.test_review_http", True),
        ("from tests.slackapi.replies import ask", False),
        ("from tests import items", False),
        ("from . import signing", False),
        ("import pytest\nfrom storage import changes", False),
        ("text = 'from tests.test_http import slash'", False),
    ],
)
def test_the_guard_catches_an_import_of_a_test_module_wherever_it_stands(source: str, caught: bool) -> None:
    assert bool(imports_of_test_modules("tests/slackapi/sample.py", source)) is caught
