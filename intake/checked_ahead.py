"""A sheet read and checked in a second process while this one writes what it has already checked.

Reading and checking a sheet takes about a third of the time writing it does (bench/RESULTS.md, issue 15),
and one Python thread did both in turn; a forked child that reads and checks the file while the parent
writes takes the checking off the writer's thread. The child sends the checked rows in batches through a
pipe, each with the problems found since the last, so the parent sees `bad` grow no later than it would in
process. The pipe's buffer is all that lies between the two, so the child runs at most a batch or so ahead
and memory stays flat however long the file is.

Forking is safe only from a process with one thread and no open database connections (the CLI before it
connects, or the bench): `stream_checked` falls back to checking in this process anywhere else.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from intake.errors import RowError, SheetError
from intake.spreadsheet import BadRow, Item, Progress, stream_sheet
from storage.kinds import Kind

BATCH = 5_000  # rows per message: big enough that pickling is cheap per row, small enough to keep both busy
# The first message's rows, doubled message by message up to BATCH: the writer starts on the first rows
# checked instead of waiting for a whole BATCH (a fifth of a 20,000-row import's time).
FIRST = 500
# The pipe's capacity: a message of BATCH rows pickled is about 640 KB. With Linux's default 64 KB the child
# handed each over a buffer at a time, the writer waiting on every one: 1.4-1.7 s of a 200,000-row import
# spent in receiving, 0.5-0.7 s with room for a whole message (bench/RESULTS.md, issue 15's tenth round).
# 1 MiB is the most an unprivileged process may ask for by default (/proc/sys/fs/pipe-max-size).
PIPE_BYTES = 1 << 20


class CheckingStopped(Exception):
    """The process checking the sheet ended without finishing it (killed, or a fault in the checker)."""


class CheckedRows(Protocol):
    """What SheetStream and CheckedAhead both offer a writer."""

    total: int
    errors: list[RowError]
    bad: list[BadRow]

    def rows(self) -> Iterator[tuple[int, Item]]: ...


def can_fork() -> bool:
    """Whether a child may be forked here: the platform has fork, this process is not a daemon (which may
    not have children) and it runs one thread (a lock held by another thread would stay held in the child)."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
        and threading.active_count() == 1
    )


@contextmanager
def stream_checked(
    path: Path, kind: Kind, on_progress: Progress | None = None, *, today: date | None = None
) -> Iterator[CheckedRows]:
    """The sheet checked in a second process where that is safe (see `can_fork`), else as stream_sheet reads
    it; either way SheetError on entering if its header is unusable. Leaving the block stops a child that is
    still reading (the writer gave up early)."""
    if not can_fork():
        yield stream_sheet(path, kind, on_progress, today=today)
        return
    ahead = CheckedAhead(path, kind, on_progress, today=today)
    try:
        yield ahead
    finally:
        ahead.close()


class CheckedAhead:
    """stream_sheet's SheetStream, read and checked by a forked child: the same rows, problems and progress."""

    def __init__(
        self, path: Path, kind: Kind, on_progress: Progress | None = None, *, today: date | None = None
    ) -> None:
        self._on_progress = on_progress
        self.errors: list[RowError] = []
        self.bad: list[BadRow] = []
        context = multiprocessing.get_context("fork")
        self._reader, writer = context.Pipe(duplex=False)
        _widen(writer)
        self._child = context.Process(
            target=_check,
            args=(self._reader, writer, path, kind, today),
            name=f"checking {path.name}",
            daemon=True,
        )
        self._child.start()
        writer.close()  # the child's end: once the child is gone, reading meets the end of the pipe
        # The header is checked before any row is read: refuse a bad one here, as stream_sheet does.
        _, self.total = self._receive()

    def rows(self) -> Iterator[tuple[int, Item]]:
        while True:
            match self._receive():
                case ("progress", done, total):
                    if self._on_progress:
                        self._on_progress(done, total)
                case ("rows", rows, errors, bad):
                    self.errors += errors
                    self.bad += bad
                    yield from rows
                case ("done", errors, bad):
                    self.errors += errors
                    self.bad += bad
                    self._child.join()  # it only has to exit now
                    self.close()
                    return

    def _receive(self) -> tuple[Any, ...]:
        """The child's next message; what ends the sheet early (a refusal, a fault, the child gone) raised."""
        try:
            message: tuple[Any, ...] = self._reader.recv()
        except EOFError:
            self.close()
            raise CheckingStopped(
                f"the process checking the sheet ended before it finished (exit code {self._child.exitcode})"
            ) from None
        match message:
            case ("refused", reason):
                self.close()
                raise SheetError(reason)
            case ("failed", trace):
                self.close()
                raise CheckingStopped(f"checking the sheet failed in its process:\n{trace}")
        return message

    def close(self) -> None:
        """Stop the child if it is still reading (the writer gave up), and release the pipe."""
        if self._child.is_alive():
            self._child.terminate()
        self._child.join()
        self._reader.close()


def _widen(pipe: Connection) -> None:
    """Room in the pipe for a whole message, where the system allows it (Linux); as it was elsewhere."""
    try:
        import fcntl  # Unix only; where it is missing, so is fork, and nothing forks the checker
    except ImportError:
        return
    setting = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setting is not None:
        with suppress(OSError):  # a lowered pipe-max-size: the default buffer still works, only slower
            fcntl.fcntl(pipe.fileno(), setting, PIPE_BYTES)


def _check(parents_end: Connection, out: Connection, path: Path, kind: Kind, today: date | None) -> None:
    """The child: stream_sheet's rows, FIRST in the first message and twice as many in each next up to BATCH,
    each message with the problems found since the last."""
    # Ctrl-C reaches the whole process group: the parent stops this child itself, without a second traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Everything inherited from the writer out of the collector's reach: its full collections walked every
    # inherited object, and writing their headers copied the pages this process shares with the writer.
    # Waiting for the checker in a 20,000-row import: 0.23-0.33 s before, 0.15-0.19 s after (issue 15's tenth
    # round); what this process makes is still collected.
    gc.freeze()
    # The fork copied the parent's end of the pipe: closed here, so that if the parent dies the next send
    # meets a broken pipe instead of waiting forever for a reader that is this process itself.
    parents_end.close()
    try:
        try:
            stream = stream_sheet(path, kind, _sender(out), today=today)
        except SheetError as refused:
            out.send(("refused", refused.message))
            return
        out.send(("total", stream.total))
        sent_errors = sent_bad = 0
        batch: list[tuple[int, Item]] = []

        def news() -> tuple[list[RowError], list[BadRow]]:
            nonlocal sent_errors, sent_bad
            errors, bad = stream.errors[sent_errors:], stream.bad[sent_bad:]
            sent_errors, sent_bad = len(stream.errors), len(stream.bad)
            return errors, bad

        size = min(FIRST, BATCH)
        try:
            for row in stream.rows():
                batch.append(row)
                if len(batch) == size:
                    out.send(("rows", batch, *news()))
                    batch, size = [], min(size * 2, BATCH)
        except SheetError as refused:
            out.send(("refused", refused.message))
            return
        if batch:
            out.send(("rows", batch, *news()))
        out.send(("done", *news()))
    except (BrokenPipeError, ConnectionResetError):
        return  # the parent is gone: nobody is left to tell
    except Exception:
        out.send(("failed", traceback.format_exc()))
    finally:
        out.close()


def _sender(out: Connection) -> Callable[[int, int], None]:
    def progress(done: int, total: int) -> None:
        out.send(("progress", done, total))

    return progress
