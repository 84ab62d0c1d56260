"""Telling what a file really is from its bytes, since people rename .xlsx files to .csv and back."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Literal

from intake.errors import SheetError

Format = Literal["csv", "xlsx"]
MAX_BYTES = 50 * 1024 * 1024
_SNIFF_BYTES = 8192


def detect_format(path: Path) -> Format:
    """ "xlsx" for an Excel workbook, "csv" for UTF-8 text; SheetError naming what else it is."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise SheetError(f"can't open {path.name}: {error.strerror or error}") from None
    if size == 0:
        raise SheetError(f"{path.name} is empty")
    if size > MAX_BYTES:
        limit = MAX_BYTES // 1024 // 1024
        raise SheetError(
            f"{path.name} is {size / 1024 / 1024:.1f} MB; the limit is {limit} MB. "
            "Split it into smaller files"
        )
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    refused = _known_binary(head)
    if refused:
        raise SheetError(f"{path.name} is {refused}, not a spreadsheet; save it as CSV (UTF-8) or .xlsx")
    if b"\x00" in head or _mostly_control(head):
        raise SheetError(
            f"{path.name} is not a spreadsheet (it holds binary data); save it as CSV (UTF-8) or .xlsx"
        )
    return "csv"


def decode_text(data: bytes, name: str) -> str:
    """CSV bytes as text: UTF-8, with or without the BOM Excel's "CSV UTF-8" adds."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # Guessing another encoding could silently turn "£" into something else, so we ask instead.
        raise SheetError(
            f"{name} is not UTF-8 text (byte {error.start + 1}); in Excel use "
            "Save As > CSV UTF-8, in Google Sheets use Download > CSV"
        ) from None


def _zip_kind(path: Path) -> Format:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        raise SheetError(f"{path.name} is a damaged zip or Excel file") from None
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "word/document.xml" in names:
        raise SheetError(f"{path.name} is a Word document, not a spreadsheet")
    if "content.xml" in names:
        raise SheetError(f"{path.name} is an OpenDocument file; save it as .xlsx or CSV (UTF-8)")
    raise SheetError(f"{path.name} is a zip archive, not a spreadsheet")


def _known_binary(head: bytes) -> str | None:
    signatures = {
        b"%PDF": "a PDF", b"\xd0\xcf\x11\xe0": "an old Excel .xls (or other Office 97) file",
        b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
        b"\x1f\x8b": "a gzip archive", b"\xff\xfe": "UTF-16 text", b"\xfe\xff": "UTF-16 text",
        b"{\\rtf": "an RTF document",
    }  # fmt: skip
    return next((what for signature, what in signatures.items() if head.startswith(signature)), None)


def _mostly_control(head: bytes) -> bool:
    """Text files have few bytes below 0x20 other than tab and line ends; binary files have many."""
    control = sum(byte < 0x20 and byte not in b"\t\n\r" for byte in head)
    return control > len(head) // 20
