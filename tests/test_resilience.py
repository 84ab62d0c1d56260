"""The database going away and coming back, for real: a private PostgreSQL server this test stops and starts.

The shared server at 127.0.0.1:5432 is never touched; this module runs its own with initdb and pg_ctl on a
free port (as the `postgres` user when run as root). If that server cannot be created the tests fail, they
never skip.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import event
from sqlalchemy.pool import Pool

from bot.app import UNREACHABLE, Home, create_app
from bot.config import Settings
from bot.local_slack import SlackStandIn
from bot.web import create_wsgi
from storage import migrate, sample, workspaces
from storage.db import make_engine, make_sessions
from tests.commandline import free_port
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM
from tests.http_server import serving
from tests.slackapi.signing import post, signed_headers, slash_command_body

pytestmark = pytest.mark.postgres

PG_BIN = Path("/usr/lib/postgresql/15/bin")
# A reply that never gives up on the database would hit the client's 30 s timeout instead. Whether the reply also
# beats Slack's 3 s depends on the machine (the connect timeout is 2 s): the times are printed, not asserted.
GIVES_UP_WITHIN = 30.0


class PrivatePostgres:
    """A throwaway PostgreSQL cluster in a temporary directory, run as the `postgres` user."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="statbot-pg-"))
        # PostgreSQL refuses to run as root: as root, run it as the `postgres` user; otherwise as ourselves.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*self.as_user, *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise RuntimeError(
                f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n{log}"
            )

    def create(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        subprocess.run(
            [*self.as_user, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.create()  # any failure here is an error of the test run, never a skip
        engine = make_engine(server.url)
        migrate.upgrade(engine)
        with make_sessions(engine)() as session:
            sample.load(session, workspaces.bind_home(session, TEAM).id)
            session.commit()
        engine.dispose()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def app_url(private_pg: PrivatePostgres, standin: SlackStandIn) -> Iterator[str]:
    settings = Settings(
        database_url=private_pg.url,
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=standin.api_url,
        response_url_allow_loopback=True,
    )
    with serving(create_wsgi(settings)) as url:
        yield url


def ask(server: str, standin: SlackStandIn, text: str = "facebook") -> tuple[float, dict[str, Any]]:
    """Seconds the answer took, and the answer."""
    body = slash_command_body("/stats", text, response_url=standin.response_url("cmd"))
    started = time.perf_counter()
    status, _, raw = post(f"{server}/slack/events", body, signed_headers(body, SIGNING_SECRET))
    took = time.perf_counter() - started
    assert status == 200, raw
    return took, json.loads(raw)


def health(server: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"{server}/healthz", timeout=30) as response:  # noqa: S310 (loopback)
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_the_database_stopped_gets_a_prompt_clear_reply_and_the_app_recovers_by_itself(
    private_pg: PrivatePostgres, app_url: str, standin: SlackStandIn
) -> None:
    _, reply = ask(app_url, standin)
    assert "*52%*" in json.dumps(reply)
    assert health(app_url) == (200, {"ok": True, "database": "reachable"})

    private_pg.stop()
    try:
        took, reply = ask(app_url, standin)
        assert reply == {"response_type": "ephemeral", "text": UNREACHABLE}
        assert took < GIVES_UP_WITHIN, f"the outage reply took {took:.2f}s"
        took_again, reply = ask(app_url, standin)  # the pool has nothing left to try: still prompt and clear
        assert reply["text"] == UNREACHABLE and took_again < GIVES_UP_WITHIN
        assert health(app_url) == (503, {"ok": False, "database": "unreachable"})
    finally:
        private_pg.start()
    print(f"\noutage replies took {took * 1000:.0f} ms and {took_again * 1000:.0f} ms")

    started = time.perf_counter()
    took, reply = ask(app_url, standin)  # the very first request after the restart, same app, same pool
    assert "*52%*" in json.dumps(reply), reply
    assert health(app_url) == (200, {"ok": True, "database": "reachable"})
    print(f"first answer after the restart took {took * 1000:.0f} ms; "
          f"recovered {(time.perf_counter() - started) * 1000:.0f} ms after the server was back")  # fmt: skip


def test_connections_left_idle_across_a_restart_are_replaced_before_use(
    private_pg: PrivatePostgres, app_url: str, standin: SlackStandIn
) -> None:
    for _ in range(3):
        ask(app_url, standin)  # the pool now holds a connection to the server about to restart
    private_pg.stop()
    private_pg.start()
    _, reply = ask(app_url, standin)
    assert "*52%*" in json.dumps(reply), reply


def test_a_connection_lost_between_its_check_and_its_query_is_retried_for_an_answer(
    private_pg: PrivatePostgres, app_url: str, standin: SlackStandIn
) -> None:
    """The server ends the session after the pool's pre-ping passed: only the retry can save this answer."""
    ask(app_url, standin)
    killed: list[int] = []

    def terminate_once(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if killed:
            return
        pid = dbapi_connection.info.backend_pid
        with psycopg.connect(private_pg.url, autocommit=True) as admin:
            # waits (up to 5 s) until that session is really gone
            assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone() == (True,)
        killed.append(pid)

    event.listen(Pool, "checkout", terminate_once)
    try:
        _, reply = ask(app_url, standin)
    finally:
        event.remove(Pool, "checkout", terminate_once)
    assert killed, "the fault was never injected"
    assert "*52%*" in json.dumps(reply), reply


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word, like a database host that has hung."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=30)
        for connection in held:
            connection.close()
        listener.close()


def test_a_database_that_accepts_but_never_answers_gets_the_clear_reply_without_waiting_on_it(
    silent_server: int, standin: SlackStandIn
) -> None:
    settings = Settings(
        database_url=f"postgresql://postgres@127.0.0.1:{silent_server}/test",
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=standin.api_url,
        response_url_allow_loopback=True,
    )
    app = create_app(settings, make_sessions(make_engine(settings.database_url)), home=Home(1, TEAM))
    with serving(SlackRequestHandler(app)) as server:
        took, reply = ask(server, standin)
    assert reply == {"response_type": "ephemeral", "text": UNREACHABLE}
    assert took < GIVES_UP_WITHIN, f"the reply took {took:.2f}s"
    print(f"\nreply with a silent database took {took * 1000:.0f} ms")
