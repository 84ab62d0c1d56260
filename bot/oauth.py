"""Multi-workspace installs: Bolt's OAuth flow over slack-sdk's stores, each install a workspace of its own."""

from __future__ import annotations

import html
import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltError
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.installations import EncryptedInstallationStore, OneTimeStateStore
from storage import workspaces
from storage.models import Feed, Subscription
from storage.token_cipher import UndecryptableToken

log = logging.getLogger("statbot.oauth")

# The bot scopes statbot asks for; manifest.yml lists the same (a test keeps them equal).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "channels:read",
    "channels:history",
    "groups:history",
    "groups:read",
    "im:write",
    "files:write",
    "files:read",
    "im:history",
    "app_mentions:read",  # @statbot facebook in a channel or thread
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
NOT_INSTALLED = (
    ":warning: statbot is not installed in this workspace (or it was uninstalled), so it has nothing to "
    "answer with here. Ask a workspace admin to install it from the statbot site's “Add to Slack” page."
)
CREDENTIALS_UNREADABLE = (
    ":warning: statbot is installed in this workspace but cannot read the credentials it stored for it, so it "
    "cannot answer. This is a problem with how statbot is run, not with what you did: its administrator must "
    "check STATBOT_ENCRYPTION_KEY (the key the tokens were stored with must be in it; see statbot's logs)."
)
ENTERPRISE_REFUSED = (
    "statbot cannot be installed in an Enterprise Grid organisation yet: each install keeps one "
    "workspace's figures apart from every other's, and org-wide installs would mix them. "
    "Install it in a single workspace outside the org instead, or ask the statbot team about Grid support."
)
FAILURES = {
    "invalid_browser": "This install link was opened in a different browser from the one that started it.",
    "invalid_state": "This install link has expired or was already used.",
    "missing_code": "Slack did not send an authorisation code.",
    "invalid_code": "Slack did not accept the authorisation code; it may have been used already.",
    "access_denied": "The install was cancelled in Slack.",
}


class EnterpriseInstallRefused(BoltError):
    """An install from an Enterprise Grid organisation, which statbot does not support."""


class StatbotOAuthFlow(OAuthFlow):
    """Bolt's flow, refusing Enterprise Grid installs before anything is stored."""

    def store_installation(self, request: BoltRequest, installation: Installation) -> None:
        if installation.enterprise_id or installation.is_enterprise_install:
            log.warning(
                "refused an install from Enterprise Grid org %s (team %s)",
                installation.enterprise_id,
                installation.team_id,
            )
            _revoke(self.client, installation.bot_token)
            raise EnterpriseInstallRefused(ENTERPRISE_REFUSED)
        super().store_installation(request, installation)


def _revoke(client: WebClient, token: str | None) -> None:
    """Give back a token statbot will not keep, so the refused install leaves nothing behind in Slack."""
    if not token:
        return
    try:
        client.auth_revoke(token=token)
    except SlackApiError as error:
        log.warning("could not revoke a refused install's token: %s", error.response.get("error"))


def oauth_flow(
    settings: Settings,
    sessions: sessionmaker[Session],
    installation_store: EncryptedInstallationStore,
    state_store: OneTimeStateStore,
    client: WebClient,
) -> StatbotOAuthFlow:
    def installed(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        with sessions() as session:
            workspace = workspaces.install(session, str(installation.team_id), installation.team_name or "")
            session.commit()
            log.info("installed in team %s (workspace %s)", installation.team_id, workspace.id)
        return args.default.success(args)

    def failed(args: FailureArgs) -> BoltResponse:
        if isinstance(args.error, EnterpriseInstallRefused):
            return _page(403, "statbot was not installed", ENTERPRISE_REFUSED)
        log.warning("install refused: %s", args.reason, exc_info=args.error)
        if args.reason == "storage_error":
            return _page(
                500, "statbot was not installed", "The install could not be saved; please try again."
            )
        explanation = FAILURES.get(args.reason, "The install did not complete.")
        return _page(
            args.suggested_status_code,
            "statbot was not installed",
            f"{explanation} Please start again from the install page.",
            retry=True,
        )

    oauth_settings = OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.oauth_redirect_url,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=CallbackOptions(success=installed, failure=failed),
        installation_store=installation_store,
        installation_store_bot_only=True,
        state_store=state_store,
        state_expiration_seconds=state_store.expiration_seconds,
        logger=log,
    )
    return StatbotOAuthFlow(client=client, logger=log, settings=oauth_settings)


def _page(status: int, title: str, message: str, *, retry: bool = False) -> BoltResponse:
    link = f'<p><a href="{INSTALL_PATH}">Install statbot</a></p>' if retry else ""
    body = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>{link}</body></html>"
    )
    return BoltResponse(status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8"})


def refuse_unreadable_tokens(installation_store: EncryptedInstallationStore) -> Any:
    """Before Bolt authorizes a request: a team whose stored token no key decrypts is told an administrator must
    check STATBOT_ENCRYPTION_KEY (Bolt would say "not installed"). Each team is checked once per process, the
    first time its token is read; uninstall events pass, so a team can still uninstall."""
    readable: set[str] = set()

    def middleware(context: dict[str, Any], body: dict[str, Any], next: Any) -> BoltResponse | None:
        team_id = context.get("team_id")
        event = (body.get("event") or {}).get("type") if isinstance(body.get("event"), dict) else None
        if team_id and team_id not in readable and event not in ("app_uninstalled", "tokens_revoked"):
            try:
                bot = installation_store.find_bot(enterprise_id=None, team_id=team_id)
            except UndecryptableToken:
                return BoltResponse(status=200, body=CREDENTIALS_UNREADABLE)
            if bot is not None:
                readable.add(team_id)
        return next()  # type: ignore[no-any-return]

    return middleware


def register_uninstall(
    app: App, sessions: sessionmaker[Session], installation_store: EncryptedInstallationStore
) -> None:
    """Uninstalling removes the workspace's tokens; its digests and feeds stop until it installs again.
    Its figures stay (a reinstall finds them), but nothing can reach them without a token."""
    app.event("tokens_revoked")(app.default_tokens_revoked_event_listener())

    @app.event("app_uninstalled")
    def uninstalled(context: dict[str, Any]) -> None:
        team_id = context.get("team_id")
        installation_store.delete_all(enterprise_id=context.get("enterprise_id"), team_id=team_id)
        with sessions() as session:
            workspace = workspaces.for_team(session, str(team_id))
            if workspace is not None:
                session.execute(
                    update(Subscription)
                    .where(Subscription.workspace_id == workspace.id)
                    .values(paused=True, paused_reason="statbot was uninstalled from this workspace")
                )
                session.execute(
                    update(Feed)
                    .where(Feed.workspace_id == workspace.id, Feed.disabled_reason == "")
                    .values(disabled_reason="statbot was uninstalled from this workspace")
                )
                session.commit()
        log.info("uninstalled from team %s: tokens deleted, digests paused, feeds stopped", team_id)
