"""`/digest` text is read into typed requests, and mistakes come back as friendly messages."""

from __future__ import annotations

from datetime import time

import pytest

from commands import table
from commands.digest import (
    CommandError,
    Help,
    ListSubscriptions,
    Preview,
    SendNow,
    Subscribe,
    Unsubscribe,
    parse,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "subscribe facebook encryption weekly monday 09:00 Europe/London",
            Subscribe("facebook encryption", "weekly", 0, time(9, 0), "Europe/London"),
        ),
        ("subscribe surveillance", Subscribe("surveillance", None, None, None, None)),
        ("subscribe online safety daily 9am", Subscribe("online safety", "daily", None, time(9), None)),
        ("subscribe encryption 9:30pm", Subscribe("encryption", None, None, time(21, 30), None)),
        ("subscribe encryption 9 am", Subscribe("encryption", None, None, time(9), None)),
        ("subscribe encryption 12am", Subscribe("encryption", None, None, time(0), None)),
        ("subscribe encryption 12pm", Subscribe("encryption", None, None, time(12), None)),
        ("subscribe encryption 7:05", Subscribe("encryption", None, None, time(7, 5), None)),
        ("subscribe encryption fri", Subscribe("encryption", None, 4, None, None)),
        ("subscribe encryption Thursdays", Subscribe("encryption", None, 3, None, None)),
        ("subscribe encryption europe/london", Subscribe("encryption", None, None, None, "Europe/London")),
        (
            "subscribe encryption AMERICA/NEW_YORK",
            Subscribe("encryption", None, None, None, "America/New_York"),
        ),
        ("subscribe encryption utc", Subscribe("encryption", None, None, None, "UTC")),
        # Schedule words in any order, with the little words people put before them.
        (
            "subscribe encryption on tuesday at 18:00 in Asia/Tokyo weekly",
            Subscribe("encryption", "weekly", 1, time(18), "Asia/Tokyo"),
        ),
        # Topic words that look like schedule words stay in the topic.
        ("subscribe section 230", Subscribe("section 230", None, None, None, None)),
        ("subscribe holiday pay", Subscribe("holiday pay", None, None, None, None)),
        ("subscribe surveillance turkey", Subscribe("surveillance turkey", None, None, None, None)),
        ("subscribe tcp/ip", Subscribe("tcp/ip", None, None, None, None)),
        ("subscribe monday encryption", Subscribe("monday encryption", None, None, None, None)),
        # Slack sends &, < and > escaped; the topic is stored as typed.
        ("subscribe AT&amp;T", Subscribe("AT&T", None, None, None, None)),
        ("SUBSCRIBE   Encryption   WEEKLY", Subscribe("Encryption", "weekly", None, None, None)),
        ("subscribe weekly", Subscribe("", "weekly", None, None, None)),
        ("subscribe encryption every day at 8am", Subscribe("encryption", "daily", None, time(8), None)),
        ("subscribe encryption every week on friday", Subscribe("encryption", "weekly", 4, None, None)),
        ("subscribe encryption every friday", Subscribe("encryption", None, 4, None, None)),
    ],
)
def test_subscribe_reads_the_topic_and_the_schedule_words_at_the_end(text: str, expected: Subscribe) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("list", ListSubscriptions()),
        ("unsubscribe 12", Unsubscribe(12)),
        ("unsubscribe #12", Unsubscribe(12)),
        ("preview", Preview(None)),
        ("preview 3", Preview(3)),
        ("send-now 4", SendNow(4)),
        ("help", Help()),
        ("", Help()),
        ("   ", Help()),
    ],
)
def test_the_other_verbs_read_into_their_requests(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("subscribe encryption funday", "`funday` is not a day of the week. Did you mean Sunday?"),
        ("subscribe encryption weekly someday", "`someday` is not a day of the week"),
        ("subscribe encryption 25:00", "`25:00` is not a time of day"),
        ("subscribe encryption 9:5", "`9:5` is not a time of day"),
        ("subscribe encryption 13pm", "`13pm` is not a time of day"),
        ("subscribe encryption 09:00 Mars/Olympus", "I don't know the time zone `Mars/Olympus`"),
        ("subscribe encryption Mars/Olympus", "I don't know the time zone `Mars/Olympus`"),
        ("subscribe encryption Europe/Londn", "Did you mean `Europe/London`?"),
        ("subscribe encryption daily monday", "A daily digest goes out every day"),
        ("subscribe encryption 9am 10am", "more than one time"),
        ("subscribe encryption weekly daily", "more than one frequency"),
        ("subscribe " + "x" * 201, "a topic can be at most 200 characters; yours is 201"),
        ("subscribe " + "privacy " * 1250, "That command is 10,010 characters long"),
        ("subscribe encryption\x00", "control character (U+0000)"),
        ("subscribe encryption\u202e", "control character (U+202E)"),
        ("unsubscribe", "Which subscription?"),
        ("unsubscribe twelve", "`twelve` is not a subscription id"),
        ("unsubscribe 0", "`0` is not a subscription id"),
        ("send-now 1 2", "`1 2` is not a subscription id"),
        ("send-now 9999999999999999999999", "is not a subscription id"),
        ("list everything", "`/digest list` takes nothing after it"),
        ("subscribr encryption", "I don't know `subscribr`"),
        ("<!channel>", "I don't know `&lt;!channel&gt;`"),
    ],
)
def test_mistakes_give_a_message_that_says_what_is_wrong(text: str, says: str) -> None:
    result = parse(text)
    assert isinstance(result, CommandError)
    assert says.lower() in result.message.lower()


def test_a_200_character_topic_is_accepted() -> None:
    result = parse("subscribe " + "x" * 200)
    assert isinstance(result, Subscribe)
    assert len(result.topic) == 200


def test_tabs_and_newlines_are_read_as_spaces() -> None:
    assert parse("subscribe online\tsafety\nweekly") == Subscribe("online safety", "weekly")


def test_help_text_shows_a_working_example_of_each_verb() -> None:
    text = table.help_text((table.DIGEST,))
    for example in ("subscribe facebook encryption weekly monday 09:00 Europe/London", "list", "preview 12"):
        assert f"/digest {example}" in text
    examples = [
        line.split("`")[1].removeprefix("/digest ") for line in text.splitlines() if "`/digest" in line
    ]
    assert all(not isinstance(parse(example), CommandError) for example in examples)
