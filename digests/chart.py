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


def series_to_chart(points: Sequence[tuple[date, Decimal]], title: str, unit: str) -> bytes | None:
    """A PNG of the series (bars for a few points, a line for more), or None for fewer than two points.

    Two points on the same date keep the later one in the list, as a correction would.
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

    figure = Figure(figsize=(6, 3), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # "$" starts mathtext in matplotlib; titles and dollar values are plain text.
    axes.set_title(clip(title, _TITLE_CHARS), loc="left", fontsize=11, parse_math=False)
    if len(dates) <= MAX_BARS:
        bars = axes.bar(labels, values, color="#3b6ea5")
        axes.bar_label(bars, labels=[_plain(format_value(v, unit)) for v in by_date.values()], fontsize=9)
    else:
        axes.plot(np.array(dates, dtype="datetime64[D]"), values, color="#3b6ea5", marker="o", markersize=3)
    # Tick positions are floats such as 0.30000000000000004; six significant digits are plenty.
    tick = FuncFormatter(lambda y, _: _plain(format_value(Decimal(f"{y:.6g}"), unit)))
    axes.yaxis.set_major_formatter(tick)
    if unit == "percent" or min(values) >= 0:
        axes.set_ylim(bottom=0)  # a baseline of zero, so small changes are not drawn as big ones
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=9)

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


def _plain(text: str) -> str:
    return text.replace("$", r"\$")
