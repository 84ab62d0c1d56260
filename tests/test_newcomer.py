"""Papercuts a newcomer hits in the first ten minutes: each one a clear line, never a traceback."""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
from pathlib import Path

import pytest

from bot import cli
from bot.local_slack import SlackStandIn
from intake.columns import all_columns
from tests.commandline import STATBOT, environment, run

pytestmark = pytest.mark.slow  # each test starts `statbot` processes (or a server) of its own


def one_clear_line(result: subprocess.CompletedProcess[str]) -> str:
    """The error a command printed: exactly one line on standard error, no traceback, exit status 2."""
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    return lines[0]


def test_the_readme_says_where_the_statbot_command_is(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text()
    assert ".venv/bin/statbot" in readme
    # Every `statbot <subcommand>` the README names exists.
    named = set(re.findall(r"`statbot ([a-z-]+)", readme))
    known = set(cli.parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert named and named <= known, named - known


def test_init_and_run_print_no_migration_log_lines(tmp_path: Path) -> None:
    for _ in range(2):  # the first run migrates from nothing, the second has nothing to do
        result = run([STATBOT, "init"], tmp_path)
        assert result.returncode == 0, result.stderr
        assert "alembic" not in result.stderr and '"level": "INFO"' not in result.stderr, result.stderr
    result = run([STATBOT, "run"], tmp_path, stdin="/stats facebook\n")
    assert '"level": "INFO"' not in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "DATABASE_URL"),
        ("postgresql://postgres@127.0.0.1:1/statbot", "cannot reach the database"),
        ("mysql://someone@127.0.0.1/statbot", "no driver"),
        ("oracle+nosuchdriver://x@127.0.0.1/db", "no driver"),
    ],
)
def test_a_bad_or_unreachable_database_url_is_one_clear_line(tmp_path: Path, url: str, says: str) -> None:
    line = one_clear_line(run([STATBOT, "ask", "/stats facebook"], tmp_path, DATABASE_URL=url))
    assert says in line, line
    assert not line.startswith("statbot: statbot "), line  # the prefix once


def test_init_with_an_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:1/statbot"
    assert "cannot reach the database" in one_clear_line(run([STATBOT, "init"], tmp_path, DATABASE_URL=url))


def test_ask_where_there_is_no_database_says_to_run_init_and_creates_nothing(tmp_path: Path) -> None:
    env = environment(tmp_path)
    del env["DATABASE_URL"]  # the default: statbot.db in the current directory, which has none
    result = subprocess.run(
        [STATBOT, "ask", "/stats facebook"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    line = one_clear_line(result)
    assert "statbot init" in line and "no such table" not in line, line
    assert not (tmp_path / "statbot.db").exists()


def test_ask_before_init_on_an_empty_database_says_to_run_init(tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()
    line = one_clear_line(run([STATBOT, "ask", "/stats facebook"], tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/empty.db"))
    assert "statbot init" in line, line


@pytest.mark.usefixtures("initialised")
@pytest.mark.parametrize(
    ("tokens", "says"),
    [
        ({}, "No SLACK_APP_TOKEN or SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1-2-abc"}, "SLACK_APP_TOKEN (xapp-...) is not set"),
        ({"SLACK_APP_TOKEN": "xapp-1-A1-abc"}, "SLACK_BOT_TOKEN (xoxb-...) is not set"),
    ],
)
def test_make_run_says_which_token_is_missing_and_answers_locally(
    tmp_path: Path, tokens: dict[str, str], says: str
) -> None:
    result = run([STATBOT, "run"], tmp_path, stdin="/stats facebook\n", **tokens)
    assert result.returncode == 0 and "Traceback" not in result.stdout + result.stderr, result.stderr
    first = result.stdout.splitlines()[0]
    assert says in first and "local console" in first, first
    assert "52%" in result.stdout


@pytest.mark.parametrize("command", ["run", "socket"])
def test_swapped_tokens_are_named(tmp_path: Path, command: str) -> None:
    swapped = {"SLACK_BOT_TOKEN": "xapp-1-A1-abc", "SLACK_APP_TOKEN": "xoxb-1-2-abc"}
    line = one_clear_line(run([STATBOT, command], tmp_path, **swapped))
    assert "SLACK_BOT_TOKEN" in line and "SLACK_APP_TOKEN" in line and "swap" in line, line


def test_socket_with_one_token_names_the_missing_one(tmp_path: Path) -> None:
    line = one_clear_line(run([STATBOT, "socket"], tmp_path, SLACK_BOT_TOKEN="xoxb-1-2-abc"))
    assert "SLACK_APP_TOKEN" in line and "SLACK_BOT_TOKEN" not in line.split("needs")[-1], line


@pytest.mark.usefixtures("initialised")
def test_ask_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`statbot ask ... | head -0`: the reader is gone before statbot writes; no BrokenPipeError report."""
    process = subprocess.Popen(
        [STATBOT, "ask", "/stats facebook"], cwd=tmp_path, env=environment(tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    process.stdout.close()  # like `head` exiting at once
    _, err = process.communicate(timeout=120)
    assert "BrokenPipeError" not in err and "Traceback" not in err and "Exception ignored" not in err, err


def subcommands(parser: argparse.ArgumentParser, prefix: str = "statbot") -> list[tuple[str, argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((f"{prefix} {name}", sub))
                found.extend(subcommands(sub, f"{prefix} {name}"))
    return found


def test_every_subcommand_help_has_a_description_and_shows_defaults() -> None:
    commands = subcommands(cli.parser())
    assert len(commands) >= 15
    for name, sub in commands:
        text = sub.format_help()
        assert sub.description, f"{name} --help has no description"
        for action in sub._actions:
            default = action.default
            if default in (None, False, argparse.SUPPRESS) or isinstance(action, argparse._HelpAction):
                continue
            assert f"(default: {default})" in " ".join(text.split()), f"{name} {action.dest}: default not shown"


def quotes_file(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(all_columns("quote")))
        writer.writeheader()
        writer.writerow({"text": "Every child deserves a safe childhood.", "speaker": "A Spokesperson",
                         "said_on": "2022-03-01", "source_publisher": "Example News"})  # fmt: skip
    return path


@pytest.mark.usefixtures("initialised")
def test_import_without_kind_reads_a_quotes_file_as_quotes(tmp_path: Path) -> None:
    result = run([STATBOT, "import", str(quotes_file(tmp_path / "quotes.csv"))], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Imported 1 quote" in result.stdout, result.stdout
    assert "A Spokesperson" in run([STATBOT, "ask", "/quote spokesperson"], tmp_path).stdout


@pytest.mark.usefixtures("initialised")
def test_import_of_a_quotes_file_as_figures_offers_kind_quote(tmp_path: Path) -> None:
    result = run([STATBOT, "import", "--kind", "figure", str(quotes_file(tmp_path / "q.csv"))], tmp_path)
    assert result.returncode == 1
    assert "--kind quote." in result.stderr, result.stderr


@pytest.mark.usefixtures("initialised")
def test_history_of_a_number_that_does_not_exist_says_so(tmp_path: Path) -> None:
    out = run([STATBOT, "ask", "/stats history 999"], tmp_path).stdout
    assert "no figure #999" in out, out
    out = run([STATBOT, "ask", "/quote history 999"], tmp_path).stdout
    assert "no quote #999" in out, out
    # Without a number it still says how to ask.
    assert "by its number" in run([STATBOT, "ask", "/stats history"], tmp_path).stdout


@pytest.mark.usefixtures("initialised")
def test_stats_with_no_figures_but_matching_quotes_points_to_quote(tmp_path: Path) -> None:
    out = run([STATBOT, "ask", "/stats encryption"], tmp_path).stdout
    assert "No figures match" in out and "/quote encryption" in out, out
    # Nothing among the quotes either: no pointer to an empty answer.
    out = run([STATBOT, "ask", "/stats zebra crossings"], tmp_path).stdout
    assert "/quote" not in out.split("Try")[0], out



@pytest.mark.usefixtures("initialised")
def test_socket_mode_tokens_slack_refuses_are_named_not_a_traceback(tmp_path: Path) -> None:
    with SlackStandIn() as slack:
        # The stand-in, like Slack, refuses an app-level token for apps.connections.open's bearer here.
        tokens = {"SLACK_API_URL": slack.api_url, "SLACK_BOT_TOKEN": "xoxb-1-2-good", "SLACK_APP_TOKEN": "xapp-1-A1-bad"}
        result = run([STATBOT, "socket"], tmp_path, **tokens)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in result.stderr, result.stderr
        slack.revoked.add("xoxb-1-2-revoked")
        result = run([STATBOT, "socket"], tmp_path, **tokens | {"SLACK_BOT_TOKEN": "xoxb-1-2-revoked"})
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert "Slack refused SLACK_BOT_TOKEN (token_revoked)" in result.stderr, result.stderr
