"""Truth on real data: the real development set (read at run time from ../shared/corpus/real, never copied)
imported as `statbot import` does it, then asked through signed Slack requests to the real Bolt app.

Quotes show only their own provenance, subjects keep the names the rows give, search finds what the
queries' judgements want, and digests name the producer."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot import cli, search_eval
from bot.config import Settings
from bot.local_slack import SlackStandIn
from bot.search_eval import CORPUS, corpus_missing, items_of, read_rows
from bot.web import create_wsgi
from intake.spreadsheet import read_sheet
from storage import queries, roles, sheets
from storage.db import make_sessions
from storage.kinds import KINDS, plural
from storage.models import Entity, EntityAlias, Quote, Statistic
from tests.http_server import serving
from tests.slackapi.replies import DIGEST_CHANNEL, DIGEST_USER, digest, slash

pytestmark = pytest.mark.skipif(
    corpus_missing() is not None, reason=f"real corpus absent: {corpus_missing()}"
)


def import_real(session: Session, workspace_id: int, corpus: Path = CORPUS) -> None:
    """The real figures and quotes through the same reading, checking and storing as `statbot import`."""
    for kind in KINDS:
        sheet = read_sheet(corpus / f"{plural(kind)}.csv", kind)
        assert not sheet.bad, sheet.errors
        sheets.import_items(session, workspace_id, sheet.rows, actor="cli")
    session.commit()


@pytest.fixture
def real_server(engine: Engine, settings: Settings, home_id: int) -> Iterator[str]:
    with make_sessions(engine)() as session:
        import_real(session, home_id)
    with serving(create_wsgi(settings)) as url:
        yield url


def ask(server: str, standin: SlackStandIn, line: str) -> dict[str, Any]:
    command, _, text = line.partition(" ")
    status, reply = slash(server, standin, command, text)
    assert status == 200 and isinstance(reply, dict), reply
    return reply


def items(reply: dict[str, Any]) -> list[str]:
    return [html.unescape(item) for item in items_of(reply)[1]]


def intro(reply: dict[str, Any]) -> str:
    return html.unescape(items_of(reply)[0])


def figures() -> list[dict[str, str]]:
    return read_rows(CORPUS / "figures.csv")


def quotes() -> list[dict[str, str]]:
    return read_rows(CORPUS / "quotes.csv")


# ----- quote provenance -------------------------------------------------------------------------------


def test_a_quote_from_an_article_whose_figures_have_a_producer_shows_only_its_own_provenance(
    real_server: str, standin: SlackStandIn
) -> None:
    producers = {row["source_url"]: row["producer"] for row in figures() if row["producer"]}
    checked = 0
    for row in quotes():
        producer = producers.get(row["source_url"])
        if not producer or producer == row["speaker_org"] or not row["speaker"].split():
            continue
        reply = ask(real_server, standin, f"/quote {row['speaker']}")
        words = row["text"][:80]
        shown = [item for item in items(reply) if words in item]
        assert shown, (row["speaker"], intro(reply))
        for item in shown:
            assert "Produced by" not in item and "Primary source" not in item, item
            assert f"*Reported by:* *<{row['source_url']}|" in item or "Reported by:* _<" in item, item
        checked += 1
    assert checked >= 5


def test_the_samples_facebook_quotes_show_no_figure_chain(real_server: str, standin: SlackStandIn) -> None:
    reply = ask(real_server, standin, "/quote facebook spokesperson")
    shown = items(reply)
    assert shown
    for item in shown:
        assert "Produced by" not in item and "Primary source" not in item, item


# ----- subjects never change --------------------------------------------------------------------------


def _names(cell: str) -> list[str]:
    return sorted(name.strip() for name in cell.split(";") if name.strip())


def test_every_imported_figure_keeps_the_entities_its_row_names_in_the_library_and_the_export(
    engine: Engine, home_id: int
) -> None:
    with make_sessions(engine)() as session:
        import_real(session, home_id)
        exported = sheets.published(session, home_id, "figure")
    by_figure = {(f.measure, f.value.normalize()): sorted(f.entities) for f in exported}  # type: ignore[union-attr]
    rows = figures()
    for row in rows:
        key = (row["measure"], Decimal(row["value"]).normalize())
        assert by_figure[key] == _names(row["entities"]), row["measure"]
    assert any("Facebook" in _names(row["entities"]) for row in rows)


def _about(item: str) -> list[str]:
    """The subjects an answer's item names in its "about ..." context."""
    context = item.rsplit("Figure #", 1)[1]
    return (
        _names(context.split("about ", 1)[1].split(" · ")[0].replace(", ", ";"))
        if "about " in context
        else []
    )


def test_answers_name_the_subject_a_row_gives_and_ownership_only_widens_the_search(
    real_server: str, standin: SlackStandIn
) -> None:
    rows = figures()
    for question, named in (("/stats facebook", "Facebook"), ("/stats meta", "Instagram")):
        wanted = [row for row in rows if named in _names(row["entities"])]
        assert wanted
        seen = 0
        for item in items(ask(real_server, standin, question)):
            for row in wanted:
                if row["measure"] in item and f"<{row['source_url']}|" in item:
                    assert _about(item) == _names(row["entities"]), item
                    seen += 1
        assert seen >= 2, question  # /stats meta finds Instagram's figures, still about Instagram


def test_the_samples_figures_are_about_what_they_count_not_who_produced_them(
    real_server: str, standin: SlackStandIn
) -> None:
    shown = items(ask(real_server, standin, "/stats illicit image offences"))
    total = next(item for item in shown if "*9,477*" in item)
    share = next(item for item in shown if "*52%*" in item)
    assert _about(total) == [] and _about(share) == ["Meta Platforms"]
    for item in (total, share):
        assert "Primary source" not in item and "police" not in item
        assert "Oct 2019 - Sep 2020 · " not in item  # no place: the article names none


# ----- search on real data ----------------------------------------------------------------------------


def test_search_on_the_real_queries_reaches_the_goal_and_finds_nothing_where_nothing_is_relevant(
    real_server: str, standin: SlackStandIn
) -> None:
    report = search_eval.evaluate(lambda line, _: ask(real_server, standin, line))
    summary = search_eval.describe(report)
    assert report.recall >= 0.95, summary
    assert report.ndcg >= 0.85, summary
    assert report.unwanted == [], summary
    assert len(report.scored) == len(search_eval.load_queries()) and report.judged


def test_a_producer_is_found_whoever_published_its_figures(real_server: str, standin: SlackStandIn) -> None:
    rows = [row for row in figures() if row["producer"] == "NSPCC"]
    publishers = {row["source_publisher"] for row in rows}
    assert len(publishers) >= 2
    reply = ask(real_server, standin, "/stats nspcc")
    shown = items(reply)
    assert int(intro(reply).split()[0]) >= len(rows)
    assert all("*Produced by:* *NSPCC*" in item for item in shown[:SHOWN_FIGURES] if "<http" in item)


SHOWN_FIGURES = 10


def test_a_speaker_that_is_an_organisation_is_found_by_its_name(
    real_server: str, standin: SlackStandIn
) -> None:
    organisations = [row for row in quotes() if row["speaker"] == row["speaker_org"] and row["speaker"]]
    assert organisations
    for row in organisations:
        reply = ask(real_server, standin, f"/quote {row['speaker']}")
        assert any(escape_free(row["text"])[:60] in item for item in items(reply)), (
            row["speaker"],
            intro(reply),
        )


def escape_free(text: str) -> str:
    return " ".join(text.split())


def test_a_year_filters_by_period_and_the_answer_says_so(real_server: str, standin: SlackStandIn) -> None:
    rows = [r for r in figures() if "Instagram" in _names(r["entities"]) and r["period_end"]]
    assert rows
    year = rows[0]["period_end"][:4]
    reply = ask(real_server, standin, f"/stats instagram {year}")
    assert intro(reply).endswith(f"from {year}"), intro(reply)
    for item in items(reply):
        period = item.strip().split("\n")[1]
        assert year in period or "-" in period, item
    # A year no figure is from finds nothing, however many figures mention the subject.
    assert items(ask(real_server, standin, "/stats instagram 1999")) == []


def test_words_matched_only_in_part_are_said_to_be(real_server: str, standin: SlackStandIn) -> None:
    reply = ask(real_server, standin, "/stats instagram tuberculosis")
    assert intro(reply).startswith("Nothing matches every word of *instagram tuberculosis*"), intro(reply)
    both = ask(real_server, standin, "/stats instagram nspcc")
    alone = ask(real_server, standin, "/stats instagram")
    if int(intro(both).split()[0]) > int(intro(alone).split()[0]):
        assert "only some of the words" in intro(both) or "Nothing matches every word" in intro(both)


def test_word_forms_of_a_topic_find_it(real_server: str, standin: SlackStandIn) -> None:
    tagged = [row for row in figures() if "grooming" in row["topics"].split(";")]
    reply = ask(real_server, standin, "/stats groomers")
    assert int(intro(reply).split()[0]) >= len(tagged), intro(reply)


def test_did_you_mean_never_offers_an_alias_or_the_word_typed(engine: Engine, home_id: int) -> None:
    with make_sessions(engine)() as session:
        import_real(session, home_id)
        entity_names = set(session.scalars(select(Entity.name)))
        aliases = set(session.scalars(select(EntityAlias.alias)))
        for model in (Statistic, Quote):
            known = queries.vocabulary(session, home_id, model)
            # Every alias leads to its entity's own name, or words of it ("Meta" of "Meta Platforms"):
            # "Facebook Inc" or "Facebook-Owned Apps" are never shown.
            for alias in aliases:
                assert known[alias] in entity_names or any(
                    known[alias] in name.split() for name in entity_names
                )
        for row in quotes():
            if row["speaker"] and row["speaker"] == row["speaker_org"]:
                _, suggestions = queries.correct(session, home_id, Quote, row["speaker"].casefold())
                assert row["speaker"] not in suggestions


# ----- digests ----------------------------------------------------------------------------------------


def test_a_digest_line_names_the_producer_and_headings_use_the_topics_display_name(
    engine: Engine, settings: Settings, standin: SlackStandIn, home_id: int
) -> None:
    standin.add_user(DIGEST_USER, tz="Europe/London")
    standin.add_channel(DIGEST_CHANNEL)
    with make_sessions(engine).begin() as session:  # only editors subscribe a channel
        roles.add_editor(session, home_id, DIGEST_USER)
    with serving(create_wsgi(settings)) as url:
        digest(url, standin, "subscribe grooming")
        with make_sessions(engine)() as session:
            import_real(session, home_id)
        posted = json.dumps(digest(url, standin, "preview"), ensure_ascii=False)
    rows = [
        row
        for row in figures()
        if "grooming" in row["topics"].split(";")
        and row["producer"]
        and row["producer"] != row["source_publisher"]
    ]
    credited = [row for row in rows if f"— {row['producer']}, reported by <{row['source_url']}|" in posted]
    assert credited, posted[:2000]
    # Group headings (a section's first line); the subscription's own topic is quoted as its subscriber typed it.
    assert '"*Grooming*\\n' in posted and '"*grooming*\\n' not in posted


# ----- statbot eval --search --------------------------------------------------------------------------


@pytest.mark.slow
def test_statbot_eval_search_prints_recall_and_ndcg_overall_and_per_query(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    assert cli.main(["eval", "--search", "--database-url", url]) == 0
    out = capsys.readouterr().out
    overall = out.strip().splitlines()[-1]
    recall, ndcg = float(overall.split()[1]), float(overall.split()[3])
    assert overall.startswith("recall@10") and recall >= 0.95 and ndcg >= 0.85, out
    for query in search_eval.load_queries():
        assert f"{query.command} {query.text}" in out
    assert out.count("should find nothing; found nothing") == sum(
        1 for q in search_eval.load_queries() if not q.relevant
    )


QUESTIONS = Path(__file__).resolve().parent / "eval" / "questions.json"


@pytest.mark.slow
def test_statbot_eval_search_scores_questions_apart_from_keyword_queries_and_holds_some_back(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    assert cli.main(["eval", "--search", "--questions", str(QUESTIONS), "--database-url", url]) == 0
    out = capsys.readouterr().out
    dev, held = search_eval.load_questions(QUESTIONS)
    assert len(dev) + len(held) >= 60 and held
    for query in dev:
        assert f"{query.command} {query.text}" in out
    for query in held:  # scored only when asked for, once a change is settled
        assert f"{query.command} {query.text}" not in out
    totals = {line.split(":")[0]: line.split() for line in out.strip().splitlines()[-2:]}
    assert set(totals) == {"keyword queries", "questions (dev)"}, out
    keywords = totals["keyword queries"]
    assert float(keywords[3]) >= 0.95 and float(keywords[5]) >= 0.85, out
    asked = totals["questions (dev)"]  # the goals of issue 19 on the development questions
    assert float(asked[3]) >= 0.90 and float(asked[5]) >= 0.80, out


def test_statbot_eval_search_asks_each_question_as_of_the_day_it_gives(engine: Engine) -> None:
    """questions.json gives a question's day ("today"): "last year" is read from it, not from the real date."""
    url = engine.url.render_as_string(hide_password=False)
    on_the_day = [search_eval.Query("/stats", "how many grooming offences were recorded last year?",
                                    frozenset(), date(2020, 6, 1))]  # fmt: skip
    [scored] = cli.search_reports(url, {"questions": on_the_day})["questions"].scored
    assert "about grooming offences recorded, 2019, counts" in scored.intro, scored.intro
    dev, _ = search_eval.load_questions(QUESTIONS)
    given = {q.text: q.today for q in dev}
    dated = "how many online grooming crimes did police record in the UK last year?"
    assert given[dated] == date(2025, 12, 1)


def test_statbot_eval_search_refuses_a_question_file_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "questions.json"
    bad.write_text('[{"command": "/stats"}]', encoding="utf-8")
    assert cli.main(["eval", "--search", "--questions", str(bad)]) == 2
    assert "cannot read the questions" in capsys.readouterr().err


# ----- questions in plain words (issue 19) --------------------------------------------------------------


def test_a_question_is_answered_with_what_it_was_understood_to_ask(real_server: str, standin: SlackStandIn) -> None:
    reply = ask(real_server, standin, "/stats how many children are homeless in England?")
    said = intro(reply)
    assert "about" in said and "England" in said and "counts" in said, said
    assert "No stored figures" not in said
    assert items(reply)


def test_a_question_the_library_cannot_answer_says_so_and_shows_only_the_closest_stored_rows(
    real_server: str, standin: SlackStandIn
) -> None:
    reply = ask(real_server, standin, "/stats what is the unemployment rate in Scotland?")
    said = intro(reply)
    assert said.startswith(":warning: No stored figures answer") and "Scotland" in said, said
    shown = items(reply)
    assert 0 < len(shown) <= 3
    stored = {(f"<{row['source_url']}|", row["measure"]) for row in figures()}
    for item in shown:  # every one a stored figure with its link: nothing made up
        assert any(link in item and measure in item for link, measure in stored), item


def test_keywords_are_still_answered_by_the_word_search_alone(real_server: str, standin: SlackStandIn) -> None:
    said = intro(ask(real_server, standin, "/stats grooming"))
    assert "understood" not in said and "No stored" not in said and said.split()[0].isdigit(), said
