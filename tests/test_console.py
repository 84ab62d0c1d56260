"""The local console runs every command the README lists, with the same result as in Slack.

The console talks to the Slack Web API stand-in (bot/local_slack.py) on 127.0.0.1: forms are filled in
field by field (or from `--form FILE`) and submitted as view_submissions, exports land in a local file,
DMs, channel posts and response_url replies are printed, and lazy listeners' replies arrive before the
next prompt. Commands are taken from the README itself, so a command documented later is checked too.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commandline import STATBOT, environment, run
from tests.http_server import rss, serving, static_site

pytestmark = pytest.mark.slow  # each test starts `statbot` processes (or a server) of its own

GOLD = Path(__file__).parent / "gold" / "articles"
# A README command's placeholders, filled in with something the sample data (or the local site) answers.
PLACEHOLDERS = {
    "<subject>": "facebook",
    "<topic or speaker>": "burrows",
    "[words]": "facebook",
    "<link>": "{site}/article",
    "<rss or atom link>": "{site}/feed",
    "OLD NEW": "1 2",
    "ID MONTHS": "1 12",
    "ID reason": "1 a wrong year",
    "ID": "1",
    "<id>": "1",
    "[id]": "1",
    "@name": "@U0CONSOLE",
    "#name": "#console",
    "<topic>": "online safety",
    "[weekly|daily|monthly] [day] [time] [zone] [figures-only|quotes-only] [csv]": "weekly",
}
FIGURE_FORM = {
    "value": "34%",
    "unit": "percent",
    "measure": "share of grooming offences recorded on Snapchat",
    "period_start": "2021",
    "geography": "UK",
    "source_publisher": "NSPCC",
    "source_date": "2022-08-01",
}
QUOTE_FORM = {"text": "Children deserve to be safe online.", "speaker": "A Spokesperson", "said_on": "2022"}


def readme_commands(readme: str) -> list[str]:
    """Every slash command the README shows in backticks, placeholders filled in, in order, once each."""
    found: list[str] = []
    for raw in re.findall(r"`(/(?:stats|quote|digest)\b[^`]*)`", readme):
        line = raw
        for placeholder, value in PLACEHOLDERS.items():
            line = line.replace(placeholder, value)
        line = re.sub(r"\s+", " ", line).strip()
        if line not in found:
            found.append(line)
    return found


@pytest.fixture
def site() -> Iterator[str]:
    article = next(GOLD.glob("*nspcc*.txt")).read_bytes()
    pages: dict[str, tuple[str, bytes]] = {"/article": ("text/plain; charset=utf-8", article)}
    with serving(static_site(pages)) as url:
        pages["/feed"] = ("application/rss+xml", rss(url, ["/article"]))
        yield url


def transcript(output: str) -> dict[str, str]:
    """The console's piped output split by the echoed command lines (`> /stats ...`)."""
    replies: dict[str, str] = {}
    current = None
    for line in output.splitlines():
        if line.startswith("> /"):
            current = line[2:]
            replies[current] = ""
        elif current is not None:
            replies[current] += line + "\n"
    return replies


@pytest.mark.usefixtures("initialised")  # a copy of one `statbot init` in tmp_path
def test_every_readme_command_gets_a_reply_in_the_console(tmp_path: Path, repo_root: Path, site: str) -> None:
    commands = [c.replace("{site}", site) for c in readme_commands((repo_root / "README.md").read_text())]
    assert len(commands) >= 20 and "/stats add" in commands and "/digest list" in commands
    form = tmp_path / "form.json"
    form.write_text(json.dumps({**FIGURE_FORM, **QUOTE_FORM}))
    # Only editors subscribe a channel to a digest, as the README's /digest lines do.
    assert run([STATBOT, "editors", "add", "U0CONSOLE"], tmp_path).returncode == 0
    result = run(
        [STATBOT, "console", "--form", str(form), "--files", str(tmp_path / "files")],
        tmp_path,
        stdin="\n".join(commands) + "\n",
        STATBOT_FETCH_ALLOW_LOOPBACK="1",
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    replies = transcript(result.stdout)
    assert list(replies) == commands
    for command, reply in replies.items():
        assert reply.strip(), f"{command}: no reply"
        assert "(no reply" not in reply and "Something went wrong" not in reply, f"{command}: {reply}"
    # The same results as in Slack: the form's figure is saved, the export is a file, lazy replies arrive.
    assert re.search(r"(Published |Thank you: )#\d+", replies["/stats add"]) and "34%" in replies["/stats add"]
    assert re.search(r"(Published |Thank you: )#\d+", replies["/quote add"])
    saved = re.search(r"saved to (\S+\.csv)", replies["/stats export facebook"])
    assert saved is not None, replies["/stats export facebook"]
    exported = Path(saved.group(1)).read_text(encoding="utf-8-sig")
    assert exported.startswith("value,unit,measure,") and "apps owned by Facebook" in exported
    assert "online safety" in replies["/digest subscribe online safety weekly"]
    ingest = replies[f"/stats ingest {site}/article"]
    assert "figure" in ingest and "review" in ingest.lower(), ingest


@pytest.mark.usefixtures("initialised")  # a copy of one `statbot init` in tmp_path
def test_a_form_is_asked_field_by_field_from_the_input(tmp_path: Path) -> None:
    # value, unit, measure, period start and end, place, organisations, topics, producer, publisher, title,
    # link, date, evidence, primary source link, embargo. The value is left blank first: the form comes back asking
    # for it alone.
    first = ["", "9", "percent", "share of grooming offences recorded on Snapchat", "2021", "", "UK", "", "",
             "", "NSPCC", "", "", "2022-08-01", "", "", ""]  # fmt: skip
    result = run([STATBOT, "console"], tmp_path, stdin="/stats add\n" + "\n".join(first) + "\n34%\n")
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert "Value" in result.stdout and "What was counted" in result.stdout
    assert "Unit — one of: percent" in result.stdout and "Choose one of" in result.stdout  # "9" is no unit
    assert "Value: value is missing" in result.stdout
    assert "Thank you: #" in result.stdout and "34% share of grooming" in result.stdout, result.stdout


@pytest.mark.usefixtures("initialised")  # a copy of one `statbot init` in tmp_path
def test_a_form_cut_short_by_the_end_of_input_is_cancelled_not_a_traceback(tmp_path: Path) -> None:
    result = run([STATBOT, "console"], tmp_path, stdin="/quote add\nsome words\n")
    assert result.returncode == 0
    assert "cancelled" in result.stdout and "Traceback" not in result.stdout + result.stderr


@pytest.mark.usefixtures("initialised")  # a copy of one `statbot init` in tmp_path
def test_ask_waits_for_the_reply_that_comes_after_the_acknowledgement(tmp_path: Path) -> None:
    result = run([STATBOT, "ask", "/digest subscribe me online safety"], tmp_path)  # anyone may, by DM
    assert "cannot schedule new futures" not in result.stderr and "Traceback" not in result.stderr
    assert "online safety" in result.stdout and "(no reply" not in result.stdout, result.stdout


def test_make_run_piped_runs_a_command_answered_after_the_acknowledgement(
    tmp_path: Path, repo_root: Path
) -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(repo_root), "run"],
        input="/digest subscribe me online safety\n/stats facebook\n",
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    replies = transcript(result.stdout)
    assert "online safety" in replies["/digest subscribe me online safety"]
    assert "52%" in replies["/stats facebook"]


@pytest.mark.usefixtures("initialised")  # a copy of one `statbot init` in tmp_path
def test_ask_reads_a_form_from_standard_input(tmp_path: Path) -> None:
    # text, speaker, role, organisation, when, topics, publisher, title, link, embargo
    fields = ["Children deserve to be safe online.", "A Spokesperson", "", "", "2022", "", "Example News", "", "", ""]
    result = run([STATBOT, "ask", "/quote add"], tmp_path, stdin="\n".join(fields) + "\n")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "Thank you: #" in result.stdout, result.stdout


@pytest.mark.usefixtures("initialised")  # a copy of one `statbot init` in tmp_path
def test_an_unknown_command_is_answered_without_bolts_advice_to_developers(tmp_path: Path) -> None:
    result = run([STATBOT, "ask", "/nope"], tmp_path)
    assert "Unknown command '/nope'" in result.stdout
    assert "Unhandled request" not in result.stderr, result.stderr


def test_each_item_of_an_answer_shows_its_menu_in_the_console(tmp_path: Path) -> None:
    assert run([STATBOT, "init"], tmp_path).returncode == 0
    result = run([STATBOT, "ask", "/stats facebook"], tmp_path)
    assert "52%" in result.stdout and "Traceback" not in result.stderr, result.stderr
    assert "[⋯ Citation · Share this one · History · Report a problem]" in result.stdout, result.stdout


def test_slack_dates_are_shown_as_their_fallback_text_in_the_console(tmp_path: Path) -> None:
    assert run([STATBOT, "init"], tmp_path).returncode == 0
    result = run([STATBOT, "ask", "/stats history 2"], tmp_path)
    assert re.search(r"• \d{4}-\d\d-\d\d \d\d:\d\d UTC: create by ", result.stdout), result.stdout
    assert "<!date" not in result.stdout
