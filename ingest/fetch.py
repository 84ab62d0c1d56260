"""Fetch one user-given link safely: public http(s) hosts only, bounded in time, size and redirects.

Every failure is a `FetchError` whose message is written for the person who pasted the link.
The host is resolved once per hop and the connection goes to the address that was checked (the
Host header and TLS server name keep the real name), so a DNS answer cannot change between the
check and the connection.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import socket
import ssl
import time
import zlib
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from http import HTTPStatus
from typing import Literal
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import httpx
from charset_normalizer import from_bytes

from ingest.deadline import transport_until

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "text/plain",
        "text/html",  # some sites serve their feed as HTML; the feed parser decides
    }
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_USER_AGENT = "statbot/0.1 (+reads one page a person asked for)"


class FetchError(Exception):
    """A link could not be read; `str(error)` is the plain message to show the person."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status  # the HTTP status when the site answered with an error


@dataclass(frozen=True)
class FetchSettings:
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    deadline: float = 30.0  # the whole fetch, redirects included, enforced on every socket wait
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    allow_loopback: bool = False  # for tests that serve pages on 127.0.0.1
    verify: ssl.SSLContext | bool = True  # certificate checking; tests pass a context trusting their own CA


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int  # 200, or 304 when a conditional request found nothing new
    content_type: str  # media type only, lowercased: "text/html"
    charset: str | None  # as declared in the Content-Type header
    body: bytes
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def fetch(
    url: str,
    *,
    accept: Collection[str] = PAGE_TYPES,
    settings: FetchSettings | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    method: Literal["GET", "HEAD"] = "GET",
) -> Fetched:
    """GET `url`, following up to `max_redirects` redirects, each checked like the first link. With
    `method="HEAD"` (whether a link still answers: link checks) nothing is read and any kind of file is fine."""
    settings = settings or FetchSettings()
    began = time.monotonic()
    headers = {
        "User-Agent": _USER_AGENT,
        "Accept": ", ".join(sorted(accept)) + ", */*;q=0.1",
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for _ in range(settings.max_redirects + 1):
        # A client per hop: connections are pooled by address, and a connection opened for one host name
        # (its TLS certificate checked for that name) must not carry a request for another on the same IP.
        # trust_env=False: an environment proxy would connect on our behalf and bypass the address check.
        # Every socket wait is cut to what is left of the deadline, so a server dripping bytes can't outlast it.
        transport = transport_until(began + settings.deadline, verify=settings.verify)
        with httpx.Client(follow_redirects=False, trust_env=False, transport=transport) as client:
            response = _get(client, url, headers, accept, settings, began, method)
        if isinstance(response, Fetched):
            return response if method == "HEAD" else _check_type(response, accept)
        url = response
        if time.monotonic() - began > settings.deadline:
            raise FetchError(f"that link took longer than {_seconds(settings.deadline)} to open")
    raise FetchError("that link redirects too many times")


def decode(response: Fetched) -> str:
    """The body as text: the declared charset, else a byte-order mark or <meta charset>, else detected."""
    declared = response.charset or _bom_charset(response.body) or _meta_charset(response.body)
    if declared is not None:
        try:
            codec = _codec(declared)
            if not codecs.lookup(codec)._is_text_encoding:
                raise LookupError(codec)
        except LookupError:
            raise FetchError(
                f"that page says its text is in {declared}, an encoding statbot doesn't know"
            ) from None
        try:
            return response.body.decode(codec)
        except UnicodeDecodeError:
            raise FetchError(
                f"that page says its text is {declared}, but it contains bytes that are not {declared}"
            ) from None
    try:
        return response.body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(response.body).best()
    if best is None or best.encoding is None:
        raise FetchError("that page's text is in an encoding statbot can't work out")
    return response.body.decode(best.encoding)


def check_address(host: str, port: int, *, allow_loopback: bool = False, timeout: float = 5.0) -> str:
    """Resolve `host` and return an address to connect to, refusing non-public addresses.

    Every address the name resolves to is checked, so a name with one public and one private address
    is refused rather than left to whichever the connection happens to use.
    """
    # getaddrinfo has no timeout of its own; a worker thread lets us stop waiting for it.
    lookups = ThreadPoolExecutor(max_workers=1)
    try:
        infos = lookups.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM).result(timeout)
    except FutureTimeout:
        raise FetchError(f"looking up {host} took longer than {_seconds(timeout)}") from None
    except (socket.gaierror, UnicodeError, ValueError):
        raise FetchError(f"couldn't find the site {host}") from None
    finally:
        lookups.shutdown(wait=False)
    addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip.is_loopback and allow_loopback:
            continue
        if not ip.is_global or ip.is_multicast or ip.is_reserved or _tunnelled_or_site_local(ip):
            where = host if host == address else f"{host} ({address})"
            raise FetchError(f"statbot doesn't open links to private or internal addresses like {where}")
    if not addresses:
        raise FetchError(f"couldn't find the site {host}")
    return addresses[0]


# 6to4 (2002::/16) embeds any IPv4 address, private ones included, and site-local (fec0::/10) is private
# in practice; Python's is_global has counted both as global, so they are refused by name.
_REFUSED_V6 = (ipaddress.IPv6Network("2002::/16"), ipaddress.IPv6Network("fec0::/10"))


def _tunnelled_or_site_local(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return isinstance(ip, ipaddress.IPv6Address) and any(ip in network for network in _REFUSED_V6)


def _get(
    client: httpx.Client,
    url: str,
    headers: dict[str, str],
    accept: Collection[str],
    settings: FetchSettings,
    began: float,
    method: Literal["GET", "HEAD"] = "GET",
) -> Fetched | str:
    """One hop: the final response, or the next URL to try when this one redirects."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise FetchError("that doesn't look like a web address") from None
    if parts.scheme not in ("http", "https"):
        raise FetchError("statbot only opens http and https links")
    if not host:
        raise FetchError("that doesn't look like a web address")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError("that link has an invalid port number") from None
    if ":" in host:
        host_header = f"[{host}]"
    else:
        try:
            host = host_header = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise FetchError("that doesn't look like a web address") from None
    if parts.port:
        host_header += f":{parts.port}"
    address = check_address(
        host, port, allow_loopback=settings.allow_loopback, timeout=settings.connect_timeout
    )
    pinned = _with_host(parts, f"[{address}]" if ":" in address else address, port)
    # Whatever is left of the overall deadline caps each wait, so slow headers can't outlast it.
    remaining = settings.deadline - (time.monotonic() - began)
    if remaining <= 0:
        raise FetchError(f"that link took longer than {_seconds(settings.deadline)} to open")
    read_timeout = min(settings.read_timeout, remaining)
    slow = (
        f"that page took longer than {_seconds(settings.read_timeout)}"
        if read_timeout == settings.read_timeout
        else f"that link took longer than {_seconds(settings.deadline)} to open"
    )
    too_long = f"that link took longer than {_seconds(settings.deadline)} to open"
    request = client.build_request(
        method,
        pinned,
        headers={**headers, "Host": host_header},
        extensions={"sni_hostname": host},
        timeout=httpx.Timeout(
            connect=min(settings.connect_timeout, remaining), read=read_timeout, write=read_timeout, pool=1.0
        ),
    )
    try:
        response = client.send(request, stream=True)
    except httpx.TimeoutException as error:
        if time.monotonic() - began >= settings.deadline:
            raise FetchError(too_long) from None
        if isinstance(error, httpx.ConnectTimeout):
            raise FetchError(f"{host} took longer than {_seconds(settings.connect_timeout)} to answer") from None
        raise FetchError(slow) from None
    except httpx.ConnectError as error:
        if "CERTIFICATE" in str(error).upper() or "SSL" in str(error).upper():
            raise FetchError(f"{host}'s security certificate couldn't be checked") from None
        raise FetchError(f"couldn't connect to {host}") from None
    except httpx.RemoteProtocolError as error:
        if "location header" in str(error).casefold():  # httpx reads a redirect's target as it arrives
            raise FetchError("that link redirects to an address that isn't valid") from None
        raise FetchError(f"{host} didn't give a proper web response") from None
    except httpx.HTTPError:
        raise FetchError(f"{host} didn't give a proper web response") from None
    try:
        if response.status_code in _REDIRECTS:
            location = response.headers.get("Location")
            if not location:
                raise FetchError(f"that link gave {_status(response.status_code)} without saying where to")
            try:
                return str(urljoin(url, location.strip()))
            except ValueError:  # "http://[::1" and the like: urljoin refuses what it can't split
                raise FetchError("that link redirects to an address that isn't valid") from None
        if response.status_code == 304:
            return _response(url, response, b"")
        if not 200 <= response.status_code < 300:
            raise FetchError(f"that link gave {_status(response.status_code)}", status=response.status_code)
        if method == "HEAD":
            return _response(url, response, b"")
        declared = _media_type(response.headers.get("Content-Type", ""))
        if declared:
            _check_kind(declared, accept)  # before reading: a refused file isn't downloaded
        return _response(url, response, _read_capped(response, settings, began, slow))
    finally:
        response.close()


def _read_capped(response: httpx.Response, settings: FetchSettings, began: float, slow: str) -> bytes:
    too_big = f"that page is over {_size(settings.max_bytes)}"
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > settings.max_bytes:
        raise FetchError(too_big)
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
        raise FetchError(f"that page is compressed with {encoding}, which statbot can't read")
    # Decompress here rather than in httpx, a bounded amount at a time: a small compressed body can
    # expand a thousandfold, and the cap is on what we hold, not on what crossed the network.
    inflate = None if encoding == "identity" else zlib.decompressobj(wbits=47)  # gzip or zlib, by header
    chunks: list[bytes] = []
    received = 0
    try:
        for raw in response.iter_raw():
            pending = raw
            while pending:
                if inflate is None:
                    chunk, pending = pending, b""
                else:
                    chunk = inflate.decompress(pending, settings.max_bytes + 1 - received)
                    pending = inflate.unconsumed_tail
                received += len(chunk)
                if received > settings.max_bytes:
                    raise FetchError(too_big)
                chunks.append(chunk)
                if inflate is not None and not chunk:
                    break
            if time.monotonic() - began > settings.deadline:
                raise FetchError(f"that page took longer than {_seconds(settings.deadline)} to download")
        if inflate is not None:
            chunks.append(inflate.flush())
            if received + len(chunks[-1]) > settings.max_bytes:
                raise FetchError(too_big)
    except zlib.error:
        raise FetchError("that page's compressed data is damaged") from None
    except httpx.TimeoutException:
        if time.monotonic() - began >= settings.deadline:
            raise FetchError(f"that page took longer than {_seconds(settings.deadline)} to download") from None
        raise FetchError(slow) from None
    except httpx.HTTPError:
        raise FetchError("the connection broke while reading that page") from None
    return b"".join(chunks)


def _response(url: str, response: httpx.Response, body: bytes) -> Fetched:
    content_type = response.headers.get("Content-Type", "")
    charset = re.search(r"charset\s*=\s*\"?([\w.:-]+)", content_type, flags=re.IGNORECASE)
    return Fetched(
        url=url,
        status=response.status_code,
        content_type=_media_type(content_type) or _sniff(body),
        charset=charset.group(1) if charset else None,
        body=body,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


def _check_type(response: Fetched, accept: Collection[str]) -> Fetched:
    if not response.not_modified:
        _check_kind(response.content_type, accept)
    return response


def _check_kind(kind: str, accept: Collection[str]) -> None:
    if kind == "application/pdf" or kind.startswith("image/"):
        raise FetchError("statbot reads web pages and text, not PDFs or images")
    if kind not in accept:
        raise FetchError(f"that link is a {kind} file; statbot reads web pages and text")


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _sniff(body: bytes) -> str:
    """A media type for a response that didn't declare one, from its first bytes."""
    if body.startswith(b"%PDF"):
        return "application/pdf"
    if body.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "image/unknown"
    head = body[:512].lstrip().lower()
    return "text/html" if head.startswith((b"<!doctype html", b"<html")) else "text/plain"


def _bom_charset(body: bytes) -> str | None:
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return name
    return None


def _meta_charset(body: bytes) -> str | None:
    match = re.search(rb"<meta[^>]+charset\s*=\s*[\"']?([\w.:-]+)", body[:4096], flags=re.IGNORECASE)
    return match.group(1).decode("ascii") if match else None


def _codec(name: str) -> str:
    # Browsers read "iso-8859-1" and "ascii" as windows-1252; pages labelled so often use its extra characters.
    normalised = codecs.lookup(name).name
    return "cp1252" if normalised in ("latin-1", "iso8859-1", "ascii") else normalised


def _with_host(parts: SplitResult, address: str, port: int) -> str:
    return urlunsplit((parts.scheme, f"{address}:{port}", parts.path or "/", parts.query, ""))


def _status(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"error {code}"


def _seconds(value: float) -> str:
    return f"{value:g} second" + ("" if value == 1 else "s")


def _size(value: int) -> str:
    if value >= 1024 * 1024:
        return f"{value / (1024 * 1024):g} MB"
    return f"{value / 1024:g} KB"
