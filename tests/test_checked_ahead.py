"""A sheet checked in a second process (intake.checked_ahead) gives the writer exactly what checking it in
process gives, and a checker that fails, dies or is abandoned never passes for a finished sheet."""

from __future__ import annotations

import csv
import fcntl
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from intake import checked_ahead
from intake.checked_ahead import CheckedAhead, CheckingStopped, can_fork, stream_checked
from intake.spreadsheet import SheetError, SheetStream, read_sheet, stream_sheet
from tests.commandline import STATBOT, environment, run
from tests.spreadsheets import figure_row, write_csv

TODAY = date(2025, 6, 1)


def _mixed(tmp_path: Path, rows: int = 2500) -> Path:
    """Good rows, with a bad value, a repeated row and a missing source scattered through them."""
    made = [figure_row(n) for n in range(rows)]
    made[7] = figure_row(7, value="lots")
    made[1200] = figure_row(3)  # the same figure as row 5 of the sheet
    made[2301] = figure_row(2301, source_publisher="", source_date="")
    return write_csv(tmp_path / "mixed.csv", made)


def _ahead(path: Path, **kwargs: object) -> CheckedAhead:
    # Straight to the class: pytest-xdist's worker runs threads of its own, so can_fork() says no here.
    return CheckedAhead(path, "figure", today=TODAY, **kwargs)  # type: ignore[arg-type]


def _blocked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[CheckedAhead, Iterator[object]]:
    """A checker whose writer has taken one row: the child is now blocked sending batches the pipe cannot
    hold (100 rows each, the rest of the sheet: about 300 KB into a pipe kept at Linux's default 64 KB)."""
    monkeypatch.setattr(checked_ahead, "BATCH", 100)
    monkeypatch.setattr(checked_ahead, "PIPE_BYTES", 1 << 16)
    ahead = _ahead(_mixed(tmp_path))
    rows = ahead.rows()
    next(rows)
    return ahead, rows


def test_the_rows_problems_and_progress_are_those_of_checking_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checked_ahead, "BATCH", 300)  # several batches, each with or without problems
    path = _mixed(tmp_path)
    in_process: list[tuple[int, int]] = []
    expected = read_sheet(path, "figure", lambda *p: in_process.append(p), today=TODAY)
    seen: list[tuple[int, int]] = []
    ahead = _ahead(path, on_progress=lambda *p: seen.append(p))
    assert ahead.total == 2500
    assert list(ahead.rows()) == expected.rows
    assert ahead.errors == expected.errors and len(expected.errors) == 3
    assert ahead.bad == expected.bad
    assert seen == in_process == [(1000, 2500), (2000, 2500), (2500, 2500)]
    assert not ahead._child.is_alive() and ahead._child.exitcode == 0


def test_bad_rows_reach_the_writer_with_their_batch_not_only_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `statbot import` stops writing once `bad` is not empty: it must not learn of row 9 only at the end.
    monkeypatch.setattr(checked_ahead, "BATCH", 300)
    ahead = _ahead(_mixed(tmp_path))
    rows = ahead.rows()
    for _ in range(300):
        next(rows)
    assert [bad.row for bad in ahead.bad] == [9]
    ahead.close()


def test_an_unusable_header_is_refused_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "blank-header.csv"
    path.write_text(",,\n1,2,3\n", encoding="utf-8")
    with pytest.raises(SheetError) as in_process:
        stream_sheet(path, "figure")
    with pytest.raises(SheetError) as ahead:
        _ahead(path)
    assert ahead.value.message == in_process.value.message


def test_a_file_unusable_further_down_is_refused_as_it_is_read(tmp_path: Path) -> None:
    rows = [figure_row(n) for n in range(2500)]
    rows[2200] = figure_row(2200, measure="x" * 40_000)
    path = write_csv(tmp_path / "long-cell.csv", rows)
    ahead = _ahead(path)
    with pytest.raises(SheetError, match="line 2202 holds more than 32,000 characters"):
        list(ahead.rows())
    assert not ahead._child.is_alive()


def test_a_fault_in_the_checker_stops_the_sheet_with_the_childs_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("checker broke on purpose")

    monkeypatch.setattr("intake.validate_columns.figures", broken)  # in the child: it is forked with this
    ahead = _ahead(_mixed(tmp_path))
    with pytest.raises(
        CheckingStopped, match=r"(?s)failed in its process.*RuntimeError: checker broke on purpose"
    ):
        list(ahead.rows())


def test_a_checker_killed_midway_stops_the_sheet_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ahead, rows = _blocked(tmp_path, monkeypatch)
    os.kill(ahead._child.pid or 0, signal.SIGKILL)
    with pytest.raises(CheckingStopped, match=r"ended before it finished \(exit code -9\)"):
        list(rows)


def test_a_writer_that_gives_up_stops_the_checker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ahead, _ = _blocked(tmp_path, monkeypatch)
    assert ahead._child.is_alive()
    ahead.close()
    assert not ahead._child.is_alive() and ahead._child.exitcode == -signal.SIGTERM


def test_a_checker_whose_writer_is_gone_exits_quietly_instead_of_waiting_forever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    ahead, _ = _blocked(tmp_path, monkeypatch)
    ahead._reader.close()  # as if the writer had been killed: the child's next send meets a broken pipe
    ahead._child.join(timeout=60)
    assert ahead._child.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="Linux's pipe sizes only")
def test_the_pipe_holds_a_whole_batch_so_the_checker_need_not_wait_for_the_writer_to_read_it(
    tmp_path: Path,
) -> None:
    ahead = _ahead(write_csv(tmp_path / "few.csv", [figure_row(n) for n in range(20)]))
    try:
        assert fcntl.fcntl(ahead._reader.fileno(), fcntl.F_GETPIPE_SZ) == checked_ahead.PIPE_BYTES == 1 << 20
        assert len(list(ahead.rows())) == 20
    finally:
        ahead.close()


def test_with_a_second_thread_running_the_sheet_is_checked_in_process(tmp_path: Path) -> None:
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not can_fork()
        path = write_csv(tmp_path / "few.csv", [figure_row(n) for n in range(20)])
        with stream_checked(path, "figure", today=TODAY) as stream:
            assert isinstance(stream, SheetStream)
            assert len(list(stream.rows())) == 20
    finally:
        release.set()
        other.join()


def _first_child(pid: int) -> int:
    """The first process `pid` forks, waited for with a generous deadline."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.005)
    pytest.fail("statbot import forked no checking process within 60 s")


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc to find the child")
def test_statbot_import_checks_in_a_second_process_and_imports_nothing_if_it_dies(
    initialised: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "many.csv", [figure_row(n) for n in range(30_000)])
    before = _figures(initialised)
    importing = subprocess.Popen(
        [STATBOT, "import", str(path)], cwd=tmp_path, env=environment(tmp_path), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        checker = _first_child(importing.pid)
        os.kill(importing.pid, signal.SIGSTOP)  # the writer stops reading, so the checker cannot finish
        try:
            assert _state(checker) != "Z", "the checker finished before it could be stopped"
            os.kill(checker, signal.SIGKILL)
        finally:
            os.kill(importing.pid, signal.SIGCONT)
        out, err = importing.communicate(timeout=120)
    finally:
        importing.kill()
    assert importing.returncode == 1, out + err
    assert "Nothing imported: the process checking the sheet ended before it finished (exit code -9)" in err
    assert _figures(initialised) == before


def _figures(folder: Path) -> int:
    with sqlite3.connect(folder / "statbot.db") as database:
        return int(database.execute("SELECT count(*) FROM statistics").fetchone()[0])


def test_statbot_import_lists_the_checkers_bad_rows_and_sets_them_aside_with_skip_bad(
    initialised: Path, tmp_path: Path
) -> None:
    rows = [figure_row(n) for n in range(1200)]
    rows[3] = figure_row(3, value="lots")
    rows[1100] = figure_row(1100, source_publisher="", source_date="")
    path = write_csv(tmp_path / "some-bad.csv", rows)
    before = _figures(initialised)

    refused = run([STATBOT, "import", str(path)], tmp_path)
    assert refused.returncode == 1, refused.stderr
    assert "row 5, column value:" in refused.stdout and "row 1102, column source_" in refused.stdout
    assert "Nothing imported: 2 rows need fixing" in refused.stderr
    assert _figures(initialised) == before

    kept = run([STATBOT, "import", "--skip-bad", str(path)], tmp_path)
    assert kept.returncode == 0, kept.stderr
    assert "Imported 1,198 figures" in kept.stdout
    assert _figures(initialised) == before + 1198
    with (tmp_path / "some-bad.rejected.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [row["error"].split(":")[0] for row in csv.DictReader(handle)] == ["row 5", "row 1102"]
