"""Slack's Block Kit and message size limits, checked the way the Web API checks them.

The stand-in runs these on every message and view it receives, so a payload that Slack
would refuse fails in our tests too instead of in production. Error strings copy Slack's
style, e.g. ``must be less than 3001 characters [json-pointer:/blocks/0/text/text]``.
Only the limits we have been bitten by (or are close to) are modelled; unknown block
types pass unchecked rather than being refused, so the checks never give false alarms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MESSAGE_MAX_TEXT = 40_000
VIEW_MAX_BUTTON_LABEL = 24  # title, submit and close
SECTION_MAX_TEXT = 3000
SECTION_MAX_FIELDS = 10
FIELD_MAX_TEXT = 2000
HEADER_MAX_TEXT = 150
CONTEXT_MAX_ELEMENTS = 10
ACTIONS_MAX_ELEMENTS = 25
BUTTON_MAX_TEXT = 75
BUTTON_MAX_VALUE = 2000
MAX_ID = 255  # action_id, block_id, callback_id, external_id
INPUT_MAX_LABEL = 2000
TEXT_INPUT_MAX_INITIAL = 3000
VIEW_MAX_PRIVATE_METADATA = 3000
PLACEHOLDER_MAX_TEXT = 150
VIEW_TYPES = ("modal", "home")
OVERFLOW_MAX_OPTIONS = 5
OPTION_MAX_TEXT = 75
OPTION_MAX_VALUE = 150

Problem = tuple[str, list[str]]  # (Slack error code, human-readable details)


def _length(value: Any, limit: int, pointer: str, errors: list[str]) -> None:
    if isinstance(value, str) and len(value) > limit:
        errors.append(f"must be less than {limit + 1} characters [json-pointer:{pointer}]")


def _count(value: Any, limit: int, pointer: str, errors: list[str]) -> None:
    if isinstance(value, list) and len(value) > limit:
        errors.append(f"no more than {limit} items allowed [json-pointer:{pointer}]")


def _text(obj: Any) -> Any:
    """The ``text`` of a text object; None when the object is missing or malformed."""
    return obj.get("text") if isinstance(obj, dict) else None


def _element(element: Any, pointer: str, errors: list[str]) -> None:
    if not isinstance(element, dict):
        return
    _length(element.get("action_id"), MAX_ID, f"{pointer}/action_id", errors)
    kind = element.get("type")
    if kind == "button":
        _length(_text(element.get("text")), BUTTON_MAX_TEXT, f"{pointer}/text/text", errors)
        _length(element.get("value"), BUTTON_MAX_VALUE, f"{pointer}/value", errors)
    elif kind == "overflow":
        options = element.get("options")
        _count(options, OVERFLOW_MAX_OPTIONS, f"{pointer}/options", errors)
        if isinstance(options, list) and len(options) < 2:
            errors.append(f"must provide at least 2 items [json-pointer:{pointer}/options]")
    if kind in ("overflow", "static_select", "multi_static_select", "multi_external_select", "external_select"):
        for key in ("options", "initial_options"):
            for k, option in enumerate(element.get(key) or []):
                if isinstance(option, dict):
                    _length(_text(option.get("text")), OPTION_MAX_TEXT, f"{pointer}/{key}/{k}/text/text", errors)
                    _length(option.get("value"), OPTION_MAX_VALUE, f"{pointer}/{key}/{k}/value", errors)
    if kind == "plain_text_input":
        _length(element.get("initial_value"), TEXT_INPUT_MAX_INITIAL, f"{pointer}/initial_value", errors)
    _length(_text(element.get("placeholder")), PLACEHOLDER_MAX_TEXT, f"{pointer}/placeholder/text", errors)


def block_errors(blocks: list[Any], *, max_blocks: int, pointer: str = "/blocks") -> list[str]:
    """Every limit the ``blocks`` array breaks, one Slack-style string each."""
    errors: list[str] = []
    _count(blocks, max_blocks, pointer, errors)
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"{pointer}/{i}"
        if not isinstance(block, dict):
            errors.append(f"must be an object [json-pointer:{at}]")
            continue
        _length(block.get("block_id"), MAX_ID, f"{at}/block_id", errors)
        if isinstance(block.get("block_id"), str):
            if block["block_id"] in block_ids:  # Slack refuses a repeated block_id in one message or view
                errors.append(f"duplicate block_id [json-pointer:{at}/block_id]")
            block_ids.add(block["block_id"])
        kind = block.get("type")
        if kind == "section":
            _length(_text(block.get("text")), SECTION_MAX_TEXT, f"{at}/text/text", errors)
            fields = block.get("fields")
            _count(fields, SECTION_MAX_FIELDS, f"{at}/fields", errors)
            for j, field in enumerate(fields if isinstance(fields, list) else []):
                _length(_text(field), FIELD_MAX_TEXT, f"{at}/fields/{j}/text", errors)
            _element(block.get("accessory"), f"{at}/accessory", errors)
        elif kind == "header":
            _length(_text(block.get("text")), HEADER_MAX_TEXT, f"{at}/text/text", errors)
        elif kind == "context":
            _count(block.get("elements"), CONTEXT_MAX_ELEMENTS, f"{at}/elements", errors)
        elif kind == "actions":
            elements = block.get("elements")
            _count(elements, ACTIONS_MAX_ELEMENTS, f"{at}/elements", errors)
            for j, element in enumerate(elements if isinstance(elements, list) else []):
                _element(element, f"{at}/elements/{j}", errors)
        elif kind == "input":
            _length(_text(block.get("label")), INPUT_MAX_LABEL, f"{at}/label/text", errors)
            _element(block.get("element"), f"{at}/element", errors)
    return errors


def message_problem(params: Mapping[str, Any], *, may_be_empty: bool = False) -> Problem | None:
    """Why Slack would refuse this chat.* / response_url message, or None if it would not.

    ``may_be_empty`` is for response_url posts that only delete the original message.
    """
    blocks, text = params.get("blocks"), params.get("text")
    if blocks is not None and not isinstance(blocks, list):
        # A string here means the form field did not hold a JSON array.
        return "invalid_blocks_format", ["blocks must be a JSON array"]
    if not may_be_empty and not text and not blocks and not params.get("attachments"):
        return "no_text", ["message has neither text nor blocks"]
    if isinstance(text, str) and len(text) > MESSAGE_MAX_TEXT:
        return "msg_too_long", [f"must be less than {MESSAGE_MAX_TEXT + 1} characters [json-pointer:/text]"]
    errors = block_errors(blocks or [], max_blocks=MESSAGE_MAX_BLOCKS)
    return ("invalid_blocks", errors) if errors else None


def view_problem(view: Any) -> Problem | None:
    """Why Slack would refuse this view (views.open/update/publish), or None."""
    if not isinstance(view, dict):
        return "invalid_arguments", ["view must be a JSON object [json-pointer:/view]"]
    errors: list[str] = []
    if view.get("type") not in VIEW_TYPES:
        errors.append("must be one of modal, home [json-pointer:/view/type]")
    if view.get("type") == "modal" and not _text(view.get("title")):
        errors.append("missing required field: title [json-pointer:/view/title]")
    for key in ("title", "submit", "close"):
        _length(_text(view.get(key)), VIEW_MAX_BUTTON_LABEL, f"/view/{key}/text", errors)
    _length(view.get("private_metadata"), VIEW_MAX_PRIVATE_METADATA, "/view/private_metadata", errors)
    _length(view.get("callback_id"), MAX_ID, "/view/callback_id", errors)
    _length(view.get("external_id"), MAX_ID, "/view/external_id", errors)
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        errors.append("missing required field: blocks [json-pointer:/view/blocks]")
    else:
        errors += block_errors(blocks, max_blocks=VIEW_MAX_BLOCKS, pointer="/view/blocks")
    # Slack answers bad views with invalid_arguments (details in response_metadata), not invalid_blocks.
    return ("invalid_arguments", errors) if errors else None
