"""Numbers that imply each other, checked before a reviewer approves a figure.

- a share of a stored base implies a count: 52% of 9,477 is about 4,928;
- a share cannot be above 100% (an increase can);
- a count is never smaller than a part of it;
- a percentage change between two periods must match the two values given for them (same source).
Pure functions over `Facts`; `checks_for` gathers the facts of a stored figure and its article's other figures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from storage.models import ANSWERABLE, Statistic, Status
from storage.partial_date import PartialDate, Precision, human_period

_CHANGE = re.compile(
    r"\b(increase|increased|rise|rose|risen|up|growth|grew|fall|fell|fallen|decrease|decreased|drop|dropped|"
    r"decline|declined|down|change|changed|more|fewer|less|higher|lower)\b",
    re.IGNORECASE,
)
_DOWN = re.compile(
    r"\b(fall|fell|fallen|decrease|decreased|drop|dropped|decline|declined|down|fewer|less|lower)\b", re.I
)
COUNT_UNITS = frozenset({"count"})
# A stated change matches the values when it is within a point of the computed one (or 2% of it).
CHANGE_TOLERANCE = Decimal("1")


@dataclass(frozen=True)
class Facts:
    """What the checks need of one figure."""

    id: int | None
    value: Decimal
    unit: str
    measure: str
    period_start: date | None = None
    period_end: date | None = None
    precision: str | None = None
    base: Facts | None = None
    base_id: int | None = None

    @property
    def period(self) -> str:
        if self.period_start is None and self.period_end is None:
            return ""
        p = Precision(self.precision or "day")
        start = PartialDate(self.period_start, p) if self.period_start else None
        end = PartialDate(self.period_end, p) if self.period_end else None
        return human_period(start, end) or ""


@dataclass(frozen=True)
class Check:
    ok: bool
    text: str

    def line(self) -> str:
        return f"{':white_check_mark:' if self.ok else ':x:'} {self.text}"


def _n(value: Decimal, unit: str = "count") -> str:
    shown = f"{value.normalize():,f}"
    if "." in shown:
        shown = shown.rstrip("0").rstrip(".")
    return f"{shown}%" if unit == "percent" else shown


def is_change(measure: str) -> bool:
    return bool(_CHANGE.search(measure))


def checks(fig: Facts, siblings: Sequence[Facts] = ()) -> list[Check]:
    """Every check that applies to `fig`, given the other figures of its article (and its base, if any)."""
    found: list[Check] = []
    change = fig.unit == "percent" and is_change(fig.measure)
    if fig.unit == "percent" and not change and fig.value > 100:
        found.append(Check(False, f"A share of {_n(fig.value, 'percent')} is above 100%: is it an increase?"))
    base = fig.base
    if base is not None and fig.unit == "percent" and base.unit in COUNT_UNITS and not change:
        implied = (fig.value * base.value / 100).quantize(Decimal(1))
        text = f"{_n(fig.value, 'percent')} of {_n(base.value)} is about {_n(implied)}"
        near = [s for s in siblings if s.unit in COUNT_UNITS and _close(s.value, implied)]
        found.append(
            Check(fig.value <= 100, text + (f", as #{near[0].id} gives" if near and near[0].id else ""))
        )
    if base is not None and fig.unit == base.unit and fig.unit in COUNT_UNITS and fig.value > base.value:
        found.append(
            Check(False, f"{_n(fig.value)} is more than the {_n(base.value)} it is part of ({base.measure})")
        )
    for part in siblings:
        subset = part.base_id is not None and part.base_id == fig.id and part.unit == fig.unit in COUNT_UNITS
        if subset and part.value > fig.value:
            found.append(
                Check(False, f"{_n(fig.value)} is smaller than its own subset #{part.id} ({_n(part.value)})")
            )
    if change and fig.period_start and fig.period_end:
        found += _change_check(fig, siblings)
    return found


def _close(a: Decimal, b: Decimal) -> bool:
    return b != 0 and abs(a - b) / abs(b) <= Decimal("0.01")


def _change_check(fig: Facts, siblings: Sequence[Facts]) -> list[Check]:
    """The stated change against the article's values for the change's first and last periods."""
    earlier = [s for s in siblings if s.period_start == fig.period_start and s.period_end and s.unit != "percent"
               and fig.period_end and s.period_end < fig.period_end]  # fmt: skip
    later = [s for s in siblings if s.period_end == fig.period_end and s.period_start and s.unit != "percent"
             and fig.period_start and s.period_start > fig.period_start]  # fmt: skip
    pairs = [(a, b) for a in earlier for b in later if a.unit == b.unit and a.value != 0]
    if not pairs:
        return []
    stated = -fig.value if _DOWN.search(fig.measure) else fig.value

    def computed(pair: tuple[Facts, Facts]) -> Decimal:
        a, b = pair
        return (b.value - a.value) / a.value * 100

    a, b = min(pairs, key=lambda pair: abs(computed(pair) - stated))
    change = computed((a, b))
    ok = abs(change - stated) <= max(CHANGE_TOLERANCE, abs(change) * Decimal("0.02"))
    shown = f"{'+' if change >= 0 else ''}{change.quantize(Decimal('0.1'))}%"
    text = f"{_n(a.value)} ({a.period}) to {_n(b.value)} ({b.period}) is {shown}"
    return [
        Check(
            ok,
            text
            + (
                f", as stated ({_n(fig.value, 'percent')})"
                if ok
                else f", not the {_n(fig.value, 'percent')} given"
            ),
        )
    ]


def facts(stat: Statistic, with_base: bool = True) -> Facts:
    return Facts(
        id=stat.id, value=stat.value, unit=stat.unit, measure=stat.measure, period_start=stat.period_start,
        period_end=stat.period_end, precision=stat.period_precision,
        base=facts(stat.base, with_base=False) if with_base and stat.base is not None else None,
        base_id=stat.base_id,
    )  # fmt: skip


def checks_for(session: Session, stat: Statistic) -> list[Check]:
    """The checks of a stored figure against the other figures of the same article (pending ones too)."""
    others = session.scalars(
        select(Statistic).where(
            Statistic.workspace_id == stat.workspace_id,
            Statistic.source_id == stat.source_id,
            Statistic.id != stat.id,
            Statistic.status.in_((*ANSWERABLE, Status.PENDING.value)),
        )
    )
    return checks(facts(stat), [facts(o, with_base=False) for o in others])


def checks_of_stored(stat: Statistic) -> list[Check]:
    """`checks_for` in the session the figure was loaded in (none for a figure not stored)."""
    session = object_session(stat)
    return checks_for(session, stat) if session is not None and stat.id is not None else []
