"""The real `statbot serve` (gunicorn) against clients that misbehave: stalling mid-request, chunked bodies, huge
request lines. The server runs as a subprocess on a free port with a SQLite database made by `statbot init`.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.local_slack import SlackStandIn
from tests.commandline import STATBOT, free_port, wait_until_up
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM
from tests.slackapi.signing import post, signed_headers, slash_command_body

pytestmark = pytest.mark.slow  # each test starts `statbot` processes (or a server) of its own

CLIENT_TIMEOUT = 2.0
REQUEST_TIMEOUT = 3.0
THREADS = 2


@dataclass
class Served:
    url: str
    port: int
    log: Path
    standin: SlackStandIn


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    with SlackStandIn(team_id=TEAM) as standin:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STATBOT_", "DATABASE_"))}
        env |= {
            "DATABASE_URL": f"sqlite:///{folder / 'statbot.db'}",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": standin.api_url,
            "STATBOT_RESPONSE_URL_ALLOW_LOOPBACK": "1",
        }
        subprocess.run(
            [str(STATBOT), "init"], cwd=folder, env=env, check=True, capture_output=True, timeout=120
        )
        port = free_port()
        log = folder / "serve.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [str(STATBOT), "serve", "--port", str(port), "--workers", "1", "--threads", str(THREADS),
                 "--client-timeout", str(CLIENT_TIMEOUT), "--request-timeout", str(REQUEST_TIMEOUT)],
                cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(url, server, log)
            yield Served(url, port, log, standin)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=30)


def signed_stats(text: str = "facebook") -> tuple[bytes, dict[str, str]]:
    body = slash_command_body("/stats", text, response_url="http://127.0.0.1:9/unused")
    return body.encode(), signed_headers(body, SIGNING_SECRET)


def ask(served: Served) -> tuple[float, dict[str, Any]]:
    body, headers = signed_stats()
    started = time.perf_counter()
    status, _, raw = post(f"{served.url}/slack/events", body.decode(), headers)
    took = time.perf_counter() - started
    assert status == 200, raw
    return took, json.loads(raw)


def stall(served: Served) -> socket.socket:
    """Half a request, then nothing: the headers are never finished."""
    slow = socket.create_connection(("127.0.0.1", served.port))
    slow.sendall(
        b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlenc"
    )
    return slow


def seconds_until_closed(slow: socket.socket, since: float, limit: float = 30.0) -> float:
    slow.settimeout(limit)
    try:
        while slow.recv(4096):
            pass  # a 4xx answer is fine too; what matters is that the server lets go
    except ConnectionResetError:
        pass
    except TimeoutError:
        pytest.fail(f"the server kept a stalled connection open for {limit}s")
    finally:
        slow.close()
    return time.monotonic() - since


def still_open(slow: socket.socket) -> bool:
    slow.setblocking(False)
    try:
        return slow.recv(1) != b""
    except BlockingIOError:
        return True  # nothing to read, and not closed
    except OSError:
        return False
    finally:
        slow.setblocking(True)


def logged(served: Served, text: str, within: float = 30.0) -> bool:
    """Whether the server's log says `text`, waiting for it a while (the server writes it from its own thread)."""
    deadline = time.monotonic() + within
    while text not in served.log.read_text():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_stalled_client_does_not_hold_up_others_and_is_cut_off_after_the_client_timeout(
    served: Served,
) -> None:
    slow = stall(served)
    stalled_at = time.monotonic()
    time.sleep(0.3)  # it is now in a thread, waiting for the rest of its headers
    _, reply = ask(served)
    # Answered while the stalled client still holds its thread: not queued behind it.
    assert "*52%*" in json.dumps(reply) and still_open(slow), "the answer waited for the stalled client"
    for _ in range(2):
        assert "*52%*" in json.dumps(ask(served)[1])
    closed = seconds_until_closed(slow, stalled_at)
    assert closed >= CLIENT_TIMEOUT - 0.2, f"closed after {closed:.2f}s, before the client timeout"
    assert logged(served, "closed a slow client's connection")


def test_more_stalled_clients_than_threads_delay_a_request_but_never_starve_it(served: Served) -> None:
    slows = [stall(served) for _ in range(2 * THREADS)]
    stalled_at = time.monotonic()
    time.sleep(0.3)
    _, reply = ask(served)  # queued behind them: each pair of threads frees up after CLIENT_TIMEOUT
    assert "*52%*" in json.dumps(reply)
    for slow in slows:
        seconds_until_closed(slow, stalled_at)  # each is let go (it fails the test if one is kept)


def send_chunked(served: Served, chunks: list[bytes], headers: dict[str, str]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=20)
    try:
        connection.request("POST", "/slack/events", body=iter(chunks), headers=headers, encode_chunked=True)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_chunked_body_without_content_length_is_read_and_answered(served: Served) -> None:
    body, headers = signed_stats()
    status, raw = send_chunked(served, [body[:50], body[50:]], headers)
    assert status == 200 and "*52%*" in raw.decode()


def test_a_chunked_body_cannot_slip_past_the_size_limit(served: Served) -> None:
    body, headers = signed_stats("facebook " + "x" * 1_200_000)
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    status, raw = send_chunked(served, chunks, headers)
    assert status == 413 and b"too large" in raw
    _, reply = ask(served)  # and the worker is none the worse
    assert "*52%*" in json.dumps(reply)


def test_an_oversized_content_length_is_refused_under_gunicorn_too(served: Served) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    connection.putrequest("POST", "/slack/events")
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", str(50_000_000))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413 and b"too large" in response.read()
    connection.close()


def test_a_request_line_far_longer_than_slacks_is_refused(served: Served) -> None:
    try:
        with urllib.request.urlopen(f"{served.url}/slack/events?{'a' * 10_000}", timeout=10):  # noqa: S310
            status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status in (400, 414)  # gunicorn says 414 URI Too Long


DRIP_EVERY = 0.5  # well within CLIENT_TIMEOUT: the server never sees a silent client
DRIP_BYTES = 120  # a minute of dripping at most: long past the deadline, short enough to end on its own


def drip(served: Served, part: str, cut_off: list[int], stop: threading.Event) -> None:
    """A slowloris client: a byte every DRIP_EVERY seconds, in the headers or the body, until the server hangs up."""
    head = b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    if part == "body":
        head += b"Content-Length: 1000\r\n\r\ntext="
    else:
        head += b"X-Drip: "
    with socket.create_connection(("127.0.0.1", served.port)) as slow:
        slow.sendall(head)
        slow.settimeout(DRIP_EVERY)
        for _ in range(DRIP_BYTES):
            if stop.is_set():
                return
            try:
                slow.sendall(b"a")
                if slow.recv(4096) == b"":  # an answer (408) or the end of the connection: we were let go
                    break
            except TimeoutError:
                continue  # still open: drip on
            except OSError:
                break  # reset by the server
        else:
            return  # never cut off
        cut_off.append(1)


@pytest.mark.parametrize("part", ["headers", "body"])
def test_clients_dripping_a_request_are_cut_off_at_the_request_deadline_and_others_are_answered(
    served: Served, part: str
) -> None:
    """The silence timeout cannot catch a client that sends a byte every half second; the request deadline does."""
    cut_off: list[int] = []
    stop = threading.Event()
    drippers = [
        threading.Thread(target=drip, args=(served, part, cut_off, stop), daemon=True)
        for _ in range(3 * THREADS)
    ]
    for dripper in drippers:
        dripper.start()
    try:
        time.sleep(0.5)  # they are in the threads now, or queued for them
        _, reply = ask(served)  # waits up to 30 s: the drippers would hold both threads for a minute
        assert "*52%*" in json.dumps(reply)
        for dripper in drippers:
            dripper.join(timeout=DRIP_BYTES * DRIP_EVERY + 30)
        assert len(cut_off) == len(drippers), "a dripping client was never cut off"
    finally:
        stop.set()
    assert logged(served, "was not received within")


def test_a_kept_alive_connection_gets_a_fresh_deadline_for_each_request(served: Served) -> None:
    """The deadline runs from a request's first byte, not from the connection's: Slack reuses connections."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    sockets = []
    try:
        for pause in (0.0, REQUEST_TIMEOUT + 0.5):  # the second comes after a first request's deadline
            time.sleep(pause)
            body, headers = signed_stats()
            connection.request("POST", "/slack/events", body=body, headers=headers)
            sockets.append(connection.sock)
            response = connection.getresponse()
            assert response.status == 200 and "*52%*" in response.read().decode()
        assert sockets[0] is sockets[1]  # one connection, kept alive, served both
    finally:
        connection.close()
