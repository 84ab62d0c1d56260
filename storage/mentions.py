"""People and channels in slash-command text, as Slack sends them with `should_escape: true` (manifest.yml).

Slack turns a person or channel picked from its autocomplete into `<@U123|alice>` / `<#C123|press>`; what it
cannot resolve (a typo, or escaping turned off in the app's settings) arrives as the plain `@alice` / `#press`,
which names no one statbot can act on.
"""

from __future__ import annotations

import re

USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
# Anywhere in a text: either escaped form.
ANY_MENTION = re.compile(r"<[@#][A-Z0-9]+(?:\|[^>]*)?>")

PLAIN_PERSON = (
    "Slack sent `{typed}` as plain text, not as a mention, so statbot cannot tell who that is. "
    "Type `@` and pick them from the list Slack offers, so the name turns into a mention. "
    "(If it never does, the app's slash commands need “Escape channels, users, and links” turned on, "
    "as `manifest.yml` sets with `should_escape: true`.)"
)
PLAIN_CHANNEL = (
    "Slack sent `{typed}` as plain text, not as a channel link, so statbot cannot tell which channel that is. "
    "Type `#` and pick it from the list Slack offers. "
    "(If it never turns into a link, the app's slash commands need “Escape channels, users, and links” "
    "turned on, as `manifest.yml` sets with `should_escape: true`.)"
)


def user_id(word: str) -> str | None:
    match = USER.match(word)
    return match.group(1) if match else None


def channel_id(word: str) -> str | None:
    match = CHANNEL.match(word)
    return match.group(1) if match else None


def _shown(word: str) -> str:
    short = word if len(word) <= 40 else word[:39] + "…"
    return short.replace("`", "'").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_person_hint(words: list[str]) -> str | None:
    """The hint for the first `@name` typed as plain text, if any."""
    typed = next((w for w in words if w.startswith("@") and len(w) > 1), None)
    return PLAIN_PERSON.format(typed=_shown(typed)) if typed else None


def plain_channel_hint(words: list[str]) -> str | None:
    typed = next((w for w in words if w.startswith("#") and len(w) > 1), None)
    return PLAIN_CHANNEL.format(typed=_shown(typed)) if typed else None
