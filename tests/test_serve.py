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
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.local_slack import SlackStandIn
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM
from tests.slackapi.signing import post, signed_headers, slash_command_body

CLIENT_TIMEOUT = 2.0
THREADS = 2
STATBOT = Path(sys.executable).parent / "statbot"


@dataclass
class Served:
    url: str
    port: int
    log: Path
    standin: SlackStandIn


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
        }
        subprocess.run(
            [str(STATBOT), "init"], cwd=folder, env=env, check=True, capture_output=True, timeout=120
        )
        port = free_port()
        log = folder / "serve.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [str(STATBOT), "serve", "--port", str(port), "--workers", "1", "--threads", str(THREADS),
                 "--client-timeout", str(CLIENT_TIMEOUT)],
                cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None:
                    pytest.fail(f"statbot serve exited with {server.returncode}:\n{log.read_text()}")
                try:
                    with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"statbot serve did not come up:\n{log.read_text()}")
                time.sleep(0.2)
            yield Served(url, port, log, standin)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


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


def seconds_until_closed(slow: socket.socket, since: float, limit: float = 15.0) -> float:
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


def test_a_stalled_client_does_not_hold_up_others_and_is_cut_off_after_the_client_timeout(
    served: Served,
) -> None:
    slow = stall(served)
    stalled_at = time.monotonic()
    time.sleep(0.3)  # it is now in a thread, waiting for the rest of its headers
    for _ in range(3):
        took, reply = ask(served)
        assert "*52%*" in json.dumps(reply) and took < 1.0, f"answered in {took:.2f}s beside a stalled client"
    closed = seconds_until_closed(slow, stalled_at)
    assert CLIENT_TIMEOUT - 0.2 <= closed < CLIENT_TIMEOUT + 2.0, f"closed after {closed:.2f}s"
    time.sleep(0.5)  # gunicorn writes its log line as it closes
    assert "closed a slow client's connection" in served.log.read_text()


def test_more_stalled_clients_than_threads_delay_a_request_but_never_starve_it(served: Served) -> None:
    slows = [stall(served) for _ in range(2 * THREADS)]
    stalled_at = time.monotonic()
    time.sleep(0.3)
    took, reply = ask(served)  # queued behind them: each pair of threads frees up after CLIENT_TIMEOUT
    assert "*52%*" in json.dumps(reply)
    assert took < 2 * CLIENT_TIMEOUT + 2.0, f"answered after {took:.2f}s"
    for slow in slows:
        assert seconds_until_closed(slow, stalled_at) < 2 * CLIENT_TIMEOUT + 2.0


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
