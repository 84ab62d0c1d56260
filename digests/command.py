"""Reading the text after `/digest` into a typed request, or a friendly reason it could not be read."""

from __future__ import annotations

import difflib
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import time
from functools import cache
from typing import Literal

from storage import mentions

Frequency = Literal["weekly", "daily"]

MAX_TOPIC_CHARS = 200
# Anything longer than this cannot be a valid command (a 200-character topic plus the schedule words),
# so it is turned away before any token is looked at.
MAX_COMMAND_CHARS = 400
MAX_ID_DIGITS = 12

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ALIASES: dict[str, int] = {
    **{name: number for number, name in enumerate(WEEKDAYS)},
    **{name + "s": number for number, name in enumerate(WEEKDAYS)},
    **{name[:3]: number for number, name in enumerate(WEEKDAYS)},
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
_FREQUENCIES: dict[str, Frequency] = {
    "weekly": "weekly",
    "daily": "daily",
    "everyday": "daily",
    "every day": "daily",
    "every week": "weekly",
}
# Little words people put before a schedule part ("on monday at 9am in Europe/London").
_CONNECTIVES = {"tz": {"in"}, "time": {"at"}, "day": {"on", "every"}, "frequency": set()}

_TIME_24H = re.compile(r"^(\d{1,2}):(\d{2})$")
_TIME_12H = re.compile(r"^(\d{1,2})(?::(\d{2}))?(am|pm|a\.m\.|p\.m\.)$")
# Looks like someone meant a time ("25:00", "9:5", "13pm") even though it is not a valid one.
_TIME_LIKE = re.compile(r"^\d{1,4}(?::\d{1,3})?(?:am|pm|a\.m\.|p\.m\.)?$|^\d+:\d+$")
_ZONE_SHAPED = re.compile(r"^[A-Za-z][A-Za-z_\-]*(?:/[A-Za-z0-9_+\-]+)+$")
_ID = re.compile(r"^#?(\d+)$")
# Bidirectional overrides can make a topic read differently from what is stored.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


@dataclass(frozen=True)
class Subscribe:
    """Subscribe this channel; None in a schedule field means "use the default"."""

    topic: str
    frequency: Frequency | None = None
    weekday: int | None = None  # 0 = Monday, as datetime.weekday()
    at: time | None = None
    tz: str | None = None


@dataclass(frozen=True)
class ListSubscriptions:
    """Show this channel's subscriptions."""


@dataclass(frozen=True)
class Unsubscribe:
    subscription_id: int


@dataclass(frozen=True)
class Preview:
    """Show what the next digest would say; without an id, for the channel's only subscription."""

    subscription_id: int | None = None


@dataclass(frozen=True)
class SendNow:
    subscription_id: int


@dataclass(frozen=True)
class Help:
    """Show how to use /digest (commands/table.py writes it)."""


@dataclass(frozen=True)
class CommandError:
    """A reason, fit to show the person who typed the command."""

    message: str


DigestCommand = Subscribe | ListSubscriptions | Unsubscribe | Preview | SendNow | Help


def parse(text: str) -> DigestCommand | CommandError:
    """Read the text after `/digest`."""
    text = _unescape_slack(text)
    if len(text) > MAX_COMMAND_CHARS:
        return CommandError(
            f"That command is {len(text):,} characters long; a topic can be at most "
            f"{MAX_TOPIC_CHARS} characters. Try a few key words, e.g. `/digest subscribe encryption`."
        )
    if bad := _first_control_character(text):
        return CommandError(
            f"The command contains an invisible control character (U+{ord(bad):04X}); "
            "please retype it without pasting formatting."
        )
    words = text.split()
    if not words:
        return Help()
    verb, rest = words[0].lower(), words[1:]
    if verb in ("help", "?"):
        return Help()
    if verb in ("list", "ls"):
        return ListSubscriptions() if not rest else _takes_nothing(verb)
    if verb == "subscribe":
        return _parse_subscribe(rest)
    if verb in ("unsubscribe", "unsub"):
        return _with_id(rest, verb, Unsubscribe)
    if verb in ("send-now", "sendnow", "send_now"):
        return _with_id(rest, "send-now", SendNow)
    if verb == "preview":
        if not rest:
            return Preview()
        return _with_id(rest, verb, Preview)
    return CommandError(
        f"I don't know `{_shown(words[0])}`. "
        "Try `/digest subscribe <topic>`, `/digest list` or `/digest help`."
    )


def _unescape_slack(text: str) -> str:
    # Slack sends slash-command text with &, < and > escaped; undo it so a topic like "AT&T" is stored as
    # typed and escaped once, when it is shown.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _first_control_character(text: str) -> str | None:
    for char in text:
        if char in "\t\n\r":
            continue  # Ordinary whitespace from a pasted or multi-line command; split() handles it.
        if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            return char
    return None


def _shown(word: str) -> str:
    """A word of the user's, safe to quote back inside backticks."""
    short = word if len(word) <= 40 else word[:39] + "…"
    return short.replace("`", "'").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _takes_nothing(verb: str) -> CommandError:
    return CommandError(f"`/digest {verb}` takes nothing after it.")


def _with_id(
    rest: list[str], verb: str, make: type[Unsubscribe] | type[SendNow] | type[Preview]
) -> DigestCommand | CommandError:
    if not rest:
        return CommandError(f"Which subscription? Write `/digest {verb} <id>`; `/digest list` shows the ids.")
    match = _ID.match(rest[0])
    if len(rest) > 1 or not match or len(match.group(1)) > MAX_ID_DIGITS or int(match.group(1)) == 0:
        shown = _shown(" ".join(rest))
        return CommandError(
            f"`{shown}` is not a subscription id. Write `/digest {verb} <id>`, e.g. `/digest {verb} 12`; "
            "`/digest list` shows the ids."
        )
    return make(subscription_id=int(match.group(1)))


# --- subscribe -------------------------------------------------------------------------------------------


@cache
def _zones_by_folded_name() -> dict[str, str]:
    # Only "Area/Place" names and UTC: the bare legacy names ("Cuba", "Turkey", "Egypt", "Japan", "GB")
    # are also topic words, and "subscribe surveillance turkey" must not become a time zone.
    names = {
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("posix/", "right/"))  # copies of the others in some tzdata
    }
    found = {name.casefold(): name for name in names}
    found["utc"] = "UTC"
    return found


@cache
def _zone_areas() -> frozenset[str]:
    """ "europe", "america", ...: casefolded, like the names they come from."""
    return frozenset(name.split("/", 1)[0] for name in _zones_by_folded_name() if "/" in name)


def _parse_time(word: str) -> time | CommandError | None:
    """A time of day, None when the word is not time-shaped, or an error when it is but is not valid."""
    folded = word.lower()
    if match := _TIME_24H.match(folded):
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return time(hour, minute)
    elif match := _TIME_12H.match(folded):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if 1 <= hour <= 12 and minute < 60:
            return time(hour % 12 + (12 if folded.endswith(("pm", "p.m.")) else 0), minute)
    elif not _TIME_LIKE.match(folded) or folded.isdigit():
        return None  # A bare number is a topic word ("section 230"), not a time.
    return CommandError(
        f"`{_shown(word)}` is not a time of day. "
        "Use 24-hour time like `09:00` or `21:30`, or `9am` / `9:30pm`."
    )


def _parse_zone(word: str, follows_schedule: bool) -> str | CommandError | None:
    """An IANA zone name, None when the word is a topic word, or an error for a zone that does not exist."""
    folded = word.casefold()
    if zone := _zones_by_folded_name().get(folded):
        return zone
    if not _ZONE_SHAPED.match(word):
        return None
    area = word.split("/", 1)[0]
    looks_like_zone = (
        area.casefold() in _zone_areas()
        or all(part[:1].isupper() and part[1:2].islower() for part in word.split("/"))
        or follows_schedule
    )
    if not looks_like_zone:
        return None  # "TCP/IP", "and/or": topic words with a slash.
    hint = ""
    if len(word) <= 64:
        close = difflib.get_close_matches(folded, list(_zones_by_folded_name()), n=1, cutoff=0.8)
        if close:
            hint = f" Did you mean `{_zones_by_folded_name()[close[0]]}`?"
    return CommandError(
        f"I don't know the time zone `{_shown(word)}`.{hint} Use a name like `Europe/London`, "
        "`America/New_York` or `UTC`."
    )


def _parse_day(word: str, after_frequency: bool) -> int | CommandError | None:
    """A weekday number, None for a topic word, or an error for a word meant as a day that is not one."""
    folded = word.lower().rstrip(",")
    if folded in _WEEKDAY_ALIASES:
        return _WEEKDAY_ALIASES[folded]
    if not folded.endswith(("day", "days")):
        return None
    close = difflib.get_close_matches(folded.removesuffix("s"), WEEKDAYS, n=1, cutoff=0.7)
    if not close and not after_frequency:
        return None  # "holiday", "today": topic words that happen to end in "day".
    hint = f" Did you mean {close[0].title()}?" if close else ""
    return CommandError(
        f"`{_shown(word)}` is not a day of the week.{hint} Use Monday to Sunday, e.g. `monday`."
    )


def _parse_subscribe(words: list[str]) -> Subscribe | CommandError:
    """Take schedule words off the end, in any order, each at most once; the words left are the topic."""
    words = list(words)
    parts = _ScheduleParts()
    while words:
        word, before = words[-1], (words[-2] if len(words) > 1 else "")
        taken = 1
        if word.lower() in ("am", "pm") and before:  # "9 am" typed as two words
            word, before, taken = before + word, (words[-3] if len(words) > 2 else ""), 2
        elif word.lower() in ("day", "week") and before.lower() == "every":
            word, before, taken = f"every {word}", (words[-3] if len(words) > 2 else ""), 2
        slot = parts.take(word, before)
        if isinstance(slot, CommandError):
            return slot
        if slot is None:
            break
        del words[-taken:]
        if words and words[-1].lower() in _CONNECTIVES[slot]:
            words.pop()

    if parts.frequency == "daily" and parts.weekday is not None:
        return CommandError(
            f"A daily digest goes out every day, so it can't also be on {WEEKDAYS[parts.weekday].title()}. "
            "Drop the day, or write `weekly` instead of `daily`."
        )
    topic = " ".join(words)
    if mentions.ANY_MENTION.search(topic):
        return CommandError(
            "A digest goes to the channel you type `/digest subscribe` in, and its topic is words to look for, "
            "not a person or a channel. To send one to another channel, run the command there, e.g. "
            "`/digest subscribe facebook`."
        )
    if len(topic) > MAX_TOPIC_CHARS:
        return CommandError(
            f"A topic can be at most {MAX_TOPIC_CHARS} characters; yours is {len(topic):,}. "
            "Try a few key words, e.g. `/digest subscribe encryption`."
        )
    return Subscribe(topic, parts.frequency, parts.weekday, parts.at, parts.tz)


_SLOT_NAMES = {"tz": "time zone", "time": "time", "day": "day", "frequency": "frequency (weekly or daily)"}


@dataclass
class _ScheduleParts:
    """The schedule words found so far while reading a subscribe command from the end."""

    frequency: Frequency | None = None
    weekday: int | None = None
    at: time | None = None
    tz: str | None = None

    def take(self, word: str, before: str) -> str | CommandError | None:
        """Record `word` if it is a schedule word and return its slot; None for a topic word."""
        after_frequency = before.lower() in _FREQUENCIES
        follows_schedule = (
            after_frequency or before.lower() in _WEEKDAY_ALIASES or isinstance(_parse_time(before), time)
        )
        slot: str | None = None
        if (frequency := _FREQUENCIES.get(word.lower())) is not None:
            slot, duplicate, self.frequency = "frequency", self.frequency is not None, frequency
        elif isinstance(at := _parse_time(word), CommandError):
            return at
        elif at is not None:
            slot, duplicate, self.at = "time", self.at is not None, at
        elif isinstance(day := _parse_day(word, after_frequency), CommandError):
            return day
        elif day is not None:
            slot, duplicate, self.weekday = "day", self.weekday is not None, day
        elif isinstance(zone := _parse_zone(word, follows_schedule), CommandError):
            return zone
        elif zone is not None:
            slot, duplicate, self.tz = "tz", self.tz is not None, zone
        else:
            return None
        if duplicate:
            return CommandError(
                f"You gave more than one {_SLOT_NAMES[slot]}; give one, e.g. "
                "`/digest subscribe encryption weekly monday 09:00`."
            )
        return slot
