"""The start-up check of the XML parsers: it names the expat found and what to upgrade to."""

from __future__ import annotations

import pyexpat

import pytest

from ingest import xml_safety


def test_defusedxml_is_active_for_workbooks() -> None:
    assert not any("defusedxml" in problem for problem in xml_safety.problems())


@pytest.mark.skipif(pyexpat.version_info >= xml_safety.SAFE_EXPAT, reason="this Python's expat is fixed")
def test_an_old_expat_is_named_with_what_to_upgrade() -> None:
    (problem,) = xml_safety.problems()
    assert pyexpat.EXPAT_VERSION in problem and "2.7.0" in problem and "CVE-2024-8176" in problem
