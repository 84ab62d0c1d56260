"""Listeners for the add and edit modals: `/stats add`, `/quote add`, the shortcuts, and Edit on a review message."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot import home_tab
from bot.config import Settings
from bot.posting import post_for_review
from bot.review import card_of, tell, update_card
from bot.slash import Call
from commands import forms, review
from digests.dm import send_dm
from intake.errors import FieldError
from intake.validate import to_raw, validate_figure, validate_quote
from storage import changes, embargo, names, roles, sheets, write
from storage.inputs import FigureInput, QuoteInput
from storage.kinds import Kind
from storage.models import Quote, Statistic

log = logging.getLogger("statbot.forms")


def _form_of(command_or_callback: str) -> Kind:
    return "quote" if "quote" in command_or_callback else "figure"


def open_from_command(call: Call) -> None:
    """`/stats add` and `/quote add` (the rows in commands/table.py)."""
    call.ack()
    view = forms.form_view(_form_of(call.command["command"]))
    call.client.views_open(trigger_id=call.command["trigger_id"], view=view)


def register(app: App, sessions: sessionmaker[Session], settings: Settings) -> None:
    @app.options(forms.NAME_PICKERS_RE)
    def name_options(ack: Ack, payload: dict[str, Any], context: dict[str, Any]) -> None:
        """Type-ahead for the entities and topics pickers: stored names, and what was typed as a new one."""
        typed = " ".join(str(payload.get("value", "")).split())[: forms.NAME_LIMIT]
        with sessions() as session:
            stored = names.matching(session, context["workspace_id"], payload["action_id"], typed)
        ack(options=[option.to_dict() for option in forms.name_options(typed, stored)])

    @app.shortcut(forms.FIGURE_SHORTCUT)
    @app.shortcut(forms.QUOTE_SHORTCUT)
    def open_from_shortcut(ack: Ack, shortcut: dict[str, Any], client: WebClient) -> None:
        ack()
        view = forms.form_view(_form_of(shortcut["callback_id"]))
        client.views_open(trigger_id=shortcut["trigger_id"], view=view)

    @app.action(review.EDIT)
    def open_for_edit(ack: Ack, body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        ack()
        user = body["user"]["id"]
        channel = body.get("channel", {}).get("id") or body.get("container", {}).get("channel_id")
        ts = body.get("message", {}).get("ts") or body.get("container", {}).get("message_ts")
        ref = review.ItemRef.parse(body["actions"][0]["value"])
        with sessions() as session:
            # Told beside the card, or by DM when pressed on the App Home tab (which has no channel).
            if not roles.is_editor(session, context["workspace_id"], user):
                tell(client, body, review.NOT_AN_EDITOR)
                return
            item = changes.find_item(session, context["workspace_id"], ref.kind, ref.id)
            if item is None:
                tell(client, body, "That item no longer exists.")
                return
            values = to_raw(
                sheets.as_quote_input(item) if isinstance(item, Quote) else sheets.as_figure_input(item)
            )
            if (held := embargo.active(item, settings.now())) is not None:
                values["embargo"] = held.typed()
        form: Kind = ref.kind
        editing = {"kind": ref.kind, "id": ref.id, "channel": channel, "ts": ts}
        client.views_open(trigger_id=body["trigger_id"], view=forms.form_view(form, values, editing=editing))

    @app.view(forms.FIGURE_FORM)
    @app.view(forms.QUOTE_FORM)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient,
                  context: dict[str, Any]) -> None:  # fmt: skip
        form = _form_of(view["callback_id"])
        raw = forms.submitted_values(form, view["state"]["values"])
        checked = validate_quote(raw) if form == "quote" else validate_figure(raw)
        if isinstance(checked, list):
            ack(response_action="errors", errors=forms.errors_by_block(form, checked))
            return
        user = body["user"]["id"]
        editing = json.loads(view.get("private_metadata") or "{}")
        with sessions() as session:
            workspace_id = context["workspace_id"]
            editor = roles.is_editor(session, workspace_id, user)
            if editing:
                if not editor:
                    ack(response_action="errors", errors={forms.fields(form)[0].name: review.NOT_AN_EDITOR})
                    return
                item = changes.find_item(session, workspace_id, editing["kind"], int(editing["id"]))
                if item is None:
                    ack(response_action="errors", errors={forms.fields(form)[0].name: "It no longer exists."})
                    return
                try:
                    _edit(session, item, checked, user, settings.now())
                except write.Conflicts as found:
                    ack(response_action="errors", errors=_conflicts(form, found))
                    return
                session.commit()
                ack()
                if item.status == "pending":
                    # Its card in the review channel shows the edit wherever Edit was pressed (the card, the
                    # App Home tab, a problem report); a card posted before cards were recorded, if pressed.
                    card = card_of(session, workspace_id, review.ItemRef.of(item))
                    if card is None and editing.get("channel") and editing.get("ts"):
                        card = (str(editing["channel"]), str(editing["ts"]))
                    update_card(client, card, review.review_message(item, item.created_by))
                    # Its line in the editors' queues reads differently now.
                    home_tab.republish(client, sessions, workspace_id, home_tab.concerned(sessions, workspace_id))
                return
            try:
                item, created = changes.add_by_hand(session, workspace_id, checked, user, editor=editor)
            except write.Conflicts as found:
                ack(response_action="errors", errors=_conflicts(form, found))
                return
            if not created:
                ack(
                    response_action="errors",
                    errors={forms.fields(form)[0].name: forms.already_stored(form, item)},
                )
                return
            session.commit()
            ack()
            posted = None
            if not editor:
                try:
                    posted = post_for_review(
                        client, session, workspace_id, item, default_channel=settings.review_channel
                    )
                except SlackApiError as error:
                    # Saved all the same: it waits in /stats pending until the channel is fixed.
                    log.warning("could not post #%s for review: %s", item.id, error.response.get("error"))
            note = forms.saved_note(item, published=editor, posted_for_review=bool(posted))
        send_dm(client, user, note)
        # Their own tab lists it (or the newest figures do); a pending one joins every editor's queue.
        home_tab.republish(
            client,
            sessions,
            workspace_id,
            [user] if editor else home_tab.concerned(sessions, workspace_id, user),
        )


def _conflicts(form: Kind, found: write.Conflicts) -> dict[str, str]:
    """Source details that disagree with the source stored under the same link, beside their fields."""
    return forms.errors_by_block(form, [FieldError(c.column, c.message) for c in found.conflicts])


def _edit(
    session: Session, item: Statistic | Quote, typed: FigureInput | QuoteInput, user: str, now: datetime
) -> None:
    if isinstance(item, Quote) and isinstance(typed, QuoteInput):
        changes.edit_quote(session, item, typed, actor=user)
    elif isinstance(item, Statistic) and isinstance(typed, FigureInput):
        changes.edit_figure(session, item, typed, actor=user)
    # The form shows the embargo in force: a new one replaces it, an emptied field lifts it.
    held = embargo.active(item, now)
    if typed.embargo is not None and typed.embargo != held:
        changes.set_embargo(session, item, typed.embargo, actor=user, now=now)
    elif typed.embargo is None and held is not None:
        changes.set_embargo(session, item, None, actor=user, now=now)
