"""What intake accepts as a figure or a quote, and what it tells people when it won't."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from intake.validate import FieldError, natural_key, to_raw, validate_figure, validate_quote
from storage.inputs import FigureInput, QuoteInput
from storage.partial_date import PartialDate, Precision

TODAY = date(2025, 6, 1)

MEASURE = (
    "share of sexual or illicit image offences against children that took place on apps owned by Facebook"
)


def figure_raw(**changes: str) -> dict[str, str]:
    """The worked example from the template, with some fields changed."""
    raw = {
        "value": "52", "unit": "percent", "measure": MEASURE, "period_start": "2019-10",
        "period_end": "2020-09", "geography": "UK", "entities": "Meta",
        "topics": "online child sexual abuse;encryption", "source_title": "",
        "source_publisher": "The Independent", "source_url": "", "source_date": "2021-03", "evidence": "",
        "producer": "NSPCC",
    }  # fmt: skip
    raw.update(changes)
    return raw


def quote_raw(**changes: str) -> dict[str, str]:
    raw = {
        "text": "Facebook is willingly turning back the clock on children's safety",
        "speaker": "Andy Burrows", "speaker_role": "Head of child safety online policy",
        "speaker_org": "NSPCC", "said_on": "2021-03-26", "topics": "encryption",
        "source_title": "", "source_publisher": "The Telegraph", "source_url": "",
    }  # fmt: skip
    raw.update(changes)
    return raw


def accepted_figure(**changes: str) -> FigureInput:
    result = validate_figure(figure_raw(**changes), today=TODAY)
    assert isinstance(result, FigureInput), result
    return result


def figure_errors(**changes: str) -> list[FieldError]:
    result = validate_figure(figure_raw(**changes), today=TODAY)
    assert isinstance(result, list), f"expected errors, got {result}"
    return result


def quote_errors(**changes: str) -> list[FieldError]:
    result = validate_quote(quote_raw(**changes), today=TODAY)
    assert isinstance(result, list), f"expected errors, got {result}"
    return result


def assert_one_error(errors: list[FieldError], field: str, fragment: str) -> None:
    assert [error.field for error in errors] == [field], errors
    assert fragment in errors[0].message, errors[0].message


def test_the_worked_example_is_accepted_with_its_precision_and_lists_kept() -> None:
    figure = accepted_figure()
    assert figure.value == Decimal(52)
    assert figure.period_start == PartialDate(date(2019, 10, 1), Precision.MONTH)
    assert figure.period_end == PartialDate(date(2020, 9, 1), Precision.MONTH)
    assert figure.topics == ("online child sexual abuse", "encryption")
    assert figure.source_url is None and figure.source_title is None
    assert figure.evidence is None


@pytest.mark.parametrize(
    ("typed", "unit", "expected"),
    [
        ("52", "percent", "52"),
        ("52%", "percent", "52"),
        ("52 %", "percent", "52"),
        ("52.5", "percent", "52.5"),
        ("9,477", "count", "9477"),
        ("1,234,567", "count", "1234567"),
        ("1 234", "count", "1234"),
        ("1\u00a0234", "count", "1234"),
        ("9.477", "percent", "9.477"),
        ("0.2", "ratio", "0.2"),
        (".5", "ratio", "0.5"),
        ("£950", "gbp", "950"),
        ("-£3,000,000", "gbp", "-3000000"),
        ("€1,200.50", "eur", "1200.50"),
        ("$12", "usd", "12"),
        ("+5", "count", "5"),
        ("  52  ", "percent", "52"),
        ("0", "count", "0"),
        ("-0", "count", "0"),
    ],
)
def test_values_people_type_are_read_as_the_number_they_mean(typed: str, unit: str, expected: str) -> None:
    measure = "increase in offences" if typed.startswith("-") else MEASURE
    assert accepted_figure(value=typed, unit=unit, measure=measure).value == Decimal(expected)


@pytest.mark.parametrize(
    ("typed", "unit", "fragment"),
    [
        ("52 percent", "percent", "not a number; put 52 in value and percent in unit"),
        ("52 per cent", "percent", "put 52 in value and percent in unit"),
        ("950 pounds", "gbp", "put 950 in value and gbp in unit"),
        ("5 people", "count", "put 5 in value and say what it counts ('people') in measure"),
        ("more than 9,470", "count", "put 9,470 in value and keep 'more than' in measure"),
        ("9.477", "count", "looks like a European thousands separator; write 9477 or 9,477"),
        ("1.234.567", "count", "looks like a European thousands separator; write 1234567 or 1,234,567"),
        ("1.234.567", "gbp", "looks like a European thousands separator"),
        ("9,5", "ratio", "looks like a decimal comma; write 9.5"),
        ("n/a", "count", "value is missing"),
        ("N/A", "count", "value is missing"),
        ("-", "count", "value is missing"),
        ("", "count", "value is missing"),
        ("   ", "count", "value is missing"),
        ("%", "percent", "value is missing"),
        ("-5", "count", "negative, which a count can't be"),
        ("-0.5", "ratio", "negative, which a ratio can't be"),
        ("9.5", "count", "not a whole number, which a count must be"),
        ("52%", "count", "has a % sign but unit is count"),
        ("£5", "usd", "has a £ sign but unit is usd"),
        ("1.2m", "gbp", "must be written in full: 1200000 rather than 1.2m"),
        ("£3bn", "gbp", "must be written in full: 3000000000 rather than 3bn"),
        ("1.5 million", "count", "1500000 rather than 1.5 million"),
        ("1e6", "count", "must be written in full, not as 1e6"),
        ("10-15", "count", "is a range, not one figure"),
        ("10 to 15%", "percent", "is a range, not one figure"),
        ("(5)", "gbp", "minus sign for a negative number (-5)"),
        ("--5", "count", "more than one sign"),
        ("twelve", "count", "is not a number ('twelve')"),
        ("12,34,567", "count", "is not a number"),
        ("1" * 41, "count", "too long for a number"),
    ],
)
def test_values_that_could_be_misread_are_refused_with_the_fix(typed: str, unit: str, fragment: str) -> None:
    assert_one_error(figure_errors(value=typed, unit=unit), "value", fragment)


@pytest.mark.parametrize(
    ("typed", "measure", "accepted"),
    [
        ("100", MEASURE, True),
        ("0", MEASURE, True),
        ("100.1", MEASURE, False),
        ("150", MEASURE, False),
        ("-3", MEASURE, False),
        ("150", "increase in recorded grooming offences since 2017/18", True),
        ("84", "Increase in sexual communication offences", True),
        ("-30", "fall in prosecutions", True),
        ("-30", "change in prosecutions", True),
        ("-100", "fall in prosecutions", True),
        ("-101", "fall in prosecutions", False),
        ("250", "how much more likely girls are to be targeted", True),
        ("250", "uprising survey share", False),  # a change word inside another word doesn't count
    ],
)
def test_percent_beyond_0_to_100_needs_a_measure_that_says_it_is_a_change(
    typed: str, measure: str, accepted: bool
) -> None:
    result = validate_figure(figure_raw(value=typed, measure=measure), today=TODAY)
    assert isinstance(result, FigureInput) is accepted, result
    if not accepted:
        assert isinstance(result, list) and result[0].field == "value"


def test_a_percent_over_100_explains_how_to_mark_it_as_a_change() -> None:
    assert_one_error(figure_errors(value="150"), "value", "if it is a change, say so in measure")


@pytest.mark.parametrize("unit", ["Percent", " PERCENT ", "percent"])
def test_units_are_read_in_any_case(unit: str) -> None:
    assert accepted_figure(unit=unit).unit == "percent"


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("%", "must be one of percent, count, gbp, usd, eur, ratio (did you mean percent?)"),
        ("pounds", "(did you mean gbp?)"),
        ("percnt", "(did you mean percent?)"),
        ("widgets", "must be one of percent, count, gbp, usd, eur, ratio"),
        ("", "unit is missing"),
    ],
)
def test_unknown_units_are_refused_with_the_nearest_right_one(typed: str, fragment: str) -> None:
    errors = figure_errors(unit=typed)
    assert errors[0].field == "unit"
    assert fragment in errors[0].message


@pytest.mark.parametrize(
    ("typed", "precision", "iso"),
    [
        ("2020", Precision.YEAR, "2020"),
        ("2020-09", Precision.MONTH, "2020-09"),
        ("2020-09-30", Precision.DAY, "2020-09-30"),
        (" 2020-09-30 ", Precision.DAY, "2020-09-30"),
    ],
)
def test_dates_keep_the_precision_they_were_typed_at(typed: str, precision: Precision, iso: str) -> None:
    source_date = accepted_figure(source_date=typed).source_date
    assert source_date is not None
    assert (source_date.precision, source_date.iso()) == (precision, iso)


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("30/09/2020", "write YYYY, YYYY-MM or YYYY-MM-DD (here: 2020-09-30)"),
        ("09/30/2020", "(here: 2020-09-30)"),
        ("03/04/2020", "could be day-first or month-first"),
        ("Sept 2020", "write YYYY, YYYY-MM or YYYY-MM-DD (here: 2020-09)"),
        ("September 2020", "(here: 2020-09)"),
        ("30th September 2020", "(here: 2020-09-30)"),
        ("September 30, 2020", "(here: 2020-09-30)"),
        ("2020/09", "(here: 2020-09)"),
        ("2020-9", "(here: 2020-09)"),
        ("2020-09-30 00:00:00", "(here: 2020-09-30)"),
        ("2019/20", "is a span (2019/20), not a date"),
        ("Q3 2020", "is a span"),
        ("2020-02-30", "is not a real date"),
        ("2020-13", "is not a real date"),
        ("yesterday", "write YYYY, YYYY-MM or YYYY-MM-DD"),
        ("0202", "looks like a typo"),
        ("2030", "is in the future"),
    ],
)
def test_dates_in_other_formats_are_refused_with_the_iso_spelling(typed: str, fragment: str) -> None:
    assert_one_error(figure_errors(source_date=typed), "source_date", fragment)


def test_a_period_may_end_in_the_future_because_forecasts_do() -> None:
    assert accepted_figure(period_end="2030").period_end is not None


@pytest.mark.parametrize(
    ("start", "end", "accepted"),
    [
        ("2019-10", "2020-09", True),
        ("2020", "2020", True),
        ("2020-09", "2020", True),  # the year 2020 ends after September 2020 starts
        ("2020-09-30", "2020-09", True),
        ("2020-09", "2020-08-31", False),
        ("2021", "2020", False),
    ],
)
def test_a_period_cannot_end_before_it_starts(start: str, end: str, accepted: bool) -> None:
    result = validate_figure(figure_raw(period_start=start, period_end=end), today=TODAY)
    if accepted:
        assert isinstance(result, FigureInput), result
    else:
        assert_one_error(result if isinstance(result, list) else [], "period_end", "is before period_start")


@pytest.mark.parametrize(
    "url",
    [
        "https://www.nspcc.org.uk/about-us/news-opinion/2021/",
        "http://example.org/report.pdf?page=2#table",
        "https://bücher.de/statistik",
        "https://data.gov.uk:443/dataset",
    ],
)
def test_http_addresses_with_a_site_name_are_accepted(url: str) -> None:
    assert accepted_figure(source_url=url).source_url == url


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("www.independent.co.uk/news", "must start with https:// (here: https://www.independent.co.uk/news)"),
        ("ftp://example.org/file", "must start with http:// or https://"),
        ("javascript:alert(1)", "must start with http:// or https://"),
        ("https://", "has no site name"),
        ("https://localhost/x", "has no site name"),
        ("https://bbc.co.uk@evil.example/x", "must not contain a user name"),
        ("https://example.org/a b", "contains spaces"),
        ("https://example.org:99999/", "is not a valid web address"),
        ("<https://example.org|BBC News>", "Slack link markup"),
    ],
)
def test_addresses_that_are_not_plain_web_links_are_refused(url: str, fragment: str) -> None:
    assert_one_error(figure_errors(source_url=url), "source_url", fragment)


def test_primary_source_url_is_checked_like_source_url() -> None:
    assert_one_error(
        figure_errors(primary_source_url="nspcc.org.uk"),
        "primary_source_url",
        "must start with http:// or https://",
    )


@pytest.mark.parametrize(
    ("field", "typed", "fragment"),
    [
        ("measure", "<!channel> share of offences", "measure contains the Slack mention <!channel>"),
        ("geography", "UK <!here>", "geography contains the Slack mention <!here>"),
        ("evidence", "As <@U123ABC> said", "evidence contains the Slack mention <@U123ABC>"),
        ("source_title", "See <#C0123|general>", "source_title contains the Slack mention <#C0123|general>"),
        ("notes", "<!subteam^S123> please check", "notes contains the Slack mention <!subteam^S123>"),
        ("source_publisher", "<https://evil.example|The Independent>", "source_publisher contains Slack"),
        ("producer", "<mailto:a@b.org|NSPCC>", "producer contains Slack link markup"),
        ("entities", "Meta;<!everyone>", "entities item '<!everyone>' contains the Slack mention"),
    ],
)
def test_slack_control_sequences_are_refused_naming_the_field(field: str, typed: str, fragment: str) -> None:
    assert_one_error(figure_errors(**{field: typed}), field, fragment)


@pytest.mark.parametrize(
    "typed",
    ["share of offences < 5%", "5 > 4", "ages 13 to <16", "a <b> tag shown as text"],
)
def test_angle_brackets_that_slack_would_not_act_on_are_kept(typed: str) -> None:
    assert accepted_figure(measure=typed).measure == typed


@pytest.mark.parametrize(
    ("field", "typed", "fragment"),
    [
        ("measure", "share\x00 of offences", "control character (U+0000)"),
        ("measure", "share\x1b[31m of offences", "control character (U+001B)"),
        ("evidence", "line one\x07", "control character (U+0007)"),
        ("measure", "share of \u202eoffences", "direction control (U+202E)"),
        ("measure", '=HYPERLINK("https://evil.example")', "starts with '='"),
    ],
)
def test_control_characters_and_formulas_are_refused(field: str, typed: str, fragment: str) -> None:
    assert_one_error(figure_errors(**{field: typed}), field, fragment)


@pytest.mark.parametrize(
    ("field", "typed", "kept"),
    [
        ("measure", "  share of\n offences\t on  apps ", "share of offences on apps"),
        ("measure", "share of\u00a0offences", "share of offences"),
        ("measure", "ille\u00adgal share\u200b of offences", "illegal share of offences"),
        ("evidence", "First line.\r\nSecond line.  \n\tIndented.", "First line.\nSecond line.\n\tIndented."),
    ],
)
def test_whitespace_is_tidied_and_invisible_leftovers_dropped(field: str, typed: str, kept: str) -> None:
    assert getattr(accepted_figure(**{field: typed}), field) == kept


@pytest.mark.parametrize(
    ("field", "limit"),
    [("measure", 500), ("evidence", 3000), ("notes", 3000), ("geography", 200), ("source_title", 500)],
)
def test_text_longer_than_its_limit_is_refused(field: str, limit: int) -> None:
    assert getattr(accepted_figure(**{field: "x" * limit}), field) == "x" * limit
    assert_one_error(
        figure_errors(**{field: "x" * (limit + 1)}),
        field,
        f"is {limit + 1:,} characters long; the limit is {limit:,}",
    )


@pytest.mark.parametrize(
    ("typed", "items"),
    [
        ("Meta", ("Meta",)),
        ("Meta; Google ;TikTok", ("Meta", "Google", "TikTok")),
        ("Meta;;  ; Google;", ("Meta", "Google")),
        ("Meta;meta;META;Google", ("Meta", "Google")),
        ("", ()),
        (" ; ", ()),
    ],
)
def test_entity_lists_are_split_trimmed_and_deduplicated_ignoring_case(
    typed: str, items: tuple[str, ...]
) -> None:
    assert accepted_figure(entities=typed).entities == items


def test_a_list_with_too_many_or_too_long_items_is_refused() -> None:
    assert_one_error(
        figure_errors(topics=";".join(f"t{n}" for n in range(31))), "topics", "has 31 items; the limit is 30"
    )
    assert_one_error(figure_errors(topics="x" * 101), "topics", "the limit is 100")


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"measure": ""}, "measure", "measure is missing"),
        ({"source_title": "", "source_publisher": ""}, "source_title", "source_title or source_publisher"),
    ],
)
def test_a_figure_needs_a_measure_and_a_source_others_can_find(
    changes: dict[str, str], field: str, fragment: str
) -> None:
    assert_one_error(figure_errors(**changes), field, fragment)


def test_a_source_known_only_by_its_publisher_is_accepted_as_it_is() -> None:
    """The sample's "The Independent" has no link or date in its article: exported, it must import back."""
    checked = accepted_figure(source_url="", source_date="", source_title="")
    assert (checked.source_publisher, checked.source_url, checked.source_date) == (
        "The Independent",
        None,
        None,
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"source_publisher": "", "source_title": "NSPCC FOI data", "source_date": "2021"},
        {"source_date": "", "source_url": "https://www.independent.co.uk/news/uk/home-news/nspcc"},
        {"period_start": "", "period_end": "", "geography": "", "entities": "", "topics": "", "producer": ""},
    ],
)
def test_everything_else_is_optional(changes: dict[str, str]) -> None:
    accepted_figure(**changes)


def test_an_invalid_source_is_reported_once_not_also_as_missing() -> None:
    errors = figure_errors(source_date="", source_url="www.example.org")
    assert [error.field for error in errors] == ["source_url"]


def test_every_problem_is_reported_at_once_in_column_order() -> None:
    errors = figure_errors(value="52 percent", unit="pc", measure="", source_date="Sept 2020")
    assert [error.field for error in errors] == ["value", "unit", "measure", "source_date"]


def test_an_empty_form_lists_every_required_field() -> None:
    result = validate_figure({}, today=TODAY)
    assert isinstance(result, list)
    assert [error.field for error in result] == ["value", "unit", "measure", "source_title"]


def test_unknown_field_names_are_refused_with_a_suggestion() -> None:
    errors = figure_errors(sorce_url="https://example.org")
    assert_one_error(errors, "sorce_url", "sorce_url is not a field we know (did you mean source_url?)")


def test_a_value_that_is_not_text_is_refused_rather_than_guessed() -> None:
    raw: dict[str, object] = {**figure_raw(), "value": 52.0}
    result = validate_figure(raw, today=TODAY)  # type: ignore[arg-type]
    assert isinstance(result, list) and "value must be text, not float" in result[0].message


def test_a_source_date_after_today_is_refused() -> None:
    assert_one_error(figure_errors(source_date="2025-06-02"), "source_date", "is in the future")
    assert accepted_figure(source_date="2025-06-01").source_date is not None


def test_quotes_need_text_a_speaker_and_a_findable_source() -> None:
    result = validate_quote({}, today=TODAY)
    assert isinstance(result, list)
    assert [error.field for error in result] == ["text", "speaker", "source_title"]


def test_a_quote_with_a_date_and_publisher_is_accepted() -> None:
    quote = validate_quote(quote_raw(topics="encryption; Encryption"), today=TODAY)
    assert isinstance(quote, QuoteInput)
    assert quote.said_on == PartialDate(date(2021, 3, 26), Precision.DAY)
    assert quote.topics == ("encryption",)


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"text": "Hello <!channel>"}, "text", "text contains the Slack mention <!channel>"),
        ({"speaker": "<@U024BE7LH>"}, "speaker", "speaker contains the Slack mention"),
        ({"text": "x" * 3001}, "text", "the limit is 3,000"),
        ({"said_on": "26/03/2021"}, "said_on", "(here: 2021-03-26)"),
        ({"source_url": "independent.co.uk"}, "source_url", "must start with http"),
        ({"speaker": ""}, "speaker", "speaker is missing"),
    ],
)
def test_quote_fields_are_checked_like_figure_fields(
    changes: dict[str, str], field: str, fragment: str
) -> None:
    assert_one_error(quote_errors(**changes), field, fragment)


def test_a_quote_keeps_its_line_breaks() -> None:
    quote = validate_quote(quote_raw(text="First.\nSecond."), today=TODAY)
    assert isinstance(quote, QuoteInput) and quote.text == "First.\nSecond."


@pytest.mark.parametrize(
    ("changes", "same"),
    [
        ({"measure": MEASURE.upper()}, True),
        ({"measure": "  " + MEASURE.replace(" ", "  ") + "."}, True),
        ({"geography": "uk"}, True),
        ({"value": "48"}, True),  # the same figure with another value is a conflict to catch
        ({"evidence": "different evidence"}, True),
        ({"unit": "count", "value": "9477"}, False),
        ({"period_end": "2020-10"}, False),
        ({"geography": "England"}, False),
        ({"source_date": "2021"}, False),
        ({"measure": "share of offences on Instagram"}, False),
    ],
)
def test_the_natural_key_ignores_case_spacing_and_value_but_not_meaning(
    changes: dict[str, str], same: bool
) -> None:
    assert (natural_key(accepted_figure(**changes)) == natural_key(accepted_figure())) is same


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("https://www.example.org/report/", "http://example.org/report", True),
        ("https://example.org/report?utm_source=x#top", "https://example.org/report", True),
        ("https://example.org/report?id=1", "https://example.org/report?id=2", False),
    ],
)
def test_the_natural_key_treats_trivially_different_addresses_as_one_source(
    first: str, second: str, same: bool
) -> None:
    keys = [natural_key(accepted_figure(source_url=url)) for url in (first, second)]
    assert (keys[0] == keys[1]) is same


@pytest.mark.parametrize(
    ("changes", "same"),
    [
        ({"text": "“Facebook is willingly turning back the clock on children’s safety.”"}, True),
        ({"speaker": "andy burrows", "source_publisher": "The Times"}, True),
        ({"speaker": "Peter Wanless"}, False),
        ({"text": "Facebook is turning back the clock"}, False),
    ],
)
def test_a_quote_is_the_same_quote_whatever_its_quote_marks_or_source(
    changes: dict[str, str], same: bool
) -> None:
    first, second = (validate_quote(quote_raw(**c), today=TODAY) for c in ({}, changes))
    assert isinstance(first, QuoteInput) and isinstance(second, QuoteInput)
    assert (natural_key(first) == natural_key(second)) is same


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"value": "9,477", "unit": "count", "entities": "Meta;Instagram", "evidence": "Line 1\nLine 2"},
        {"value": "52.50", "source_url": "https://example.org/x", "notes": "checked", "producer": ""},
    ],
)
def test_to_raw_gives_strings_that_validate_back_to_the_same_figure(changes: dict[str, str]) -> None:
    figure = accepted_figure(**changes)
    again = validate_figure(to_raw(figure), today=TODAY)
    assert again == figure
    assert to_raw(figure)["value"] == to_raw(again)["value"]  # trailing zeros kept: 52.50 stays 52.50
