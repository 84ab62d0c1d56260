"""One kind vocabulary: code says "figure" and "quote" (storage/kinds.py); the plurals are English for people.

The check reads the packages' syntax trees, so "3 figures" in a message, a figures.csv file name or a
JSON key of a data file is fine; what fails is a Literal type spelling the plural kinds, a comparison with
a plural kind, or a second Literal of the kinds outside storage/kinds.py.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli
from storage.kinds import KINDS, kind_named, plural

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "commands", "storage", "intake", "ingest", "digests")
PLURALS = frozenset({"figures", "quotes", "statistics"})
HOME = Path("storage/kinds.py")


def _modules(root: Path) -> Iterator[tuple[Path, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(root), ast.parse(path.read_text(encoding="utf-8"))


def _strings(node: ast.AST) -> set[str]:
    """The string constants `node` is, or holds directly in a tuple, list or set."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return set()


def _is_literal(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "Literal") or (
        isinstance(node, ast.Attribute) and node.attr == "Literal"
    )


def offences(root: Path) -> list[str]:
    """Where code under `root` spells a kind other than through storage.kinds."""
    found: list[str] = []
    for path, tree in _modules(root):
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript) and _is_literal(node.value):
                spelt = _strings(node.slice)
                if spelt & PLURALS:
                    found.append(f"{path}:{node.lineno}: Literal of plural kinds {sorted(spelt & PLURALS)}")
                elif set(KINDS) <= spelt and path != HOME:
                    found.append(
                        f"{path}:{node.lineno}: a second Literal of the kinds (use storage.kinds.Kind)"
                    )
            elif isinstance(node, ast.Compare):
                for side in (node.left, *node.comparators):
                    if _strings(side) & PLURALS:
                        found.append(
                            f"{path}:{node.lineno}: compared with a plural kind {sorted(_strings(side))}"
                        )
    return found


def test_the_packages_spell_kinds_one_way() -> None:
    assert offences(ROOT) == []


def test_the_check_finds_a_plural_kind(tmp_path: Path) -> None:
    (tmp_path / "storage").mkdir()
    (tmp_path / "storage" / "old.py").write_text(
        "from typing import Literal\n"
        'Kind = Literal["figures", "quotes"]\n'
        'Mine = Literal["figure", "quote"]\n'
        'def f(kind: str) -> bool:\n    return kind == "quotes" or kind in (None, "figures")\n'
        'WORDS = ("figures", "quotes")  # words, not a comparison: fine\n',
        encoding="utf-8",
    )
    found = offences(tmp_path)
    assert [line.split(": ", 1)[0] for line in found] == [
        f"{Path('storage/old.py')}:{n}" for n in (2, 3, 5, 5)
    ]


@pytest.mark.parametrize(("typed", "kind"), [
    ("figure", "figure"), ("quote", "quote"), ("figures", "figure"), ("Quotes", "quote"), (" quote ", "quote"),
])  # fmt: skip
def test_a_kind_is_named_by_itself_or_its_plural(typed: str, kind: str) -> None:
    assert kind_named(typed) == kind


def test_anything_else_is_refused_naming_the_choices() -> None:
    with pytest.raises(ValueError, match="kind must be figure or quote, not 'statistic'"):
        kind_named("statistic")
    assert [plural(kind) for kind in KINDS] == ["figures", "quotes"]


@pytest.mark.parametrize("command", ["import", "export"])
@pytest.mark.parametrize(("typed", "kind"), [("quote", "quote"), ("quotes", "quote"), ("figures", "figure")])
def test_cli_kind_takes_the_singular_and_the_plural(command: str, typed: str, kind: str) -> None:
    args = cli.parser().parse_args(
        [command, "--kind", typed, *(["f.csv"] if command == "import" else ["-o", "f.csv"])]
    )
    assert args.kind == kind


def test_cli_help_shows_the_singular_choices(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("import", "export"):
        with pytest.raises(SystemExit):
            cli.parser().parse_args([command, "--help"])
        assert "--kind {figure,quote}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["export", "--kind", "stats", "-o", "f.csv"])
    assert "kind must be figure or quote, not 'stats'" in capsys.readouterr().err


def test_export_defaults_to_figures() -> None:
    args = cli.parser().parse_args(["export", "-o", "f.csv"])
    assert isinstance(cli.parser(), argparse.ArgumentParser) and args.kind == "figure"
