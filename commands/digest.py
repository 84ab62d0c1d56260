"""`/digest`: subscribe a channel to new figures on a topic, list, unsubscribe, preview, send now.

The text after `/digest` is read into a typed request (or a friendly reason it could not be read), and each
request is answered as data; bot/digest.py is the listener. digests/ delivers, schedules and stores them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, replace
from datetime import datetime, time
from functools import cache
from typing import Any, Literal, TypeAlias
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block
from sqlalchemy.orm import Session

from commands import table
from commands.reply import Reply, say, section
from commands.text import escape
from digests import subscriptions
from digests.build import schedule_of
from digests.deliver import Outcome, aware, preview
from digests.schedule import WEEKDAYS, Frequency, schedule_for
from storage import kinds, mentions, queries, roles
from storage.kinds import Kind
from storage.models import Quote, Statistic, Subscription

# What a subscription holds: every kind, or one kind only.
Content: TypeAlias = Literal["all"] | Kind

MAX_TOPIC_CHARS = 200
# Anything longer than this cannot be a valid command (a 200-character topic plus the schedule words),
# so it is turned away before any token is looked at.
MAX_COMMAND_CHARS = 400
MAX_ID_DIGITS = 12

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
    "monthly": "monthly",
    "every month": "monthly",
}
# What a subscription holds and whether a CSV of its figures comes with it; written anywhere after the topic.
_CONTENT_WORDS: dict[str, Content] = {
    "figures-only": "figure", "figures only": "figure", "only figures": "figure",
    "quotes-only": "quote", "quotes only": "quote", "only quotes": "quote",
}  # fmt: skip
_CSV_WORDS = ("csv", "with-csv", "with csv")
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
    """Subscribe this channel (or, `personal`, the person by DM); None in a schedule field means "use the default".

    A monthly digest goes out on the first `weekday` of each month."""

    topic: str
    frequency: Frequency | None = None
    weekday: int | None = None  # 0 = Monday, as datetime.weekday()
    at: time | None = None
    tz: str | None = None
    content: Content = "all"
    attach_csv: bool = False
    personal: bool = False


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
        if rest and rest[0].casefold() == "me":
            made = _parse_subscribe(rest[1:])
            return made if isinstance(made, CommandError) else replace(made, personal=True)
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
    words, content, attach_csv = _take_options(list(words))
    if isinstance(content, CommandError):
        return content
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
    return Subscribe(topic, parts.frequency, parts.weekday, parts.at, parts.tz, content, attach_csv)


def _take_options(words: list[str]) -> tuple[list[str], Content | CommandError, bool]:
    """Take `figures-only` / `quotes-only` and `csv` (each once) from anywhere in the words."""
    kept: list[str] = []
    content: Content | None = None
    attach_csv = False
    i = 0
    while i < len(words):
        one, two = words[i].casefold(), " ".join(words[i : i + 2]).casefold()
        taken = (
            2
            if two in _CONTENT_WORDS or two in _CSV_WORDS
            else 1
            if one in _CONTENT_WORDS or one in _CSV_WORDS
            else 0
        )
        option = two if taken == 2 else one
        if taken and option in _CONTENT_WORDS:
            if content is not None and content != _CONTENT_WORDS[option]:
                return (
                    words,
                    CommandError("Choose one of `figures-only` and `quotes-only`, or neither for both."),
                    False,
                )
            content = _CONTENT_WORDS[option]
        elif taken:
            attach_csv = True
        else:
            kept.append(words[i])
        i += max(taken, 1)
    return kept, content or "all", attach_csv


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


# --- answers ----------------------------------------------------------------------------------------------


COMMAND = "/digest"
INVITE = "invite it with `/invite @statbot`"
NOT_EDITOR_SUBSCRIBE = (
    "Only editors can subscribe a channel to a digest (`/stats editors` lists them). "
    "For a digest of your own by direct message: `/digest subscribe me <topic>`."
)
NOT_EDITOR_SEND_NOW = (
    "Only editors can send a channel's digest early. Ask an editor, or wait for its next run; "
    "your own digest (`/digest subscribe me <topic>`) you can send whenever you like."
)
NOT_EDITOR_UNSUBSCRIBE = (
    "Only editors can unsubscribe a channel from a digest (`/stats editors` lists them); nothing has changed."
)


@dataclass(frozen=True)
class Channel:
    """What Slack said about the channel the command was typed in (conversations.info)."""

    id: str
    is_dm: bool = False
    bot_is_member: bool = True
    is_archived: bool = False


def answer(
    session: Session,
    workspace_id: int,
    request: DigestCommand | CommandError,
    channel_id: str,
    now: datetime,
    *,
    user_id: str = "",
) -> Reply:
    """The commands that need nothing from Slack: help, list, unsubscribe, preview, and parse errors."""
    if isinstance(request, CommandError):
        return say(request.message)
    if isinstance(request, ListSubscriptions):
        return listing(session, workspace_id, channel_id, user_id=user_id)
    if isinstance(request, Unsubscribe):
        return unsubscribe(session, workspace_id, channel_id, request.subscription_id, user_id=user_id)
    if isinstance(request, Preview):
        return preview_reply(session, workspace_id, channel_id, request.subscription_id, now, user_id=user_id)
    if isinstance(request, Help):
        return say(table.help_text((table.DIGEST,)))
    raise ValueError(f"{type(request).__name__} needs Slack; see subscribe() and send_now_refusal()")


def subscribe(
    session: Session,
    workspace_id: int,
    request: Subscribe,
    channel: Channel,
    *,
    user_id: str,
    user_tz: str | None,
    now: datetime,
) -> Reply:
    """Subscribe the channel (only editors may), or the person by DM (`personal`, `channel` is then their DM
    with statbot), or say why not; the channel is told who subscribed it. The caller commits."""
    if request.personal:
        return _subscribe_person(
            session, workspace_id, request, channel, user_id=user_id, user_tz=user_tz, now=now
        )
    if channel.is_dm:
        return say(
            "Digests go to channels, not direct messages. Run `/digest subscribe` in a channel, or "
            "`/digest subscribe me <topic>` for a digest of your own by direct message."
        )
    if not roles.is_editor(session, workspace_id, user_id):
        return say(NOT_EDITOR_SUBSCRIBE)
    if channel.is_archived:
        return say("This channel is archived, so a digest could not be posted here.")
    if not channel.bot_is_member:
        return say(
            f"statbot is not in this channel, so it could not post digests here: {INVITE}, then try again."
        )
    schedule = schedule_for(request, user_tz)
    same = subscriptions.existing(session, workspace_id, channel.id, request.topic, schedule, request.content)
    if same is not None and same.paused:
        subscriptions.resume(same, now)
        return Reply(
            text=f"<@{user_id}> resumed this channel's digest: {_line(same)}",
            blocks=[
                section(
                    f"<@{user_id}> resumed this channel's digest: {_line(same)}\n"
                    "The next digest also covers what it missed while paused."
                )
            ],
            response_type="in_channel",
        )
    if same is not None:
        return say(f"This channel is already subscribed: {_line(same)}")
    made = subscriptions.subscribe(
        session, workspace_id, channel.id, request.topic, schedule, user_id=user_id, now=now,
        content=request.content, attach_csv=request.attach_csv,
    )  # fmt: skip
    message = (
        f"<@{user_id}> subscribed this channel: {_line(made)}\nEach digest lists what was published since the "
        "one before; the first covers what is published from now on."
    )
    if request.topic.strip() and not _matches_anything(session, workspace_id, request.topic):
        message += (
            f"\n_Nothing stored matches *{escape(request.topic)}* yet; digests will include it when it does._"
        )
    return say(message, response_type="in_channel")


def listing(session: Session, workspace_id: int, channel_id: str, *, user_id: str = "") -> Reply:
    found = [s for s in subscriptions.in_channel(session, workspace_id, channel_id) if not _personal(s)]
    own = subscriptions.personal(session, workspace_id, user_id) if user_id else []
    if not found and not own:
        return say(
            "This channel has no digests. Start one with `/digest subscribe <topic>`, "
            "or one of your own with `/digest subscribe me <topic>`."
        )
    lines = ["*Digests in this channel*", *(f"• {_line(s)}" for s in found)] if found else []
    if own:
        lines += ["*Your own, by direct message*", *(f"• {_line(s)}" for s in own)]
    return say("\n".join(lines))


def unsubscribe(
    session: Session, workspace_id: int, channel_id: str, subscription_id: int, *, user_id: str = ""
) -> Reply:
    """Anyone may end their own DM digest from anywhere; only editors a channel's, in that channel, and the
    channel is told who did."""
    found = subscriptions.get(session, workspace_id, subscription_id)
    if found is not None and _personal(found) and found.created_by != user_id:
        found = None  # someone else's DM digest: not theirs to see
    if found is None:
        return say(f"There is no subscription {subscription_id}. `/digest list` shows this channel's.")
    topic = _topic(found)
    if _personal(found):
        subscriptions.unsubscribe(session, found)
        return say(
            f"Unsubscribed: no more digests of {topic} by direct message (subscription {subscription_id})."
        )
    if found.channel_id != channel_id:
        return say(f"Subscription {subscription_id} is for <#{found.channel_id}>; unsubscribe it there.")
    if not roles.is_editor(session, workspace_id, user_id):
        return say(NOT_EDITOR_UNSUBSCRIBE)
    subscriptions.unsubscribe(session, found)
    said = f"<@{user_id}> unsubscribed this channel: no more digests of {topic} here"
    return Reply(
        text=f"{said}.",
        blocks=[section(f"{said} (subscription {subscription_id}).")],
        response_type="in_channel",
    )


def _subscribe_person(
    session: Session,
    workspace_id: int,
    request: Subscribe,
    channel: Channel,
    *,
    user_id: str,
    user_tz: str | None,
    now: datetime,
) -> Reply:
    """A digest of one's own, posted to one's DM with statbot (`channel`); anyone may have one."""
    schedule = schedule_for(request, user_tz)
    same = subscriptions.existing(session, workspace_id, channel.id, request.topic, schedule, request.content)
    if same is not None:
        if same.paused:
            subscriptions.resume(same, now)
            return say(f"Resumed your digest: {_line(same)}")
        return say(f"You already have this digest: {_line(same)}")
    made = subscriptions.subscribe(
        session, workspace_id, channel.id, request.topic, schedule, user_id=user_id, now=now,
        content=request.content, attach_csv=request.attach_csv,
    )  # fmt: skip
    return say(
        f"Subscribed you: {_line(made)}\nIt comes to you in a direct message from statbot; "
        f"`/digest unsubscribe {made.id}` stops it."
    )


def _personal(subscription: Subscription) -> bool:
    """A digest sent to one person: its channel is their direct message with statbot."""
    return subscription.channel_id.startswith("D")


def preview_reply(
    session: Session,
    workspace_id: int,
    channel_id: str,
    subscription_id: int | None,
    now: datetime,
    *,
    user_id: str = "",
) -> Reply:
    """Exactly what the digest would post now, shown only to the asker."""
    found = _pick(session, workspace_id, channel_id, subscription_id, user_id=user_id)
    if isinstance(found, Reply):
        return found
    message = preview(session, found, now)
    if message is None:
        return say(
            f"Nothing new for subscription {found.id} since its last digest, so nothing would be posted now."
        )
    return Reply(text=message["text"], blocks=[_block(b) for b in message["blocks"]])


def send_now_refusal(
    session: Session, workspace_id: int, user_id: str, channel_id: str, request: SendNow
) -> Reply | None:
    """Why this person may not send that digest now, or None when they may: a personal digest only its owner
    (anyone's own), a channel's only editors."""
    found = _pick(session, workspace_id, channel_id, request.subscription_id, user_id=user_id)
    if isinstance(found, Reply):
        return found
    if not _personal(found) and not roles.is_editor(session, workspace_id, user_id):
        return say(NOT_EDITOR_SEND_NOW)
    return None


def sent(outcome: Outcome) -> Reply:
    """What the editor who sent a digest now is told."""
    if outcome.state == "posted":
        return say(
            f"Digest {outcome.subscription_id} posted. The next one covers what is published from now."
        )
    if outcome.state == "empty":
        return say(
            f"Nothing new for subscription {outcome.subscription_id} since its last digest; nothing posted."
        )
    if outcome.state == "failed":
        return say(
            f"Slack would not post here ({escape(outcome.detail)}), so subscription {outcome.subscription_id} "
            f"is paused. If statbot was removed, {INVITE} and subscribe again."
        )
    if outcome.state == "busy":
        return say("That digest is being sent right now; it will appear shortly.")
    return say(f"The digest could not be posted ({escape(outcome.detail)}). Please try again in a minute.")


def _pick(
    session: Session, workspace_id: int, channel_id: str, subscription_id: int | None, *, user_id: str
) -> Subscription | Reply:
    """The subscription named, or the channel's only one; someone else's personal digest is not shown."""
    if subscription_id is None:
        found = subscriptions.in_channel(session, workspace_id, channel_id)
        if len(found) == 1:
            return found[0]
        if not found:
            return say("This channel has no digests. Start one with `/digest subscribe <topic>`.")
        return say(
            "This channel has several digests; say which, e.g. `/digest preview 12` (`/digest list`)."
        )
    subscription = subscriptions.get(session, workspace_id, subscription_id)
    if subscription is not None and _personal(subscription) and subscription.created_by != user_id:
        subscription = None  # someone else's DM digest: not theirs to see, as in unsubscribe
    if subscription is None:
        return say(f"There is no subscription {subscription_id}. `/digest list` shows this channel's.")
    return subscription


def _topic(subscription: Subscription) -> str:
    return f"*{escape(subscription.topic)}*" if subscription.topic.strip() else "all new figures"


def _line(subscription: Subscription) -> str:
    """ "*facebook* · weekly on Monday at 09:00 (Europe/London) · next Mon 30 Mar 2027 09:00 BST · id 3", the
    next run written with Slack's date formatting."""
    schedule = schedule_of(subscription)
    parts = [_topic(subscription), escape(schedule.describe())]
    if subscription.content != "all":
        parts.append(f"{kinds.plural(kinds.kind_named(subscription.content))} only")
    if subscription.attach_csv:
        parts.append("with a CSV of the figures")
    if subscription.paused:
        parts.append(f"paused: {escape(subscription.paused_reason)}")
    else:
        # In each reader's own time zone; the subscription's zone where Slack cannot format dates.
        moment = aware(subscription.next_run_at)
        local = moment.astimezone(ZoneInfo(subscription.tz))
        shown = f"next {local:%a} {local.day} {local:%b %Y %H:%M %Z}"
        parts.append(f"<!date^{int(moment.timestamp())}^next {{date_short_pretty}} at {{time}}|{shown}>")
    parts.append(f"id {subscription.id}")
    return " · ".join(parts)


def _matches_anything(session: Session, workspace_id: int, topic: str) -> bool:
    """Whether any stored item matches every word as typed (digests neither correct spelling nor match
    some of the words)."""
    figures = queries.find(session, workspace_id, Statistic, topic, limit=1)
    quotes = queries.find(session, workspace_id, Quote, topic, limit=1)
    return any(f.total and not f.partial and f.corrected_to is None for f in (figures, quotes))


def _block(raw: dict[str, Any]) -> Block:
    block = Block.parse(raw)
    assert block is not None
    return block
