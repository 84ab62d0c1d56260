"""The import columns for figures and quotes, and matching a header a person wrote against them."""

from __future__ import annotations

import difflib
import re

from intake.errors import SheetError
from storage.kinds import Kind, other, plural

FIGURE_COLUMNS = (
    "value", "unit", "measure", "period_start", "period_end", "geography", "entities", "topics",
    "source_title", "source_publisher", "source_url", "source_date", "evidence",
)  # fmt: skip
FIGURE_OPTIONAL_COLUMNS = ("producer", "primary_source_url", "notes")
# Read on import, never written by exports or templates: an export holds no embargoed item (storage.embargo).
IMPORT_ONLY_COLUMNS = ("embargo",)
QUOTE_COLUMNS = (
    "text", "speaker", "speaker_role", "speaker_org", "said_on", "topics",
    "source_title", "source_publisher", "source_url",
)  # fmt: skip

# A fixed .rejected.csv comes back with its `error` column; ignoring it lets people re-import it as is.
IGNORED_COLUMNS = frozenset({"error"})


def all_columns(kind: Kind) -> tuple[str, ...]:
    """Every column of a kind, in the order exports and templates write them."""
    return FIGURE_COLUMNS + FIGURE_OPTIONAL_COLUMNS if kind == "figure" else QUOTE_COLUMNS


def required_columns(kind: Kind) -> tuple[str, ...]:
    """Columns the header must have (their cells may still be empty where the rules allow)."""
    return FIGURE_COLUMNS if kind == "figure" else QUOTE_COLUMNS


def normalise_header(name: str) -> str:
    """ "Source URL", " source-url " and "source_url" all name the same column."""
    return re.sub(r"[\s\-]+", "_", name.strip().casefold())


def suggest(name: str, choices: tuple[str, ...]) -> str | None:
    """The nearest right name for a misspelt one, if any is close enough to be a fair guess."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def match_header(header: list[str], kind: Kind) -> list[str | None]:
    """The column each header cell names (None for ignored ones); SheetError listing every problem."""
    known = all_columns(kind) + IMPORT_ONLY_COLUMNS
    names: list[str | None] = []
    unknown: list[str] = []
    seen: dict[str, int] = {}
    problems: list[str] = []
    for position, cell in enumerate(header, start=1):
        name = normalise_header(cell)
        if not name or name in IGNORED_COLUMNS:
            names.append(None)
            continue
        if name not in known:
            unknown.append(cell.strip())
            names.append(None)
            continue
        if name in seen:
            problems.append(f"column {name} appears twice (columns {seen[name]} and {position})")
        seen[name] = position
        names.append(name)
    missing = [name for name in required_columns(kind) if name not in seen]
    if unknown:
        if _distinctive(header, other(kind)) > _distinctive(header, kind):
            raise SheetError(
                f"this looks like a {plural(other(kind))} sheet, but it was imported as {plural(kind)}"
            )
        problems.insert(
            0,
            "unknown "
            + ("column " if len(unknown) == 1 else "columns ")
            + ", ".join(_describe_unknown(name, known) for name in unknown[:10])
            + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""),
        )
    if missing:
        problems.append("missing " + ("column " if len(missing) == 1 else "columns ") + ", ".join(missing))
    if problems:
        problems.append(f"the {plural(kind)} columns are: {', '.join(known)}")
        raise SheetError("; ".join(problems))
    return names


def _describe_unknown(name: str, known: tuple[str, ...]) -> str:
    guess = suggest(normalise_header(name), known)
    shown = repr(name[:40])
    return f"{shown} (did you mean {guess}?)" if guess else shown


def _distinctive(header: list[str], kind: Kind) -> int:
    """How many columns only `kind` has the header names: more for the other kind means a wrong import."""
    names = {normalise_header(cell) for cell in header}
    shared = set(FIGURE_COLUMNS) & set(QUOTE_COLUMNS)
    return sum(name in names and name not in shared for name in all_columns(kind))
