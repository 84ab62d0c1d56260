"""The start-up check of the XML parsers: it names the expat found and what to upgrade to."""

from __future__ import annotations

import os
import pyexpat
import subprocess
import sys

import pytest

from ingest import xml_safety


def test_defusedxml_is_active_for_workbooks() -> None:
    assert not any("defusedxml" in problem for problem in xml_safety.problems())


@pytest.mark.skipif(pyexpat.version_info >= xml_safety.SAFE_EXPAT, reason="this Python's expat is fixed")
def test_an_old_expat_is_named_with_what_to_upgrade() -> None:
    (problem,) = xml_safety.problems()
    assert pyexpat.EXPAT_VERSION in problem and "2.7.0" in problem and "CVE-2024-8176" in problem


@pytest.mark.parametrize("setting", [None, "True", "False", "no"])
def test_the_defusedxml_check_agrees_with_openpyxl_without_importing_it(setting: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENPYXL_DEFUSEDXML"}
    if setting is not None:
        env["OPENPYXL_DEFUSEDXML"] = setting
    script = (
        "import sys; from ingest import xml_safety; ours = xml_safety.openpyxl_uses_defusedxml(); "
        "assert 'openpyxl' not in sys.modules; import openpyxl; print(ours, openpyxl.DEFUSEDXML)"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    ours, theirs = out.stdout.split()
    assert ours == theirs
