"""https through the pinned connection: the certificate is checked for the link's host name, not the IP."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.article import read_article
from ingest.fetch import FetchError, FetchSettings, fetch
from tests.ingest_site import SCRIPT_TEXT, Site, serving


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def site(certificate: tuple[Path, Path]) -> Iterator[Site]:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(*certificate)
    with serving(tls, host="localhost") as running:
        yield running


@pytest.fixture
def trusting(certificate: tuple[Path, Path]) -> FetchSettings:
    context = ssl.create_default_context(cafile=str(certificate[0]))
    return FetchSettings(
        connect_timeout=0.5, read_timeout=0.5, deadline=2.0, allow_loopback=True, verify=context
    )


def test_an_https_page_is_read_with_its_certificate_checked_for_the_host_name(
    site: Site, trusting: FetchSettings
) -> None:
    article = read_article(f"{site.url}/article", settings=trusting)
    assert "fifty-two percent" in article.text
    assert SCRIPT_TEXT not in article.text
    _path, headers = site.requests[-1]
    assert headers["Host"] == site.url.removeprefix("https://")


def test_a_certificate_for_another_name_is_refused(site: Site, trusting: FetchSettings) -> None:
    by_address = site.url.replace("localhost", "127.0.0.1")
    with pytest.raises(FetchError, match="security certificate couldn't be checked"):
        fetch(f"{by_address}/article", settings=trusting)


def test_an_untrusted_certificate_is_refused(site: Site) -> None:
    with pytest.raises(FetchError, match="localhost's security certificate couldn't be checked"):
        fetch(f"{site.url}/article", settings=FetchSettings(read_timeout=0.5, allow_loopback=True))
