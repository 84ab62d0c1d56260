"""Citations ready to paste, producer first: a short form for social posts and a long one for briefings.

A citation is filled from named fields (`{value}`, `{producer}` ...) by a template: the default, or the
workspace's own (`/stats citation-style`). A field with nothing stored is left out together with the
punctuation that joins it to the text before it, so "{measure}, {place}, {period}" with no place reads
"measure, period", never "measure, , period".
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date

from slack_sdk.models.blocks import Block

from commands.reply import SAFE_URL, Reply, context, section
from commands.text import clip, escape, format_value
from storage.models import Quote, Source, Statistic
from storage.partial_date import PartialDate, Precision, human_period

SHORT_LIMIT = 280  # a post on X; Bluesky allows 300
TEMPLATE_LIMIT = 500
FORMS = ("short", "long", "quote-short", "quote-long")
FIGURE_FIELDS = {
    "value": "the value as people write it (52%)",
    "measure": "what was counted",
    "place": "where",
    "period": "the period it covers",
    "producer": "who produced the figure",
    "title": "the title of the producer's release",
    "date": "when it was published",
    "link": "the link to it",
    "reported_by": "the outlet that reported it",
    "accessed": "today's date",
}
QUOTE_FIELDS = {
    "quote": "the words, as said",
    "speaker": "who said them",
    "role": "their role",
    "org": "their organisation",
    "said_on": "when they were said",
    "reported_by": "the outlet that reported them",
    "link": "the link to it",
    "accessed": "today's date",
}
DEFAULTS = {
    "short": "{producer}: {value} {measure}, {place}, {period}. {link}",
    "long": "{producer}. “{title}”. {date}. {link}. Reported by {reported_by}. Accessed {accessed}.",
    "quote-short": "{speaker} ({role}, {org}), {said_on}: “{quote}” {link}",
    "quote-long": "{speaker}, {role}, {org}, {said_on}. Reported by {reported_by}. {link}. Accessed {accessed}.",
}
NO_LINK = "No link recorded"
NO_DATE = "n.d."
_OPENERS = {"“": "”", "(": ")", "[": "]", '"': '"', "‘": "’", "'": "'"}
_SEPARATOR = re.compile(r"^[\s,;:.\-–—/|]*$")


def fields_of(form: str) -> dict[str, str]:
    return QUOTE_FIELDS if form.startswith("quote") else FIGURE_FIELDS


class TemplateError(ValueError):
    """A template that cannot be used, with a message for the person who typed it."""


def check_template(form: str, template: str) -> str:
    """The template trimmed, or TemplateError saying plainly what is wrong with it."""
    template = template.strip().strip("`").strip()
    known = fields_of(form)
    listed = " ".join(f"`{{{name}}}`" for name in known)
    if not template:
        raise TemplateError(f"Give the template after `{form}`, using {listed}.")
    if len(template) > TEMPLATE_LIMIT:
        raise TemplateError(f"That template is {len(template):,} characters; keep it under {TEMPLATE_LIMIT}.")
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise TemplateError(
            "A `{` or `}` in that template is not part of a field. Fields look like `{producer}`."
        ) from None
    used = [name for _, name, spec, conversion in parts if name is not None]
    unknown = [name for name in used if name not in known]
    if unknown:
        names = ", ".join(f"`{{{name}}}`" for name in unknown) if any(unknown) else "`{}`"
        raise TemplateError(f"Unknown field {names}. The {form} form can use {listed}.")
    if any(spec or conversion for _, name, spec, conversion in parts if name is not None):
        raise TemplateError("Fields take no formatting: write `{value}`, not `{value:...}` or `{value!r}`.")
    if not used:
        raise TemplateError(
            f"That template has no fields, so every citation would read the same. Use {listed}."
        )
    return template


def fill(template: str, values: dict[str, str]) -> str:
    """The template with its fields filled; an empty field goes, with the punctuation that led to it."""
    literals, filled = [""], []
    for literal, name, _, _ in string.Formatter().parse(template):
        literals[-1] += literal
        if name is not None:
            filled.append(values.get(name, ""))
            literals.append("")
    for index, value in enumerate(filled):
        if value:
            continue
        before, after = literals[index], literals[index + 1]
        closer = _OPENERS.get(before.rstrip()[-1:]) if before.strip() else None
        if closer and after.lstrip().startswith(closer):  # “{title}” with no title: the marks go too
            before, after = before.rstrip()[:-1], after.lstrip()[len(closer) :]
        if index > 0 and _SEPARATOR.match(before):
            before = " " if before.endswith(" ") else ""
        elif not before.strip():  # nothing before it: the punctuation after it goes instead
            after = re.sub(r"^[\s,;:.\-–—/|]+", "", after)
        literals[index], literals[index + 1] = before, after
    text = literals[0] + "".join(value + literal for value, literal in zip(filled, literals[1:], strict=True))
    text = re.sub(r"\s+([,.;:])", r"\1", text)
    text = re.sub(r"([,;:])(?=[.,;:])", "", text)
    text = re.sub(r"\.{2,}", ".", text)
    return re.sub(r"\s{2,}", " ", text).strip()


@dataclass(frozen=True)
class Citation:
    noun: str  # "Figure #12"
    short: str
    long: str
    reporter_only: str | None = None  # the reporter's name, when no producer is held


def _when(partial: PartialDate | None) -> str:
    return partial.human() if partial else ""


def _url(source: Source | None) -> str:
    return source.url if source is not None and source.url and SAFE_URL.match(source.url) else ""


def _reported_by(source: Source) -> str:
    parts = [source.label]
    if source.title and source.title != source.label:
        parts.append(f"“{source.title}”")
    if source.published:
        parts.append(source.published.human())
    return ", ".join(parts)


def chain_of(stat: Statistic) -> list[Source]:
    """Reporter, then producer, then the primary sources: the figure's own producer when it has one (issue 15's
    per-figure producer), else what the reporter cites."""
    producer: Source | None = getattr(stat, "producer", None)
    return [stat.source, *producer.chain()] if producer is not None else stat.source.chain()


def figure_values(stat: Statistic, today: date) -> tuple[dict[str, str], str | None]:
    """The fields of a figure's citation, and the reporter's name when it is the only source held."""
    chain = chain_of(stat)
    reporter = chain[0]
    producer = chain[1] if len(chain) > 1 else None
    link = next((u for s in chain[1:] if (u := _url(s))), "") or _url(reporter) or _url(stat.via_source)
    released = producer if producer is not None else reporter
    values = {
        "value": format_value(stat.value, stat.unit),
        "measure": stat.measure,
        "place": stat.geography,
        "period": human_period(*stat.period) or "",
        "producer": producer.label if producer else f"{reporter.label} (as reported; producer not named)",
        "title": released.title,
        "date": _when(released.published) or NO_DATE,
        "link": link or NO_LINK,
        "reported_by": _reported_by(reporter),
        "accessed": _accessed(today),
    }
    return values, (None if producer else reporter.label)


def quote_values(quote: Quote, today: date) -> dict[str, str]:
    details = [d for d in (quote.speaker_role, quote.speaker_org) if d and d != quote.speaker]
    role, org = (quote.speaker_role, quote.speaker_org)
    return {
        "quote": quote.text,
        "speaker": quote.speaker,
        "role": role if role in details else "",
        "org": org if org in details else "",
        "said_on": _when(quote.said) or NO_DATE,
        "reported_by": _reported_by(quote.source),
        "link": _url(quote.source) or _url(quote.via_source) or NO_LINK,
        "accessed": _accessed(today),
    }


def _accessed(today: date) -> str:
    return PartialDate(today, Precision.DAY).human()


def _short(template: str, values: dict[str, str], long_field: str) -> str:
    """At most SHORT_LIMIT characters: the long field (what was counted, or the words) is cut first."""
    text = fill(template, values)
    over = len(text) - SHORT_LIMIT
    if over > 0 and len(values.get(long_field, "")) > over + 10:
        values = values | {long_field: clip(values[long_field], len(values[long_field]) - over)}
        text = fill(template, values)
    return clip(text, SHORT_LIMIT)


def cite(item: Statistic | Quote, templates: dict[str, str], today: date) -> Citation:
    """Both forms of an item's citation, with the workspace's templates where it has them."""
    if isinstance(item, Quote):
        values = quote_values(item, today)
        return Citation(
            f"Quote #{item.id}",
            _short(templates.get("quote-short", DEFAULTS["quote-short"]), values, "quote"),
            fill(templates.get("quote-long", DEFAULTS["quote-long"]), values),
        )
    values, reporter_only = figure_values(item, today)
    return Citation(
        f"Figure #{item.id}",
        _short(templates.get("short", DEFAULTS["short"]), values, "measure"),
        fill(templates.get("long", DEFAULTS["long"]), values),
        reporter_only,
    )


def _code(text: str) -> str:
    """A code block: Slack leaves its text as typed (no links, bold or emoji made of it)."""
    return f"```{escape(text.replace('```', 'ʼʼʼ'))}```"


def citation_reply(citation: Citation, changed: str = "") -> Reply:
    """The citation to copy, shown only to the person who asked; `changed` says the figure changed lately."""
    blocks: list[Block] = [
        section(f"*Citation for {citation.noun}*, ready to paste"),
        section(f"*Short*, for social posts ({len(citation.short)} characters)\n{_code(citation.short)}"),
        section(f"*Long*, for briefings and footnotes\n{_code(citation.long)}"),
    ]
    if changed:
        blocks.append(section(f"{changed}. If you copied it before then, copy it again."))
    if citation.reporter_only:
        blocks.append(
            section(
                f":warning: statbot holds only the outlet that reported this figure "
                f"({escape(citation.reporter_only)}), not who produced it. Before citing it, find the "
                "producer's own release and cite that; an editor can add it with *Edit*."
            )
        )
    blocks.append(context("Editors can change these forms with `/stats citation-style`."))
    return Reply(text=f"Citation for {citation.noun}: {citation.short}", blocks=blocks)
