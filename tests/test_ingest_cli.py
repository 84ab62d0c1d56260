"""`statbot ingest` and `statbot eval` as a person runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.cli import main
from ingest.extract import value_display
from ingest.pipeline import candidates_from_text
from tests import ingest_site
from tests.ingest_site import GOLD

NSPCC = str(GOLD / "nspcc-facebook-apps-2021.txt")


def test_ingest_lists_the_nspcc_figures_and_quote_for_review(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", NSPCC]) == 0
    out = capsys.readouterr().out
    assert "title:      Analysis Finds Facebook Apps Used in Over Half of Online Child Sex Crimes" in out
    assert "as written: fifty-two percent" in out
    assert "normalised: 52%" in out
    assert "as written: 9,477" in out
    assert "speaker:     Andy Burrows" in out
    assert "reported by: The Independent" in out


def test_ingest_leaves_unknown_fields_blank(capsys: pytest.CaptureFixture[str]) -> None:
    main(["ingest", NSPCC])
    out = capsys.readouterr().out
    assert "publisher:  \n" in out  # a local file names no publisher, so none is shown
    assert "  place:\n" in out
    assert "None" not in out


def test_ingest_json_gives_the_same_candidates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", NSPCC, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    figures = {f["normalised"]: f for f in data["figures"]}
    assert figures["52%"]["value"] == "fifty-two percent"
    assert figures["9,477"]["period"] == "2019-10 to 2020-09"
    assert (figures["9,477"]["period_start"], figures["9,477"]["period_end"]) == ("2019-10", "2020-09")
    assert figures["52%"]["place"] is None
    speakers = [q["speaker"] for q in data["quotes"]]
    assert "Andy Burrows" in speakers
    assert data["article"]["publisher"] is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("http://127.0.0.1:9/article", "private or internal addresses like 127.0.0.1"),
        ("ftp://example.org/article", "statbot only opens http and https links"),
        ("no-such-article.txt", "there is no file called no-such-article.txt"),
    ],
)
def test_ingest_exits_2_with_the_plain_message_when_it_cannot_read(
    capsys: pytest.CaptureFixture[str], source: str, message: str
) -> None:
    assert main(["ingest", source]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"statbot couldn't read {source}: ")
    assert message in captured.err


@pytest.mark.parametrize("submit", [[], ["--submit"]])
def test_ingest_gives_up_on_a_slow_link_at_the_fetch_deadline_setting(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    migrated_engines: dict[str, Engine],
    submit: list[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env but the environment below
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", migrated_engines["sqlite"].url.render_as_string(hide_password=False))
    monkeypatch.setenv("STATBOT_FETCH_ALLOW_LOOPBACK", "1")
    monkeypatch.setenv("STATBOT_FETCH_DEADLINE", "1")
    with ingest_site.serving() as site:  # its /slow page answers after 2 s: the deadline ends the wait first
        assert main(["ingest", f"{site.url}/slow", *submit]) == 2
    assert "took longer than 1 second" in capsys.readouterr().err


def test_eval_prints_the_precision_recall_table_and_timing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--gold", str(GOLD), "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "figure value+unit precision" in out
    assert "quote span recall" in out
    assert "mean extraction time per article:" in out


def test_pasted_text_gives_candidates_without_a_publisher_or_date() -> None:
    found = candidates_from_text(Path(NSPCC).read_text(encoding="utf-8"), url="https://example.org/story")
    assert found.article.publisher == "example.org"
    assert found.article.published is None
    assert {value_display(f) for f in found.extraction.figures} == {"52%", "9,477"}


def test_eval_scores_a_gold_folder_in_the_real_corpus_format_and_checks_the_goals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "one.txt").write_text(
        "Charity counts calls\nhttps://example.org/news/calls\n\nThe charity took 4,210 calls last year.\n",
        encoding="utf-8",
    )
    gold = {
        "figures": [
            {"value": 4210, "unit": "count", "measure": "calls taken by the charity", "period_start": None,
             "period_end": None, "geography": None, "producer": None, "evidence": "x"},
            {"value": 77, "unit": "percent", "measure": "a figure the article does not give", "period_start": None,
             "period_end": None, "geography": None, "producer": None, "evidence": "x"},
        ],
        "quotes": [],
    }  # fmt: skip
    (tmp_path / "one.gold.json").write_text(json.dumps(gold), encoding="utf-8")
    assert main(["eval", "--gold", str(tmp_path), "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "figures gold / found / matched" in out and "2/1/1" in out
    assert "one: missed figure '77 percent'" in out
    assert "goals not met: figure value+unit recall 0.500 < 0.9" in out
    assert main(["eval", "--gold", str(tmp_path), "--repeats", "1", "--check"]) == 1


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (None, "there is no gold folder at"),
        ({}, "holds no *.gold.json files"),
        ({"a.gold.json": "{}"}, "a.gold.json has no article a.txt beside it"),
        ({"a.gold.json": "{not json", "a.txt": "Text"}, "a.gold.json is not a gold file"),
        ({"a.gold.json": '{"figures": []}', "a.txt": "Text"}, "a.gold.json is not a gold file"),
    ],
)
def test_eval_refuses_a_missing_or_malformed_gold_folder_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str] | None, message: str
) -> None:
    folder = tmp_path / "gold"
    if files is not None:
        folder.mkdir()
        for name, content in files.items():
            (folder / name).write_text(content, encoding="utf-8")
    assert main(["eval", "--gold", str(folder), "--repeats", "1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err


def test_eval_without_gold_or_search_says_which_to_give(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval"]) == 2
    err = capsys.readouterr().err
    assert "--gold" in err and "--search" in err


def test_a_local_page_over_the_size_limit_is_refused_before_it_is_parsed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = tmp_path / "huge.html"
    huge.write_bytes(b"<html><body><p>" + b"word " * 1_200_000 + b"</p></body></html>")
    assert main(["ingest", str(huge)]) == 2
    assert "huge.html is over 5 MB; statbot reads articles, not archives" in capsys.readouterr().err
