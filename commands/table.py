"""The slash commands and their subcommands, declared once: routing, help and the docs checks read these rows.

Each row says which command(s) it belongs to, its name (the first word typed after the command; None for
the default row: a question for /stats and /quote, usage help for /digest), how to use it, one help line,
who may use it, whether its work continues after Slack's 3-second ack (lazy), and which words after the
name fit it. Words that do not fit are not this subcommand: "/stats pending legislation" is a question.
`bot/commands_table.py` names the listener for each row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Who = Literal["anyone", "editors"]
Fits = Callable[[list[str]], bool]

STATS, QUOTE, DIGEST = "/stats", "/quote", "/digest"
COMMANDS = (STATS, QUOTE, DIGEST)
_ID = re.compile(r"^#?(\d{1,9})$")


def anything(args: list[str]) -> bool:
    return True


def nothing(args: list[str]) -> bool:
    return not args


def an_id_or_nothing(args: list[str]) -> bool:
    """history, retract, supersede, expected-update, embargo: a bare word after them is a search ("history of abuse")."""
    return not args or bool(_ID.match(args[0]))


def editors_args(args: list[str]) -> bool:
    return not args or args[0].casefold() in ("list", "add", "remove")


def one_channel_at_most(args: list[str]) -> bool:
    return len(args) <= 1


@dataclass(frozen=True)
class Row:
    commands: tuple[str, ...]
    name: str | None  # None: what the command does with any other text
    usage: str  # as the person types it, in backticks
    help: str  # one line
    who: Who = "anyone"
    lazy: bool = False  # acks at once and finishes the work afterwards (a fetch, a Slack call, a DM)
    fits: Fits = anything
    aliases: tuple[str, ...] = ()
    examples: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (typed, what it does)

    def routes(self) -> list[tuple[str, str | None]]:
        return [(command, self.name) for command in self.commands]


ROWS: tuple[Row, ...] = (
    # /stats and /quote: questions first, as most of the traffic.
    Row((STATS,), None, "`/stats <subject>`", "citable figures about an organisation, product or topic",
        examples=(
            ("/stats facebook", "figures about Facebook and the apps Meta owns (Instagram, WhatsApp, Messenger)"),
            ("/stats online child sexual abuse", "figures on a topic"),
        )),
    Row((QUOTE,), None, "`/quote <topic or speaker>`", "quotes with their attribution",
        examples=(
            ("/quote burrows", "quotes by a speaker"),
            ("/quote nca", "quotes from an organisation"),
            ("/quote encryption", "quotes on a topic"),
        )),
    Row((STATS, QUOTE), "help", "`/stats help`", "this message", fits=nothing),
    Row((STATS, QUOTE), "add", "`/stats add` or `/quote add`",
        "a form to add one (editors publish it; anyone else's waits for review)", fits=nothing),
    Row((STATS, QUOTE), "pending", "`/stats pending`", "what waits for review", fits=nothing),
    Row((STATS, QUOTE), "history", "`/stats history 12`", "every change to #12: who, when and what",
        fits=an_id_or_nothing),
    Row((STATS, QUOTE), "export", "`/stats export [words]`",
        "the published figures (or `/quote export`: quotes) as a CSV in the import columns, sent by DM",
        lazy=True),
    Row((STATS, QUOTE), "editors", "`/stats editors [add|remove @name]`",
        "who the editors are; editors add or remove them (the first editor adds themselves)",
        fits=editors_args),
    Row((STATS, QUOTE), "review-channel", "`/stats review-channel [#name]`",
        "where submissions are reviewed; editors change it", fits=one_channel_at_most),
    Row((STATS, QUOTE), "citation-style", "`/stats citation-style [short|long|quote-short|quote-long <template> | reset]`",
        "the citation forms and the fields they use; editors set the workspace's own"),
    Row((STATS, QUOTE), "retract", "`/stats retract 12 reason`", "retract #12, keeping the reason",
        who="editors", fits=an_id_or_nothing),
    Row((STATS, QUOTE), "supersede", "`/stats supersede 12 40`", "answers about figure #12 point to #40",
        who="editors", fits=an_id_or_nothing),
    Row((STATS, QUOTE), "expected-update", "`/stats expected-update 12 2027-03`",
        "figure #12's series is next expected in March 2027 (or `12`: 12 months after its period; `none`)",
        who="editors", fits=an_id_or_nothing),
    Row((STATS, QUOTE), "embargo", "`/stats embargo 12 2027-01-15 09:00 Europe/London`",
        "until then only editors and whoever added #12 see it: not in answers, exports or digests (`lift` ends it now)",
        who="editors", fits=an_id_or_nothing),
    Row((STATS,), "conflicts", "`/stats conflicts`",
        "figures that disagree, side by side, with their sources and the likely reason", fits=nothing),
    Row((STATS,), "house", "`/stats house 12 reason`",
        "figure #12 is the one to cite among those that disagree with it", who="editors",
        fits=an_id_or_nothing),
    Row((STATS,), "ingest", "`/stats ingest <link>`",
        "read an article; its figures and quotes go to the review channel"),
    Row((STATS,), "feeds", "`/stats feeds [add <link> | remove <id>]`",
        "the RSS or Atom feeds whose new articles are read for review; editors add and remove them"),
    # /digest: its own parser reads the words after the name (commands/digest.py).
    Row((DIGEST,), None, "`/digest`", "how to use /digest"),
    Row((DIGEST,), "subscribe",
        "`/digest subscribe [me] <topic> [weekly|daily|monthly] [day] [time] [zone] [figures-only|quotes-only] [csv]`",
        "post the figures newly published on a topic to this channel (weekly on Monday at 09:00 in your "
        "time zone unless told otherwise; editors only), or with `me` to you by direct message (anyone)",
        lazy=True,
        examples=(
            ("/digest subscribe facebook encryption weekly monday 09:00 Europe/London", "weekly, on Mondays at 09:00 London time"),
            ("/digest subscribe online safety daily 9am", "every day at 09:00 in your time zone"),
            ("/digest subscribe grooming monthly tuesday figures-only csv",
             "the first Tuesday of each month, figures only, with a CSV of them"),
            ("/digest subscribe me facebook", "a digest of your own, by direct message"),
        )),
    Row((DIGEST,), "list", "`/digest list`", "this channel's subscriptions and their ids", aliases=("ls",)),
    Row((DIGEST,), "preview", "`/digest preview 12`", "what subscription 12 would post next, shown only to you"),
    Row((DIGEST,), "send-now", "`/digest send-now 12`",
        "post subscription 12's digest now (a channel's: editors only; your own by direct message: you)",
        lazy=True, aliases=("sendnow", "send_now")),
    Row((DIGEST,), "unsubscribe", "`/digest unsubscribe 12`", "stop subscription 12", aliases=("unsub",)),
    Row((DIGEST,), "help", "`/digest help`", "this message", aliases=("?",)),
)  # fmt: skip

_BY_KEY: dict[tuple[str, str | None], Row] = {key: row for row in ROWS for key in row.routes()}
_BY_WORD: dict[tuple[str, str], Row] = {
    (command, word): row
    for row in ROWS
    if row.name is not None
    for command in row.commands
    for word in (row.name, *row.aliases)
}


def row(command: str, name: str | None) -> Row:
    return _BY_KEY[(command, name)]


@dataclass(frozen=True)
class Routed:
    """What a typed line is: `retract 12 wrong year` -> the retract row, ["12", "wrong", "year"], "12 wrong year"."""

    command: str
    row: Row
    args: list[str]
    rest: str

    @property
    def name(self) -> str | None:
        return self.row.name


def route(command: str, text: str) -> Routed:
    """The one row that answers `text` after `command`: its named row if the words fit it, else the default."""
    words = text.split()
    if words:
        named = _BY_WORD.get((command, words[0].casefold()))
        if named is not None and named.fits(words[1:]):
            return Routed(command, named, words[1:], text.strip()[len(words[0]) :].strip())
    return Routed(command, _BY_KEY[(command, None)], words, text.strip())


def rows_of(command: str) -> list[Row]:
    return [row for row in ROWS if command in row.commands]


INTROS = {
    STATS: "*/stats* finds citable figures, with who produced them and who reported them.",
    QUOTE: "*/quote* finds quotes with their attribution.",
    DIGEST: "*Digests* post the figures newly published on a topic to this channel, on a schedule.",
}
NOTES = {
    STATS: "Answers are shown only to you; press *Share in channel* to post one for everyone. Each item's "
    "*⋯* menu gives its *Citation*, *Share this one*, *History* and *Report a problem*.",
    DIGEST: "Times are 24-hour (`09:00`, `21:30`) or am/pm (`9am`, `9:30pm`); time zones are names like "
    "`Europe/London`, `America/New_York` or `UTC`.",
}


def _line(row: Row) -> str:
    who = " (editors)" if row.who == "editors" else ""
    return f"• {row.usage}: {row.help}{who}"


def help_text(commands: Sequence[str]) -> str:
    """How to use the commands, generated from their rows: questions and examples first, then subcommands."""
    lines: list[str] = []
    shown: set[int] = set()
    for command in commands:
        lines.append(INTROS[command])
        for row in rows_of(command):
            if id(row) in shown or (row.name is None and command == DIGEST):
                continue
            shown.add(id(row))
            lines.append(_line(row))
            lines += [f"    • `{typed}`: {what}" for typed, what in row.examples]
    lines += [NOTES[command] for command in commands if command in NOTES]
    return "\n".join(lines)
