"""Where the blank-sheet templates people download live, with one worked example row each."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from storage.kinds import Kind, plural


def template_path(kind: Kind) -> Path:
    """The template CSV for `kind` (named for people: figures.csv): the import header and one example row
    that passes validation."""
    return Path(str(files("intake") / "templates" / f"{plural(kind)}.csv"))
