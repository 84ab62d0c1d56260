"""Slack tokens at rest: Fernet encryption with keys from `STATBOT_ENCRYPTION_KEY`.

The variable holds one key, or several separated by commas: the first encrypts, all of them decrypt, so a
key is rotated by putting the new one first, running `statbot rotate-key` (which rewrites every stored token
with it), and then dropping the old one.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class BadEncryptionKey(ValueError):
    """The configured key is not a Fernet key."""


class UndecryptableToken(RuntimeError):
    """A stored token does not decrypt with any configured key."""


def new_key() -> str:
    return Fernet.generate_key().decode()


class TokenCipher:
    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise BadEncryptionKey("STATBOT_ENCRYPTION_KEY is empty")
        try:
            fernets = [Fernet(part.encode()) for part in parts]
            self._first = fernets[0]
            self._fernet = MultiFernet(fernets)
        except ValueError as error:
            raise BadEncryptionKey(
                "STATBOT_ENCRYPTION_KEY must be 32 url-safe base64-encoded bytes (a Fernet key); "
                "make one with `statbot keygen`"
            ) from error

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken as error:
            raise UndecryptableToken(
                "A stored Slack token does not decrypt with STATBOT_ENCRYPTION_KEY. If the key was changed, "
                "put the new key first and the old one after it, separated by a comma."
            ) from error

    def is_current(self, stored: str) -> bool:
        """Whether `stored` is encrypted with the first key (the one new tokens are encrypted with)."""
        try:
            self._first.decrypt(stored.encode())
        except InvalidToken:
            return False
        return True

    def rotate(self, stored: str) -> str:
        """`stored` encrypted again with the first key; UndecryptableToken if no configured key opens it."""
        try:
            return self._fernet.rotate(stored.encode()).decode()
        except InvalidToken as error:
            raise UndecryptableToken(
                "A stored Slack token does not decrypt with STATBOT_ENCRYPTION_KEY."
            ) from error


class EncryptedText(TypeDecorator[str]):
    """A text column whose values are encrypted on the way in and decrypted on the way out."""

    impl = Text
    cache_ok = True

    def __init__(self, cipher: TokenCipher) -> None:
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.cipher.encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.cipher.decrypt(str(value))
