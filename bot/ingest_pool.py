"""The threads that read articles and feeds people ask for, apart from Bolt's own listener threads.

Reading a link can take the whole fetch deadline; on Bolt's shared pool (five threads) a few slow sites
would hold up every other lazy reply. Here at most `workers` links are read at once and `waiting` more
may queue; past that the person is told to try again instead of joining an ever longer queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor

log = logging.getLogger("statbot.ingest")


class IngestPool:
    def __init__(self, workers: int, waiting: int, executor: Executor | None = None) -> None:
        # `executor` runs the work instead of a pool of our own (the console and the web app wait on theirs).
        self._executor = executor or ThreadPoolExecutor(
            max_workers=max(workers, 1), thread_name_prefix="statbot-ingest"
        )
        self._places = threading.BoundedSemaphore(max(workers, 1) + max(waiting, 0))

    def submit(self, work: Callable[[], None]) -> bool:
        """Run `work` soon; False (and nothing queued) when the pool and its queue are full."""
        if not self._places.acquire(blocking=False):
            return False

        def run() -> None:
            try:
                work()
            except Exception:  # the thread must live on; the person was told nothing worse than before
                log.exception("reading an article failed")
            finally:
                self._places.release()

        self._executor.submit(run)
        return True
