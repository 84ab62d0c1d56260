"""Where the blank-sheet templates people download live, with one worked example row each."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from intake.columns import Kind


def template_path(kind: Kind) -> Path:
    """The template CSV for `kind`: the import header and one example row that passes validation."""
    return Path(str(files("intake") / "templates" / f"{kind}.csv"))
