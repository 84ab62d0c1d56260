"""The command table is the one truth about commands: routing, listeners, help, README and manifest agree with it.

The docs checks follow datasette's tests/test_docs.py: what the code declares must be documented, and what
is documented must exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt import App
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import commands_table
from bot.app import create_app
from bot.local_slack import SlackStandIn
from commands import table
from commands.manage import EDITORS_ONLY
from tests.conftest import SIGNING_SECRET, TEAM, slack_settings
from tests.installs import multi_settings
from tests.slackapi.signing import post, signed_headers, slash_command_body

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("command", "text", "expected"),
    [
        ("/stats", "facebook", None), ("/stats", "", None), ("/stats", "help", "help"),
        ("/stats", "help me find grooming figures", None), ("/stats", "HISTORY 12", "history"),
        ("/stats", "history of abuse", None), ("/stats", "pending legislation", None),
        ("/stats", "ingest https://example.org/a", "ingest"), ("/stats", "ingest", "ingest"),
        ("/stats", "feeds", "feeds"), ("/stats", "feeds add https://example.org/rss", "feeds"),
        ("/quote", "ingest https://example.org/a", None), ("/quote", "feeds", None),
        ("/quote", "export", "export"), ("/quote", "history 3", "history"), ("/quote", "add", "add"),
        # Not a subcommand (yet): a question, as it always was; a row in the table would make it one.
        ("/stats", "compare facebook tiktok", None),
        ("/digest", "", None), ("/digest", "ls", "list"), ("/digest", "unsub 4", "unsubscribe"),
        ("/digest", "sendnow 4", "send-now"), ("/digest", "?", "help"), ("/digest", "frobnicate", None),
        ("/digest", "subscribe online safety daily", "subscribe"),
    ],
)  # fmt: skip
def test_each_text_is_routed_to_exactly_one_row(command: str, text: str, expected: str | None) -> None:
    routed = table.route(command, text)
    assert routed.name == expected
    assert routed.row in table.rows_of(command)


@pytest.mark.parametrize(
    ("command", "row"),
    [(command, row) for row in table.ROWS if row.name for command in row.commands],
    ids=lambda value: value if isinstance(value, str) else value.name,
)
def test_every_named_row_is_reached_by_its_name_and_aliases(command: str, row: table.Row) -> None:
    """A row in the table is all it takes: no separate matcher can send its name to the search instead."""
    if not row.fits([]):
        pytest.skip("needs words after its name")  # none today; /stats compare <a> <b> would
    for word in (row.name, *row.aliases):
        assert table.route(command, str(word)).row is row
        assert table.route(command, str(word).upper()).row is row


def test_the_words_after_a_subcommand_are_its_rest() -> None:
    routed = table.route("/stats", "  Export  online grooming ")
    assert (routed.name, routed.args, routed.rest) == ("export", ["online", "grooming"], "online grooming")


def test_every_row_has_one_listener_and_a_lazy_row_goes_on_after_the_ack() -> None:
    commands_table.check()  # raises when the two halves differ
    for row in table.ROWS:
        for key in row.routes():
            assert (commands_table.LISTENERS[key].after is not None) == row.lazy, key


def test_every_name_and_alias_is_unique_within_its_command() -> None:
    for command in table.COMMANDS:
        words = [w for row in table.rows_of(command) if row.name for w in (row.name, *row.aliases)]
        assert len(words) == len(set(words)), command
        assert sum(row.name is None for row in table.rows_of(command)) == 1, command


@pytest.mark.parametrize("command", table.COMMANDS)
def test_every_row_is_in_the_generated_help(command: str) -> None:
    shown = table.help_text((table.STATS, table.QUOTE) if command != table.DIGEST else (table.DIGEST,))
    for row in table.rows_of(command):
        if row.name is None and command == table.DIGEST:
            continue  # the help itself is what a bare /digest shows
        assert row.usage in shown, row
        assert row.help in shown, row
    assert len(shown) < 3000  # it is sent as one section block, which Slack cuts at 3,000 characters


def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("row", table.ROWS, ids=lambda row: f"{row.commands[0]} {row.name or '<default>'}")
def test_every_row_is_in_the_readme(row: table.Row) -> None:
    """As datasette's tests/test_docs.py does for its settings: each declared row is documented."""
    readme = _readme()
    assert any(f"`{command}{' ' + row.name if row.name else ''}" in readme for command in row.commands)


def test_every_command_the_readme_mentions_is_in_the_table() -> None:
    mentioned = set(re.findall(r"`(/stats|/quote|/digest) ([a-z][a-z-]*)", _readme()))
    routed = {(command, table.route(command, word).name) for command, word in mentioned}
    # A word that routes to the default row is a question (`/stats facebook`), not a missing subcommand;
    # but every README word that looks like a subcommand of /digest must be one.
    unknown = sorted(command + " " + word for command, word in mentioned if command == table.DIGEST
                     and table.route(command, word).name is None)  # fmt: skip
    assert routed and not unknown


# ----- manifest.yml against what the code registers ----------------------------------------------------


def _manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.fixture
def registered(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, standin: SlackStandIn, sessions: sessionmaker[Session]
) -> Iterator[dict[str, set[str]]]:
    """What both kinds of install register with Bolt: slash commands, shortcut callback_ids, events."""
    seen: dict[str, set[str]] = {"command": set(), "shortcut": set(), "event": set()}
    for kind in seen:
        original = getattr(App, kind)

        def recording(self: App, constraint: Any, *args: Any, _kind: str = kind, _original: Any = original,
                      **kwargs: Any) -> Any:  # fmt: skip
            seen[_kind].add(constraint if isinstance(constraint, str) else str(constraint))
            return _original(self, constraint, *args, **kwargs)

        monkeypatch.setattr(App, kind, recording)
    create_app(slack_settings(engine, standin), sessions)
    create_app(multi_settings(engine, standin), sessions)
    yield seen


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_manifest_declares_exactly_what_the_code_registers(registered: dict[str, set[str]]) -> None:
    features = _manifest()["features"]
    assert {c["command"] for c in features["slash_commands"]} == registered["command"] == set(table.COMMANDS)
    assert {s["callback_id"] for s in features["shortcuts"]} == registered["shortcut"]
    # The manifest names bot events by where they happen: message.im is the "message" event in a DM.
    bot_events = {e.split(".")[0] for e in _manifest()["settings"]["event_subscriptions"]["bot_events"]}
    assert bot_events == registered["event"]


def _what_the_manifest_asks_for() -> list[tuple[str, str]]:
    manifest = _manifest()
    return [
        *(("event", e) for e in manifest["settings"]["event_subscriptions"]["bot_events"]),
        *(("scope", s) for s in manifest["oauth_config"]["scopes"]["bot"]),
        *(("shortcut", s["callback_id"]) for s in manifest["features"]["shortcuts"]),
    ]


def _readme_section(title: str) -> str:
    readme = _readme()
    start = readme.index(f"## {title}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else None]


@pytest.mark.parametrize(("kind", "name"), _what_the_manifest_asks_for(), ids=lambda v: str(v))
def test_every_event_scope_and_shortcut_in_the_manifest_is_in_the_readmes_table(kind: str, name: str) -> None:
    table_ = _readme_section("What statbot asks Slack for")
    assert f"| {kind} | `{name}` |" in table_


def test_the_readmes_table_lists_nothing_the_manifest_does_not_ask_for() -> None:
    listed = set(
        re.findall(
            r"^\| (event|scope|shortcut) \| `([^`]+)` \|",
            _readme_section("What statbot asks Slack for"),
            re.M,
        )
    )
    assert listed == set(_what_the_manifest_asks_for())


def test_the_manifest_hint_for_each_command_names_its_subcommands() -> None:
    hints = {c["command"]: c["usage_hint"] for c in _manifest()["features"]["slash_commands"]}
    for row in table.rows_of(table.DIGEST):
        if row.name not in (None, "help"):
            assert row.name in hints[table.DIGEST], row.name


# ----- over HTTP --------------------------------------------------------------------------------------


def _ask(server: str, standin: SlackStandIn, command: str, text: str, user: str = "U0NOTEDITOR") -> str:
    body = slash_command_body(
        command, text, team_id=TEAM, user_id=user, response_url=standin.response_url("cmd")
    )
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    assert status == 200
    return raw


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_stats_help_lists_ingest_and_feeds(server: str, standin: SlackStandIn) -> None:
    shown = _ask(server, standin, "/stats", "help")
    assert "/stats ingest" in shown and "/stats feeds" in shown


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "text", [f"{row.name} 1 2" for row in table.rows_of(table.STATS) if row.who == "editors"]
)
def test_the_rows_for_editors_refuse_anyone_else(server: str, standin: SlackStandIn, text: str) -> None:
    assert EDITORS_ONLY in _ask(server, standin, "/stats", text)
