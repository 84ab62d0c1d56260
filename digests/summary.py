"""What a digest amounts to in a line, and how each new figure moved since its series' previous point."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from digests.model import Digest, DigestFigure, DigestQuote, SeriesPoint
from storage.partial_date import PartialDate, Precision
from storage.text import format_value, plural


def summary_line(digest: Digest) -> str:
    """ "5 new figures and 2 quotes; most on Facebook and encryption" (plain text: escape it to show it)."""
    counts: list[str] = []
    if digest.figures:
        counts.append(plural(len(digest.figures), "new figure"))
    if digest.quotes:
        counts.append(plural(len(digest.quotes), "quote" if digest.figures else "new quote"))
    if digest.corrections:
        counts.append(plural(len(digest.corrections), "correction"))
    if not counts:
        return "Nothing new"
    line = _and(counts)
    labels, covers_all = most_common_labels(digest)
    if labels:
        items = len(digest.figures) + len(digest.quotes)
        lead = "on" if items == 1 else "all on" if covers_all else "most on"
        line += f"; {lead} {_and(labels)}"
    return line


def most_common_labels(digest: Digest, limit: int = 2) -> tuple[list[str], bool]:
    """The entities and topics most items are about, most first, and whether they cover every item.

    A label counts once per item however it is capitalised ("Facebook", "facebook"); a label on only one
    of several items says nothing about the digest as a whole and is left out. Ties go to the label met
    first, so the line does not change from run to run.
    """
    items: list[DigestFigure | DigestQuote] = [*digest.figures, *digest.quotes]
    rows = [
        (item_number, label.strip())
        for item_number, item in enumerate(items)
        for label in [*item.entities, *item.topics]
        if label.strip()
    ]
    if not rows:
        return [], False
    import pandas as pd  # here, not at import: a web worker that sends no digest never loads it

    labels = pd.DataFrame(rows, columns=["item", "label"])
    labels["key"] = labels["label"].str.casefold()
    counts = (
        labels.drop_duplicates(["item", "key"])
        .groupby("key", sort=False)
        .agg(items=("item", "nunique"), label=("label", "first"), first_seen=("item", "min"))
        .sort_values(["items", "first_seen"], ascending=[False, True], kind="stable")
    )
    top = counts[counts["items"] >= min(2, len(items))].head(limit)
    return top["label"].tolist(), bool(len(top)) and bool((top["items"] == len(items)).all())


def series_changes(figures: Sequence[DigestFigure], history: Sequence[SeriesPoint]) -> dict[int, str]:
    """For each new figure with a series, how it compares with the series' previous point, by figure id:
    "up from 48% a year earlier", "down from 1,200 in 2022", "unchanged since 2022".

    The previous point is the latest one of the same series and unit with an earlier `period_end`, taken
    from `history` or from the other new figures (two new points of one series compare with each other).
    """
    in_series = [f for f in figures if f.series_key and f.period_end]
    if not in_series:
        return {}
    import pandas as pd  # here, not at import: a web worker that sends no digest never loads it

    new = pd.DataFrame(
        [
            {
                "id": f.id,
                "series_key": f.series_key,
                "unit": f.unit,
                "period_end": f.period_end,
                "value": f.value,
            }
            for f in in_series
        ]
    )
    points = [
        *history,
        *(
            SeriesPoint(str(f.series_key), f.value, f.unit, f.period_end, f.period_label)
            for f in in_series
            if f.period_end
        ),
    ]
    earlier = pd.DataFrame(
        [
            {
                "series_key": p.series_key,
                "unit": p.unit,
                "previous_end": p.period_end,
                "previous_value": p.value,
                "previous_label": p.period_label,
            }
            for p in points
        ]
    ).drop_duplicates(["series_key", "unit", "previous_end"])
    new["at"] = pd.to_datetime(new["period_end"])
    earlier["at"] = pd.to_datetime(earlier["previous_end"])
    # For each new figure, the latest earlier point of its series: strictly earlier, so a history that
    # already holds the new figure does not compare it with itself.
    paired = pd.merge_asof(
        new.sort_values("at"),
        earlier.sort_values("at"),
        on="at",
        by=["series_key", "unit"],
        allow_exact_matches=False,
        direction="backward",
    ).dropna(subset=["previous_value"])
    return {
        int(row["id"]): _change_phrase(
            row["value"],
            row["previous_value"],
            row["unit"],
            row["period_end"],
            row["previous_end"],
            row["previous_label"] if isinstance(row["previous_label"], str) else None,
        )
        for row in paired.to_dict("records")
    }


def _change_phrase(
    value: Decimal, previous: Decimal, unit: str, end: date, previous_end: date, previous_label: str | None
) -> str:
    when = _how_long_ago(end, previous_end, previous_label)
    if value == previous:
        return f"unchanged from {when}" if when.endswith("earlier") else f"unchanged since {when[3:]}"
    direction = "up" if value > previous else "down"
    return f"{direction} from {format_value(previous, unit)} {when}"


def _how_long_ago(end: date, previous_end: date, previous_label: str | None) -> str:
    """ "a year earlier" for the usual annual series; otherwise the earlier point's own period."""
    gap = (end - previous_end).days
    if 350 <= gap <= 380:
        return "a year earlier"
    if 28 <= gap <= 31:
        return "a month earlier"
    return f"in {previous_label or PartialDate(previous_end, Precision.MONTH).human()}"


def _and(words: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
