"""ASCII text with each run of characters other than word characters made one space, for the keys a whole column
of texts is matched by (storage.search.phrase_keys, intake.validate_columns' natural keys).

`re.sub(r"[^\\w\\n]+", " ", text)` does this, but replaces every single space between words with a space too;
turning each such character into a space with `str.translate` and then collapsing the few runs of two or more
spaces is three times as fast over a 200,000-row column.
"""

from __future__ import annotations

import re

_RUNS = re.compile(" {2,}")


def blanking(keep: str = "") -> dict[int, str]:
    """The `str.translate` table that makes a space of every ASCII character but letters, digits, "_", the
    "\\n" that joins texts, and `keep`."""
    kept = "_\n" + keep
    return str.maketrans({c: " " for c in map(chr, range(128)) if not (c.isalnum() or c in kept)})


def spaced(text: str, table: dict[int, str]) -> str:
    """ASCII `text` with each run of the characters `table` blanks made one space."""
    return _RUNS.sub(" ", text.translate(table))
