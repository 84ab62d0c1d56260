"""What an answer offers, over signed requests to the real app and the Web API stand-in, on both databases:
each item's menu (Citation, Share this one, History, Report a problem), citation styles, Show more, Export
these, Chart, dates each reader sees in their own locale, and confirmation before destructive actions."""

from __future__ import annotations

import io
import json
import re
import time
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import Engine, select

from bot.config import Settings
from bot.local_slack import SlackStandIn
from bot.web import create_wsgi
from commands import citation, confirm, item_actions, item_menu, review
from intake.validate import validate_figure
from storage import changes
from storage.db import make_sessions
from storage.models import Quote, Statistic, Status
from tests.conftest import slack_settings
from tests.http_server import serving
from tests.items import add_figure
from tests.slackapi.actions import choose, send
from tests.slackapi.replies import READER, message_text, slash_reply
from tests.slackapi.signing import (
    block_action_payload,
    view_submission_payload,
)

EDITOR = "U0EDITOR"
REVIEW = "C0REVIEW"


@pytest.fixture
def settings(engine: Engine, standin: SlackStandIn) -> Settings:
    return slack_settings(engine, standin, review_channel=REVIEW)


@pytest.fixture
def editors() -> tuple[str, ...]:
    return (EDITOR,)


def menus(reply: dict[str, Any]) -> list[list[str]]:
    """Each item's overflow menu, as its options' values."""
    return [
        [option["value"] for option in block["accessory"]["options"]]
        for block in reply["blocks"]
        if block.get("accessory", {}).get("type") == "overflow"
    ]


def buttons(reply: dict[str, Any]) -> dict[str, str]:
    """The answer's buttons: action_id -> value."""
    return {
        element["action_id"]: element.get("value", "")
        for block in reply["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


def press(server: str, standin: SlackStandIn, action: str, value: str, *, key: str, user: str = READER,
          message: dict[str, Any] | None = None) -> None:  # fmt: skip
    payload = block_action_payload(
        action, value, user_id=user, response_url=standin.response_url(key), message=message
    )
    assert send(server, payload)[0] == 200


def lazy_reply(standin: SlackStandIn, key: str, timeout: float = 30.0) -> dict[str, Any]:
    """The last reply to `key`'s response URL from a lazy listener, which may come after the ack returned."""
    deadline = time.monotonic() + timeout
    while not standin.response_posts(key) and time.monotonic() < deadline:
        time.sleep(0.01)
    return standin.response_posts(key)[-1]


def code_blocks(message: dict[str, Any]) -> list[str]:
    return re.findall(r"```(.*?)```", message_text(message), flags=re.S)


def first_figure(engine: Engine) -> Statistic:
    with make_sessions(engine)() as session:
        found = session.scalars(select(Statistic).order_by(Statistic.id.desc())).first()
        assert found is not None
        return found


# ----- the menu --------------------------------------------------------------------------------------------
def test_every_figure_and_quote_in_an_answer_has_its_menu(server: str, standin: SlackStandIn) -> None:
    figures = slash_reply(server, standin, "facebook")
    assert menus(figures) and all(
        [v.split(":")[0] for v in menu] == ["cite", "share", "history", "report"] for menu in menus(figures)
    )
    assert all(":figure:" in v for menu in menus(figures) for v in menu)
    quotes = slash_reply(server, standin, "burrows", command="/quote")
    assert menus(quotes) and all(":quote:" in v for menu in menus(quotes) for v in menu)
    assert standin.violations == []


def test_the_citation_of_the_sample_share_puts_the_producer_first_in_both_forms(
    server: str, standin: SlackStandIn
) -> None:
    value = next(v for menu in menus(slash_reply(server, standin, "facebook")) for v in menu if v.startswith("cite:"))
    shown = choose(server, standin, value)
    assert shown["response_type"] == "ephemeral" and shown["replace_original"] is False
    short, long = code_blocks(shown)
    assert short.startswith("NSPCC: 52% share of sexual or illicit image offences") and len(short) <= 280
    assert "Oct 2019 - Sep 2020" in short and "No link recorded" in short
    assert long.startswith("NSPCC.") and "Reported by The Independent" in long and "Accessed " in long
    assert "only the outlet that reported" not in message_text(shown)  # the producer is held


def test_a_figure_held_only_from_its_reporter_says_so_and_asks_for_the_producers_release(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    figure = add_figure(engine, home_id, producer="")
    shown = choose(server, standin, f"cite:figure:{figure}")
    short, _ = code_blocks(shown)
    assert short.startswith("BBC News (as reported; producer not named): 34% share of grooming offences")
    assert "https://www.bbc.co.uk/news/example" in short and len(short) <= 280
    assert "only the outlet that reported this figure (BBC News)" in message_text(shown)
    assert "find the producer's own release" in message_text(shown)


def test_a_long_measure_is_cut_so_the_short_form_fits_a_post_with_its_link(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    figure = add_figure(engine, home_id, measure="share of grooming offences " + "recorded by police " * 20)
    short, _ = code_blocks(choose(server, standin, f"cite:figure:{figure}"))
    assert len(short) <= 280 and short.endswith("https://www.bbc.co.uk/news/example") and "…" in short


def test_a_quotes_citation_names_speaker_role_organisation_and_reporter(
    server: str, standin: SlackStandIn
) -> None:
    value = next(v for menu in menus(slash_reply(server, standin, "burrows", command="/quote")) for v in menu
                 if v.startswith("cite:"))  # fmt: skip
    short, long = code_blocks(choose(server, standin, value))
    assert short.startswith("Andy Burrows (head of child safety online policy, NSPCC)") and len(short) <= 280
    assert (
        long.startswith("Andy Burrows, head of child safety online policy, NSPCC") and "Reported by" in long
    )


def test_share_this_one_posts_only_that_item_credited_to_who_shared_it(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    figure = add_figure(engine, home_id, measure="share of grooming offences on Snapchat and Facebook",
                        entities="Facebook")  # fmt: skip
    answer = slash_reply(server, standin, "facebook")
    assert len(menus(answer)) >= 2
    assert choose(server, standin, f"share:figure:{figure}") == {}  # posted by statbot, not as a reply
    shared = standin.wait_for("chat.postMessage")[0].params
    assert shared["channel"] == "C0CHAN"
    text = message_text(shared)
    assert f"Shared by <@{READER}>" in text and "*34%*" in text and "52%" not in text
    assert menus(shared) == [[f"{w}:figure:{figure}" for w in ("cite", "share", "history", "report")]]


def test_history_shows_every_change_to_the_item(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    figure = add_figure(engine, home_id)
    shown = choose(server, standin, f"history:figure:{figure}")
    assert f"Figure #{figure}" in message_text(shown) and f"by <@{EDITOR}>" in message_text(shown)


def test_a_menu_entry_for_an_item_of_another_workspace_or_gone_says_it_is_not_stored(
    server: str, standin: SlackStandIn
) -> None:
    assert "#99999 is no longer stored" in message_text(choose(server, standin, "cite:figure:99999"))


# ----- Report a problem ---------------------------------------------------------------------------------
def report(server: str, standin: SlackStandIn, figure: int, why: str) -> tuple[int, str]:
    choose(server, standin, f"report:figure:{figure}")
    view = standin.wait_for("views.open")[-1].params["view"]
    assert view["callback_id"] == item_actions.REPORT_FORM
    values = {item_actions.REPORT_WHY: {item_actions.REPORT_WHY: why}}
    return send(server, view_submission_payload(item_actions.REPORT_FORM, values, user_id=READER,
                                                private_metadata=view["private_metadata"]))  # fmt: skip


def test_report_a_problem_asks_why_then_tells_the_review_channel_who_and_why(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    figure = add_figure(engine, home_id)
    status, raw = report(server, standin, figure, "")
    assert status == 200 and json.loads(raw)["response_action"] == "errors"
    assert standin.calls("chat.postMessage") == []
    status, raw = report(server, standin, figure, "The BBC corrected this to 31% <!channel>")
    assert status == 200 and raw == ""
    posted = standin.wait_for("chat.postMessage")[-1].params
    assert posted["channel"] == REVIEW
    text = message_text(posted)
    assert f"by <@{READER}>" in text and "corrected this to 31% &lt;!channel&gt;" in text
    assert f"#{figure}" in text and review.EDIT in json.dumps(posted["blocks"])
    assert standin.violations == []


def test_report_a_problem_with_no_review_channel_says_so_in_the_form(
    engine: Engine, standin: SlackStandIn, home_id: int
) -> None:
    figure = add_figure(engine, home_id)
    with serving(create_wsgi(slack_settings(engine, standin))) as url:
        status, raw = report(url, standin, figure, "wrong year")
    assert status == 200 and "no review channel is set" in json.loads(raw)["errors"][item_actions.REPORT_WHY]
    assert standin.calls("chat.postMessage") == []


# ----- citation styles ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("short {value} by {producr}", "Unknown field `{producr}`"),
        ("short {value} {measure", "is not part of a field"),
        ("short {value:>10}", "Fields take no formatting"),
        ("short no fields at all", "has no fields"),
        ("short", "Give the template after `short`"),
        ("medium {value}", "no citation form called *medium*"),
        ("reset medium", "no citation form called *medium*"),
        ("quote-short {value}", "Unknown field `{value}`"),
        ("short " + "{value} " * 100, "keep it under 500"),
    ],
)
def test_a_template_that_cannot_work_is_refused_with_the_reason(
    server: str, standin: SlackStandIn, engine: Engine, typed: str, expected: str
) -> None:
    assert expected in message_text(slash_reply(server, standin, f"citation-style {typed}", user=EDITOR))


def test_editors_set_a_citation_style_everyone_sees_it_and_reset_brings_back_the_default(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    shown = message_text(slash_reply(server, standin, "citation-style"))
    assert "{producer}" in shown and citation.DEFAULTS["short"] in shown
    assert "Only editors" in message_text(slash_reply(server, standin, "citation-style short {value} ({producer})"))
    template = "{value} {measure} ({producer}, {period}) {link} #stats"
    assert "is now" in message_text(slash_reply(server, standin, f"citation-style short {template}", user=EDITOR))
    figure = add_figure(engine, home_id)
    short, long = code_blocks(choose(server, standin, f"cite:figure:{figure}"))
    assert short == (
        "34% share of grooming offences on Snapchat (NSPCC, Apr 2023 - Mar 2024) "
        "https://www.bbc.co.uk/news/example #stats"
    )
    assert long.startswith("NSPCC.")  # the long form kept its default
    assert "this workspace's" in message_text(slash_reply(server, standin, "citation-style"))
    assert "back to the default" in message_text(slash_reply(server, standin, "citation-style reset", user=EDITOR))
    short, _ = code_blocks(choose(server, standin, f"cite:figure:{figure}", key="again"))
    assert short.startswith("NSPCC: 34%")


# ----- Show more, Export these, Chart ---------------------------------------------------------------------
def test_show_more_gives_the_next_page_and_export_these_sends_them_all(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    for number in range(12):
        add_figure(engine, home_id, value=str(100 + number), unit="count", measure=f"grooming reports {number}",
                   period_start="", period_end="")  # fmt: skip
    first = slash_reply(server, standin, "snapchat")
    assert "…and 2 more" in message_text(first)
    pressed = buttons(first)
    assert {item_menu.SHOW_MORE, item_menu.EXPORT_THESE} <= set(pressed)
    press(server, standin, item_menu.SHOW_MORE, pressed[item_menu.SHOW_MORE], key="more")
    page = standin.response_posts("more")[-1]
    assert page["response_type"] == "ephemeral" and "Figures 11-12 of 12" in message_text(page)
    assert len(menus(page)) == 2 and item_menu.SHOW_MORE not in buttons(page)
    press(server, standin, item_menu.EXPORT_THESE, pressed[item_menu.EXPORT_THESE], key="export")
    standin.wait_for("files.completeUploadExternal")
    (upload,) = standin.uploads()
    assert upload.channel_id == f"D{READER[1:]}" and upload.content is not None
    assert upload.content.decode().count("grooming reports") == 12


def test_a_series_gets_a_chart_with_its_title_unit_producer_and_source(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    for year, value in (("2021", "5441"), ("2022", "6156"), ("2023", "6350")):
        add_figure(engine, home_id, value=value, unit="count", measure="online grooming crimes recorded by police",
                   geography="England and Wales", period_start=year, period_end=year,
                   source_url=f"https://www.bbc.co.uk/news/grooming-{year}")  # fmt: skip
    answer = slash_reply(server, standin, "grooming crimes")
    assert item_menu.CHART in buttons(answer)
    assert item_menu.CHART not in buttons(slash_reply(server, standin, "facebook"))  # two measures are not a series
    press(server, standin, item_menu.CHART, buttons(answer)[item_menu.CHART], key="chart")
    standin.wait_for("files.completeUploadExternal")
    (upload,) = standin.uploads()
    assert upload.channel_id == f"D{READER[1:]}" and upload.content is not None
    assert upload.content.startswith(b"\x89PNG")
    assert "chart is in your direct messages" in message_text(standin.wait_for_response("chart")[-1])
    with Image.open(io.BytesIO(upload.content)) as image:  # big enough to read when Slack shrinks it
        assert image.size[0] >= 700


def test_a_chart_from_a_shared_answer_goes_in_its_thread(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    for year in ("2021", "2022"):
        add_figure(engine, home_id, unit="count", value=year[-1], measure="grooming crimes", period_start=year,
                   period_end=year)  # fmt: skip
    value = buttons(slash_reply(server, standin, "grooming crimes"))[item_menu.CHART]
    shared = {"type": "message", "ts": "1700000000.000200", "text": "shared", "blocks": []}
    press(server, standin, item_menu.CHART, value, key="chart", message=shared)
    complete = standin.wait_for("files.completeUploadExternal")[-1].params
    assert complete["channel_id"] == "C0CHAN" and complete["thread_ts"] == "1700000000.000200"


# ----- dates and confirmation ----------------------------------------------------------------------------
def test_a_date_with_a_day_is_shown_in_each_readers_locale_and_a_month_stays_words(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    add_figure(engine, home_id)  # published 2024-08-14
    add_figure(engine, home_id, measure="grooming offences on Snapchat", value="7062", unit="count",
               source_date="2024-08", source_url="https://www.bbc.co.uk/news/other")  # fmt: skip
    text = message_text(slash_reply(server, standin, "snapchat"))
    assert "<!date^1723636800^{date_short}|14 Aug 2024>" in text  # noon UTC on the day
    assert "*<https://www.bbc.co.uk/news/other|BBC News>* (Aug 2024)" in text


def test_reject_asks_slack_to_confirm_first(engine: Engine, home_id: int) -> None:
    with make_sessions(engine)() as session:
        pending, _ = changes.submit_for_review(
            session,
            home_id,
            validate_figure(  # type: ignore[arg-type]
                {
                    "value": "1",
                    "unit": "count",
                    "measure": "m",
                    "source_publisher": "P",
                    "source_date": "2024",
                }
            ),
            READER,
        )
        session.commit()
        blocks = review.review_message(pending, READER).as_slack()["blocks"]
    reject = next(
        e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["action_id"] == review.REJECT
    )
    assert reject["confirm"]["confirm"]["text"] == "Reject" and reject["confirm"]["style"] == "danger"


def test_retract_waits_for_its_confirm_button_and_cancel_changes_nothing(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    figure = add_figure(engine, home_id)
    asked = slash_reply(server, standin, f"retract {figure} wrong year", user=EDITOR)
    assert f"figure #{figure}" in message_text(asked) and set(buttons(asked)) == {
        confirm.CONFIRM,
        confirm.CANCEL,
    }
    press(server, standin, confirm.CANCEL, "cancel", key="cancel", user=EDITOR)
    assert confirm.CANCELLED in message_text(standin.response_posts("cancel")[-1])
    with make_sessions(engine)() as session:
        assert session.get(Statistic, figure).status == Status.PUBLISHED  # type: ignore[union-attr]
    press(server, standin, confirm.CONFIRM, buttons(asked)[confirm.CONFIRM], key="yes", user=EDITOR)
    assert "is retracted" in message_text(standin.response_posts("yes")[-1])
    with make_sessions(engine)() as session:
        assert session.get(Statistic, figure).status == Status.RETRACTED  # type: ignore[union-attr]


def test_a_reader_who_presses_an_editors_confirm_button_is_refused(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    figure = add_figure(engine, home_id)
    value = buttons(slash_reply(server, standin, f"retract {figure} wrong year", user=EDITOR))[confirm.CONFIRM]
    press(server, standin, confirm.CONFIRM, value, key="sneak", user=READER)
    assert "Only editors" in message_text(standin.response_posts("sneak")[-1])
    with make_sessions(engine)() as session:
        assert session.get(Statistic, figure).status == Status.PUBLISHED  # type: ignore[union-attr]


def test_retracting_a_quote_names_the_quote_before_it_acts(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    with make_sessions(engine)() as session:
        quote_id = session.scalars(select(Quote.id).order_by(Quote.id)).first()
    asked = slash_reply(server, standin, f"retract {quote_id} never said", command="/quote", user=EDITOR)
    assert f"*Retract* quote #{quote_id}" in message_text(asked)
    press(server, standin, confirm.CONFIRM, buttons(asked)[confirm.CONFIRM], key="yes", user=EDITOR)
    assert "retracted" in message_text(standin.response_posts("yes")[-1])
    with make_sessions(engine)() as session:
        assert session.get(Quote, quote_id).status == Status.RETRACTED  # type: ignore[union-attr]


def test_show_more_past_the_end_says_that_is_everything(server: str, standin: SlackStandIn) -> None:
    value = json.dumps({"command": "/quote", "text": "burrows", "offset": 50})
    press(server, standin, item_menu.SHOW_MORE, value, key="past")
    assert message_text(standin.response_posts("past")[-1]) == "That is everything this question found."


def test_share_this_one_carries_the_freshness_and_conflict_warnings_the_answer_shows(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    figure = add_figure(engine, home_id)
    add_figure(engine, home_id, value="36%", source_url="https://www.bbc.co.uk/news/another")  # disagrees
    assert "is expected" in message_text(
        slash_reply(server, standin, f"expected-update {figure} 2025-01", user=EDITOR)
    )

    def item_text(message: dict[str, Any]) -> str:
        [block] = [b for b in message["blocks"]
                   if f"share:figure:{figure}" in json.dumps(b.get("accessory", {}))]  # fmt: skip
        return str(block["text"]["text"])

    answered = item_text(slash_reply(server, standin, "snapchat"))
    assert "A newer release was due Jan 2025" in answered and "*Sources disagree*" in answered
    assert choose(server, standin, f"share:figure:{figure}") == {}  # posted by statbot, not as a reply
    shared = standin.wait_for("chat.postMessage")[0].params
    assert shared["channel"] == "C0CHAN" and item_text(shared) == answered


def test_chart_draws_the_whole_series_held_not_only_the_points_on_the_page(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    for year in range(2010, 2022):  # twelve points: ten fit on the answer's first page
        add_figure(engine, home_id, value=str(year - 1000), unit="count", measure="online grooming crimes",
                   geography="England and Wales", period_start=str(year), period_end=str(year),
                   source_url=f"https://www.bbc.co.uk/news/grooming-{year}")  # fmt: skip
    answer = slash_reply(server, standin, "online grooming crimes")
    assert len(menus(answer)) == 10 and item_menu.CHART in buttons(answer)
    press(server, standin, item_menu.CHART, buttons(answer)[item_menu.CHART], key="chart")
    complete = standin.wait_for("files.completeUploadExternal")[-1].params
    assert "12 points, 2010 to 2021" in complete["initial_comment"]

    # One point on the page (a year asked for) still charts the series it belongs to.
    one = slash_reply(server, standin, "online grooming crimes 2015", user=EDITOR)
    assert len(menus(one)) == 1 and item_menu.CHART in buttons(one)
    press(server, standin, item_menu.CHART, buttons(one)[item_menu.CHART], key="one", user=EDITOR)
    complete = standin.wait_for("files.completeUploadExternal", 2)[-1].params
    assert "12 points, 2010 to 2021" in complete["initial_comment"]


def test_the_times_in_an_items_history_are_shown_in_each_readers_time_zone(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    figure = add_figure(engine, home_id)
    shown = message_text(choose(server, standin, f"history:figure:{figure}"))
    stamp = re.search(
        r"<!date\^(\d+)\^\{date_short_pretty\} at \{time\}\|(\d{4}-\d\d-\d\d \d\d:\d\d) UTC>", shown
    )
    assert stamp is not None, shown
    from datetime import UTC, datetime

    assert datetime.fromtimestamp(int(stamp.group(1)), UTC).strftime("%Y-%m-%d %H:%M") == stamp.group(2)


def test_a_release_expected_on_a_day_is_shown_in_each_readers_locale_and_one_expected_in_a_month_in_words(
    server: str, standin: SlackStandIn, engine: Engine, home_id: int
) -> None:
    figure = add_figure(engine, home_id)
    said = message_text(slash_reply(server, standin, f"expected-update {figure} 2025-01-15", user=EDITOR))
    on_the_day = "<!date^1736942400^{date_short}|15 Jan 2025>"  # noon UTC on the day
    assert f"is expected {on_the_day}" in said
    assert f"A newer release was due {on_the_day}*" in message_text(slash_reply(server, standin, "snapchat"))
    slash_reply(server, standin, f"expected-update {figure} 2025-01", user=EDITOR)
    assert "A newer release was due Jan 2025*" in message_text(slash_reply(server, standin, "snapchat"))
