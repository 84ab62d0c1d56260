"""One call from a file, link or pasted text to the candidates a person reviews: what every entry point shares."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.article import Article, from_text, read_article
from ingest.extract import Extraction, extract
from ingest.fetch import FetchSettings


@dataclass(frozen=True)
class Candidates:
    article: Article  # where the candidates came from: title, publisher, date, link
    extraction: Extraction  # figures and quotes, unreviewed


def candidates(source: str, *, settings: FetchSettings | None = None) -> Candidates:
    """From a file path or an http(s) link; raises FetchError with a message for the person."""
    article = read_article(source, settings=settings)
    return Candidates(article, extract(article.text, title=article.title))


def candidates_from_text(text: str, *, url: str | None = None) -> Candidates:
    """From text a person pasted or a Slack message, optionally with the link it came from."""
    article = from_text(text, url=url)
    return Candidates(article, extract(article.text, title=article.title))
