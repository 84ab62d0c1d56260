"""`statbot import` of a generated figures CSV against plain pandas `read_csv(...).to_sql(...)`, side by side.

    .venv/bin/python bench/import_rate.py [--rows 20000 200000] [--only sqlite|postgresql] [--repeat 3]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]

For each size and database, in one run: the same file goes into a fresh database through statbot's import
(as `statbot import` does it: read a chunk at a time and every row checked in a second process, stored
with its sources, entities, topics, search documents and audit entries in batches, one transaction) and
through pandas into a plain table of the same database. Both rates are end to end (reading the file
included); the ratio is statbot's over pandas'. "Checking alone" is a separate pass that reads and checks
the file and writes nothing. The import runs in a new interpreter of its own, so its peak memory is its own:
the writing process's peak, then that of the process checking the sheet ahead of it (forked from the writer,
so the pages they share count in both); each the largest of the rounds. "CPU s" is each side's own
processes' CPU time (on SQLite the database's work is in it, on PostgreSQL the server's is not): on a busy
machine it shows what wall-clock rates cannot. The file has realistic variety: a source
(article) per ten rows, so thousands of sources, some cited without a link (publisher and date), several
producers per article, dozens of entities and one to three of a dozen topics per row.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from bench.common import DEFAULT_POSTGRES, scratch_database  # noqa: E402
from intake.checked_ahead import stream_checked  # noqa: E402
from intake.columns import all_columns  # noqa: E402
from intake.spreadsheet import stream_sheet  # noqa: E402
from storage import changes, migrate, sheets, workspaces  # noqa: E402
from storage.db import make_engine, make_sessions  # noqa: E402

PUBLISHERS = ["BBC News", "The Guardian", "ITV News", "The Independent", "Sky News", "Reuters", "Ofcom"]
PRODUCERS = ["NSPCC", "Ofcom", "Internet Watch Foundation", "NCA", "ONS", "Home Office", "Barnardo's", ""]
PLACES = ["UK", "England", "Wales", "Scotland", "Northern Ireland", "US", "worldwide"]
ENTITIES = [f"{name}{suffix}" for name in ("Meta", "Instagram", "Snapchat", "TikTok", "Roblox", "Discord",
            "YouTube", "X", "Telegram", "Twitch") for suffix in ("", " Kids", " Labs", " UK")]  # fmt: skip
TOPICS = ["grooming", "sextortion", "online child sexual abuse", "encryption", "age verification",
          "self-harm", "bullying", "child poverty", "exploitation", "moderation", "reporting", "police data"]  # fmt: skip
ROWS_PER_SOURCE = 10
_T = TypeVar("_T")


def generate(path: Path, rows: int) -> None:
    """A figures CSV of `rows` rows; every tenth article is cited without a link (publisher and date)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(all_columns("figure")))
        writer.writeheader()
        for n in range(rows):
            article = n // ROWS_PER_SOURCE
            year = 2015 + n % 9
            published = f"{2016 + article % 9}-{1 + article % 12:02d}"
            linked = article % 10 != 0
            entities = dict.fromkeys([ENTITIES[n % 40], ENTITIES[(n * 7) % 40]])
            topics = dict.fromkeys(TOPICS[(n * k) % 12] for k in range(1, 2 + n % 3))
            row = dict.fromkeys(all_columns("figure"), "") | {
                "value": f"{(n * 37) % 90_000 + 10:,}", "unit": "count",
                "measure": f"offences of kind {n} recorded by police",
                "period_start": f"{year}-04", "period_end": f"{year + 1}-03",
                "geography": PLACES[n % len(PLACES)], "entities": ";".join(entities),
                "topics": ";".join(topics),
                "source_title": f"Article {article} on online harms" if linked else "",
                "source_publisher": PUBLISHERS[article % len(PUBLISHERS)],
                "source_url": f"https://news.example.org/{article}" if linked else "",
                "source_date": published, "producer": PRODUCERS[n % len(PRODUCERS)],
                "evidence": f"Police recorded {(n * 37) % 90_000 + 10:,} such offences." if n % 4 == 0 else "",
            }  # fmt: skip
            if article % 10 == 0:
                row["source_publisher"] = f"{row['source_publisher']} {article}"  # linkless, yet distinct
            writer.writerow(row)


@dataclass(frozen=True)
class Measured:
    rows: int
    checked: float  # seconds reading and validating the file (statbot: in a pass of its own)
    total: float  # seconds for the whole import, reading and checking included
    cpu: float = 0.0  # of those, seconds of this process's CPU (SQLite's work is in it; PostgreSQL's is not)

    @property
    def rate(self) -> float:
        return self.rows / self.total


def checking_time(path: Path) -> float:
    """Seconds to read and check `path` as the import does, writing nothing."""
    started = time.perf_counter()
    checking = stream_sheet(path, "figure")
    for _ in checking.rows():
        pass
    assert not checking.bad, checking.errors[:3]
    return time.perf_counter() - started


def import_rate(url: str, path: Path) -> tuple[int, float, float]:
    """statbot's import of `path` into the database at `url`, as `statbot import` does it (the file read,
    checked and written in one streaming pass, one transaction): (added, seconds in all, CPU seconds in all,
    the checking process's included)."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    with make_sessions(engine)() as session:  # as `statbot init` or a first import leaves it
        workspaces.home(session)
        session.commit()
    engine.dispose()  # as `statbot import` does, the checking process is forked before any connection
    started, cpu, child_cpu = time.perf_counter(), time.process_time(), _children_cpu()
    with stream_checked(path, "figure") as stream, make_sessions(engine)() as session:
        workspace = workspaces.home(session)
        result = sheets.import_items(session, workspace.id, stream.rows(), actor=changes.CLI_ACTOR)
        session.commit()
    imported = time.perf_counter() - started
    cpu = time.process_time() - cpu + _children_cpu() - child_cpu
    engine.dispose()
    return result.added, imported, cpu


def _own_peak() -> float:
    """This process's peak resident KB since it was exec'd: Linux's VmHWM. (getrusage's ru_maxrss outlives
    exec, so a spawned child's would be at least what its parent held when it was forked.)"""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _checker_peak() -> float:
    """The largest finished child's peak resident KB: the checking process's."""
    return float(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (the checking process, once it is joined)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pandas_rate(url: str, path: Path) -> Measured:
    """The same file through `pandas.read_csv(...).to_sql(...)` into a plain table of the same database."""
    engine = make_engine(url)
    started, cpu = time.perf_counter(), time.process_time()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    read = time.perf_counter() - started
    started = time.perf_counter()
    frame.to_sql("plain_figures", engine, if_exists="replace", index=False)
    stored = time.perf_counter() - started
    engine.dispose()
    return Measured(len(frame), read, read + stored, time.process_time() - cpu)


def _statbot_import(url: str, path: Path) -> tuple[tuple[int, float, float], tuple[float, float]]:
    """`import_rate`'s answer, with the writer's and the checker's peak MB."""
    return import_rate(url, path), (_own_peak() / 1024, _checker_peak() / 1024)


def _in_child(function: Callable[..., _T], *args: Any) -> _T:
    """`function(*args)` in a new interpreter of its own (spawned, not forked: a forked child's memory would
    count the pages it shares with this process, which has held pandas' frames), so that its peak memory is
    its own; not a Pool's worker, which as a daemon could not fork the import's checking process."""
    context = multiprocessing.get_context("spawn")
    results, sender = context.Pipe(duplex=False)
    process = context.Process(target=_send_result, args=(sender, function, args))
    process.start()
    sender.close()
    result: _T = results.recv()
    process.join()
    return result


def _send_result(sender: Connection, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    sender.send(function(*args))


def run(backend: str, path: Path, rows: int, folder: Path, postgres: str, repeat: int = 1) -> None:
    """One line of the table: the best of `repeat` rounds of each side (a round is statbot's import, then
    pandas', each into a fresh database), so that a round slowed by something else on the machine does not
    decide the ratio."""
    rounds: list[tuple[Measured, tuple[float, float], Measured]] = []
    for _ in range(repeat):
        with scratch_database(backend, folder, postgres) as url:
            checked = _in_child(checking_time, path)
            (added, imported, cpu), peak = _in_child(_statbot_import, url, path)
            measured = Measured(added, checked, imported, cpu)
            assert measured.rows == rows, f"imported {measured.rows} of {rows}"
            rounds.append((measured, peak, pandas_rate(url, path)))
    ours = min((r[0] for r in rounds), key=lambda m: m.total)
    plain = min((r[2] for r in rounds), key=lambda m: m.total)
    peak = max(r[1][0] for r in rounds), max(r[1][1] for r in rounds)
    print(
        f"| {backend} | {rows:,} | {ours.rate:,.0f} | {rows / ours.checked:,.0f} | {plain.rate:,.0f} | "
        f"{ours.rate / plain.rate:.1%} | {peak[0]:,.0f} / {peak[1]:,.0f} | {ours.cpu:.2f} / {plain.cpu:.2f} | "
        f"{plain.cpu / ours.cpu:.1%} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    # Three by default: on a shared machine one round of either side can be slowed by a quarter by whatever
    # else runs; the best of three is what each side costs when nothing gets in its way (as timeit reports).
    parser.add_argument("--repeat", type=int, default=3, help="rounds per line; each side's best is shown")
    args = parser.parse_args()
    backends = [b for b in ("sqlite", "postgresql") if args.only in (None, b)]
    print(
        "| database | rows | statbot import rows/s | checking alone rows/s | pandas read_csv + to_sql rows/s "
        "| ratio | import peak RSS MB writer / checker | CPU s statbot / pandas | CPU ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            path = Path(tmp) / f"figures-{rows}.csv"
            generate(path, rows)
            for backend in backends:
                run(backend, path, rows, Path(tmp), args.postgres, args.repeat)


if __name__ == "__main__":
    main()
