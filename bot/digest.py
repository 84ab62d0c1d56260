"""The `/digest` listeners (one for every /digest row of commands/table.py): quick answers in the ack; subscribe and send-now, which call Slack, after it."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import home_tab
from bot.slash import Call
from commands import digest
from digests import deliver
from digests.dm import open_dm
from storage.models import utcnow

log = logging.getLogger("statbot")


def acknowledge(call: Call) -> None:
    """Every /digest row: the quick answers in the ack; subscribe and send-now ack now and go on in `after_ack`."""
    request = digest.parse(call.text)
    if isinstance(request, digest.Subscribe | digest.SendNow):
        call.ack()  # these ask Slack about the channel or post, which can outlast Slack's 3 seconds
        return
    with call.wiring.sessions.begin() as session:
        reply = digest.answer(
            session,
            call.workspace_id,
            request,
            call.command["channel_id"],
            utcnow(),
            user_id=call.command["user_id"],
        )
    call.ack(**reply.as_slack())


def after_ack(call: Call) -> None:
    request = digest.parse(call.text)
    sessions, client, respond, command = call.wiring.sessions, call.client, call.respond, call.command
    workspace_id, user_id = call.workspace_id, command["user_id"]
    if isinstance(request, digest.Subscribe):
        if request.personal:  # their own digest goes to their DM with statbot, wherever they typed it
            dm = open_dm(client, user_id)
            channel = digest.Channel(dm, is_dm=True)
        else:
            channel = _channel(client, command["channel_id"])
        user_tz = _user_tz(client, user_id)
        with sessions.begin() as session:
            reply = digest.subscribe(
                session, workspace_id, request, channel, user_id=user_id, user_tz=user_tz, now=utcnow()
            )
        respond(**reply.as_slack())
        # their tab lists the digests they manage
        home_tab.republish(client, sessions, workspace_id, [user_id])
    elif isinstance(request, digest.SendNow):
        with sessions() as session:
            refusal = digest.send_now_refusal(session, workspace_id, user_id, command["channel_id"], request)
        if refusal is not None:
            respond(**refusal.as_slack())
            return
        now = utcnow()
        outcome = deliver.deliver(sessions, client, request.subscription_id, now, now=now, scheduled=False)
        log.info("digest %s sent now by %s: %s", request.subscription_id, user_id, outcome.state)
        respond(**digest.sent(outcome).as_slack())


def _channel(client: WebClient, channel_id: str) -> digest.Channel:
    """The channel as statbot sees it; one it cannot see (private, not a member) counts as not a member."""
    if channel_id.startswith("D"):
        return digest.Channel(channel_id, is_dm=True, bot_is_member=False)
    try:
        info = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as error:
        if error.response.get("error") == "channel_not_found":
            return digest.Channel(channel_id, bot_is_member=False)
        raise
    return digest.Channel(
        channel_id,
        is_dm=bool(info.get("is_im") or info.get("is_mpim")),
        bot_is_member=bool(info.get("is_member")),
        is_archived=bool(info.get("is_archived")),
    )


def _user_tz(client: WebClient, user_id: str) -> str | None:
    try:
        tz = client.users_info(user=user_id)["user"].get("tz")
    except SlackApiError as error:
        log.warning(
            "users.info for %s failed (%s); digest times default to UTC", user_id, error.response.get("error")
        )
        return None
    return str(tz) if tz else None
