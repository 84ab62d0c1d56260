"""An article to extract from: its main text and what the page says about itself, from a file or a link."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ingest.fetch import FetchError, FetchSettings, decode, fetch

# Extraction time grows faster than the text (about 0.8 s at 100,000 characters, 48 s at 1 MB),
# and a news article is rarely over 50,000; longer text is refused rather than cut short unseen.
MAX_TEXT_CHARS = 100_000
# A page or file is refused above this size before it is parsed (a fetched page is capped as it arrives).
MAX_PAGE_BYTES = FetchSettings().max_bytes


@dataclass(frozen=True)
class Article:
    title: str | None
    publisher: str | None  # the site's name, else its host name; None for a local file
    published: str | None  # "YYYY-MM-DD" as the page declares it; None if it doesn't
    url: str | None  # None for a local file
    text: str  # paragraphs separated by blank lines, the title (if any) first


def from_html(html: str, url: str | None = None) -> Article:
    """The main text of a web page (no navigation, scripts or styles) and its title, site and date."""
    # Imported here, not with the module: a web worker that reads no article never loads trafilatura and lxml.
    import trafilatura
    from trafilatura.settings import Document

    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        # Only a date the page states: no guessing from the text around the article.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if not isinstance(document, Document) or not (document.text or "").strip():
        raise FetchError("couldn't find the article text on that page")
    paragraphs = [line.strip() for line in (document.text or "").split("\n") if line.strip()]
    title = _clean(document.title)
    if title and paragraphs and _squash(paragraphs[0]) != _squash(title):
        paragraphs.insert(0, title)
    host = urlsplit(url).hostname if url else None
    return _checked(
        Article(
            title=title,
            publisher=_clean(document.sitename) or _clean(document.hostname) or host,
            published=_clean(document.date),
            url=url,
            text="\n\n".join(paragraphs),
        )
    )


def from_text(text: str, url: str | None = None) -> Article:
    """Plain text: the first line is the title if it reads like a headline (short, no full stop).

    A page copied as text often carries its link on the line under the headline and a byline date
    ("Published 3 May 2019", "Jun 4, 2021") near the top: they give the link, the publisher
    (the site's host name) and the date. "[URL slug] ..." marks a headline made from the link: no title.
    """
    lines = text.strip().splitlines()
    first = lines[0].strip() if lines else ""
    rest = "\n".join(lines[1:]).strip()
    is_title = bool(rest) and 0 < len(first.split()) <= 25 and first[-1:] not in '.!?:;,"”'
    if first.startswith("[URL slug]"):
        is_title = False
    link = url or next((line.strip() for line in lines[:3] if _LINK.fullmatch(line.strip())), None)
    host = urlsplit(link).hostname if link else None
    return _checked(
        Article(
            title=first if is_title else None,
            publisher=host.removeprefix("www.") if host else None,
            published=_date_in_link(link) or _byline_date(lines[1:12]),
            url=link,
            text=text.strip(),
        )
    )


_LINK = re.compile(r"https?://\S+")
_MONTH_NUMBERS = {name[:3]: number for number, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"], 1
)}  # fmt: skip


def _date_in_link(link: str | None) -> str | None:
    """ "/news/2024/05/02/..." or "/news/2020-06-30/...": the date the page's own link gives."""
    found = re.search(r"/((?:19|20)\d\d)[/-](\d\d)[/-](\d\d)(?:/|$)", link or "")
    return f"{found.group(1)}-{found.group(2)}-{found.group(3)}" if found else None


def _byline_date(lines: list[str]) -> str | None:
    """A short line near the top that is a date: "Published 3 May 2019", "7 June 2024, 10:15"."""
    for line in lines:
        line = re.sub(r"^(?:published|updated|posted)(?: on)?:?\s+", "", line.strip(), flags=re.IGNORECASE)
        line = re.sub(r"^\d{1,2}[:.]\d\d\s*(?:[AaPp]\.?[Mm]\.?)?,?\s+", "", line)  # "8:05 PM, 2nd March 2021"
        day_first = re.fullmatch(
            r"(\d{1,2})(?:st|nd|rd|th)? ([A-Za-z]{3,9})\.? ((?:19|20)\d\d)(?:,? \d\d?[:.]\d\d.*)?", line
        )
        month_first = re.fullmatch(
            r"([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? ((?:19|20)\d\d)(?:,? \d\d?[:.]\d\d.*)?", line
        )
        if day_first:
            day, month, year = day_first.groups()
        elif month_first:
            month, day, year = month_first.groups()
        else:
            continue
        number = _MONTH_NUMBERS.get(month[:3].lower())
        if number:
            return f"{year}-{number:02d}-{int(day):02d}"
    return None


def read_article(source: str, *, settings: FetchSettings | None = None) -> Article:
    """A local file (.html/.htm read as a web page, anything else as text) or an http(s) link."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", source, flags=re.IGNORECASE):
        page = fetch(source, settings=settings)
        text = decode(page)
        if page.content_type == "text/plain":
            return from_text(text, url=page.url)
        return from_html(text, url=page.url)
    path = Path(source).expanduser()
    if not path.is_file():
        raise FetchError(f"there is no file called {source} (links need to start with http:// or https://)")
    if path.stat().st_size > MAX_PAGE_BYTES:
        raise FetchError(
            f"{path.name} is over {MAX_PAGE_BYTES // (1024 * 1024)} MB; statbot reads articles, not archives"
        )
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FetchError(f"{path.name} isn't UTF-8 text; statbot reads web pages and text files") from None
    if path.suffix.lower() in (".html", ".htm"):
        return from_html(content)
    return from_text(content)


def _checked(article: Article) -> Article:
    if len(article.text) > MAX_TEXT_CHARS:
        words = len(article.text.split())
        raise FetchError(
            f"that article is too long for statbot ({words:,} words; it reads up to about 15,000): "
            "paste the part with the figures instead"
        )
    return article


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _squash(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()
