"""Weekly link checks: is each stored source link still there, and does its page still hold the evidence sentences
of the figures read from it?

Each link is asked with HEAD first (cheap: a link that has gone answers 404 or 410 without its page), then, when
figures were read from it, with GET, to look for their evidence sentences in the page's text. Everything goes
through the safe fetcher (ingest.fetch: public addresses only, bounded timeouts, a size cap). Politely: one
request at a time per host, a pause between two to the same host, and a few hosts at once. A link is checked
again a week after its last check; its result is stored in `link_checks`, with the problem editors were last
told about, so one problem is flagged once (ingest.link_check.note_text, sent by digests.weekly_note).
"""

from __future__ import annotations

import html
import logging
import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from ingest.fetch import FetchError, FetchSettings, decode, fetch
from storage.models import ANSWERABLE, LinkCheck, Source, Statistic
from storage.text import escape

log = logging.getLogger("statbot.link_check")

KIND = "links"  # the weekly note's kind (digests.weekly_note)
EVERY = timedelta(days=7)
GONE = frozenset({404, 410})
HOSTS_AT_ONCE = 4
PAUSE = 1.0  # seconds between two requests to the same host
# Bounded for slow servers: a link that cannot answer in this time is "unreachable" (not flagged; tried next week).
SETTINGS = FetchSettings(connect_timeout=5.0, read_timeout=10.0, deadline=20.0)
SHOWN = 30


@dataclass(frozen=True)
class Result:
    state: str  # "ok", "gone", "evidence missing", "unreachable"
    http_status: int | None = None
    problem: str = ""  # what editors are told; "" when nothing is wrong with the link


def words(text: str) -> str:
    """Text reduced to its words, for finding a sentence in a page whatever its quotes, dashes and spacing."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"[\w%]+", folded))


def page_text(body: str) -> str:
    """A page's visible text, roughly: scripts, styles and tags out, entities decoded."""
    body = re.sub(r"(?is)<(script|style|noscript)\b.*?</\1\s*>", " ", body)
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", body))


def check(url: str, evidence: dict[int, str], settings: FetchSettings = SETTINGS) -> Result:
    """One link: gone, missing some figures' evidence (by figure id), unreachable, or fine."""
    try:
        head = fetch(url, method="HEAD", settings=settings)
    except FetchError as error:
        if error.status in GONE:
            return Result(
                "gone", error.status, f"{url} has gone ({error.message.removeprefix('that link gave ')})"
            )
        head = None  # many servers refuse or mishandle HEAD: GET decides
    if head is not None and not evidence:
        return Result("ok", head.status)
    try:
        page = fetch(url, settings=settings)
    except FetchError as error:
        if error.status in GONE:
            return Result(
                "gone", error.status, f"{url} has gone ({error.message.removeprefix('that link gave ')})"
            )
        if head is not None:  # it answers; its page is not one statbot reads (a PDF): nothing to look for
            return Result("ok", head.status)
        return Result("unreachable", error.status)
    text = words(page_text(decode(page)))
    missing = sorted(i for i, sentence in evidence.items() if words(sentence) and words(sentence) not in text)
    if not missing:
        return Result("ok", page.status)
    ids = ", ".join(f"#{i}" for i in missing)
    return Result("evidence missing", page.status, f"{url} no longer has the evidence sentence of {ids}")


def due(session: Session, now: datetime) -> list[tuple[int, str, dict[int, str]]]:
    """(source id, link, {figure id: evidence}) for every stored link not checked in the last week."""
    checked = select(LinkCheck.source_id).where(LinkCheck.checked_at > now - EVERY)
    sources = session.execute(
        select(Source.id, Source.url).where(Source.url != "", Source.id.not_in(checked)).order_by(Source.id)
    ).all()
    read_from = func.coalesce(Statistic.via_source_id, Statistic.source_id)
    evidence: dict[int, dict[int, str]] = defaultdict(dict)
    ids = [s.id for s in sources]
    if ids:
        for figure_id, source_id, sentence in session.execute(
            select(Statistic.id, read_from, Statistic.evidence).where(
                read_from.in_(ids), Statistic.evidence != "", Statistic.status.in_(ANSWERABLE)
            )
        ):
            evidence[source_id][figure_id] = sentence
    return [(s.id, s.url, evidence.get(s.id, {})) for s in sources]


def run(
    sessions: sessionmaker[Session],
    *,
    now: datetime,
    settings: FetchSettings = SETTINGS,
    pause: float = PAUSE,
    checker: Callable[[str, dict[int, str], FetchSettings], Result] = check,
) -> dict[int, Result]:
    """Check every link due, one at a time per host and a few hosts at once; store and return the results."""
    with sessions() as session:
        wanted = due(session, now)
    by_host: dict[str, list[tuple[int, str, dict[int, str]]]] = defaultdict(list)
    for item in wanted:
        by_host[(urlsplit(item[1]).hostname or "").casefold()].append(item)
    results: dict[int, Result] = {}

    def one_host(links: list[tuple[int, str, dict[int, str]]]) -> None:
        for number, (source_id, url, evidence) in enumerate(links):
            if number and pause:
                time.sleep(pause)
            try:
                result = checker(url, evidence, settings)
            except Exception:  # one odd page must not stop the week's checks
                log.exception("checking %s failed", url)
                result = Result("unreachable")
            _store(sessions, source_id, result, now)
            results[source_id] = result

    with ThreadPoolExecutor(max_workers=HOSTS_AT_ONCE, thread_name_prefix="link-check") as pool:
        for finished in [pool.submit(one_host, links) for links in by_host.values()]:
            finished.result()
    return results


def _store(sessions: sessionmaker[Session], source_id: int, result: Result, now: datetime) -> None:
    with sessions.begin() as session:
        source = session.get(Source, source_id)
        if source is None:
            return
        row = session.scalar(select(LinkCheck).where(LinkCheck.source_id == source_id))
        if row is None:
            row = LinkCheck(workspace_id=source.workspace_id, source_id=source_id, notified="")
            session.add(row)
        row.checked_at, row.state, row.http_status = now, result.state, result.http_status
        if result.state == "unreachable":
            return  # maybe down for the day: keep what was known, and say nothing new
        row.problem = result.problem
        if not result.problem:
            row.notified = ""  # fixed: if it breaks again, that is news


def _unreported(session: Session, workspace_id: int) -> list[LinkCheck]:
    return list(
        session.scalars(
            select(LinkCheck)
            .where(
                LinkCheck.workspace_id == workspace_id,
                LinkCheck.problem != "",
                or_(LinkCheck.notified != LinkCheck.problem, LinkCheck.notified.is_(None)),
            )
            .order_by(LinkCheck.source_id)
        )
    )


def note_text(session: Session, workspace_id: int, today: date) -> str | None:
    """The editors' note: links gone or no longer holding their evidence, not reported before; None if none."""
    found = _unreported(session, workspace_id)
    if not found:
        return None
    lines = [f"*Source links to look at* (week of {today:%d %b %Y}): fix the link or check the figure."]
    lines += [f"• {escape(row.problem)}" for row in found[:SHOWN]]
    if len(found) > SHOWN:
        lines.append(f"…and {len(found) - SHOWN} more.")
    return "\n".join(lines)


def mark_reported(session: Session, workspace_id: int, now: datetime) -> None:
    """After the note is sent (in the same transaction as its record): these problems are not reported again."""
    for row in _unreported(session, workspace_id):
        row.notified = row.problem
