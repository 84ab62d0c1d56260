"""Finding figures and quotes on SQLite and PostgreSQL: entities, aliases, word forms, typos, hostile text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import changes, queries, sample, workspaces
from storage.models import Quote, SearchDocument, Statistic, Status, Workspace
from storage.partial_date import PartialDate
from storage.search import phrase_key
from tests import items


def values(found: queries.Found[Statistic]) -> list[str]:
    return [f"{item.value.normalize():f}{'%' if item.unit == 'percent' else ''}" for item in found.items]


@pytest.mark.parametrize(
    "question",
    [
        "facebook",
        "Facebook",
        "FACEBOOK",
        "meta",
        "Meta",
        "Meta Platforms",
        "instagram",
        "whatsapp",
        "messenger",
        "Facebook Messenger",
        "facebook-owned apps",
    ],
)
def test_every_name_of_the_facebook_family_finds_the_nspcc_share(
    db: Session, home_id: int, question: str
) -> None:
    found = queries.find(db, home_id, Statistic, question)
    # The 9,477 total names Facebook only in its evidence: full text finds it, after the figure about Facebook.
    assert values(found)[0] == "52%" and set(values(found)) <= {"52%", "9477"}
    assert found.corrected_to is None


def test_a_small_typo_still_finds_facebook_and_says_what_it_searched(db: Session, home_id: int) -> None:
    found = queries.find(db, home_id, Statistic, "facebok")
    assert values(found) == ["52%"]
    assert found.corrected_to == "facebook"


def test_words_of_a_figure_find_both_figures_newest_and_most_relevant_first(
    db: Session, home_id: int
) -> None:
    found = queries.find(db, home_id, Statistic, "illicit image offences")
    assert found.total == 2
    assert set(values(found)) == {"52%", "9477"}


@pytest.mark.parametrize(
    ("question", "speakers"),
    [
        ("burrows", {"Andy Burrows"}),
        ("Andy Burrows", {"Andy Burrows"}),
        ("nca", {"Rob Jones"}),
        ("National Crime Agency", {"Rob Jones"}),
        ("jones", {"Rob Jones"}),
        ("encryption", {"Andy Burrows", "Rob Jones", "A Facebook spokesperson"}),
        ("encrypted", {"Andy Burrows", "Rob Jones", "A Facebook spokesperson"}),
        ("spokesperson", {"A Facebook spokesperson"}),
    ],
)
def test_quotes_are_found_by_speaker_organisation_and_topic(
    db: Session, home_id: int, question: str, speakers: set[str]
) -> None:
    found = queries.find(db, home_id, Quote, question)
    assert {quote.speaker for quote in found.items} == speakers


def test_word_forms_match_the_same_quotes(db: Session, home_id: int) -> None:
    by_noun = queries.find(db, home_id, Quote, "encryption")
    by_verb = queries.find(db, home_id, Quote, "encrypted")
    assert by_noun.total == by_verb.total == 4
    assert [q.id for q in by_noun.items] == [q.id for q in by_verb.items]


@pytest.mark.parametrize(
    "question",
    [
        '"',
        '""',
        "*",
        "face*",
        "NEAR(",
        "NEAR(facebook meta)",
        "'; DROP TABLE statistics; --",
        "facebook OR 1=1",
        "a AND",
        "-facebook",
        "^meta",
        "body:facebook",
        "\x00\x07facebook",
        "😀🚀",
        "فيسبوك",
        "פייסבוק",
        "x" * 10_000,
        "facebook " * 2000,
        "' OR ''='",
        "%_%",
        "\\",
    ],
)
def test_query_syntax_in_user_text_is_never_read_as_syntax(db: Session, home_id: int, question: str) -> None:
    queries.find(db, home_id, Statistic, question)
    queries.find(db, home_id, Quote, question)
    assert db.scalar(select(func.count()).select_from(Statistic)) == 2


def test_an_unknown_subject_finds_nothing_and_suggests_nothing_unrelated(db: Session, home_id: int) -> None:
    found = queries.find(db, home_id, Statistic, "zebra crossings")
    assert found.items == [] and found.total == 0 and found.suggestions == []


@pytest.mark.parametrize(("question", "corrected"), [("instagarm", "instagram"), ("whatsap", "whatsapp")])
def test_typos_of_known_names_are_corrected(db: Session, home_id: int, question: str, corrected: str) -> None:
    found = queries.find(db, home_id, Statistic, question)
    assert found.corrected_to == corrected and values(found) == ["52%"]


@pytest.mark.parametrize(("question", "suggested"), [("meat", "Meta"), ("insta", "Instagram")])
def test_a_near_miss_too_far_to_correct_is_offered_as_a_suggestion(
    db: Session, home_id: int, question: str, suggested: str
) -> None:
    found = queries.find(db, home_id, Statistic, question)
    assert found.total == 0 and suggested in found.suggestions


# The sample's aliases that are neither a name statbot shows nor words of one ("Meta" of "Meta Platforms").
HIDDEN_ALIASES = ("Facebook Inc", "Facebook-owned apps", "Meta Platforms Inc", "Whats App", "Facebook Messenger",
                  "NCA", "National Society for the Prevention of Cruelty to Children")  # fmt: skip


@pytest.mark.parametrize(
    "question",
    ["meat", "meta", "facebok inc", "facebook ownd aps", "meta platfroms inx", "whats ap", "facebook messengr",
     "nspc", "encryption zebra", "zebra National Crime Agency", "nca zebra"],
)  # fmt: skip
def test_did_you_mean_never_offers_an_alias_or_words_the_person_typed(
    db: Session, home_id: int, question: str
) -> None:
    typed = f" {phrase_key(question)} "
    for model in (Statistic, Quote):
        _, suggestions = queries.correct(db, home_id, model, question)
        assert not [s for s in suggestions if s in HIDDEN_ALIASES or f" {phrase_key(s)} " in typed], suggestions


@pytest.mark.parametrize("question", ["encryption zebra", "zebra national crime agency", "nca zebra"])
def test_a_name_typed_beside_an_unknown_word_is_not_offered_back(db: Session, home_id: int, question: str) -> None:
    # "No figures match encryption zebra. Did you mean encryption?" (or the NCA's own name for "nca") tells
    # them nothing: they asked for it, and no figure is about it.
    assert queries.find(db, home_id, Statistic, question).suggestions == []


def test_another_workspace_never_sees_the_first_ones_data(db: Session, home_id: int) -> None:
    other = Workspace(team_id="T0OTHER", name="other")
    db.add(other)
    db.flush()
    for question in ("facebook", "offences", "nspcc"):
        assert queries.find(db, other.id, Statistic, question).total == 0
    assert queries.find(db, other.id, Quote, "burrows").total == 0
    sample.load(db, other.id)
    db.commit()
    own = queries.find(db, other.id, Statistic, "facebook").items
    assert own and all(item.workspace_id == other.id for item in own)
    assert all(
        item.workspace_id == home_id for item in queries.find(db, home_id, Statistic, "facebook").items
    )


def test_loading_the_sample_twice_adds_nothing(db: Session, home_id: int) -> None:
    before = [db.scalar(select(func.count()).select_from(m)) for m in (Statistic, Quote, SearchDocument)]
    sample.load(db, home_id)
    db.commit()
    after = [db.scalar(select(func.count()).select_from(m)) for m in (Statistic, Quote, SearchDocument)]
    assert before == after == [2, 7, 9]


def test_retracted_figures_are_never_answered_and_superseded_ones_come_after_their_replacement(
    db: Session, home_id: int
) -> None:
    share = db.scalars(select(Statistic).where(Statistic.unit == "percent")).one()
    newer = items.statistic(
        db,
        home_id,
        value=Decimal(48),
        unit="percent",
        measure=share.measure,
        source=share.source,
        geography="UK",
        entities=share.entities,
    )
    changes.supersede(db, share, newer, actor="U0EDITOR")
    db.commit()
    assert values(queries.find(db, home_id, Statistic, "facebook")) == ["48%", "52%"]
    changes.retract(db, newer, actor="U0EDITOR", reason="withdrawn")
    db.commit()
    assert values(queries.find(db, home_id, Statistic, "facebook")) == ["52%"]


def test_pending_figures_are_not_answered(db: Session, home_id: int) -> None:
    source = items.source(db, home_id, publisher="Ofcom", title="Online Nation")
    meta = items.entity(db, home_id, "Meta")
    items.statistic(
        db,
        home_id,
        value=Decimal(7),
        unit="percent",
        measure="pending figure",
        source=source,
        entities=[meta],
        status=Status.PENDING,
    )
    db.commit()
    assert values(queries.find(db, home_id, Statistic, "facebook")) == ["52%"]


def test_binding_the_home_workspace_to_another_team_is_refused(db: Session, home_id: int) -> None:
    with pytest.raises(workspaces.WorkspaceMismatch, match="T0TEST"):
        workspaces.bind_home(db, "T0SOMEONEELSE")


def test_counting_stops_at_the_cap_and_says_more_than(
    db: Session, home_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    source = items.source(db, home_id, publisher="Ofcom")
    meta = items.entity(db, home_id, "Meta")
    for n in range(5):
        items.statistic(
            db, home_id, value=Decimal(n), unit="count", measure=f"m{n}", source=source, entities=[meta]
        )
    db.commit()
    found = queries.find(db, home_id, Statistic, "facebook", limit=2)
    assert (found.total, found.more_than_total, len(found.items)) == (3, True, 2)
    from commands.question import parse
    from commands.stats import render

    text = str(render(parse("facebook"), found, today=date(2026, 1, 1)).as_slack())
    assert "more than 3 figures about Facebook" in text and "…and more than 1 more" in text


@pytest.mark.parametrize("question", ["quokka wombat", "quokka facebook", "quokka wombat facebook numbat"])
def test_common_words_walked_newest_first_give_the_answer_counting_every_match_gives(
    db: Session, home_id: int, monkeypatch: pytest.MonkeyPatch, question: str
) -> None:
    """On PostgreSQL a question of common words walks the newest answerable items (storage.queries.
    _newest_first) instead of counting every match: the same items, in the same order, and the same totals.
    The bounds are shrunk so that this small library is "common words"; WALK = 0 counts every match."""
    for name, value in {"COUNT_CAP": 4, "CANDIDATES": 3, "PROBE": 10, "WALK": 30}.items():
        monkeypatch.setattr(queries, name, value)
    source = items.source(db, home_id, publisher="Ofcom")
    meta = items.entity(db, home_id, "Meta")
    statuses = {11: Status.SUPERSEDED, 13: Status.RETRACTED, 17: Status.PENDING}
    for n in range(1, 90):
        words = [word for word, every in (("quokka", 2), ("wombat", 3)) if n % every == 0] or ["other"]
        items.statistic(
            db, home_id, value=Decimal(n), unit="count", measure=" ".join(words), source=source,
            period_end=None if n % 7 == 0 else PartialDate.parse(f"2020-01-{1 + n % 28:02d}"), entities=[meta] if n % 5 == 0 else [],
            status=next((s for every, s in statuses.items() if n % every == 0), Status.PUBLISHED),
        )  # fmt: skip
    db.commit()
    walked: list[object] = []
    walk = queries._newest_first

    def recorded(*args: Any, **kwargs: Any) -> Any:
        walked.append(walk(*args, **kwargs))
        return walked[-1]

    monkeypatch.setattr(queries, "_newest_first", recorded)

    def answer() -> tuple[object, ...]:
        found = queries.find(db, home_id, Statistic, question, limit=3)
        return [i.id for i in found.items], found.total, found.more_than_total, found.some_words, found.partial

    by_walking = answer()
    monkeypatch.setattr(queries, "WALK", 0)
    assert by_walking == answer()
    assert by_walking[0] and by_walking[1] == 4  # at the cap
    if db.get_bind().dialect.name == "postgresql":
        assert walked[0] is not None  # the walk answered
