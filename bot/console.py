"""The local console: slash commands typed or piped, sent through the real Bolt app as signed Slack requests.

Slack itself is played by the Web API stand-in (bot/local_slack.py) on 127.0.0.1, so every command works
as it does in Slack: a form the app opens (views.open) is asked field by field on the terminal, or filled
from `--form FILE`, and submitted through the app as a real view_submission; a file the app uploads is
saved to a local folder and its path printed; direct messages, channel posts and replies to the
command's response_url are printed; and the work listeners do after their ack (Bolt's lazy listeners)
is waited for before the prompt returns.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from slack_bolt import App, BoltRequest
from sqlalchemy.orm import Session, sessionmaker

from bot.app import CONSOLE_TEAM, create_app
from bot.config import ConfigError, Settings
from bot.listener_pool import ListenerPool
from bot.local_slack import RESPONSE_URL, Call, SlackStandIn
from bot.slack_client import Home
from storage import workspaces

CONSOLE_USER = "U0CONSOLE"
CONSOLE_CHANNEL = "C0CONSOLE"
CONSOLE_TOKEN = "xoxb-local-console"  # noqa: S105 (not a secret: only the stand-in ever sees it)
# Work after the ack may fetch an article (30 s timeout, redirects): wait well past that, on events.
DEADLINE = 120.0
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_MENTION = re.compile(r"<([@#])([A-Z0-9]+)(?:\|([^>]*))?>")
# Slack's date formatting (`<!date^1723636800^{date_short}|14 Aug 2024>`): a terminal shows the fallback text.
_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
# Methods whose calls are bookkeeping, not something a person in Slack would see.
_QUIET = frozenset({"auth.test", "users.info", "conversations.info", "conversations.open", "conversations.history",
                    "files.getUploadURLExternal", "upload", "chat.delete", "views.update"})  # fmt: skip


def _sign(body: str, signing_secret: str, content_type: str) -> BoltRequest:
    timestamp = str(int(time.time()))
    digest = hmac.new(signing_secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    headers: dict[str, str | Sequence[str]] = {
        "content-type": [content_type],
        "x-slack-request-timestamp": [timestamp],
        "x-slack-signature": [f"v0={digest}"],
    }
    return BoltRequest(body=body, headers=headers)


def slash_request(
    command: str,
    text: str,
    *,
    team_id: str,
    signing_secret: str,
    response_url: str = "https://127.0.0.1/console-has-no-response-url",
    trigger_id: str = "console",
) -> BoltRequest:
    """The request Slack would send for this command, signed as Slack signs it (v0 HMAC-SHA256)."""
    fields = {
        "token": "console", "team_id": team_id, "team_domain": "console", "channel_id": CONSOLE_CHANNEL,
        "channel_name": "console", "user_id": CONSOLE_USER, "user_name": "console", "command": command,
        "text": text, "api_app_id": "A0CONSOLE", "is_enterprise_install": "false",
        "response_url": response_url, "trigger_id": trigger_id,
    }  # fmt: skip
    return _sign(urlencode(fields), signing_secret, "application/x-www-form-urlencoded")


def view_submission_request(
    view: dict[str, Any], values: dict[str, dict[str, Any]], *, team_id: str, signing_secret: str
) -> BoltRequest:
    """The view_submission Slack sends when the form's Submit is pressed, with `values` as its state."""
    submitted = {**view, "state": {"values": values}}
    payload = {
        "type": "view_submission", "team": {"id": team_id, "domain": "console"},
        "user": {"id": CONSOLE_USER, "username": "console", "name": "console", "team_id": team_id},
        "api_app_id": "A0CONSOLE", "token": "console", "trigger_id": "console", "view": submitted,
        "response_urls": [], "is_enterprise_install": False, "enterprise": None,
    }  # fmt: skip
    return _sign(urlencode({"payload": json.dumps(payload)}), signing_secret, "application/x-www-form-urlencoded")


def slack_text(line: str) -> str:
    """What Slack sends for typed mentions: `@U0123` -> `<@U0123>`, `#C0123` -> `<#C0123>`, `#console`."""
    line = re.sub(r"(?<!\S)#console\b", f"<#{CONSOLE_CHANNEL}|console>", line)
    line = re.sub(r"(?<!\S)@([UW][A-Z0-9]{2,})\b", r"<@\1>", line)
    return re.sub(r"(?<!\S)#([CG][A-Z0-9]{2,})\b", r"<#\1>", line)


def _mrkdwn_to_text(text: str) -> str:
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    named = {CONSOLE_CHANNEL: "console", CONSOLE_USER: "console"}
    text = _MENTION.sub(lambda m: f"{m.group(1)}{m.group(3) or named.get(m.group(2), m.group(2))}", text)
    return html.unescape(text)


def to_text(message: dict[str, Any]) -> str:
    """A Slack message as readable terminal text: sections (with an item's menu), context lines and buttons
    in order."""
    lines: list[str] = []
    for block in message.get("blocks") or []:
        kind = block.get("type")
        if kind in ("section", "header") and block.get("text"):
            lines.append(_mrkdwn_to_text(block["text"]["text"]))
            menu = block.get("accessory") or {}
            if menu.get("type") == "overflow":  # an item's menu (Citation, Share this one, ...), shown, not used
                lines.append("  [⋯ " + " · ".join(o["text"]["text"] for o in menu.get("options", [])) + "]")
        elif kind == "context":
            lines.append("  " + " · ".join(_mrkdwn_to_text(e.get("text", "")) for e in block["elements"]))
        elif kind == "divider":
            lines.append("-" * 60)
        elif kind == "actions":
            lines.append("  " + " ".join(f"[{e['text']['text']}]" for e in block["elements"] if "text" in e))
    if not lines:
        lines.append(_mrkdwn_to_text(message.get("text", "")))
    return "\n".join(lines)


def describe(status: int, payload: dict[str, Any] | None, body: str, command: str) -> str:
    if payload is not None:
        return to_text(payload)
    if status == 404:
        return f"Unknown command {command!r}: try /stats or /quote (e.g. /stats facebook)."
    if status == 401:
        return "Refused: the request was not signed for this app or came from another workspace."
    return body or f"(no reply; status {status})"


def _payload(status: int, body: str) -> dict[str, Any] | None:
    try:
        found = json.loads(body) if status == 200 and body.startswith("{") else None
    except json.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None


class FormFileError(ConfigError):
    """`--form FILE` is not a JSON object of field names (or labels) and values (said as a bad setting is)."""


def form_file(path: Path) -> dict[str, str]:
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FormFileError(f"--form {path}: {error}") from error
    if not isinstance(values, dict):
        raise FormFileError(f"--form {path}: give a JSON object of field names (or labels) and values.")
    return {str(k): str(v) for k, v in values.items()}


class FormCancelled(Exception):
    """The input ended (or a form file could not answer) before the form was complete."""


@dataclass
class Console:
    """One console session: the app, the stand-in it talks to, and where answers and files go."""

    app: App
    slack: SlackStandIn
    executor: ListenerPool
    team_id: str
    signing_secret: str
    out: TextIO
    files: Path
    form_values: dict[str, str] | None = None  # answers for every form, from --form FILE
    prompt: bool = False
    deadline: float = DEADLINE
    _seen: int = 0
    _serial: int = 0
    _answers: Iterator[str] = field(default_factory=lambda: iter(()))

    # ----- one command ------------------------------------------------------------------------
    def ask(self, line: str) -> tuple[int, dict[str, Any] | None, str]:
        """Send one typed line; returns the ack's HTTP status, message payload (if any) and plain body."""
        command, _, text = line.strip().partition(" ")
        self._serial += 1
        request = slash_request(
            command, slack_text(text), team_id=self.team_id, signing_secret=self.signing_secret,
            response_url=self.slack.response_url(f"console-{self._serial}"), trigger_id=f"console.{self._serial}",
        )  # fmt: skip
        response = self.app.dispatch(request)
        body = response.body or ""
        return response.status, _payload(response.status, body), body

    def command(self, line: str, *, as_json: bool = False) -> int:
        """Answer one line: the ack, then everything the app did in Slack because of it, forms included.

        Returns the ack's HTTP status; `as_json` prints the ack's message payload as Slack received it."""
        status, payload, body = self.ask(line)
        said = bool(payload) or bool(body) or status != 200
        if as_json and payload is not None:
            self._say(json.dumps(payload, indent=2, ensure_ascii=False))
        elif said:
            self._say(describe(status, payload, body, (line.split() or [""])[0]))
        if not self.follow_up() and not said:
            self._say("(no reply)")
        return status

    def follow_up(self) -> bool:
        """Wait for the work after the ack, show what it sent to Slack, and fill in any form it opened."""
        shown = False
        while True:
            if not self.executor.wait_idle(self.deadline):
                self._say(f"(still working after {self.deadline:.0f} s; what it sends is shown after the next command)")
            views = []
            for call in self._new_calls():
                shown |= self._show(call)
                if call.method in ("views.open", "views.push") and not call.failed and call.response:
                    views.append(call.response["view"])
            if not views:
                return shown
            for view in views:
                shown |= self._submit_form(view)

    # ----- what the app sent --------------------------------------------------------------------
    def _new_calls(self) -> list[Call]:
        calls = self.slack.calls()
        new, self._seen = calls[self._seen :], len(calls)
        return new

    def _where(self, channel: str) -> str:
        if channel[:1] in ("D", "U", "W"):
            return "direct message to you"
        return f"posted in {self._channel(channel)}"

    def _channel(self, channel: str) -> str:
        return "#" + str(self.slack.channels.get(channel, {}).get("name") or channel)

    def _show(self, call: Call) -> bool:
        method, params = call.method, call.params
        if call.failed:
            if method in _QUIET:
                return False
            error = (call.response or {}).get("error", "no answer")
            self._say(f"(Slack refused {method}: {error})")
            return True
        if method == "chat.postMessage":
            self._say(f"[{self._where(str(params.get('channel', '')))}]\n{to_text(params)}")
        elif method == "chat.postEphemeral":
            self._say(f"[only you can see this, in {self._channel(str(params.get('channel', '')))}]\n{to_text(params)}")
        elif method == "chat.update":
            self._say(f"[message updated, {self._where(str(params.get('channel', '')))}]\n{to_text(params)}")
        elif method == RESPONSE_URL:
            if params.get("delete_original") and not (params.get("text") or params.get("blocks")):
                return False
            shared = params.get("response_type") == "in_channel"
            self._say((f"[{self._where(CONSOLE_CHANNEL)}]\n" if shared else "") + to_text(params))
        elif method == "files.completeUploadExternal":
            self._save_files(params)
        else:
            return False
        return True

    def _save_files(self, params: dict[str, Any]) -> None:
        uploads = {upload.file_id: upload for upload in self.slack.uploads()}
        where = self._where(str(params.get("channel_id") or "D"))
        lines = [f"[{where}]"]
        if params.get("initial_comment"):
            lines.append(_mrkdwn_to_text(str(params["initial_comment"])))
        self.files.mkdir(parents=True, exist_ok=True)
        for item in params.get("files") or []:
            upload = uploads.get(item.get("id", ""))
            if upload is None or upload.content is None:
                continue
            path = _free_name(self.files / Path(upload.filename).name)
            path.write_bytes(upload.content)
            lines.append(f"  file {upload.filename} saved to {path.resolve()}")
        self._say("\n".join(lines))

    # ----- forms ------------------------------------------------------------------------------
    def _submit_form(self, view: dict[str, Any]) -> bool:
        """Ask the form's fields, submit them through the app, and ask again beside any errors."""
        title = (view.get("title") or {}).get("text", "A form")
        how = "from the form file" if self.form_values is not None else "answer each field; Enter leaves it as shown"
        self._say(f"{title} ({how})")
        values: dict[str, str] = {}
        errors: dict[str, str] = {}
        while True:
            try:
                values = self._fill(view, values, errors)
            except FormCancelled as why:
                self._say(f"Form cancelled: {why}")
                return True
            status, _, body = self._dispatch_submission(view, values)
            reply = _payload(status, body) or {}
            if reply.get("response_action") != "errors":
                if status != 200:
                    self._say(f"(the form was refused; status {status})")
                return True
            errors = {str(k): str(v) for k, v in (reply.get("errors") or {}).items()}
            labels = {b["block_id"]: b["label"]["text"] for b in _inputs(view)}
            self._say("\n".join(f"  {labels.get(k, k)}: {v}" for k, v in errors.items()))
            if self.form_values is not None:
                self._say("Form cancelled: fix these in the form file and try again.")
                return True

    def _dispatch_submission(self, view: dict[str, Any], values: dict[str, str]) -> tuple[int, None, str]:
        state: dict[str, dict[str, Any]] = {}
        for block in _inputs(view):
            element, value = block["element"], values.get(block["block_id"], "")
            action_id = element.get("action_id", block["block_id"])
            if element.get("type") == "static_select":
                chosen = next((o for o in element.get("options", []) if o["value"] == value), None)
                state[block["block_id"]] = {action_id: {"type": "static_select", "selected_option": chosen}}
            else:
                state[block["block_id"]] = {action_id: {"type": element.get("type"), "value": value or None}}
        response = self.app.dispatch(
            view_submission_request(view, state, team_id=self.team_id, signing_secret=self.signing_secret)
        )
        return response.status, None, response.body or ""

    def _fill(self, view: dict[str, Any], previous: dict[str, str], errors: dict[str, str]) -> dict[str, str]:
        values = dict(previous)
        for block in _inputs(view):
            block_id, element = block["block_id"], block["element"]
            if errors and block_id not in errors:
                continue  # a second round asks only what was wrong
            initial = values.get(block_id) or element.get("initial_value") or (
                (element.get("initial_option") or {}).get("value", "")
            )
            if self.form_values is not None:
                label = block["label"]["text"]
                value = str(self.form_values.get(block_id, self.form_values.get(label, initial)) or "")
                options = [o["value"] for o in element.get("options", [])]
                if value and options and value not in options:
                    raise FormCancelled(f"{label} in the form file is {value!r}; it is one of: {', '.join(options)}.")
                values[block_id] = value
            else:
                values[block_id] = self._ask_field(block, str(initial or ""), errors.get(block_id))
        return values

    def _ask_field(self, block: dict[str, Any], initial: str, error: str | None) -> str:
        element = block["element"]
        label = block["label"]["text"] + ("" if not block.get("optional") else " (optional)")
        notes = [(block.get("hint") or {}).get("text", ""), error or ""]
        options = [o["value"] for o in element.get("options", [])] if element.get("type") == "static_select" else []
        if options:
            notes.append("one of: " + ", ".join(options))
        elif (element.get("placeholder") or {}).get("text"):
            notes.append("e.g. " + element["placeholder"]["text"])
        question = label + "".join(f" — {n}" for n in notes if n) + (f" [{initial}]" if initial else "") + ": "
        while True:
            self.out.write(question)
            self.out.flush()
            try:
                answer = next(self._answers).rstrip("\n").strip()
            except StopIteration:
                self.out.write("\n")
                raise FormCancelled("the input ended before the form was complete.") from None
            if not self.prompt:
                self.out.write(answer + "\n")  # a transcript shows what was answered
            answer = answer or initial
            if not options or not answer or answer in options:
                return answer
            by_number = dict(zip((str(n) for n in range(1, len(options) + 1)), options, strict=True))
            if answer in by_number:
                return str(by_number[answer])
            self.out.write(f"Choose one of: {', '.join(options)}\n")

    # ----- the loop ---------------------------------------------------------------------------
    def run(self, lines: Iterable[str]) -> None:
        """Answer each line until the input ends; blank lines are skipped. Forms read from the same input."""
        self._answers = iter(lines)
        if self.prompt:
            self.out.write("Type a slash command such as /stats facebook or /quote burrows (Ctrl-D to quit).\n> ")
            self.out.flush()
        for line in self._answers:
            line = line.strip()
            if line:
                if not self.prompt:
                    self.out.write(f"> {line}\n")  # piped: the transcript says which answer is whose
                if not line.startswith("/"):
                    self._say("Type a slash command, for example /stats facebook")
                else:
                    self.command(line)
            if self.prompt:
                self.out.write("> ")
            self.out.flush()
        if self.prompt:
            self.out.write("\n")

    def _say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def close(self) -> None:
        self.executor.wait_idle(self.deadline)
        self.executor.shutdown(wait=True)
        self.slack.stop()


def _inputs(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in view.get("blocks", []) if b.get("type") == "input" and "element" in b]


def _free_name(path: Path) -> Path:
    """`path`, or `name-2.csv`, `name-3.csv` ... if it is taken: an earlier export is never overwritten."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def open_console(
    settings: Settings,
    sessions: sessionmaker[Session],
    out: TextIO,
    *,
    signing_secret: str,
    files: Path,
    form_values: dict[str, str] | None = None,
    prompt: bool = False,
    answers: Iterable[str] = (),
) -> Console:
    """The real Bolt app for the single-workspace install's data, talking to a Slack stand-in on 127.0.0.1.

    Whatever Slack settings are set, the console never reaches Slack: the stand-in plays it."""
    with sessions() as session:
        workspace = workspaces.home(session)
        session.commit()
        home = Home(workspace_id=workspace.id, team_id=workspace.team_id)
    slack = SlackStandIn(team_id=home.team_id or CONSOLE_TEAM, team="console").start()
    slack.add_user(CONSOLE_USER, name="console")
    slack.add_channel(CONSOLE_CHANNEL, name="console")
    local = replace(
        settings, bot_token=CONSOLE_TOKEN, api_url=slack.api_url, app_token=None, signing_secret=signing_secret,
        client_id=None, client_secret=None, response_url_allow_loopback=True,
    )  # fmt: skip
    executor = ListenerPool("console-listener")
    app = create_app(local, sessions, home=home, listener_executor=executor, ingest_executor=executor)
    # Bolt's advice for unhandled commands is for developers; the console answers those itself. (Bolt sets
    # its logger's level as it builds the app, so this comes after.)
    app.logger.setLevel(logging.ERROR)
    return Console(
        app, slack, executor, home.team_id or CONSOLE_TEAM, signing_secret, out, files,
        form_values=form_values, prompt=prompt, _answers=iter(answers),
    )  # fmt: skip
