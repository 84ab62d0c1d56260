"""A small PNG chart of a series, for a digest to attach."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import numpy as np

from storage.text import clip, format_value

MAX_BARS = 6  # beyond this, bars and their labels crowd; a line reads better
_TITLE_CHARS = 80


def series_to_chart(
    points: Sequence[tuple[date, Decimal]],
    title: str,
    unit: str,
    *,
    subtitle: str = "",
    credit: Sequence[str] = (),
    large: bool = False,
) -> bytes | None:
    """A PNG of the series (bars for a few points, a line for more), or None for fewer than two points.

    Two points on the same date keep the later one in the list, as a correction would. `subtitle` (the
    unit, say) goes under the title and `credit` lines (producer, source) along the foot, as Our World in
    Data prints them, so the image carries its citation wherever it is pasted; `large` draws it bigger, with
    type that stays readable when Slack shows the image at its preview size.
    """
    by_date = dict(sorted(points, key=lambda point: point[0]))
    if len(by_date) < 2:
        return None
    # Imported here, and drawn on a bare Figure with the Agg canvas rather than through pyplot: no display
    # is needed, no global backend is switched, and a bot that never draws never loads matplotlib.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    dates = list(by_date)
    values = [float(value) for value in by_date.values()]
    labels = [_date_label(day, dates) for day in dates]

    text = 1.5 if large else 1.0  # type size: a large chart is shown shrunk, so its type is bigger
    figure = Figure(figsize=(8, 5) if large else (6, 3), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # "$" starts mathtext in matplotlib; titles and dollar values are plain text.
    heading = _wrap(title, 55, lines=2) if large else clip(title, _TITLE_CHARS)
    if subtitle:  # the title above the plot, the subtitle as the plot's own title just under it
        figure.suptitle(heading, x=0.01, ha="left", fontsize=11 * text, fontweight="bold", parse_math=False)
        axes.set_title(clip(subtitle, 90), loc="left", fontsize=8 * text, color="#555555", parse_math=False)
    else:
        axes.set_title(heading, loc="left", fontsize=11 * text, parse_math=False)
    if credit:
        figure.supxlabel("\n".join(clip(line, 100) for line in credit), x=0.01, ha="left",
                         fontsize=(8.5 if large else 7.5) * text, color="#444444", parse_math=False)  # fmt: skip
    if len(dates) <= MAX_BARS:
        bars = axes.bar(labels, values, color="#3b6ea5")
        axes.bar_label(
            bars, labels=[_plain(format_value(v, unit)) for v in by_date.values()], fontsize=9 * text
        )
    else:
        axes.plot(np.array(dates, dtype="datetime64[D]"), values, color="#3b6ea5", marker="o", markersize=3)
    # Tick positions are floats such as 0.30000000000000004; six significant digits are plenty.
    tick = FuncFormatter(lambda y, _: _plain(format_value(Decimal(f"{y:.6g}"), unit)))
    axes.yaxis.set_major_formatter(tick)
    if unit == "percent" or min(values) >= 0:
        axes.set_ylim(bottom=0)  # a baseline of zero, so small changes are not drawn as big ones
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=9 * text)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _date_label(day: date, dates: list[date]) -> str:
    """The coarsest label that still tells the points apart: "2025", "Mar 2026", "9 Mar 2026".

    Bars are placed by label, so two points with one label would be drawn as one bar.
    """
    if len({d.year for d in dates}) == len(dates):
        return str(day.year)
    if len({(d.year, d.month) for d in dates}) == len(dates):
        return f"{day:%b %Y}"
    return f"{day.day} {day:%b %Y}"


def _wrap(text: str, width: int, *, lines: int) -> str:
    """`text` on at most `lines` lines of about `width` characters, the last one clipped."""
    import textwrap

    wrapped = textwrap.wrap(text, width)
    if len(wrapped) > lines:
        wrapped = [*wrapped[: lines - 1], clip(" ".join(wrapped[lines - 1 :]), width)]
    return "\n".join(wrapped)


def _plain(text: str) -> str:
    return text.replace("$", r"\$")
