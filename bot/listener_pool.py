"""The threads that run Bolt's work after the ack (lazy listeners, ingests), counting what is in flight so that
whoever stops an app can first let that work finish: the console before it shows its prompt again, and the
tests before they take down the Slack stand-in the work is talking to."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

# Bolt's own default for its listener executor.
WORKERS = 5


class ListenerPool(ThreadPoolExecutor):
    def __init__(self, name: str = "listener", workers: int = WORKERS) -> None:
        super().__init__(max_workers=max(workers, 1), thread_name_prefix=name)
        self._busy = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._busy += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _: Future[Any]) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing runs (or waits to); False if work is still going at the deadline."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def drain(self, timeout: float) -> bool:
        """Let the work in hand finish (up to `timeout` seconds), then take no more; True if it all finished."""
        finished = self.wait_idle(timeout)
        self.shutdown(wait=finished)
        return finished
