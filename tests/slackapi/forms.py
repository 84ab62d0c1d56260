"""The add and edit modals as a person fills them in: Slack's view state for a form, and its submission."""

from __future__ import annotations

from typing import Any

from commands import forms
from storage.kinds import Kind
from tests.slackapi.actions import send
from tests.slackapi.signing import view_submission_payload

GOOD = {
    "value": "34%", "unit": "percent", "measure": "share of grooming offences on Snapchat",
    "period_start": "2023-04", "period_end": "2024-03", "geography": "UK", "entities": "Snapchat",
    "topics": "grooming", "producer": "NSPCC", "source_publisher": "BBC News", "source_title": "",
    "source_url": "https://www.bbc.co.uk/news/example", "source_date": "2024-08", "evidence": "",
}  # fmt: skip


def state(values: dict[str, str], form: Kind = "figure") -> dict[str, dict[str, Any]]:
    """What Slack sends for the form as a person filled it in."""
    result: dict[str, dict[str, Any]] = {}
    for field in forms.fields(form):
        typed = values.get(field.name, "")
        if field.name == "unit":
            option = {"value": typed, "text": {"type": "plain_text", "text": typed}} if typed else None
            result[field.name] = {field.name: {"type": "static_select", "selected_option": option}}
        elif field.name in forms.NAME_PICKERS:
            chosen = [{"value": n.strip(), "text": {"type": "plain_text", "text": n.strip()}}
                      for n in typed.split(";") if n.strip()]  # fmt: skip
            result[field.name] = {field.name: {"type": "multi_external_select", "selected_options": chosen}}
        elif field.name in forms.LINKS:
            result[field.name] = {field.name: {"type": "url_text_input", "value": typed or None}}
        else:
            result[field.name] = {field.name: {"type": "plain_text_input", "value": typed or None}}
    return result


def submit(server: str, values: dict[str, str], user: str, *, form: Kind = "figure",
           metadata: str = "") -> tuple[int, str]:  # fmt: skip
    callback = forms.QUOTE_FORM if form == "quote" else forms.FIGURE_FORM
    return send(
        server,
        view_submission_payload(callback, state(values, form), user_id=user, private_metadata=metadata),
    )
