"""The one vocabulary for what an item is: a figure or a quote.

Code, stored columns and documented options all say "figure" and "quote"; the plural is English for
people ("3 figures", a file called figures.csv) and an accepted alias where people type a kind.
"""

from __future__ import annotations

from typing import Literal, get_args

Kind = Literal["figure", "quote"]
KINDS: tuple[Kind, ...] = get_args(Kind)

# What people may type for a kind: the kind itself, or its plural (older scripts say --kind figures).
_TYPED: dict[str, Kind] = {
    **{kind: kind for kind in KINDS},
    **{f"{kind}s": kind for kind in KINDS},
}


def kind_named(typed: str) -> Kind:
    """The kind `typed` names ("quote", "Quotes"); ValueError naming the choices otherwise."""
    kind = _TYPED.get(typed.strip().casefold())
    if kind is None:
        raise ValueError(f"kind must be {' or '.join(KINDS)}, not {typed!r}")
    return kind


def plural(kind: Kind) -> str:
    """The English plural, for people: "figures", "quotes"."""
    return f"{kind}s"


def other(kind: Kind) -> Kind:
    return "quote" if kind == "figure" else "figure"
