"""The command line a newcomer uses: `make run` piped, `statbot init` twice, `ask`, `console`, `serve`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.local_slack import SlackStandIn
from bot.oauth import BOT_SCOPES
from storage.token_cipher import TokenCipher
from tests.commandline import STATBOT, environment, free_port, run, wait_until_up
from tests.conftest import SIGNING_SECRET, TEAM
from tests.slackapi.signing import post, signed_headers, slash_command_body

pytestmark = pytest.mark.slow  # each test starts `statbot` processes (or a server) of its own


def test_make_run_with_piped_input_prints_the_52_percent_figure_with_nspcc_as_its_source(
    tmp_path: Path, repo_root: Path
) -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(repo_root), "run"],
        input="/stats facebook\n",
        capture_output=True,
        text=True,
        env=environment(tmp_path),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "local console" in result.stdout
    assert "*52%* share of sexual or illicit image offences" in result.stdout
    assert "NSPCC" in result.stdout and "The Independent" in result.stdout


def test_init_twice_loads_the_sample_once_and_ask_answers_through_the_bolt_app(tmp_path: Path) -> None:
    for _ in range(2):
        assert run([STATBOT, "init"], tmp_path).returncode == 0
    answer = run([STATBOT, "ask", "/quote burrows"], tmp_path)
    assert answer.returncode == 0 and answer.stdout.count("Andy Burrows") == 1
    payload = json.loads(run([STATBOT, "ask", "/stats instagram", "--json"], tmp_path).stdout)
    assert payload["response_type"] == "ephemeral" and "52%" in payload["text"]


@pytest.mark.usefixtures("initialised")  # a copy of one `statbot init` in tmp_path
def test_the_console_answers_each_line_until_input_ends_and_explains_mistakes(tmp_path: Path) -> None:
    lines = "/stats\n/stats facebok\n\n/nope x\nfacebook\n/quote nca\n"
    result = run([STATBOT, "console"], tmp_path, stdin=lines)
    assert result.returncode == 0
    out = result.stdout
    assert "/quote burrows" in out  # help
    assert "showing 1 figure for *facebook*" in out
    assert "Unknown command '/nope'" in out
    assert "Type a slash command" in out
    assert "Rob Jones" in out
    assert "Traceback" not in out + result.stderr


@pytest.mark.usefixtures("initialised")  # a copy of one `statbot init` in tmp_path
def test_serve_runs_gunicorn_and_answers_signed_slash_commands(tmp_path: Path, standin: SlackStandIn) -> None:
    port = free_port()
    secrets = {
        "SLACK_BOT_TOKEN": "xoxb-serve",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": standin.api_url,
        "STATBOT_RESPONSE_URL_ALLOW_LOOPBACK": "1",
    }
    server = subprocess.Popen(
        [STATBOT, "serve", "--port", str(port), "--workers", "1"],
        cwd=tmp_path,
        env=environment(tmp_path, **secrets),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_until_up(base, server)["database"] == "reachable"
        body = slash_command_body("/stats", "whatsapp", team_id=TEAM, response_url=standin.response_url())
        status, _, raw = post(f"{base}/slack/events", body, signed_headers(body, SIGNING_SECRET))
        assert status == 200 and "*52%*" in raw
        status, _, _ = post(f"{base}/slack/events", body, signed_headers(body, "wrong"))
        assert status == 401
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    logged = output.decode()
    requests = [
        json.loads(line) for line in logged.splitlines() if line.startswith("{") and '"request"' in line
    ]
    assert {(r["team"], r["command"], r["status"]) for r in requests} == {
        (TEAM, "/stats", 200),
        (TEAM, "/stats", 401),
    }
    assert all(r["duration_ms"] >= 0 for r in requests)
    for secret in ("xoxb-serve", SIGNING_SECRET):
        assert secret not in logged


def test_serve_without_slack_credentials_says_what_is_missing(tmp_path: Path) -> None:
    result = run([STATBOT, "serve"], tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET" in result.stderr


@pytest.mark.parametrize("given", ["lots", "-1", "nan", "inf"])
def test_a_setting_that_is_not_a_number_is_named_at_start(tmp_path: Path, given: str) -> None:
    result = run([STATBOT, "ask", "/stats facebook"], tmp_path, STATBOT_ANSWER_CACHE_MB=given)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"STATBOT_ANSWER_CACHE_MB must be a number, 0 or more; it is '{given}'" in result.stderr


@pytest.mark.usefixtures("initialised")  # a copy of one `statbot init` in tmp_path
def test_ingest_submit_stores_candidates_for_review_once(tmp_path: Path, repo_root: Path) -> None:
    article = str(repo_root / "tests" / "gold" / "articles" / "child-poverty-two-child-limit.txt")
    first = run([STATBOT, "ingest", article, "--submit"], tmp_path)
    assert first.returncode == 0 and "waiting in `/stats pending`" in first.stdout
    again = run([STATBOT, "ingest", article, "--submit"], tmp_path)
    assert "0 figures, 0 quotes" in again.stdout and "Already stored" in again.stdout
    waiting = run([STATBOT, "ask", "/stats pending"], tmp_path).stdout
    assert "waiting for review" in waiting and "4,300,000" in waiting
    assert "4,300,000" not in run([STATBOT, "ask", "/stats child poverty"], tmp_path).stdout


def test_multi_workspace_serve_refuses_to_start_without_an_encryption_key_and_says_why(
    tmp_path: Path,
) -> None:
    oauth = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "client-secret", "SLACK_SIGNING_SECRET": "s"}
    result = run([STATBOT, "serve"], tmp_path, **oauth)
    assert result.returncode == 2
    assert "STATBOT_ENCRYPTION_KEY is not" in result.stderr and "statbot keygen" in result.stderr
    result = run([STATBOT, "clock"], tmp_path, **oauth, STATBOT_ENCRYPTION_KEY="too-short")
    assert result.returncode == 2 and "Fernet key" in result.stderr


def test_keygen_prints_a_key_multi_workspace_mode_accepts(tmp_path: Path) -> None:
    key = run([STATBOT, "keygen"], tmp_path).stdout.strip()
    assert TokenCipher(key).decrypt(TokenCipher(key).encrypt("xoxb-1")) == "xoxb-1"


def test_the_manifest_asks_for_the_scopes_the_install_flow_asks_for(repo_root: Path) -> None:
    manifest = yaml.safe_load((repo_root / "manifest.yml").read_text())
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == BOT_SCOPES
