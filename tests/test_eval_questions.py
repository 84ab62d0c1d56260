"""The plain-language question set (tests/eval/questions.json) is well formed, points at real rows of the
real corpus, keeps a third aside, and is written in its own words rather than copied from the corpus."""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import pytest

QUESTIONS = Path(__file__).parent / "eval" / "questions.json"
CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "real"


@pytest.fixture(scope="module")
def questions() -> list[dict[str, object]]:
    loaded: list[dict[str, object]] = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    return loaded


def test_there_are_enough_questions_and_a_third_is_held_out(questions: list[dict[str, object]]) -> None:
    assert len(questions) >= 60
    held_out = sum(1 for item in questions if item["held_out"] is True)
    assert len(questions) // 3 - 1 <= held_out <= len(questions) // 3 + 1
    commands = {item["command"] for item in questions}
    assert commands == {"/stats", "/quote"}
    assert len({str(item["text"]).lower() for item in questions}) == len(questions)


def test_every_question_has_the_fields_eval_reads(questions: list[dict[str, object]]) -> None:
    for item in questions:
        assert set(item) <= {"command", "text", "relevant", "note", "held_out", "today"}, item
        assert isinstance(item["text"], str) and item["text"].strip()
        assert isinstance(item["note"], str) and item["note"].strip()
        assert isinstance(item["relevant"], list)
        kind = "figures" if item["command"] == "/stats" else "quotes"
        for key in item["relevant"]:
            assert re.fullmatch(rf"{kind}:[1-9]\d*", key), (item["text"], key)
        if "today" in item:
            date.fromisoformat(str(item["today"]))


def corpus_rows(name: str) -> list[dict[str, str]]:
    if not CORPUS.exists():
        pytest.skip(f"the real corpus is not at {CORPUS}")
    with (CORPUS / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_relevant_rows_exist_in_the_real_corpus(questions: list[dict[str, object]]) -> None:
    counts = {"figures": len(corpus_rows("figures.csv")), "quotes": len(corpus_rows("quotes.csv"))}
    for item in questions:
        for key in item["relevant"]:  # type: ignore[attr-defined]
            kind, number = key.split(":")
            assert 1 <= int(number) <= counts[kind], (item["text"], key)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def test_questions_and_notes_copy_no_run_of_corpus_text(questions: list[dict[str, object]]) -> None:
    """No six words in a row from a quotation, a measure or evidence: the corpus is not ours to copy."""
    runs: set[tuple[str, ...]] = set()
    for row in corpus_rows("quotes.csv"):
        w = words(row["text"])
        runs |= {tuple(w[i : i + 6]) for i in range(len(w) - 5)}
    for row in corpus_rows("figures.csv"):
        for column in ("measure", "evidence"):
            w = words(row[column])
            runs |= {tuple(w[i : i + 6]) for i in range(len(w) - 5)}
    for item in questions:
        for field in ("text", "note"):
            w = words(str(item[field]))
            copied = [
                " ".join(run) for run in (tuple(w[i : i + 6]) for i in range(len(w) - 5)) if run in runs
            ]
            assert not copied, (item["text"], copied)


def test_enough_questions_have_nothing_to_find_to_choose_the_low_confidence_threshold_on(
    questions: list[dict[str, object]],
) -> None:
    """The threshold is chosen on the development questions' negatives and checked on the held-out ones."""
    negatives = [item for item in questions if not item["relevant"]]
    dev = [item for item in negatives if item["held_out"] is False]
    assert len(dev) >= 10 and len(negatives) - len(dev) >= 3
    assert {item["command"] for item in dev} == {"/stats", "/quote"}
