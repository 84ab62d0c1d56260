"""Checking source addresses, and the form of an address used to spot the same source twice."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from intake.cleaning import Invalid

_SPACE = re.compile(r"\s")
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+[a-z][a-z0-9\-]*[a-z0-9]|\d{1,3}(?:\.\d{1,3}){3}")


@lru_cache(maxsize=16_384)  # a sheet names each article on many rows; Invalid is not remembered
def check_url(text: str) -> str:
    """`text` if it is an http(s) address with a real-looking host; Invalid saying what's wrong otherwise."""
    if _SPACE.search(text):
        raise Invalid("contains spaces; paste the address on its own")
    lowered = text.casefold()
    if lowered.startswith("www."):
        raise Invalid(f"must start with https:// (here: https://{text})")
    if not lowered.startswith(("http://", "https://")):
        raise Invalid("must start with http:// or https://")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - reading it is what checks it
    except ValueError:
        raise Invalid("is not a valid web address") from None
    # "https://bbc.co.uk@evil.example" shows one site and opens another.
    if "@" in parts.netloc:
        raise Invalid("must not contain a user name or '@' before the site name")
    if not parts.hostname or not _HOST.fullmatch(_ascii_host(parts.hostname)):
        raise Invalid("has no site name after https://")
    return text


def _ascii_host(host: str) -> str:
    """International names ("bücher.de") checked in the ASCII form browsers send."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


@lru_cache(maxsize=16_384)
def url_key(url: str) -> str:
    """The address with what doesn't change the page dropped: scheme, www., fragment, tracking, trailing /."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    query = urlencode(
        [
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if not key.casefold().startswith("utm_")
        ]
    )
    return urlunsplit(("", host, parts.path.rstrip("/"), query, "")).removeprefix("//")
