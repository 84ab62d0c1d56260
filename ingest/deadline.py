"""A wall-clock deadline over a whole HTTP exchange: every socket wait is cut to what is left of it.

httpx's timeouts bound each wait for a byte, so a server that sends one header byte a second holds a
request for ever. Here the network backend under httpx clamps every connect, TLS handshake, read and
write to the time left before `ends_at`, and refuses to wait at all once it has passed.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, ends_at: float) -> None:
        self._stream = stream
        self._ends_at = ends_at

    def _left(self, timeout: float | None, error: type[Exception]) -> float:
        left = self._ends_at - time.monotonic()
        if left <= 0:
            raise error("the deadline for the whole exchange has passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        left = self._left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, left), self._ends_at)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, ends_at: float) -> None:
        self._backend = httpcore.SyncBackend()
        self._ends_at = ends_at

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = self._ends_at - time.monotonic()
        if left <= 0:
            raise httpcore.ConnectTimeout("the deadline for the whole exchange has passed")
        timeout = left if timeout is None else min(timeout, left)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self._ends_at)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def transport_until(ends_at: float, *, verify: ssl.SSLContext | bool) -> httpx.HTTPTransport:
    """An httpx transport (no proxies from the environment) whose sockets never wait past `ends_at`."""
    transport = httpx.HTTPTransport(verify=verify, trust_env=False)
    # httpx has no argument for a network backend; httpcore's pool takes one, so it is set on the pool
    # httpx made. tests/test_ingest_fetch.py's dripping server fails if this ever stops taking effect.
    pool = transport._pool
    assert isinstance(pool, httpcore.ConnectionPool)
    pool._network_backend = _DeadlineBackend(ends_at)
    return transport
