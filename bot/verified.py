"""Whether a request is Slack's: the shape of its timestamp, and its v0 signature checked again where it matters.

Bolt verifies every HTTP request before any listener runs, but its check raises on a timestamp that is not a
number, and the error handler then gets the unverified body. bot.web refuses such timestamps before Bolt; the
app's error handler uses `signed_by_slack` so that nothing from a body it cannot trust is acted on.
"""

from __future__ import annotations

import hmac
import re

from slack_bolt import BoltRequest
from slack_sdk.signature import SignatureVerifier

# Slack's timestamps are Unix seconds in ASCII digits; int() would also take "+1", " 1", "1_0" and "１".
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def well_formed_timestamp(value: str | None) -> bool:
    return value is not None and _TIMESTAMP.fullmatch(value) is not None


def _header(request: BoltRequest, name: str) -> str | None:
    values = request.headers.get(name) or []
    return values[0] if values else None


def signed_by_slack(request: BoltRequest, signing_secret: str) -> bool:
    """True if the body carries a valid v0 signature (or came over Socket Mode's authenticated connection).

    The five-minute window is not checked again: Bolt refused stale requests before any listener ran, and
    this only decides whether a failure may use the body (to answer its response_url, or release its event).
    """
    if request.mode == "socket_mode":
        return True
    timestamp = _header(request, "x-slack-request-timestamp")
    signature = _header(request, "x-slack-signature")
    if not signing_secret or not signature or not well_formed_timestamp(timestamp):
        return False
    expected = SignatureVerifier(signing_secret).generate_signature(
        timestamp=str(timestamp), body=request.raw_body
    )
    return expected is not None and hmac.compare_digest(expected, signature)
