"""Layers point one way: storage at the bottom, then intake/ingest/digests, then commands, then bot.

Each package's imports are read with `ast` (nothing is imported), so a new import that points up fails
here with its file and line. Today's exceptions are listed below; the list may only shrink.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"storage": 0, "intake": 1, "ingest": 1, "digests": 1, "commands": 2, "bot": 3}
SLACK = ("slack_sdk", "slack_bolt")
# What commands/ may take from SQLAlchemy: the session it is handed. Queries belong to storage.
COMMANDS_MAY_IMPORT_FROM_SQLALCHEMY = {"Session"}
QUERYING = {"get", "scalar", "scalars", "execute", "query", "delete", "add", "merge"}

# Today's exceptions, as (file, what it imports or calls). Remove a line when its cause is fixed; never add one.
ALLOWED: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what} ({self.why})"


def _findings(relative: str, source: str) -> list[Finding]:
    """What in `source` (the text of `relative`, e.g. "storage/x.py") points up a layer."""
    package = relative.split("/")[0]
    layer = LAYERS[package]
    found = []
    for node in ast.walk(ast.parse(source, filename=relative)):
        imported: list[tuple[str, list[str]]] = []
        if isinstance(node, ast.Import):
            imported = [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported = [(node.module, [alias.name for alias in node.names])]
        for module, names in imported:
            top = module.split(".")[0]
            if top in LAYERS and LAYERS[top] > layer:
                found.append(Finding(relative, node.lineno, module, f"{package} is below {top}"))
            if top in SLACK and package == "storage":
                found.append(Finding(relative, node.lineno, module, "storage knows nothing of Slack"))
            if top == "slack_bolt" and package != "bot":
                found.append(Finding(relative, node.lineno, module, "only bot/ has listeners"))
            if package == "commands" and top == "sqlalchemy":
                for name in set(names) - COMMANDS_MAY_IMPORT_FROM_SQLALCHEMY:
                    found.append(
                        Finding(relative, node.lineno, f"sqlalchemy.{name}", "commands do not query")
                    )
        if (
            package == "commands"
            and isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "session"
            and node.func.attr in QUERYING
        ):
            found.append(Finding(relative, node.lineno, f"session.{node.func.attr}", "commands do not query"))
    return found


def _all_findings() -> list[Finding]:
    paths = [path for package in LAYERS for path in sorted((ROOT / package).rglob("*.py"))]
    return [
        f for path in paths for f in _findings(path.relative_to(ROOT).as_posix(), path.read_text("utf-8"))
    ]


def test_no_import_points_up_a_layer() -> None:
    new = [str(f) for f in _all_findings() if (f.path, f.what) not in ALLOWED]
    assert not new, "imports against the layers:\n" + "\n".join(new)


def test_the_allow_list_only_names_what_is_still_there() -> None:
    """When a cause is fixed its line must go, so the list can only shrink."""
    still = {(f.path, f.what) for f in _all_findings()}
    assert not ALLOWED - still, f"fixed, so remove from ALLOWED: {sorted(ALLOWED - still)}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from commands.text import UNITS\n", "commands.text"),
        ("import bot.app\n", "bot.app"),
        ("from slack_sdk import WebClient\n", "slack_sdk"),
    ],
)
def test_an_import_from_a_higher_layer_is_found(source: str, expected: str) -> None:
    """The check can fail: a storage module importing upwards, or Slack, is reported."""
    assert [f.what for f in _findings("storage/probe.py", source)] == [expected]


def test_a_query_in_commands_is_found() -> None:
    source = "from sqlalchemy import select\n\ndef f(session):\n    return session.get(1)\n"
    assert sorted(f.what for f in _findings("commands/probe.py", source)) == [
        "session.get",
        "sqlalchemy.select",
    ]


# --- the clock process --------------------------------------------------------------------------------------
# The clock (bot/clock.py) runs digests, the weekly note and the feed poll with no Slack request in sight, so it
# must not load listener modules (those that import slack_bolt): a listener's imports are not the clock's.


def _module_path(module: str) -> Path | None:
    base = ROOT / Path(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports_of(module: str) -> tuple[set[str], set[str]]:
    """(statbot modules `module` imports, anywhere in it; every top-level package it imports)."""
    path = _module_path(module)
    assert path is not None, module
    ours: set[str] = set()
    tops: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), filename=str(path))):
        named: list[str] = []
        if isinstance(node, ast.Import):
            named = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from bot import home_tab` imports the module bot.home_tab; `from bot.x import f` imports bot.x.
            named = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in named:
            tops.add(name.split(".")[0])
            if name.split(".")[0] in LAYERS and _module_path(name) is not None:
                ours.add(name)
    return ours, tops


def _reached_from(module: str) -> set[str]:
    reached, todo = set(), [module]
    while todo:
        current = todo.pop()
        if current in reached:
            continue
        reached.add(current)
        todo += sorted(_imports_of(current)[0] - reached)
    return reached


def _listeners(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if "slack_bolt" in _imports_of(m)[1])


def test_the_clock_runs_the_feed_poll_without_loading_a_listener_module() -> None:
    reached = _reached_from("bot.clock")
    assert "ingest.feed_poll" in reached, "the clock should run the feed poll (ingest/feed_poll.py) itself"
    assert not _listeners(reached), f"bot/clock.py loads listener modules: {_listeners(reached)}"


def test_a_listener_module_among_the_imports_is_found() -> None:
    """The walk can fail: the /stats feeds listener is one, and reaches another (bot/slash.py's Call)."""
    assert {"bot.feeds", "bot.slash"} <= set(_listeners(_reached_from("bot.feeds")))
