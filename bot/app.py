"""The Bolt app factory: settings and sessions in, a configured `slack_bolt.App` out; nothing at import time."""

from __future__ import annotations

import json
import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, BoltRequest, BoltResponse, Respond
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot import (
    commands_table,
    confirmations,
    dedupe,
    dm_import,
    forms,
    home,
    ingest,
    item_actions,
    mentions,
    oauth,
    questions,
    review,
    sharing,
)
from bot.answer_cache import AnswerCache
from bot.config import Settings
from bot.ingest_pool import IngestPool
from bot.installations import EncryptedInstallationStore, stores
from bot.response_urls import is_slacks, refuse_others
from bot.slack_client import Home, make_client, resolve_home
from bot.slash import Wiring
from bot.verified import signed_by_slack
from commands.reply import SHARE_ACTION
from storage import embeddings, shares, workspaces
from storage.db import read_only
from storage.hybrid import Dense
from storage.vectors import VectorIndexes

log = logging.getLogger("statbot")

# The team id the local console uses before the install has met a real Slack workspace.
CONSOLE_TEAM = "T0CONSOLE"
UNREACHABLE = (
    ":warning: statbot cannot reach its data right now, so it cannot answer. "
    "Please try again in a minute; the team that runs statbot has been told in its logs."
)
SOMETHING_WRONG = ":warning: Something went wrong answering that. It has been logged; please try again."


def create_app(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    client: WebClient | None = None,
    home: Home | None = None,
    listener_executor: Executor | None = None,
    ingest_executor: Executor | None = None,
) -> App:  # `client` is only used to learn the home team
    """Build the app: one workspace with SLACK_BOT_TOKEN, or any number installed through OAuth.

    `home` may be given by callers that already resolved it (the console); `listener_executor` (Bolt's work
    after the ack) and `ingest_executor` (reading articles) by callers that wait for that work to finish (the
    console, the web app when it stops)."""
    settings.check()
    if settings.multi_workspace:
        return _multi_workspace_app(settings, sessions, listener_executor, ingest_executor)
    home = home or resolve_home(settings, client or make_client(settings), sessions)
    app = App(
        # Tokens come per request from `authorize`, as they do per workspace when installs are many.
        authorize=_authorizer(settings, home),
        before_authorize=_refuse_other_teams(home),
        listener_executor=listener_executor,
        **_app_options(settings),
    )
    register(app, sessions, settings, ingest_executor)
    return app


def _app_options(settings: Settings) -> dict[str, Any]:
    """What both modes' apps share: the token-less client, answers before acks, our own bot's events."""
    return {
        "signing_secret": settings.signing_secret or "",
        "client": make_client(settings, with_token=False),
        "process_before_response": True,
        "ssl_check_enabled": True,
        "ignoring_self_events_enabled": False,
    }


def _multi_workspace_app(
    settings: Settings,
    sessions: sessionmaker[Session],
    listener_executor: Executor | None,
    ingest_executor: Executor | None,
) -> App:
    """Installs through Bolt's OAuth flow; each request is scoped to the workspace that sent it."""
    engine = sessions.kw["bind"]  # installations and OAuth states live in statbot's own database
    installation_store, state_store = stores(settings, engine)
    options = _app_options(settings)
    app = App(
        oauth_flow=oauth.oauth_flow(settings, sessions, installation_store, state_store, options["client"]),
        installation_store=installation_store,
        installation_store_bot_only=True,
        user_facing_authorize_error_message=oauth.NOT_INSTALLED,
        before_authorize=_before_authorize(installation_store),
        listener_executor=listener_executor,
        **options,
    )
    app.use(_scope_to_workspace(sessions))
    oauth.register_uninstall(app, sessions, installation_store)
    register(app, sessions, settings, ingest_executor)
    return app


def _before_authorize(installation_store: EncryptedInstallationStore) -> Any:
    unreadable = oauth.refuse_unreadable_tokens(installation_store)

    def middleware(context: dict[str, Any], body: dict[str, Any], next: Any) -> BoltResponse | None:
        return _refuse_enterprise_requests(context, lambda: unreadable(context, body, next))

    return middleware


def _refuse_enterprise_requests(context: dict[str, Any], next: Any) -> BoltResponse | None:
    """Enterprise Grid is not supported (installs from an org are refused); say so rather than 'not installed'."""
    if context.get("enterprise_id"):
        log.warning("refused a request from Enterprise Grid org %s", context.get("enterprise_id"))
        return BoltResponse(status=200, body=oauth.ENTERPRISE_REFUSED)
    return next()  # type: ignore[no-any-return]


def _scope_to_workspace(sessions: sessionmaker[Session]) -> Any:
    """After Bolt found the team's installation: every listener works on that team's workspace only."""
    known: dict[str, int] = {}  # team id -> workspace id; a workspace row never changes team

    def middleware(context: dict[str, Any], next: Any) -> BoltResponse | None:
        team_id = str(context.get("team_id") or "")
        if not team_id:  # nothing to scope it to: answer nothing rather than guess
            log.warning("refused a request that names no team")
            return BoltResponse(status=400, body="This request names no workspace.")
        if team_id not in known:
            with sessions() as session:
                known[team_id] = workspaces.install(session, team_id).id
                session.commit()
        context["workspace_id"] = known[team_id]
        return next()  # type: ignore[no-any-return]

    return middleware


def _allowed_team(home: Home, team_id: str | None) -> bool:
    return team_id == (home.team_id or CONSOLE_TEAM)


def _refuse_other_teams(home: Home) -> Any:
    """A request signed for this app but from another workspace is refused before any listener runs."""

    def middleware(context: dict[str, Any], body: dict[str, Any], next: Any) -> BoltResponse | None:
        if not _allowed_team(home, context.get("team_id")):
            log.warning(
                "refused a request from team %s: this install serves %s", context.get("team_id"), home.team_id
            )
            return BoltResponse(status=401, body="This app is not installed in that workspace.")
        return next()  # type: ignore[no-any-return]

    return middleware


def _authorizer(settings: Settings, home: Home) -> Any:
    def authorize(
        enterprise_id: str | None, team_id: str | None, context: dict[str, Any]
    ) -> AuthorizeResult | None:
        if not _allowed_team(home, team_id):
            return None
        context["workspace_id"] = home.workspace_id
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=settings.bot_token)

    return authorize


DENSE_THREADS = 2  # questions' vector searches at once in a worker (of its 4 request threads)


def _dense(settings: Settings) -> Dense | None:
    """The model and this worker's vector indexes, or None where the model is missing (word search only).
    Its pool runs questions' vector searches beside their word searches (threads start on first use, so
    in each worker, never in gunicorn's arbiter); the model embeds one text at a time anyway."""
    embedder = embeddings.shared()
    if embedder is None:
        return None
    indexes = VectorIndexes(int(settings.vector_index_mb * 1024 * 1024))
    return Dense(embedder, indexes, ThreadPoolExecutor(DENSE_THREADS, thread_name_prefix="dense"))


def register(
    app: App, sessions: sessionmaker[Session], settings: Settings, ingest_executor: Executor | None = None
) -> None:
    wiring = Wiring(
        sessions=sessions,
        settings=settings,
        reading=read_only(sessions.kw["bind"]),
        cache=AnswerCache(int(settings.answer_cache_mb * 1024 * 1024)),
        installation_store=app.installation_store,
        ingest_pool=IngestPool(settings.ingest_workers, settings.ingest_queue, ingest_executor),
        dense=_dense(settings),
    )
    app.use(refuse_others(settings))  # replies go to Slack's hooks only
    dedupe.register(app, sessions)  # Slack's retries of an event act once
    commands_table.register(app, wiring)  # /stats, /quote and /digest, from the one table
    review.register(app, sessions, settings)
    forms.register(app, sessions, settings)
    ingest.register(
        app, sessions, settings, wiring.ingest_pool
    )  # before dm_import: article files, then spreadsheets
    dm_import.register(app, sessions, settings)
    confirmations.register(app, sessions, settings)  # retract and supersede typed ask first
    item_actions.register(app, sessions, settings)  # what an answer offers: item menus, more, export, chart

    def ask(workspace_id: int, user_id: str, command: str, text: str) -> dict[str, Any]:
        return questions.ask(wiring, workspace_id, command, text, user_id=user_id)

    home.register(app, sessions, settings, ask=ask)  # the App Home tab and its search box
    mentions.register(app, sessions, settings, ask=ask)  # after the DM file importers: plain text only

    @app.action(SHARE_ACTION)
    def share_in_channel(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient,
                         context: dict[str, Any]) -> None:  # fmt: skip
        ack()
        asked = json.loads(body["actions"][0]["value"])
        user, channel = body["user"]["id"], sharing.channel_of(body)
        reply = questions.ask(wiring, context["workspace_id"], asked["command"], asked["text"], shared_by=user)
        # An answer given in a thread (a mention, the message shortcut) is shared into that thread.
        thread = asked.get("thread_ts")
        ts = sharing.post(client, respond, channel, thread, reply)
        respond(delete_original=True)
        place = shares.Place(shares.ANSWER, channel, user, ts, thread, asked["command"], asked["text"])
        sharing.remember(sessions, context["workspace_id"], reply, place)

    @app.error
    def on_error(
        error: Exception, request: BoltRequest, body: dict[str, Any], respond: Respond
    ) -> BoltResponse:
        if not signed_by_slack(request, settings.signing_secret or ""):
            # Failed before (or while) its signature was checked: nothing in its body may be acted on.
            log.warning("refused a request that failed before it was verified (%s)", error.__class__.__name__)
            return BoltResponse(status=401, body="")
        dedupe.release(sessions, body)  # the event failed: let Slack's retry act
        unreachable = isinstance(error, OperationalError | DBAPIError) and (
            isinstance(error, OperationalError) or error.connection_invalidated
        )
        if unreachable:
            log.error("database unreachable while answering %s: %s", _what(body), error.__class__.__name__)
        else:
            log.exception("failed answering %s", _what(body), exc_info=error)
        message = UNREACHABLE if unreachable else SOMETHING_WRONG
        if "command" in body:
            return BoltResponse(status=200, body=json.dumps({"response_type": "ephemeral", "text": message}))
        if is_slacks(body.get("response_url"), allow_loopback=settings.response_url_allow_loopback):
            respond(text=message, replace_original=False)
        return BoltResponse(status=200, body="")


def _what(body: dict[str, Any]) -> str:
    if "command" in body:
        return f"{body['command']} (team {body.get('team_id')})"
    return f"{body.get('type', 'request')} (team {body.get('team', {}).get('id')})"
