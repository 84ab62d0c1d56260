"""The text helpers commands use; they live in storage/text.py, below intake and digests, which need them too."""

from storage.text import CURRENCY_SIGNS, UNITS, clip, escape, format_value, plural

__all__ = ["CURRENCY_SIGNS", "UNITS", "clip", "escape", "format_value", "plural"]
