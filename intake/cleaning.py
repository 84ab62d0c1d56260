"""Checks every typed text passes: no Slack control sequences, no control characters, within a length."""

from __future__ import annotations

import re
from functools import lru_cache


class Invalid(ValueError):
    """A typed value that can't be accepted; the message is shown to the person as is."""


# Slack acts on <!channel>, <!here>, <@U123>, <#C123>, <!subteam^..> and <url|label> in message text.
# Escaping on output makes them inert, but a stored "<!channel>" would still read as a ping to a
# journalist, and a <url|label> link shows a label that need not match where it goes.
_SLACK_MENTION = re.compile(r"<\s*[!@#][^<>]*>")
_SLACK_LINK = re.compile(r"<\s*[a-z][a-z0-9+.\-]*:[^<>]*>", re.IGNORECASE)

# These reorder how text is displayed, so a quote can show words in a different order than stored.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Invisible leftovers of copying from PDFs and web pages; they mean nothing but break matching.
_INVISIBLE = re.compile("[\u00ad\u200b\u2060\ufeff]")
# Spaces that look like a space but aren't one (no-break, thin, narrow no-break, ideographic).
_ODD_SPACES = re.compile("[\u00a0\u2007\u2009\u202f\u3000]")
# Control characters (Unicode category Cc) and the direction controls, found with one search per text.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# A spreadsheet repeats the same publishers, places, dates and units row after row: each is checked once.
@lru_cache(maxsize=16_384)
def clean_text(text: str, *, limit: int, multiline: bool = False) -> str:
    """The text trimmed and checked; single-line fields also have runs of whitespace made one space."""
    if not text.isascii():  # most cells are plain ASCII, and a spreadsheet can have a million of them
        text = _ODD_SPACES.sub(" ", _INVISIBLE.sub("", text))
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = "\n".join(line.rstrip() for line in text.strip().split("\n"))
    else:
        text = " ".join(text.split())
    check_inert(text, multiline=multiline)
    if len(text) > limit:
        raise Invalid(f"is {len(text):,} characters long; the limit is {limit:,}")
    return text


def check_inert(text: str, *, multiline: bool) -> None:
    """Refuse what would act or mislead when shown: Slack sequences, control characters, formulas."""
    mention = (_SLACK_MENTION.search(text) or _SLACK_LINK.search(text)) if "<" in text else None
    if mention:
        shown = mention.group(0)[:40]
        if _SLACK_LINK.fullmatch(mention.group(0)):
            raise Invalid(
                f"contains Slack link markup {shown}; write plain text (and put addresses in source_url)"
            )
        raise Invalid(
            f"contains the Slack mention {shown}, which would ping people or mislead when shown; "
            "write it without the angle brackets"
        )
    control = (_CONTROL_MULTILINE if multiline else _CONTROL).search(text)
    if control and control.group(0) in _BIDI_CONTROLS:
        raise Invalid(
            f"contains an invisible direction control (U+{ord(control.group(0)):04X}) that can "
            "reorder the text when shown; retype it"
        )
    if control:
        raise Invalid(
            f"contains a control character (U+{ord(control.group(0)):04X}); retype it or paste as plain text"
        )
    if text.startswith("="):
        raise Invalid("starts with '=', which spreadsheets run as a formula; remove it or reword")
