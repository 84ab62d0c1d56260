"""Hostile spreadsheets through the real `statbot import` (a process of its own, so a crash fails the test
rather than pytest): refused with a plain message while they are read, not after they have filled memory.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from intake import limits
from tests import hostile_files
from tests.commandline import STATBOT

pytestmark = pytest.mark.slow  # each test starts `statbot` processes (or a server) of its own



@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite database made by `statbot init` for the module: refused imports leave it as it was."""
    url = f"sqlite:///{tmp_path_factory.mktemp('limits') / 'statbot.db'}"
    subprocess.run([str(STATBOT), "init"], env=environment(url), check=True, capture_output=True, timeout=120)
    return url


def environment(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "STATBOT_", "DATABASE_"))}
    return env | {"DATABASE_URL": database_url}


def statbot_import(database: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(STATBOT), "import", str(path)],
        env=environment(database),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("build", "name", "message"),
    [
        (hostile_files.far_cell_xlsx, "far.xlsx", "the sheet has more than 250,000 rows"),
        (hostile_files.wide_csv, "wide.csv", "line 1 has more than 100 columns"),
        (hostile_files.long_cell_csv, "long.csv", "a cell on line 2 holds more than 32,000 characters"),
        (lambda path: hostile_files.bomb_xlsx(path, unpacked_mb=230), "bomb.xlsx", "MB; the limit is 200 MB"),
    ],
)
def test_a_spreadsheet_beyond_the_limits_is_refused_with_a_plain_message(
    database: str, tmp_path: Path, build: Callable[[Path], Path], name: str, message: str
) -> None:
    refused = statbot_import(database, build(tmp_path / name))
    assert refused.returncode == 1, refused.stderr[-2000:]
    assert message in refused.stderr + refused.stdout


def test_a_workbook_with_nested_entities_is_refused_without_crashing(database: str, tmp_path: Path) -> None:
    # Bundled expat before 2.7 recurses once per entity level and dies of SIGSEGV (CVE-2024-8176).
    refused = statbot_import(database, hostile_files.nested_entities_xlsx(tmp_path / "nested.xlsx"))
    assert refused.returncode == 1, (
        f"statbot import ended with {refused.returncode}: {refused.stderr[-2000:]}"
    )
    assert "nested.xlsx is a damaged Excel file" in refused.stderr + refused.stdout


def test_a_cell_just_inside_the_row_limit_is_read_not_refused(database: str, tmp_path: Path) -> None:
    # Row 250,000 (the header and 249,999 rows) is within the limits: it is read, and its problems reported.
    read = statbot_import(database, hostile_files.far_cell_xlsx(tmp_path / "tall.xlsx", row=limits.MAX_ROWS))
    assert f"row {limits.MAX_ROWS}" in read.stderr + read.stdout
    assert "more than" not in read.stderr + read.stdout
