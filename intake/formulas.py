"""Keeping spreadsheet programs from running exported text as a formula (OWASP's CSV injection advice).

Excel, LibreOffice and Google Sheets treat a cell starting with = + - @ (or a tab or carriage return
before one) as a formula, and `=HYPERLINK(...)` or `=cmd|...` can leak data or run commands. Exports put
an apostrophe before such text; imports take exactly that apostrophe off again, so export -> import ->
export gives the same bytes. The rule, both ways: a leading `'` followed by one of = + - @ tab CR is
the export's guard, not part of the text. Numbers are never guarded: -12 stays a number.
"""

from __future__ import annotations

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"


def guard(text: str) -> str:
    """The text as an export writes it: an apostrophe first if a spreadsheet would read a formula."""
    return GUARD + text if text.startswith(TRIGGERS) else text


def unguard(text: str) -> str:
    """The text as it was before `guard`: only the apostrophe an export adds is removed."""
    return text[1:] if text.startswith(GUARD) and text[1:].startswith(TRIGGERS) else text
