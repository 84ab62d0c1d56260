"""Listeners for what an answer offers: each item's menu (Citation, Share this one, History, Report a problem),
Show more, Export these and Chart."""

from __future__ import annotations

import json
import logging
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import sharing
from bot.config import Settings
from bot.exports import export_file
from commands import item_actions, manage, quote, review, stats
from commands.item_menu import CHART, EXPORT_THESE, ITEM_MENU, SHOW_MORE, Pressed
from commands.series import chart_png, span
from commands.text import plural
from digests.dm import open_dm
from storage import changes, citation_styles, embargo, series, shares, workspaces
from storage.db import read_only
from storage.kinds import Kind
from storage.models import Statistic
from storage.retry import read_retrying

log = logging.getLogger("statbot.item_actions")
NOTHING_MORE = "That is everything this question found."


def _say(respond: Respond, text: str) -> None:
    respond(response_type="ephemeral", replace_original=False, text=text)


def register(app: App, sessions: sessionmaker[Session], settings: Settings) -> None:
    reading = read_only(sessions.kw["bind"])

    @app.action(ITEM_MENU)
    def item_menu(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient,
                  context: dict[str, Any]) -> None:  # fmt: skip
        ack()
        pressed = Pressed.parse(body["actions"][0]["selected_option"]["value"])
        user, workspace_id, today = body["user"]["id"], context["workspace_id"], settings.today()
        now = settings.now()
        channel = sharing.channel_of(body)
        with Session(reading) as session:
            item = changes.find_item(session, workspace_id, pressed.kind, pressed.id)
            if item is None or embargo.hidden(item, embargo.viewer(session, workspace_id, user, now)):
                respond(**item_actions.gone(pressed.kind, pressed.id).as_slack(), replace_original=False)
                return
            held = embargo.active(item, now)
            if pressed.what == "share" and held is not None:
                respond(**item_actions.embargoed(item, held.human()).as_slack(), replace_original=False)
                return
            if pressed.what == "cite":
                reply = item_actions.citation_of(
                    item, citation_styles.templates(session, workspace_id), today
                )
                # A copied citation is a share too: a retraction tells whoever copied it.
                with sessions.begin() as writing:
                    shares.record(writing, workspace_id, [(pressed.kind, item.id)],
                                  shares.Place(shares.CITATION, channel, user))  # fmt: skip
            elif pressed.what == "share":
                shown = item_actions.shared_item(session, workspace_id, item, user, today).as_slack()
                thread = (body.get("container") or {}).get("thread_ts")
                ts = sharing.post(client, respond, channel, thread, shown)
                sharing.remember(sessions, workspace_id, shown, shares.Place(shares.ITEM, channel, user, ts, thread))
                return
            elif pressed.what == "history":
                reply = manage.history(session, workspace_id, type(item), [str(item.id)])
            else:
                view = item_actions.report_view(pressed.kind, item.id, review.summary(item))
                client.views_open(trigger_id=body["trigger_id"], view=view)
                return
        respond(**reply.as_slack(), replace_original=False)

    @app.view(item_actions.REPORT_FORM)
    def reported(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient,
                 context: dict[str, Any]) -> None:  # fmt: skip
        why = item_actions.reported_why(view["state"]["values"])
        if not why:
            ack(
                response_action="errors",
                errors={item_actions.REPORT_WHY: "Say what is wrong, for the editors."},
            )
            return
        about = json.loads(view.get("private_metadata") or "{}")
        user, workspace_id = body["user"]["id"], context["workspace_id"]
        with sessions() as session:
            item = changes.find_item(session, workspace_id, about.get("kind", ""), int(about.get("id", 0)))
            channel = workspaces.review_channel(session, workspace_id, settings.review_channel)
            if item is None or channel is None:
                problem = item_actions.NO_REVIEW_CHANNEL if item is not None else "It is no longer stored."
                ack(response_action="errors", errors={item_actions.REPORT_WHY: problem})
                return
            message = item_actions.report_message(item, user, why, date.today())
        try:
            client.chat_postMessage(channel=channel, text=message.text, blocks=message.as_slack()["blocks"],
                                    unfurl_links=False)  # fmt: skip
        except SlackApiError as error:
            log.warning("could not post a problem report to %s: %s", channel, error.response.get("error"))
            ack(response_action="errors", errors={
                item_actions.REPORT_WHY: "statbot could not post to the review channel; please try again later."})  # fmt: skip
            return
        ack()

    @app.action(SHOW_MORE)
    def show_more(ack: Ack, body: dict[str, Any], respond: Respond, context: dict[str, Any]) -> None:
        ack()
        asked = json.loads(body["actions"][0]["value"])
        respond(
            **next_page(reading, context["workspace_id"], asked, body["user"]["id"], settings.now()),
            replace_original=False,
        )

    def export_pressed(ack: Ack) -> None:
        ack()

    def export(body: dict[str, Any], client: WebClient, respond: Respond, context: dict[str, Any]) -> None:
        asked = json.loads(body["actions"][0]["value"])
        kind: Kind = "quote" if asked["command"] == quote.COMMAND else "figure"
        words = str(asked["text"])
        dm = open_dm(client, body["user"]["id"])
        with tempfile.TemporaryDirectory() as folder, sessions() as session:
            path, count = export_file(session, context["workspace_id"], kind, words, Path(folder))
            client.files_upload_v2(
                channel=dm, file=str(path), filename=path.name, title=path.name,
                initial_comment=f"{plural(count, kind)} matching “{words}”, in the import columns.",
            )  # fmt: skip
        _say(respond, "Sent: the export is in your direct messages with statbot.")

    app.action(EXPORT_THESE)(ack=export_pressed, lazy=[export])

    def chart(body: dict[str, Any], client: WebClient, respond: Respond, context: dict[str, Any]) -> None:
        ids = [int(i) for i in json.loads(body["actions"][0]["value"])["ids"]]
        with Session(reading) as session:
            viewer = embargo.viewer(session, context["workspace_id"], body["user"]["id"], settings.now())
            figures = [f for i in ids if isinstance(f := changes.find_item(session, context["workspace_id"],
                                                                            "figure", i), Statistic)
                       and not embargo.hidden(f, viewer)]  # fmt: skip
            # The whole series held (the button names figures of it on the answer's page), not only those.
            points = series.held(session, context["workspace_id"], figures[0], viewer) if figures else []
            png = chart_png(points)
            title = points[-1].measure if points else ""
            drawn = span(points)
        if png is None:
            _say(respond, "Those figures no longer make a series of two dates or more, so there is no chart.")
            return
        user = body["user"]["id"]
        container = body.get("container", {})
        if container.get("is_ephemeral", True):  # shown only to them: the chart goes to them only
            channel, thread = open_dm(client, user), None
        else:  # a shared answer: the chart goes in its thread
            channel, thread = (
                container.get("channel_id") or body["channel"]["id"],
                container.get("message_ts"),
            )
        client.files_upload_v2(channel=channel, thread_ts=thread, content=png, filename="statbot-chart.png",
                               title=title[:250], initial_comment=f"Chart asked for by <@{user}>: {drawn}")  # fmt: skip
        if thread is None:
            _say(respond, "Sent: the chart is in your direct messages with statbot.")

    app.action(CHART)(ack=export_pressed, lazy=[chart])


def next_page(
    reading: Engine, workspace_id: int, asked: dict[str, Any], user_id: str, now: datetime
) -> dict[str, Any]:
    command, text, offset = str(asked["command"]), str(asked["text"]), int(asked["offset"])

    def read() -> dict[str, Any]:
        with Session(reading) as session:
            viewer = embargo.viewer(session, workspace_id, user_id, now)
            if command == quote.COMMAND:
                reply = quote.answer(session, workspace_id, text, offset=offset, viewer=viewer)
            else:
                reply = stats.answer(session, workspace_id, text, offset=offset, viewer=viewer)
            return reply.as_slack()

    payload = read_retrying(read, command)
    if not payload.get("blocks") or payload["text"].startswith("No "):
        return {"response_type": "ephemeral", "text": NOTHING_MORE}
    return payload
