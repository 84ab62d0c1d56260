"""A stand-in for the Slack Web API on 127.0.0.1, for HTTP-level tests and the local console.

Point ``slack_sdk.WebClient(base_url=standin.api_url)`` (or SLACK_API_URL) at it and the bot
talks real HTTP: JSON, form and multipart bodies are parsed as Slack parses them, Slack's
message and view limits are enforced (see limits.py), and faults (429, 5xx, ``ok: false``
errors, dropped connections) can be injected per method. Every request, including failed
ones, is recorded as a :class:`Call` so tests can assert on what the bot actually sent.

    with SlackStandIn() as slack:
        client = WebClient(base_url=slack.api_url, token="xoxb-test")
        ...
        assert slack.last("chat.postMessage").params["blocks"][0]["type"] == "section"
        assert slack.violations == []
"""

from __future__ import annotations

import base64
import contextlib
import email.parser
import email.policy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from bot.slack_limits import Problem, message_problem, view_problem

RESPONSE_URL = "response_url"  # Call.method of a POST to a response_url
UPLOAD = "upload"  # Call.method of the raw-bytes POST to a files.getUploadURLExternal URL
# Form fields Slack accepts as JSON strings; decoded so tests see lists/dicts either way.
JSON_FIELDS = ("blocks", "view", "attachments", "files", "metadata")
MESSAGE_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update")
VIEW_METHODS = ("views.open", "views.update", "views.publish")
FIRST_TS_MICROS = 1_700_000_000_000_000
# Methods that authenticate with the app's client id and secret rather than a token.
CLIENT_METHODS = ("oauth.v2.access",)
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "standin-client-secret"  # noqa: S105 (the stand-in's own, not a secret)
TOKEN_LIFETIME = 43_200  # seconds, as Slack's rotating tokens


@dataclass
class Grant:
    """What an OAuth code installs: a team (possibly in an Enterprise Grid org), maybe with rotation."""

    team_id: str
    team_name: str
    installer: str
    enterprise_id: str | None = None
    rotating: bool = False
    used: bool = False


@dataclass(frozen=True)
class Call:
    """One request the stand-in received; ``failed`` when it was not answered with ok."""

    method: str
    params: dict[str, Any]
    token: str | None
    headers: dict[str, str]
    failed: bool = False
    path: str = ""
    response: dict[str, Any] | None = None


@dataclass
class Upload:
    """A file going through the files_upload_v2 flow (URL issued, bytes sent, completed)."""

    file_id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    completed: bool = False


@dataclass
class _Fault:
    status: int
    error: str | None
    retry_after: int
    drop: bool
    times: int
    hold: threading.Event | None = None


def _error(error: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": error, **extra}


class _Refusal(Exception):
    """Raised by a method handler to answer ``{"ok": false, "error": ...}`` with HTTP 200."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.body = _error(error, **extra)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: SlackStandIn


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self.server.standin._handle(self)

    do_GET = do_POST  # Slack accepts GET with query parameters for most methods

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output readable; everything is in standin.calls()


class SlackStandIn:
    """Slack Web API stand-in: an HTTP server on 127.0.0.1 in a daemon thread."""

    def __init__(
        self,
        *,
        team_id: str = "T0TEST",
        team: str = "Test Team",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        bot_name: str = "statbot",
        app_id: str = "A0APP",
    ) -> None:
        self.team_id, self.team, self.app_id = team_id, team, app_id
        self.bot_user_id, self.bot_id, self.bot_name = bot_user_id, bot_id, bot_name
        self.violations: list[str] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self._calls: list[Call] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._uploads: dict[str, Upload] = {}
        self._history: dict[str, list[dict[str, Any]]] = {}  # channel -> messages posted, oldest first
        self._deleted: set[tuple[str, str]] = set()  # (channel, ts) of messages deleted: chat.update refuses them
        self._serial = 0
        self._grants: dict[str, Grant] = {}  # OAuth code -> what it installs
        self.tokens: dict[str, str] = {}  # bot token -> team id, for tokens the stand-in issued
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> team id
        self.revoked: set[str] = set()
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "views.open": self._view_method,
            "views.update": self._view_method,
            "views.publish": self._view_method,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "oauth.v2.access": self._oauth_access,
            "auth.revoke": self._auth_revoke,
        }

    # ----- lifecycle -------------------------------------------------------------------------
    def start(self) -> SlackStandIn:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.standin = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("SlackStandIn is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """What to pass as WebClient(base_url=...) / SLACK_API_URL; the trailing slash matters."""
        return f"{self.base_url}/api/"

    def response_url(self, key: str = "x") -> str:
        return f"{self.base_url}/response/{key}"

    # ----- configuration ---------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "Europe/London",
        tz_offset: int | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> dict[str, Any]:
        """Register what users.info returns; tz_offset defaults to tz's current UTC offset."""
        if tz_offset is None:
            offset = datetime.now(ZoneInfo(tz)).utcoffset()
            tz_offset = int(offset.total_seconds()) if offset is not None else 0
        name = name or user_id.lower()
        user = {
            "id": user_id, "team_id": self.team_id, "name": name, "deleted": deleted,
            "real_name": real_name or name, "tz": tz, "tz_label": tz, "tz_offset": tz_offset,
            "is_admin": is_admin, "is_owner": is_owner, "is_primary_owner": is_primary_owner,
            "is_bot": is_bot, "is_restricted": False,
            "profile": {"real_name": real_name or name, "display_name": name, "team": self.team_id},
        }  # fmt: skip
        with self._lock:
            self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        is_member: bool = True,
        is_private: bool = False,
        is_archived: bool = False,
        is_im: bool = False,
        user: str | None = None,
    ) -> dict[str, Any]:
        """Register what conversations.info returns; chat.* honour is_member/is_archived too."""
        channel = {
            "id": channel_id, "name": name or channel_id.lower(), "created": 1_600_000_000,
            "is_channel": not (is_im or is_private), "is_group": is_private and not is_im,
            "is_im": is_im, "is_private": is_private or is_im, "is_archived": is_archived,
            "is_member": is_member, "is_general": False,
        }  # fmt: skip
        if is_im:
            channel["user"] = user
        with self._lock:
            self.channels[channel_id] = channel
        return channel

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        retry_after: int = 1,
        error: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail before any other processing.

        Without ``error`` this is a 429 with ``Retry-After: retry_after``; with ``error`` (and no
        ``status``) it is Slack's usual HTTP 200 ``{"ok": false, "error": error}``. Any other
        status (500, 503, ...) is sent as is. ``method`` may also be "response_url" or "upload".
        """
        resolved = status if status is not None else (200 if error else 429)
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault(resolved, error, retry_after, False, times))

    def grant(
        self,
        team_id: str,
        team_name: str = "",
        *,
        installer: str = "U0INSTALLER",
        enterprise_id: str | None = None,
        rotating: bool = False,
    ) -> str:
        """An OAuth code, as Slack gives the browser after someone approves the install; single use."""
        code = f"code-{team_id}-{self._next()}"
        with self._lock:
            self._grants[code] = Grant(team_id, team_name or team_id, installer, enterprise_id, rotating)
        return code

    def issue_token(self, team_id: str) -> str:
        """A bot token for `team_id` the stand-in knows (auth.test answers with that team)."""
        token = f"xoxb-{team_id}-{self._next()}"
        with self._lock:
            self.tokens[token] = team_id
        return token

    def team_of(self, token: str | None) -> str:
        with self._lock:
            return self.tokens.get(token or "", self.team_id)

    def hang_next(self, method: str) -> threading.Event:
        """Hold the next call to ``method`` unanswered until the returned event is set (or 60 s pass), then
        close the socket without answering: the moment to kill the caller mid-call."""
        release = threading.Event()
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault(0, None, 0, True, 1, release))
        return release

    def drop_connection_next(self, method: str, *, times: int = 1) -> None:
        """Close the socket without answering the next ``times`` calls (a network error)."""
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault(0, None, 0, True, times))

    # ----- inspection ------------------------------------------------------------------------
    def calls(self, method: str | None = None, *, ok: bool | None = None) -> list[Call]:
        """Recorded calls, oldest first; ``ok=True`` keeps successes, ``ok=False`` failures."""
        with self._lock:
            return [
                c
                for c in self._calls
                if (method is None or c.method == method) and (ok is None or c.failed is not ok)
            ]

    def last(self, method: str) -> Call:
        found = self.calls(method)
        if not found:
            raise AssertionError(f"no {method} call recorded; got {[c.method for c in self.calls()]}")
        return found[-1]

    def response_posts(self, key: str | None = None) -> list[dict[str, Any]]:
        """Payloads POSTed to response_url(key) (all keys when None), oldest first."""
        suffix = f"/response/{key}"
        return [c.params for c in self.calls(RESPONSE_URL) if key is None or c.path == suffix]

    def wait_for_response(self, key: str, count: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Poll until ``count`` payloads were POSTed to response_url(key); a reply can follow the work it reports."""
        deadline = time.monotonic() + timeout
        while len(posts := self.response_posts(key)) < count:
            if time.monotonic() >= deadline:
                raise AssertionError(f"wanted {count} post(s) to response_url({key!r}) in {timeout}s, got {len(posts)}")
            time.sleep(0.01)
        return posts

    def uploads(self) -> list[Upload]:
        with self._lock:
            return list(self._uploads.values())

    def clear(self) -> None:
        """Forget calls, violations, pending faults and uploads (users/channels stay)."""
        with self._lock:
            self._calls.clear()
            self.violations.clear()
            self._faults.clear()
            self._uploads.clear()

    def wait_for(
        self, method: str, count: int = 1, timeout: float = 30.0, *, ok: bool | None = None
    ) -> list[Call]:
        """Poll until ``count`` matching calls exist (bots post from worker threads)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls(method, ok=ok)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                seen = [c.method for c in self.calls()]
                raise AssertionError(
                    f"wanted {count} {method} call(s) in {timeout}s, got {len(found)}: {seen}"
                )
            time.sleep(0.01)

    # ----- HTTP plumbing ---------------------------------------------------------------------
    def _handle(self, req: _Handler) -> None:
        url = urlsplit(req.path)
        raw = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        headers = dict(req.headers.items())
        content_type = req.headers.get("Content-Type", "")
        token: str | None = None
        if url.path.startswith("/api/"):
            method = url.path.removeprefix("/api/")
        elif url.path.startswith("/response/"):
            method = RESPONSE_URL
        elif url.path.startswith("/upload/"):
            method = UPLOAD
        else:
            self._send(req, 404, {"ok": False, "error": "not_found"})
            return
        try:
            if method == UPLOAD:
                params = self._receive_upload(url.path.removeprefix("/upload/"), raw, content_type)
            elif method == RESPONSE_URL:
                params = _parse_body(raw, "application/json")
            else:
                params = dict(parse_qsl(url.query)) | _parse_body(raw, content_type)
                auth = req.headers.get("Authorization", "")
                token = auth[7:].strip() if auth.lower().startswith("bearer ") else params.get("token")
                if auth.lower().startswith("basic "):  # the app's client id and secret
                    client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                    params.setdefault("client_id", client_id)
                    params.setdefault("client_secret", secret)
        except _Refusal as refusal:
            self._record(Call(method, {"raw": raw}, None, headers, True, url.path, refusal.body))
            self._send(req, 400 if method == RESPONSE_URL else 200, refusal.body)
            return

        fault = self._take_fault(method)
        if fault is not None:
            if fault.drop:
                self._record(Call(method, params, token, headers, True, url.path, None))
                if fault.hold is not None:
                    fault.hold.wait(timeout=60)
                req.close_connection = True  # nothing written: the client sees the socket close
                return
            default = {429: "ratelimited"}.get(fault.status, "internal_error")
            body = {"ok": False, "error": fault.error or default}
            extra = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
            self._record(Call(method, params, token, headers, True, url.path, body))
            self._send(req, fault.status, body, extra)
            return

        status, body = 200, {"ok": True}
        if method == UPLOAD:
            status, body = self._store_upload(params)
        elif method == RESPONSE_URL:
            problem = message_problem(params, may_be_empty=bool(params.get("delete_original")))
            if problem is not None:
                status, body = 400, self._violation(method, problem)
        else:
            body = self._call_api(method, params, token)
        self._record(Call(method, params, token, headers, not body.get("ok"), url.path, body))
        if method == UPLOAD and status == 200:
            self._send(req, 200, f"OK - {len(params['content'])}")  # what files.slack.com answers
        else:
            self._send(req, status, body)

    def _call_api(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        try:
            if method in CLIENT_METHODS:
                return self._methods[method](params)
            if not token:
                raise _Refusal("not_authed")
            if not token.startswith("xox"):
                raise _Refusal("invalid_auth")
            with self._lock:
                if token in self.revoked:
                    raise _Refusal("token_revoked")
            if method in ("auth.test", "auth.revoke"):
                params = {**params, "token": token}
            handler = self._methods.get(method)
            if handler is None:
                raise _Refusal("unknown_method")
            if method in MESSAGE_METHODS:
                problem = message_problem(params)
                if problem is not None:
                    return self._violation(method, problem)
            if method in VIEW_METHODS:
                problem = view_problem(params.get("view"))
                if problem is not None:
                    return self._violation(method, problem)
            return handler(params)
        except _Refusal as refusal:
            return refusal.body

    def _violation(self, method: str, problem: Problem) -> dict[str, Any]:
        code, details = problem
        with self._lock:
            self.violations.extend(f"{method}: {code}: {d}" for d in details)
        if code == "invalid_arguments":  # views: Slack puts the details in response_metadata
            return _error(code, response_metadata={"messages": [f"[ERROR] {d}" for d in details]})
        return _error(code, errors=details) if code == "invalid_blocks" else _error(code)

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    @staticmethod
    def _send(
        req: _Handler, status: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None
    ) -> None:
        is_text = isinstance(body, str)
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        req.send_response(status)
        req.send_header(
            "Content-Type", "text/plain; charset=utf-8" if is_text else "application/json; charset=utf-8"
        )
        req.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            req.send_header(name, value)
        req.end_headers()
        req.wfile.write(data)

    def _next(self) -> int:
        with self._lock:
            self._serial += 1
            return self._serial

    def _next_ts(self) -> str:
        micros = FIRST_TS_MICROS + 100 * self._next()
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    # ----- Web API methods -------------------------------------------------------------------
    @staticmethod
    def _require(params: dict[str, Any], *names: str) -> None:
        for name in names:
            if not params.get(name):
                missing = {"messages": [f"[ERROR] missing required field: {name}"]}
                raise _Refusal("invalid_arguments", response_metadata=missing)

    def _channel(self, channel_id: str) -> dict[str, Any]:
        with self._lock:
            known = self.channels.get(channel_id)
        if known is not None:
            return known
        if not channel_id or channel_id[0] not in "CGD":
            raise _Refusal("channel_not_found")
        return self.add_channel(channel_id, is_private=channel_id[0] == "G", is_im=channel_id[0] == "D")

    def _postable(self, channel_id: str) -> None:
        if channel_id[:1] in ("U", "W", "#"):
            return  # a user ID (Slack opens the DM) or a #name: accepted as is
        channel = self._channel(channel_id)
        if channel["is_archived"]:
            raise _Refusal("is_archived")
        if not channel["is_member"]:
            raise _Refusal("channel_not_found" if channel["is_private"] else "not_in_channel")

    def _message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        message = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id, "app_id": self.app_id,
                   "team": self.team_id, "text": params.get("text", ""), "ts": ts}  # fmt: skip
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if key in params:
                message[key] = params[key]
        return message

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        team_id = self.team_of(params.get("token"))
        team = self.team if team_id == self.team_id else team_id
        slug = team.lower().replace(" ", "-")
        return {"ok": True, "url": f"https://{slug}.slack.com/", "team": team, "user": self.bot_name,
                "team_id": team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                "is_enterprise_install": False}  # fmt: skip

    def _auth_revoke(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.revoked.add(params["token"])
        return {"ok": True, "revoked": True}

    def _oauth_access(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("client_id") != CLIENT_ID or params.get("client_secret") != CLIENT_SECRET:
            raise _Refusal(
                "invalid_client_id" if params.get("client_id") != CLIENT_ID else "bad_client_secret"
            )
        with self._lock:
            if params.get("grant_type") == "refresh_token":
                team_id = self.refresh_tokens.pop(params.get("refresh_token", ""), None)
                if team_id is None:
                    raise _Refusal("invalid_refresh_token")
                grant = Grant(team_id, team_id, "", rotating=True)
            else:
                found = self._grants.get(params.get("code", ""))
                if found is None or found.used:
                    raise _Refusal("invalid_code")
                found.used = True
                grant = found
        token = self.issue_token(grant.team_id)
        body: dict[str, Any] = {
            "ok": True, "access_token": token, "token_type": "bot", "scope": params.get("scope", "commands"),
            "bot_user_id": self.bot_user_id, "app_id": self.app_id,
            "team": {"id": grant.team_id, "name": grant.team_name},
            "enterprise": {"id": grant.enterprise_id, "name": "Grid Org"} if grant.enterprise_id else None,
            "is_enterprise_install": False,
            "authed_user": {"id": grant.installer},
        }  # fmt: skip
        if grant.rotating:
            refresh = f"xoxe-1-{grant.team_id}-{self._next()}"
            with self._lock:
                self.refresh_tokens[refresh] = grant.team_id
            body |= {"refresh_token": refresh, "expires_in": TOKEN_LIFETIME}
        return body

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "channel")
        self._postable(params["channel"])
        ts = self._next_ts()
        message = self._message(params, ts)
        with self._lock:
            self._history.setdefault(params["channel"], []).append(message)
        return {"ok": True, "channel": params["channel"], "ts": ts, "message": message}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "channel", "user")
        self._postable(params["channel"])
        return {"ok": True, "message_ts": self._next_ts()}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        # Only deletion is tracked: tests often update messages they never posted here. A message posted
        # here is changed in the channel's history, as Slack shows it.
        self._require(params, "channel", "ts")
        self._postable(params["channel"])
        with self._lock:
            if (params["channel"], params["ts"]) in self._deleted:
                raise _Refusal("message_not_found")
            for message in self._history.get(params["channel"], []):
                if message["ts"] == params["ts"]:
                    message.update({k: params[k] for k in ("text", "blocks", "attachments") if k in params})
        return {"ok": True, "channel": params["channel"], "ts": params["ts"], "text": params.get("text", ""),
                "message": self._message(params, params["ts"])}  # fmt: skip

    def _delete(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "channel", "ts")
        with self._lock:
            self._deleted.add((params["channel"], params["ts"]))
            kept = [m for m in self._history.get(params["channel"], []) if m["ts"] != params["ts"]]
            self._history[params["channel"]] = kept
        return {"ok": True, "channel": params["channel"], "ts": params["ts"]}

    def _view_method(self, params: dict[str, Any]) -> dict[str, Any]:
        view: dict[str, Any] = params["view"]  # shape already checked by view_problem
        if "user_id" in params or view.get("type") == "home":
            self._require(params, "user_id")  # views.publish
        elif not any(params.get(k) for k in ("view_id", "external_id", "interactivity_pointer")):
            self._require(params, "trigger_id")  # views.open
        view_id = params.get("view_id") or f"V{self._next():010d}"
        full: dict[str, Any] = {
            "id": view_id, "team_id": self.team_id, "type": "modal", "private_metadata": "",
            "callback_id": "", "state": {"values": {}}, "hash": f"{self._next_ts()}.standin",
            "clear_on_close": False, "notify_on_close": False, "previous_view_id": None,
            "root_view_id": view_id, "app_id": self.app_id, "external_id": "",
            "app_installed_team_id": self.team_id, "bot_id": self.bot_id,
        }  # fmt: skip
        return {"ok": True, "view": full | view | {"id": view_id}}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "user")
        user_id: str = params["user"]
        with self._lock:
            user = self.users.get(user_id)
        if user is None:
            if user_id[:1] not in ("U", "W"):
                raise _Refusal("user_not_found")
            user = self.add_user(user_id)  # plausible IDs get a default profile, like a real workspace
        return {"ok": True, "user": user}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "channel")
        channel = self._channel(params["channel"])
        if channel["is_private"] and not channel["is_member"]:
            raise _Refusal("channel_not_found")  # private channels are invisible to non-members
        return {"ok": True, "channel": channel}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Messages posted here, newest first; metadata only with include_all_metadata, as Slack does."""
        self._require(params, "channel")
        channel = self._channel(params["channel"])
        if not channel["is_member"]:
            raise _Refusal("not_in_channel")
        limit = int(params.get("limit") or 100)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._lock:
            messages = list(reversed(self._history.get(params["channel"], [])))[:limit]
        if not with_metadata:
            messages = [{k: v for k, v in m.items() if k != "metadata"} for m in messages]
        return {"ok": True, "messages": messages, "has_more": False}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"ok": True, "channel": {"id": self._channel(params["channel"])["id"]}}
        self._require(params, "users")
        users = params["users"] if isinstance(params["users"], list) else str(params["users"]).split(",")
        if len(users) == 1:
            channel_id = "D" + users[0][1:]
            self.add_channel(channel_id, is_im=True, user=users[0])
        else:
            channel_id = "G" + "".join(u[1:3] for u in users).upper()
            self.add_channel(channel_id, is_private=True)
        return {"ok": True, "no_op": False, "already_open": False, "channel": {"id": channel_id}}

    def _get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "filename", "length")
        file_id = f"F{self._next():010d}"
        with self._lock:
            self._uploads[file_id] = Upload(file_id, params["filename"], int(params["length"]))
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _receive_upload(self, file_id: str, raw: bytes, content_type: str) -> dict[str, Any]:
        with self._lock:
            upload = self._uploads.get(file_id)
        if content_type.startswith("multipart/form-data"):  # curl -F style; slack_sdk sends raw bytes
            parts = [v for v in _parse_body(raw, content_type).values() if isinstance(v, dict)]
            raw = parts[0]["content"] if parts else raw
        return {"file_id": file_id, "filename": upload.filename if upload else None, "content": raw}

    def _store_upload(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            upload = self._uploads.get(params["file_id"])
            if upload is None:
                return 404, {"ok": False, "error": "file_not_found"}
            upload.content = params["content"]
        return 200, {"ok": True}

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "files")
        if not isinstance(params["files"], list):
            raise _Refusal("invalid_arguments")
        channel_id = params.get("channel_id") or None
        if channel_id:
            self._postable(channel_id)
        done = []
        for item in params["files"]:
            with self._lock:
                upload = self._uploads.get(item.get("id", ""))
            if upload is None or upload.content is None:
                raise _Refusal("file_not_found")
            upload.title = item.get("title") or upload.filename
            upload.channel_id, upload.completed = channel_id, True
            done.append({"id": upload.file_id, "name": upload.filename, "title": upload.title,
                         "size": len(upload.content), "user": self.bot_user_id,
                         "channels": [channel_id] if channel_id else []})  # fmt: skip
        return {"ok": True, "files": done}


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """Decode a JSON, form or multipart body into params, as Slack's API front end does."""
    if not raw:
        return {}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            data = json.loads(raw)
        except ValueError:
            raise _Refusal("invalid_json") from None
        if not isinstance(data, dict):
            raise _Refusal("invalid_json")
        return data
    params: dict[str, Any] = {}
    if kind == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
        for part in message.walk():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            params[name] = {"filename": filename, "content": content} if filename else content.decode()
    else:
        params = dict(parse_qsl(raw.decode(), keep_blank_values=True))
    for key in JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
            # Invalid JSON stays a string, which the method refuses (e.g. invalid_blocks_format).
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params
