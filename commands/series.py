"""A series among the figures an answer found (same measure, place and unit, two dates or more), and its chart."""

from __future__ import annotations

from collections.abc import Sequence

from commands.citation import chain_of
from digests.build import series_key
from digests.chart import series_to_chart
from storage.models import Statistic

UNIT_WORDS = {
    "percent": "Per cent",
    "count": "Number",
    "gbp": "£",
    "usd": "US$",
    "eur": "€",
    "ratio": "Ratio",
}


def largest_series(figures: Sequence[Statistic], held: dict[str, int] | None = None) -> list[Statistic]:
    """The figures of `figures` in the series to chart, oldest first; else []. The series is the one with
    the most dates, at least two: counted among all the figures held (`held`, storage.series.dates_held)
    when given, so one point on the page charts its whole series; else among `figures` alone."""
    groups: dict[str, list[Statistic]] = {}
    for figure in figures:
        if (key := series_key(figure)) is not None:
            groups.setdefault(key, []).append(figure)

    def dates(key: str) -> int:
        return held.get(key, 0) if held is not None else len({f.period_end for f in groups[key]})

    charted = [key for key in groups if dates(key) >= 2]
    if not charted:
        return []
    longest = max(charted, key=dates)
    return sorted(groups[longest], key=lambda f: (f.period_end, f.id))


def span(figures: Sequence[Statistic]) -> str:
    """ "12 points, 2010 to 2021": what a chart of these figures (oldest first) draws."""
    ends = [end for f in figures if (end := f.period[1]) is not None]
    if not ends:
        return "no dated points"
    return f"{len({end.day for end in ends})} points, {ends[0].human()} to {ends[-1].human()}"


def _names(figures: Sequence[Statistic], producer: bool) -> str:
    names: list[str] = []
    for figure in figures:
        chain = chain_of(figure)
        source = (chain[1] if len(chain) > 1 else None) if producer else chain[0]
        name = ""
        if source is not None:
            name = source.label + (
                f", “{source.title}”" if source.title and source.title != source.label else ""
            )
        if name and name not in names:
            names.append(name)
    return "; ".join(names)


def chart_png(figures: Sequence[Statistic]) -> bytes | None:
    """The series as a PNG with its title, unit, producer and source printed on it; None under two dates."""
    if not figures:
        return None
    first = figures[-1]
    title = (
        first.measure[:1].upper() + first.measure[1:] + (f", {first.geography}" if first.geography else "")
    )
    producers = _names(figures, producer=True) or "not recorded (only the outlet that reported it is held)"
    credit = [f"Produced by: {producers}", f"Source: {_names(figures, producer=False)}", "Chart: statbot"]
    points = [(f.period_end, f.value) for f in figures if f.period_end is not None]
    return series_to_chart(
        points, title, first.unit, subtitle=UNIT_WORDS.get(first.unit, first.unit), credit=credit, large=True
    )
