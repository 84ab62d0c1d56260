"""The command line in "Add to Slack" mode (SLACK_CLIENT_ID/SECRET, no SLACK_BOT_TOKEN), run as a deployment
runs it: real `statbot` subprocesses on a SQLite file, the Web API stand-in on 127.0.0.1."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.local_slack import CLIENT_ID, CLIENT_SECRET, SlackStandIn
from tests import commandline
from tests.commandline import STATBOT, environment, free_port, run
from tests.conftest import SIGNING_SECRET
from tests.installs import ENCRYPTION_KEY

pytestmark = pytest.mark.slow  # each test starts `statbot` processes (or a server) of its own


def oauth_env(standin: SlackStandIn, **extra: str) -> dict[str, str]:
    return {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "STATBOT_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "SLACK_API_URL": standin.api_url,
        **extra,
    }


@contextmanager
def running(args: list[str], tmp_path: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    log = (tmp_path / "process.log").open("wb")
    process = subprocess.Popen(args, cwd=tmp_path, env=environment(tmp_path, **env), stdout=log, stderr=log)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        log.close()


def wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    assert commandline.wait_until_up(base, process, log)["database"] == "reachable"


def test_serve_starts_in_add_to_slack_mode_without_a_bot_token_and_shows_the_install_link(
    tmp_path: Path, standin: SlackStandIn
) -> None:
    assert run([STATBOT, "migrate"], tmp_path).returncode == 0
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running(
        [STATBOT, "serve", "--port", str(port), "--workers", "1"], tmp_path, oauth_env(standin)
    ) as server:
        wait_until_up(base, server, tmp_path / "process.log")
        with urllib.request.urlopen(f"{base}/slack/install", timeout=30) as response:  # noqa: S310 (loopback)
            page = response.read().decode()
    assert response.status == 200
    assert "https://slack.com/oauth/v2/authorize?" in page and f"client_id={CLIENT_ID}" in page
    assert "Add to Slack" in page


def test_clock_starts_in_add_to_slack_mode(tmp_path: Path, standin: SlackStandIn) -> None:
    assert run([STATBOT, "migrate"], tmp_path).returncode == 0
    log = tmp_path / "process.log"
    with running([STATBOT, "clock"], tmp_path, oauth_env(standin)) as clock:
        deadline = time.monotonic() + 60
        while "clock started" not in log.read_text():
            if clock.poll() is not None:
                pytest.fail(f"statbot clock exited with {clock.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"statbot clock did not start:\n{log.read_text()}")
            time.sleep(0.2)
        assert clock.poll() is None
    assert "Traceback" not in log.read_text()


def test_socket_mode_in_add_to_slack_mode_says_it_cannot_install_and_what_to_run_instead(
    tmp_path: Path, standin: SlackStandIn
) -> None:
    result = run([STATBOT, "socket"], tmp_path, **oauth_env(standin, SLACK_APP_TOKEN="xapp-1"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Socket Mode cannot install" in result.stderr and "statbot serve" in result.stderr
