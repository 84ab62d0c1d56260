"""`/stats` with the model wired in, served as in production (issue 19): latency of keyword and question texts
with the answer cache off, and the resident memory of the web workers once they hold the model and the index.

    .venv/bin/python bench/questions_served.py [--figures 100000] [--requests 300] [--workers 2]
    .venv/bin/python bench/questions_served.py --code /tmp/statbot-main   # the same, serving another checkout
    .venv/bin/python bench/questions_served.py --database bench_19lat   # seeded once, kept, reused
    .venv/bin/python bench/questions_served.py --probe /tmp/probe [--trace]   # each worker's memory report

Seeds a scratch PostgreSQL database with the bench library (bench/common.py) and a stored vector for every
figure (bench/vector_index.py: random unit vectors; what a question costs does not depend on which rows are
close, only the model's quality does, and bench/question_retrieval.py measures that). Then `statbot serve`
(gunicorn, its threaded workers, STATBOT_ANSWER_CACHE_MB=0 so every answer is searched and built afresh) is
asked each text by bench/load.py over 127.0.0.1: warm-up requests first (they load the model and build the
index in each worker), then sequential ones timed for p50/p99. After the load, each worker's VmRSS (resident
now) and VmHWM (peak) are read from /proc. With --code DIR the server runs DIR's code (PYTHONPATH, with this
virtualenv), so a checkout of main gives the "before" on the same database. With --probe DIR each worker
writes a report of where its memory is (bench/probe/sitecustomize.py) after the load; --trace adds
tracemalloc's view, at a large cost in time and some in memory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text as sql

from bench import common
from bench.vector_index import fill_vectors
from bot.local_slack import SlackStandIn
from storage import migrate
from storage.db import make_engine, normalise_url

SECRET = "bench-signing-secret"
HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
TEXTS = {
    "keywords": ["facebook", "grooming 2020"],
    "question": [
        "how many grooming offences were recorded on Instagram last year?",
        "what share of children in Wales saw harmful content online?",
    ],
}


def start(
    url: str, folder: Path, workers: int, api_url: str, code: Path | None, probe: Path | None, trace: bool
) -> common.Server:
    port = common.free_port()
    env = {
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "STATBOT_LOG_LEVEL": "WARNING",
        "STATBOT_ANSWER_CACHE_MB": "0",
        "STATBOT_RESPONSE_URL_ALLOW_LOOPBACK": "1",  # load.py's response URL is the stand-in's
    }
    path = [str(code)] if code is not None else []
    if probe is not None:  # bench/probe/sitecustomize.py: a report from each worker on SIGRTMIN+1
        path.insert(0, str(HERE / "probe"))
        env["STATBOT_BENCH_PROBE"] = str(probe)
        env["STATBOT_BENCH_TRACE"] = "1" if trace else ""
    if path:
        env["PYTHONPATH"] = os.pathsep.join(path)
    argv = [PYTHON, "-m", "bot.cli", "serve", "--port", str(port), "--workers", str(workers)]
    return common.start_server(argv, port, env, code or folder, workers)


def load(server: common.Server, text: str, requests: int, warmup: int, response_url: str) -> list[float]:
    output = subprocess.run(
        [PYTHON, str(HERE / "load.py"), server.base, SECRET, "--text", text, "--requests", str(requests),
         "--warmup", str(warmup), "--expect", "igure", "--response-url", response_url],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    measured = json.loads(output)
    if measured["failed"]:
        raise RuntimeError(f"{measured['failed']} requests failed: {measured['failures'][:3]}")
    latencies: list[float] = measured["latencies"]
    return latencies


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used (/proc/PID/stat), seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def backends(url: str) -> list[int]:
    """PostgreSQL's server processes for the workers' connections to the bench database (same machine)."""
    engine = make_engine(url)
    with engine.connect() as connection:
        pids = list(connection.scalars(sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )))  # fmt: skip
    engine.dispose()
    return pids


def memory(server: common.Server) -> list[tuple[float, float]]:
    """(VmRSS, VmHWM) of each worker, MB."""
    found = []
    for pid in server.worker_pids():
        fields = {}
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    fields[name] = int(value.split()[0]) / 1024
        if fields:
            found.append((fields["VmRSS"], fields["VmHWM"]))
    return found


@contextlib.contextmanager
def library(postgres: str, folder: Path, database: str | None) -> Iterator[str]:
    """A scratch database dropped afterwards, or the named one, created if missing and kept."""
    if database is None:
        with common.scratch_database("postgresql", folder, postgres) as url:
            yield url
        return
    admin = create_engine(normalise_url(postgres), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(sql("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}):
            connection.execute(sql(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    yield normalise_url(postgres).rsplit("/", 1)[0] + f"/{database}"


def figures_held(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        if not sa_inspect(connection).has_table("statistics"):
            return 0
        held = connection.scalar(sql("SELECT count(*) FROM statistics")) or 0
    engine.dispose()
    return int(held)


def probe_workers(server: common.Server, folder: Path) -> None:
    """Ask each worker for its report (bench/probe/sitecustomize.py) and print where each is."""
    import signal

    folder.mkdir(parents=True, exist_ok=True)
    for pid in server.worker_pids():
        report = folder / f"worker-{pid}.txt"
        report.unlink(missing_ok=True)
        os.kill(pid, signal.SIGRTMIN + 1)
        deadline = time.monotonic() + 120
        while not report.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        print(f"worker {pid}: {report if report.exists() else 'no report'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--figures", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (the Procfile's default)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the timed load, for a busy machine")
    parser.add_argument("--postgres", default=common.DEFAULT_POSTGRES)
    parser.add_argument("--database", help="keep the library in this database across runs: seeded only if it "
                        "holds no figures, else migrated to this checkout's head and reused")  # fmt: skip
    parser.add_argument("--probe", type=Path, help="folder for each worker's memory report (bench/probe)")
    parser.add_argument("--trace", action="store_true", help="with --probe: tracemalloc in the workers too")
    parser.add_argument("--code", type=Path, action="append", default=[],
                        help="serve this checkout's code instead (repeatable; 'here' for this one)")  # fmt: skip
    args = parser.parse_args()
    checkouts: list[Path | None] = [None if str(c) == "here" else c for c in args.code] or [None]
    with (
        tempfile.TemporaryDirectory() as tmp,
        library(args.postgres, Path(tmp), args.database) as url,
        SlackStandIn(team_id=common.TEAM) as slack,
    ):
        held = figures_held(url)
        if held:
            started = time.perf_counter()
            migrate.upgrade(make_engine(url))
            print(f"{held:,} figures reused from {args.database}, migrated in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
        else:
            engine, workspace_id = common.prepare(url)
            seeded = common.seed(engine, workspace_id, args.figures - 2)
            engine.dispose()
            vectors = fill_vectors(url)
            print(
                f"{seeded.figures:,} figures seeded in {seeded.seconds:.0f} s, {vectors:,} vectors",
                flush=True,
            )
        with make_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sql("VACUUM ANALYZE"))  # as autovacuum would after the vectors' updates
        print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
        for code in checkouts:
            server = start(url, Path(tmp), args.workers, slack.api_url, code, args.probe, args.trace)
            try:
                print(f"\n## {code or 'this checkout'}: {args.workers} workers, cache off", flush=True)
                print(
                    "| text | kind | round | p50 ms | p99 ms | max ms | CPU ms per answer: app / database |"
                )
                print("|---|---|---:|---:|---:|---:|---:|")
                for kind, texts in TEXTS.items():
                    for text in texts:
                        for round_ in range(1, args.rounds + 1):
                            app, db = server.worker_pids(), backends(url)
                            before = cpu_seconds(app), cpu_seconds(db)
                            times = load(server, text, args.requests, args.warmup, slack.response_url())
                            db = sorted(set(db) | set(backends(url)))  # connections opened during the load
                            per = [1000 * (cpu_seconds(pids) - was) / (args.requests + args.warmup)
                                   for pids, was in ((app, before[0]), (db, before[1]))]  # fmt: skip
                            print(f"| {text} | {kind} | {round_} | {common.percentile(times, 0.5):.1f} | "
                                  f"{common.percentile(times, 0.99):.1f} | {max(times):.1f} | "
                                  f"{per[0]:.0f} / {per[1]:.0f} |", flush=True)  # fmt: skip
                held = memory(server)  # before the probe, which trims the heap at its end
                if args.probe is not None:
                    probe_workers(server, args.probe)
                print("worker VmRSS / VmHWM MB: " + ", ".join(f"{rss:.0f} / {hwm:.0f}" for rss, hwm in held))
                print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
