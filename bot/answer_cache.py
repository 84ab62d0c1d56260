"""Answers a web worker has already given, reused only while the library is exactly as it was.

A question asked again (`/stats facebook` by the whole team on the morning of a campaign) costs one
read of the library version instead of seven or eight queries and the Block Kit: the version is read
from the database on every request, before anything else, so a cached answer is never older than a
fresh one would be, and with the database down nothing is answered from memory.

Time also ends an answer: one given while an item was under embargo (hidden from the reader) is kept only
until the embargo's instant (`valid_until`), since no write moves the version when an embargo lifts.
Answers that show embargoed items (to editors and their authors) are never put here: the key is not who asked.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

Payload = dict[str, Any]


@dataclass(frozen=True)
class Question:
    """What an answer depends on besides the library: whose library, which command, the words, the day
    (figures are flagged out of date against today)."""

    workspace_id: int
    command: str
    text: str
    today: date


class AnswerCache:
    """Least recently used answers, bounded by their size in bytes; safe across a worker's threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Question, tuple[int, datetime | None, Payload, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, question: Question, version: int, now: datetime | None = None) -> Payload | None:
        """The answer given to this question at this library version, if it is still held and (at `now`) no
        embargo hidden from it has lifted since."""
        with self._lock:
            entry = self._entries.get(question)
            if entry is None:
                return None
            expired = entry[1] is not None and (now is None or now >= entry[1])
            if entry[0] != version or expired:  # the library changed, or an embargo lifted: no good to anyone
                self._drop(question)
                return None
            self._entries.move_to_end(question)
            return entry[2]

    def put(
        self, question: Question, version: int, payload: Payload, valid_until: datetime | None = None
    ) -> None:
        """Keep an answer any reader may be given, until the library changes or `valid_until` passes."""
        size = len(json.dumps(payload)) + len(question.text)
        if size > self.max_bytes:
            return
        with self._lock:
            if question in self._entries:
                self._drop(question)
            self._entries[question] = (version, valid_until, payload, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, question: Question) -> None:
        *_, size = self._entries.pop(question)
        self._bytes -= size
