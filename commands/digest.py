"""`/digest`: subscribe a channel to new figures on a topic, list, unsubscribe, preview, send now; replies as data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block
from sqlalchemy.orm import Session

from commands import table
from commands.reply import Reply, section
from commands.text import escape
from digests import subscriptions
from digests.build import schedule_of
from digests.command import (
    CommandError,
    DigestCommand,
    Help,
    ListSubscriptions,
    Preview,
    SendNow,
    Subscribe,
    Unsubscribe,
)
from digests.deliver import Outcome, aware, preview
from digests.schedule import schedule_for
from storage import queries, roles
from storage.models import Quote, Statistic, Subscription

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


def _reply(mrkdwn: str) -> Reply:
    return Reply(text=mrkdwn, blocks=[section(mrkdwn)])


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
        return _reply(request.message)
    if isinstance(request, ListSubscriptions):
        return listing(session, workspace_id, channel_id, user_id=user_id)
    if isinstance(request, Unsubscribe):
        return unsubscribe(session, workspace_id, channel_id, request.subscription_id, user_id=user_id)
    if isinstance(request, Preview):
        return preview_reply(session, workspace_id, channel_id, request.subscription_id, now, user_id=user_id)
    if isinstance(request, Help):
        return _reply(table.help_text((table.DIGEST,)))
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
        return _reply(
            "Digests go to channels, not direct messages. Run `/digest subscribe` in a channel, or "
            "`/digest subscribe me <topic>` for a digest of your own by direct message."
        )
    if not roles.is_editor(session, workspace_id, user_id):
        return _reply(NOT_EDITOR_SUBSCRIBE)
    if channel.is_archived:
        return _reply("This channel is archived, so a digest could not be posted here.")
    if not channel.bot_is_member:
        return _reply(
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
        return _reply(f"This channel is already subscribed: {_line(same)}")
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
    return Reply(text=message, blocks=[section(message)], response_type="in_channel")


def listing(session: Session, workspace_id: int, channel_id: str, *, user_id: str = "") -> Reply:
    found = [s for s in subscriptions.in_channel(session, workspace_id, channel_id) if not _personal(s)]
    own = subscriptions.personal(session, workspace_id, user_id) if user_id else []
    if not found and not own:
        return _reply(
            "This channel has no digests. Start one with `/digest subscribe <topic>`, "
            "or one of your own with `/digest subscribe me <topic>`."
        )
    lines = ["*Digests in this channel*", *(f"• {_line(s)}" for s in found)] if found else []
    if own:
        lines += ["*Your own, by direct message*", *(f"• {_line(s)}" for s in own)]
    return _reply("\n".join(lines))


def unsubscribe(
    session: Session, workspace_id: int, channel_id: str, subscription_id: int, *, user_id: str = ""
) -> Reply:
    """Anyone may end their own DM digest from anywhere; only editors a channel's, in that channel, and the
    channel is told who did."""
    found = subscriptions.get(session, workspace_id, subscription_id)
    if found is not None and _personal(found) and found.created_by != user_id:
        found = None  # someone else's DM digest: not theirs to see
    if found is None:
        return _reply(f"There is no subscription {subscription_id}. `/digest list` shows this channel's.")
    topic = _topic(found)
    if _personal(found):
        subscriptions.unsubscribe(session, found)
        return _reply(
            f"Unsubscribed: no more digests of {topic} by direct message (subscription {subscription_id})."
        )
    if found.channel_id != channel_id:
        return _reply(f"Subscription {subscription_id} is for <#{found.channel_id}>; unsubscribe it there.")
    if not roles.is_editor(session, workspace_id, user_id):
        return _reply(NOT_EDITOR_UNSUBSCRIBE)
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
            return _reply(f"Resumed your digest: {_line(same)}")
        return _reply(f"You already have this digest: {_line(same)}")
    made = subscriptions.subscribe(
        session, workspace_id, channel.id, request.topic, schedule, user_id=user_id, now=now,
        content=request.content, attach_csv=request.attach_csv,
    )  # fmt: skip
    return _reply(
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
        return _reply(
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
        return _reply(NOT_EDITOR_SEND_NOW)
    return None


def sent(outcome: Outcome) -> Reply:
    """What the editor who sent a digest now is told."""
    if outcome.state == "posted":
        return _reply(
            f"Digest {outcome.subscription_id} posted. The next one covers what is published from now."
        )
    if outcome.state == "empty":
        return _reply(
            f"Nothing new for subscription {outcome.subscription_id} since its last digest; nothing posted."
        )
    if outcome.state == "failed":
        return _reply(
            f"Slack would not post here ({escape(outcome.detail)}), so subscription {outcome.subscription_id} "
            f"is paused. If statbot was removed, {INVITE} and subscribe again."
        )
    if outcome.state == "busy":
        return _reply("That digest is being sent right now; it will appear shortly.")
    return _reply(f"The digest could not be posted ({escape(outcome.detail)}). Please try again in a minute.")


def _pick(
    session: Session, workspace_id: int, channel_id: str, subscription_id: int | None, *, user_id: str
) -> Subscription | Reply:
    """The subscription named, or the channel's only one; someone else's personal digest is not shown."""
    if subscription_id is None:
        found = subscriptions.in_channel(session, workspace_id, channel_id)
        if len(found) == 1:
            return found[0]
        if not found:
            return _reply("This channel has no digests. Start one with `/digest subscribe <topic>`.")
        return _reply(
            "This channel has several digests; say which, e.g. `/digest preview 12` (`/digest list`)."
        )
    subscription = subscriptions.get(session, workspace_id, subscription_id)
    if subscription is not None and _personal(subscription) and subscription.created_by != user_id:
        subscription = None  # someone else's DM digest: not theirs to see, as in unsubscribe
    if subscription is None:
        return _reply(f"There is no subscription {subscription_id}. `/digest list` shows this channel's.")
    return subscription


def _topic(subscription: Subscription) -> str:
    return f"*{escape(subscription.topic)}*" if subscription.topic.strip() else "all new figures"


def _line(subscription: Subscription) -> str:
    """ "*facebook* · weekly on Monday at 09:00 (Europe/London) · next Mon 30 Mar 2027 09:00 BST · id 3", the
    next run written with Slack's date formatting."""
    schedule = schedule_of(subscription)
    parts = [_topic(subscription), escape(schedule.describe())]
    if subscription.content != "all":
        parts.append(f"{subscription.content} only")
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
