"""Paragraph and sentence splitting that knows abbreviations and never splits inside a quotation."""

from __future__ import annotations

import re
from dataclasses import dataclass

OPEN_QUOTES = "“"
CLOSE_QUOTES = "”"
STRAIGHT_QUOTE = '"'
SINGLE_OPEN = "‘"
SINGLE_CLOSE = "’"


STRAIGHT_SINGLE = "'"


def is_single_open(text: str, i: int) -> bool:
    """A ‘ (or a straight ' before a word) that opens a quotation: at the start or after a space,
    colon, bracket or dash."""
    if text[i] not in SINGLE_OPEN + STRAIGHT_SINGLE or not (i == 0 or text[i - 1] in " \t\n(:—–-"):
        return False
    # A straight ' must be followed by a word ("'alarming'"), not a space or a digit ("'90s").
    return text[i] == SINGLE_OPEN or (i + 1 < len(text) and text[i + 1].isalpha())


def is_single_close(text: str, i: int) -> bool:
    """A ’ (or ') that closes a quotation rather than an apostrophe ("don’t", "children’s")."""
    if text[i] not in SINGLE_CLOSE + STRAIGHT_SINGLE:
        return False
    if text[i] == STRAIGHT_SINGLE and (i == 0 or text[i - 1].isspace()):
        return False
    return i + 1 == len(text) or not text[i + 1].isalpha()


# Abbreviations after which a full stop never ends a sentence (titles, "No. 10", "e.g.").
_NEVER_FINAL = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "no",
    "nos",
    "e.g",
    "i.e",
    "cf",
    "vs",
    "v",
    "sen",
    "rep",
    "gov",
    "gen",
    "lt",
    "col",
    "capt",
    "sgt",
    "supt",
    "insp",
    "det",
    "rev",
    "hon",
    "jr",
    "sr",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "approx",
    "fig",
}
# Abbreviations that may also end a sentence ("... living in the U.S. The report ..."): split only when
# the next word is a typical sentence opener.
_MAYBE_FINAL = {"u.k", "u.s", "u.s.a", "etc", "a.m", "p.m", "inc", "ltd", "co", "corp", "plc"}
_SENTENCE_OPENERS = {
    "the",
    "a",
    "an",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "he",
    "she",
    "they",
    "we",
    "i",
    "but",
    "and",
    "in",
    "on",
    "at",
    "for",
    "from",
    "of",
    "as",
    "if",
    "when",
    "while",
    "there",
    "his",
    "her",
    "their",
    "our",
    "according",
    "however",
    "meanwhile",
    "earlier",
    "last",
    "some",
    "many",
    "most",
}
_LIST_MARKER = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s")
_TERMINAL = ".!?…"


@dataclass(frozen=True)
class Paragraph:
    """A block of text separated from its neighbours by a blank line (or a hard list/heading break)."""

    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Sentence:
    """One sentence with its character offsets in the original text."""

    index: int
    paragraph: int
    start: int
    end: int
    text: str


def split_paragraphs(text: str) -> list[Paragraph]:
    """Split on blank lines and on single newlines after a complete line (see `_hard_line_breaks`)."""
    paragraphs: list[Paragraph] = []
    for block in re.finditer(r"\S(?:.|\n(?!\s*\n))*", text):
        pieces = _hard_line_breaks(block.group(), block.start())
        for start, end in pieces:
            raw = text[start:end]
            stripped_start = start + (len(raw) - len(raw.lstrip()))
            stripped_end = start + len(raw.rstrip())
            if stripped_end > stripped_start:
                paragraphs.append(
                    Paragraph(
                        len(paragraphs), stripped_start, stripped_end, text[stripped_start:stripped_end]
                    )
                )
    return paragraphs


def _hard_line_breaks(block: str, offset: int) -> list[tuple[int, int]]:
    """A newline inside a block is a break unless the line ends mid-clause; always before a list item."""
    lines = block.split("\n")
    pieces: list[tuple[int, int]] = []
    piece_start = offset
    position = offset
    for number, line in enumerate(lines):
        line_end = position + len(line)
        is_last = number == len(lines) - 1
        next_line = "" if is_last else lines[number + 1]
        # Web pages copied as text often separate paragraphs by one newline: a line is its own
        # paragraph unless it ends mid-clause (",", ";", ":"), where the next line continues it.
        ends_paragraph = bool(line.strip()) and line.rstrip()[-1] not in ",;:"
        if is_last or ends_paragraph or _LIST_MARKER.match(next_line):
            pieces.append((piece_start, line_end))
            piece_start = line_end + 1
        position = line_end + 1
    return [(start, end) for start, end in pieces if end > start]


def split_sentences(text: str) -> list[Sentence]:
    """Split text into sentences, keeping quotations (even multi-sentence ones) inside one sentence."""
    sentences: list[Sentence] = []
    for paragraph in split_paragraphs(text):
        for start, end in _sentence_bounds(paragraph.text):
            sentences.append(
                Sentence(
                    len(sentences),
                    paragraph.index,
                    paragraph.start + start,
                    paragraph.start + end,
                    paragraph.text[start:end],
                )
            )
    return sentences


def _sentence_bounds(text: str) -> list[tuple[int, int]]:
    bounds: list[tuple[int, int]] = []
    start = 0
    in_quote = False
    in_single = False
    i = 0
    while i < len(text):
        char = text[i]
        if not in_quote and not in_single and is_single_open(text, i):
            in_single = True
        elif in_single and is_single_close(text, i):
            in_single = False
            if i > 0 and text[i - 1] in _TERMINAL and _is_boundary(text, i - 1, i + 1):
                bounds.append((start, i + 1))
                start = i + 1
                while start < len(text) and text[start].isspace():
                    start += 1
                i = start
                continue
        elif in_single:
            pass  # inside ‘single quotes’ nothing ends the sentence
        elif char in OPEN_QUOTES:
            in_quote = True
        elif char in CLOSE_QUOTES or (char == STRAIGHT_QUOTE and in_quote):
            in_quote = False
            # “It must stop.” The next sentence starts here, after the closing mark.
            if i > 0 and text[i - 1] in _TERMINAL and _is_boundary(text, i - 1, i + 1):
                bounds.append((start, i + 1))
                start = i + 1
                while start < len(text) and text[start].isspace():
                    start += 1
                i = start
                continue
        elif char == STRAIGHT_QUOTE:
            in_quote = True
        elif char in _TERMINAL and not in_quote:
            end = i + 1
            # Closing quote marks and brackets belong to the sentence they close.
            while end < len(text) and text[end] in CLOSE_QUOTES + STRAIGHT_QUOTE + ")]'’":
                end += 1
            # "1. Lunchbox Scotland is ..." : a list marker is not a sentence of its own.
            is_list_marker = re.fullmatch(r"\d{1,2}\.", text[start:end]) is not None
            if not is_list_marker and _is_boundary(text, i, end):
                bounds.append((start, end))
                start = end
                while start < len(text) and text[start].isspace():
                    start += 1
                i = start
                continue
        i += 1
    if start < len(text) and text[start:].strip():
        bounds.append((start, len(text.rstrip())))
    return bounds


def _is_boundary(text: str, stop: int, after: int) -> bool:
    """Is the terminal mark at `stop` (sentence content continues at `after`) a sentence end?"""
    rest = text[after:]
    if not rest or not rest[0].isspace():
        return not rest
    following = rest.lstrip()
    if not following:
        return True
    first = following[0]
    if not (first.isupper() or first.isdigit() or first in OPEN_QUOTES + STRAIGHT_QUOTE + "‘'(["):
        return False
    if text[stop] != ".":
        return True
    word_match = re.search(r"([A-Za-z][A-Za-z.]*)$", text[:stop])
    word = word_match.group(1).lower() if word_match else ""
    if word in _NEVER_FINAL:
        return False
    if len(word) == 1 and word.isalpha() and text[stop - 1].isupper():
        return False  # an initial, as in "J. K. Rowling"
    if word in _MAYBE_FINAL:
        next_word = re.match(r"[\w’']+", following)
        return next_word is not None and next_word.group().lower() in _SENTENCE_OPENERS
    return True
