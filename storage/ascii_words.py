"""ASCII text with each run of characters other than word characters made one space, for the keys a whole column
of texts is matched by (storage.search.phrase_keys, intake.validate_columns' natural keys).

`re.sub(r"[^\\w\\n]+", " ", text)` does this, but replaces every single space between words with a space too;
turning each such character into a space with `str.translate` and then collapsing the few runs of two or more
spaces is three times as fast over a 200,000-row column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

_RUNS = re.compile(" {2,}")


def blanking(keep: str = "") -> dict[int, str]:
    """The `str.translate` table that makes a space of every ASCII character but letters, digits, "_", the
    "\\n" that joins texts, and `keep`."""
    kept = "_\n" + keep
    return str.maketrans({c: " " for c in map(chr, range(128)) if not (c.isalnum() or c in kept)})


def keys(texts: Sequence[str], table: dict[int, str], one: Callable[[str], str]) -> list[str]:
    """`one(text)` of each text, where `one` lowers a text and makes each run of the characters `table` blanks
    one space, trimmed: ASCII texts in one pass over them joined (lowering is case folding there), any other
    column text by text."""
    joined = "\n".join(texts)
    if not joined.isascii() or joined.count("\n") != len(texts) - 1:
        return list(map(one, texts))
    spaced = _RUNS.sub(" ", joined.lower().translate(table))
    return [line.strip(" ") for line in spaced.split("\n")]
