"""The add/edit modals for figures and quotes: built from slack-sdk's View models, read back into intake's raw fields."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ExternalDataMultiSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    UrlInputElement,
)
from slack_sdk.models.views import View

from commands import review
from commands.text import UNITS
from intake.errors import FieldError
from intake.validate import LIMITS
from storage.kinds import Kind
from storage.models import Quote, Statistic

FIGURE_FORM = "add_figure_form"
QUOTE_FORM = "add_quote_form"
FIGURE_SHORTCUT = "add_figure"
QUOTE_SHORTCUT = "add_quote"


EMBARGO_HINT = (
    "Until then only editors and you see it (not in answers, exports or digests for anyone else). "
    "A date, a 24-hour time and a time zone; leave empty for none."
)


@dataclass(frozen=True)
class Field:
    name: str  # the intake field, used as block_id and action_id so errors land beside it
    label: str
    hint: str = ""
    optional: bool = True
    multiline: bool = False
    placeholder: str = ""


FIGURE_FIELDS = (
    Field("value", "Value", optional=False, placeholder="52% or 9,477"),
    Field("unit", "Unit", optional=False),
    Field("measure", "What was counted", "In words a reader understands, without the number.", optional=False,
          placeholder="share of image offences against children on apps owned by Facebook"),
    Field("period_start", "Period start", placeholder="YYYY, YYYY-MM or YYYY-MM-DD"),
    Field("period_end", "Period end", placeholder="YYYY, YYYY-MM or YYYY-MM-DD"),
    Field("geography", "Place", placeholder="UK"),
    Field("entities", "Organisations or apps it is about", "Type to find a stored name, or to add a new one.",
          placeholder="Meta"),
    Field("topics", "Topics", "Type to find a stored topic, or to add a new one.",
          placeholder="online child sexual abuse"),
    Field("producer", "Produced by", "Who made the figure, if not the reporter.", placeholder="NSPCC"),
    Field("source_publisher", "Reported by (publisher)", "Publisher or title is needed.",
          placeholder="The Independent"),
    Field("source_title", "Reported by (title)", placeholder="Headline or report title"),
    Field("source_url", "Link", "A link (or a date) lets others find it.", placeholder="https://"),
    Field("source_date", "Date published", placeholder="YYYY-MM-DD"),
    Field("evidence", "Evidence sentence", "The sentence the figure is taken from, word for word.", multiline=True),
    Field("primary_source_url", "Primary source link", "The producer's own release, if you have it.",
          placeholder="https://"),
    Field("embargo", "Embargo until", EMBARGO_HINT, placeholder="2027-01-15 09:00 Europe/London"),
)  # fmt: skip
QUOTE_FIELDS = (
    Field("text", "Quote, word for word", optional=False, multiline=True),
    Field("speaker", "Who said it", optional=False, placeholder="Andy Burrows"),
    Field("speaker_role", "Their role", placeholder="head of child safety online policy"),
    Field("speaker_org", "Their organisation", placeholder="NSPCC"),
    Field("said_on", "When it was said", placeholder="YYYY-MM-DD"),
    Field("topics", "Topics", "Type to find a stored topic, or to add a new one."),
    Field("source_publisher", "Reported by (publisher)", "Publisher or title is needed."),
    Field("source_title", "Reported by (title)"),
    Field("source_url", "Link", "A link (or a date) lets others find it.", placeholder="https://"),
    Field("embargo", "Embargo until", EMBARGO_HINT, placeholder="2027-01-15 09:00 Europe/London"),
)


def fields(form: Kind) -> tuple[Field, ...]:
    return QUOTE_FIELDS if form == "quote" else FIGURE_FIELDS


def _unit_option(unit: str) -> Option:
    return Option(value=unit, label=unit)


# Type-ahead over stored names (the options come from bot/forms.py's options handler), and link inputs
# Slack checks as links before sending.
NAME_PICKERS = frozenset({"entities", "topics"})
LINKS = frozenset({"source_url", "primary_source_url"})
NAME_PICKERS_RE = re.compile("^(entities|topics)$")
NAME_LIMIT = 100  # intake's ITEM_LIMIT: a longer name is refused on submit anyway


def name_option(name: str) -> Option:
    """A stored (or new) name as an option: Slack caps the label at 75 characters and the value at 150."""
    return Option(value=name[:150], label=name[:75])


def name_options(typed: str, stored: list[str]) -> list[Option]:
    """The stored names matching, and what was typed as a new name unless it is stored already (any case)."""
    known = {name.casefold() for name in stored}
    new = (
        [Option(value=typed[:150], label=f"New: {typed}"[:75])]
        if typed and typed.casefold() not in known
        else []
    )
    return [*(name_option(name) for name in stored), *new]


def _element(
    field: Field, value: str
) -> StaticSelectElement | PlainTextInputElement | ExternalDataMultiSelectElement | UrlInputElement:
    if field.name in NAME_PICKERS:
        names = [n.strip() for n in value.split(";") if n.strip()]
        return ExternalDataMultiSelectElement(
            action_id=field.name,
            placeholder=field.placeholder or "Type a name",
            min_query_length=1,
            initial_options=[name_option(n) for n in names] or None,
        )
    if field.name in LINKS:
        return UrlInputElement(
            action_id=field.name, initial_value=value or None, placeholder=field.placeholder or None
        )
    if field.name == "unit":
        return StaticSelectElement(
            action_id=field.name,
            placeholder="Choose a unit",
            options=[_unit_option(u) for u in UNITS],
            initial_option=_unit_option(value) if value in UNITS else None,
        )
    return PlainTextInputElement(
        action_id=field.name,
        multiline=field.multiline,
        initial_value=value or None,
        max_length=LIMITS.get(field.name, 3000) if field.name in LIMITS else 3000,
        placeholder=field.placeholder or None,
    )


def form_view(
    form: Kind, values: dict[str, str] | None = None, *, editing: dict[str, Any] | None = None
) -> View:
    """The modal, pre-filled with `values` (intake's raw strings); `editing` rides along in private_metadata."""
    values = values or {}
    blocks: list[Block] = [
        InputBlock(
            block_id=field.name,
            label=field.label,
            hint=PlainTextObject(text=field.hint) if field.hint else None,
            optional=field.optional,
            element=_element(field, values.get(field.name, "")),
        )
        for field in fields(form)
    ]
    verb = "Edit" if editing else "Add"
    return View(
        type="modal",
        callback_id=QUOTE_FORM if form == "quote" else FIGURE_FORM,
        title=f"{verb} a {form}",
        submit="Save" if editing else "Submit",
        close="Cancel",
        private_metadata=json.dumps(editing or {}),
        blocks=blocks,
    )


def submitted_values(form: Kind, state: dict[str, dict[str, dict[str, Any]]]) -> dict[str, str]:
    """The modal's state as the raw strings intake validates (a select's chosen value, a text's text)."""
    raw: dict[str, str] = {}
    for field in fields(form):
        typed = state.get(field.name, {}).get(field.name, {})
        if typed.get("type") == "static_select":
            raw[field.name] = (typed.get("selected_option") or {}).get("value", "")
        elif typed.get("type") == "multi_external_select":
            raw[field.name] = ";".join(o.get("value", "") for o in typed.get("selected_options") or [])
        else:
            raw[field.name] = typed.get("value") or ""
    return raw


def errors_by_block(form: Kind, errors: list[FieldError]) -> dict[str, str]:
    """intake's errors keyed by the block they belong beside; one the form has no field for goes first."""
    names = {field.name for field in fields(form)}
    keyed: dict[str, str] = {}
    for error in errors:
        block = error.field if error.field in names else fields(form)[0].name
        keyed[block] = f"{keyed[block]} {error.message}" if block in keyed else error.message
    return {block: message[:2000] for block, message in keyed.items()}


def already_stored(form: Kind, item: Statistic | Quote) -> str:
    return f"This {form} is already stored as #{item.id} ({item.status})."


def saved_note(item: Statistic | Quote, *, published: bool, posted_for_review: bool) -> str:
    """What the person who sent the form is told: published (an editor's), or saved and where it waits."""
    if published:
        return f"Published #{item.id}: {review.summary(item)}"
    where = "an editor will review it" if posted_for_review else "it waits for an editor (`/stats pending`)"
    return f"Thank you: #{item.id} ({review.summary(item)}) is saved and {where}."
