"""`statbot ingest` and `statbot eval` as a person runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from ingest.extract import value_display
from ingest.pipeline import candidates_from_text
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


def test_eval_prints_the_precision_recall_table_and_timing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "figure value+unit precision" in out
    assert "quote span recall" in out
    assert "mean extraction time per article:" in out


def test_pasted_text_gives_candidates_without_a_publisher_or_date() -> None:
    found = candidates_from_text(Path(NSPCC).read_text(encoding="utf-8"), url="https://example.org/story")
    assert found.article.publisher == "example.org"
    assert found.article.published is None
    assert {value_display(f) for f in found.extraction.figures} == {"52%", "9,477"}


def test_a_local_page_over_the_size_limit_is_refused_before_it_is_parsed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = tmp_path / "huge.html"
    huge.write_bytes(b"<html><body><p>" + b"word " * 1_200_000 + b"</p></body></html>")
    assert main(["ingest", str(huge)]) == 2
    assert "huge.html is over 5 MB; statbot reads articles, not archives" in capsys.readouterr().err
