"""Citation templates filled from fields: what is missing goes with the punctuation that led to it."""

from __future__ import annotations

import pytest

from commands.citation import DEFAULTS, TemplateError, check_template, fill

FULL = {"value": "52%", "measure": "share of offences", "place": "UK", "period": "2020", "producer": "NSPCC",
        "title": "How safe", "date": "2021", "link": "https://x.org/a", "reported_by": "BBC News",
        "accessed": "1 Dec 2026"}  # fmt: skip


@pytest.mark.parametrize(
    ("template", "missing", "expected"),
    [
        (DEFAULTS["short"], (), "NSPCC: 52% share of offences, UK, 2020. https://x.org/a"),
        (DEFAULTS["short"], ("place",), "NSPCC: 52% share of offences, 2020. https://x.org/a"),
        (DEFAULTS["short"], ("place", "period"), "NSPCC: 52% share of offences. https://x.org/a"),
        (
            DEFAULTS["long"],
            ("title",),
            "NSPCC. 2021. https://x.org/a. Reported by BBC News. Accessed 1 Dec 2026.",
        ),
        (
            DEFAULTS["long"],
            (),
            "NSPCC. “How safe”. 2021. https://x.org/a. Reported by BBC News. Accessed 1 Dec 2026.",
        ),
        ("{producer} ({period}): {value}", ("period",), "NSPCC: 52%"),
        ("{producer}, {value}", ("producer",), "52%"),
        ("[{title}] {value}", ("title",), "52%"),
    ],
)
def test_a_missing_field_goes_with_its_punctuation(
    template: str, missing: tuple[str, ...], expected: str
) -> None:
    assert fill(template, {k: v for k, v in FULL.items() if k not in missing}) == expected


@pytest.mark.parametrize(
    ("form", "template", "expected"),
    [
        ("short", "{value} {colour}", "Unknown field `{colour}`"),
        ("short", "{value} {}", "Unknown field `{}`"),
        ("short", "{value!r}", "no formatting"),
        ("short", "{value", "not part of a field"),
        ("short", "value}", "not part of a field"),
        ("short", "  ", "Give the template"),
        ("short", "plain words", "no fields"),
        ("quote-long", "{speaker} {measure}", "Unknown field `{measure}`"),
    ],
)
def test_a_template_that_cannot_work_is_refused(form: str, template: str, expected: str) -> None:
    with pytest.raises(TemplateError, match=expected.replace("{", r"\{").replace("}", r"\}")):
        check_template(form, template)


def test_a_template_in_backticks_is_taken_without_them() -> None:
    assert check_template("short", "`{value} ({producer})`") == "{value} ({producer})"
