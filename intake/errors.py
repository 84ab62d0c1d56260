"""The three kinds of problem intake reports: a field, a spreadsheet cell, or a whole file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one field, worded for the person who typed it."""

    field: str
    message: str


@dataclass(frozen=True)
class RowError:
    """A problem in a spreadsheet: `row` is the number a person sees (header is 1, first data row 2)."""

    row: int
    column: str
    message: str


class SheetError(Exception):
    """The file as a whole can't be read: nothing in it was imported."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
