"""statbot against a bare Bolt app on the same machine: `/stats facebook` end to end, throughput, memory,
import rate and digest build time.

    .venv/bin/python bench/vs_bolt.py --quick          # a small version, about a minute
    .venv/bin/python bench/vs_bolt.py                  # 10k, 100k and 1M figures on SQLite and PostgreSQL
    .venv/bin/python bench/vs_bolt.py --sizes 100000 --backends postgresql --skip-import --skip-digests

Both servers run under gunicorn with --workers N and a 30 s timeout: `statbot serve` as in production
(its threaded workers, 4 threads each) and bench/bare_bolt.py, a Bolt app whose `/stats` only acks (sync
workers, an access log). statbot is measured twice: as served, where a question asked again is answered
from the worker's answer cache after one read of the library version, and with the cache off
(STATBOT_ANSWER_CACHE_MB=0), where every answer is searched and built afresh, as the first ask of a
question or the first after any change is. A separate process (bench/load.py) sends each server the
same signed v0 slash commands over 127.0.0.1: one at a time for p50/p99, then from several client
processes at once for requests per second. Each library is seeded
in bulk (bench/common.py) and grows in place from one size to the next. The peak memory is the largest
VmHWM among statbot's workers after the load. Import rate is `statbot import`'s path (check and store)
on a generated CSV; digest build time is building and rendering every due digest (bench/digest_runs.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, digest_runs, import_rate
from bot.local_slack import SlackStandIn

SECRET = "bench-signing-secret"
HERE = Path(__file__).resolve().parent
PYTHON = sys.executable


@dataclass
class Latency:
    p50: float
    p99: float
    rps: float = 0.0


@dataclass
class Row:
    backend: str
    figures: int
    family: int
    bare: Latency
    statbot: Latency  # as served: the question asked again is answered from the cache
    fresh: Latency  # the cache off: every answer searched and built
    peak_mb: float


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    imports: dict[str, tuple[int, float]] = field(default_factory=dict)  # backend -> (rows, rows/s)
    digests: dict[str, tuple[int, int, float]] = field(default_factory=dict)  # backend -> (subs, figures, s)


def load(
    server: common.Server, args: argparse.Namespace, *, concurrency: int, requests: int, expect: str
) -> dict:
    """Run bench/load.py against a server and return what it measured."""
    output = subprocess.run(
        [PYTHON, str(HERE / "load.py"), server.base, SECRET, "--text", args.question,
         "--requests", str(requests), "--warmup", str(args.warmup), "--concurrency", str(concurrency),
         "--expect", expect, "--response-url", args.response_url],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    measured = json.loads(output)
    if measured["failed"]:
        raise RuntimeError(
            f"{measured['failed']} requests failed against {server.base}: {measured['failures']}"
        )
    return measured


def measure(server: common.Server, args: argparse.Namespace, expect: str) -> Latency:
    sequential = load(server, args, concurrency=1, requests=args.requests, expect=expect)["latencies"]
    concurrent = load(
        server, args, concurrency=args.clients, requests=args.throughput_requests, expect=expect
    )
    return Latency(
        common.percentile(sequential, 0.5),
        common.percentile(sequential, 0.99),
        len(concurrent["latencies"]) / concurrent["wall"],
    )


def start_statbot(url: str, folder: Path, workers: int, api_url: str, *, cache: bool = True) -> common.Server:
    port = common.free_port()
    env = {
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "STATBOT_LOG_LEVEL": "WARNING",
        "STATBOT_ANSWER_CACHE_MB": "8" if cache else "0",
    }
    statbot = str(Path(PYTHON).with_name("statbot"))
    argv = [statbot, "serve", "--port", str(port), "--workers", str(workers)]
    return common.start_server(argv, port, env, folder, workers)


def start_bare(workers: int, api_url: str) -> common.Server:
    port = common.free_port()
    argv = [PYTHON, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--timeout", "30", "--access-logfile", "-", "bench.bare_bolt:application"]  # fmt: skip
    return common.start_server(
        argv, port, {"SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api_url}, common.ROOT, workers
    )


def run_backend(
    backend: str, args: argparse.Namespace, folder: Path, bare: common.Server, api_url: str, results: Results
) -> None:
    with common.scratch_database(backend, folder, args.postgres) as url:
        engine, workspace_id = common.prepare(url)
        stored = 2  # the sample data's figures
        for size in sorted(args.sizes):
            seeded = common.seed(engine, workspace_id, size - stored, seed_=size)
            stored = seeded.figures
            print(f"[{backend}] {stored:,} figures ({seeded.family:,} about Meta's family) seeded in "
                  f"{seeded.seconds:.0f} s", flush=True)  # fmt: skip
            bare_latency = measure(bare, args, expect="")
            measured: dict[bool, tuple[Latency, float]] = {}
            for cache in (False, True):
                statbot = start_statbot(url, folder, args.workers, api_url, cache=cache)
                try:
                    measured[cache] = (measure(statbot, args, expect="figure"), statbot.peak_memory_mb())
                finally:
                    statbot.stop()
            peak = max(mb for _, mb in measured.values())
            row = Row(
                backend, stored, seeded.family, bare_latency, measured[True][0], measured[False][0], peak
            )
            results.rows.append(row)
            print("    " + format_row(row), flush=True)
        engine.dispose()
    if not args.skip_import:
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "figures.csv"
            import_rate.generate(csv, args.import_rows)
            with common.scratch_database(backend, folder, args.postgres) as url:
                added, checked, imported_s = import_rate.import_rate(url, csv)
            results.imports[backend] = (added, added / imported_s)
            print(f"[{backend}] import: {added:,} rows, {added / imported_s:,.0f} rows/s "
                  f"(in {imported_s:.1f} s; checking alone {checked:.1f} s)", flush=True)  # fmt: skip
    if not args.skip_digests:
        with common.scratch_database(backend, folder, args.postgres) as url:
            digest_runs.fill(url, args.digest_figures, args.digest_subscriptions)
            built, seconds = digest_runs.build_all(url)
        results.digests[backend] = (built, args.digest_figures, seconds)
        print(f"[{backend}] digests: {built:,} built over {args.digest_figures:,} figures in {seconds:.1f} s",
              flush=True)  # fmt: skip


def format_row(row: Row) -> str:
    return (
        f"{row.backend:<10} {row.figures:>9,}  bare {row.bare.p50:6.1f} / {row.bare.p99:6.1f} ms  "
        f"statbot {row.statbot.p50:6.1f} / {row.statbot.p99:6.1f} ms "
        f"(x{row.statbot.p50 / row.bare.p50:.1f} / x{row.statbot.p99 / row.bare.p99:.1f})  "
        f"fresh {row.fresh.p50:6.1f} / {row.fresh.p99:6.1f} ms "
        f"(x{row.fresh.p50 / row.bare.p50:.1f} / x{row.fresh.p99 / row.bare.p99:.1f})  "
        f"{row.statbot.rps:6.1f} / {row.fresh.rps:6.1f} vs {row.bare.rps:6.1f} req/s  {row.peak_mb:5.0f} MB"
    )


def table(results: Results, args: argparse.Namespace) -> str:
    """The results as a Markdown table (it reads as plain text too)."""
    lines = [
        f"`/stats {args.question}`, {args.requests} sequential requests after {args.warmup} warm-up; "
        f"requests/s from {args.clients} client processes ({args.throughput_requests} requests); "
        f'gunicorn, {args.workers} workers each. "asked again" is statbot as served (the answer cache on); '
        '"fresh" is statbot with the cache off, every answer searched and built.',
        "",
        "| database | figures | family hits | bare Bolt p50 / p99 (ms) | statbot asked again p50 / p99 (ms) "
        "| ratio | statbot fresh p50 / p99 (ms) | ratio | req/s asked again / fresh / bare "
        "| statbot worker peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results.rows:
        lines.append(
            f"| {row.backend} | {row.figures:,} | {row.family:,} | {row.bare.p50:.1f} / {row.bare.p99:.1f} "
            f"| {row.statbot.p50:.1f} / {row.statbot.p99:.1f} "
            f"| {row.statbot.p50 / row.bare.p50:.1f}x / {row.statbot.p99 / row.bare.p99:.1f}x "
            f"| {row.fresh.p50:.1f} / {row.fresh.p99:.1f} "
            f"| {row.fresh.p50 / row.bare.p50:.1f}x / {row.fresh.p99 / row.bare.p99:.1f}x "
            f"| {row.statbot.rps:.0f} / {row.fresh.rps:.0f} / {row.bare.rps:.0f} | {row.peak_mb:.0f} |"
        )
    if results.imports or results.digests:
        lines += ["", "| database | import rows/s (check + store) | digest build (subscriptions, figures) |",
                  "|---|---:|---:|"]  # fmt: skip
        for backend in dict.fromkeys([*results.imports, *results.digests]):
            imported = results.imports.get(backend)
            digests = results.digests.get(backend)
            lines.append(
                f"| {backend} "
                f"| {f'{imported[1]:,.0f} ({imported[0]:,} rows)' if imported else '-'} "
                f"| {f'{digests[2]:.1f} s ({digests[0]:,}, {digests[1]:,}); {digests[2] / max(digests[0], 1) * 1000:.0f} ms each' if digests else '-'} |"
            )
    return "\n".join(lines)


def goals(results: Results) -> list[str]:
    """The issue's goals, met or not, for the sizes this run measured."""
    said = []
    for row in results.rows:
        if row.backend == "postgresql" and row.figures >= 1_000_000:
            worst = max(row.statbot.p99, row.fresh.p99)
            said.append(f"p99 under 300 ms at {row.figures:,} figures on PostgreSQL: "
                        f"{'met' if worst < 300 else 'NOT met'} ({row.fresh.p99:.1f} ms fresh, "
                        f"{row.statbot.p99:.1f} ms asked again)")  # fmt: skip
        if 100_000 <= row.figures < 1_000_000:
            again = (row.statbot.p50 / row.bare.p50, row.statbot.p99 / row.bare.p99)
            fresh = (row.fresh.p50 / row.bare.p50, row.fresh.p99 / row.bare.p99)
            said.append(f"within 2x of bare Bolt at {row.figures:,} figures on {row.backend}: asked again "
                        f"{'met' if max(again) <= 2 else 'NOT met'} (p50 {again[0]:.1f}x, p99 {again[1]:.1f}x); "
                        f"fresh {'met' if max(fresh) <= 2 else 'NOT met'} "
                        f"(p50 {fresh[0]:.1f}x, p99 {fresh[1]:.1f}x)")  # fmt: skip
    if results.rows:
        peak = max(row.peak_mb for row in results.rows)
        said.append(
            f"memory per worker under 150 MB: {'met' if peak < 150 else 'NOT met'} (peak {peak:.0f} MB)"
        )
    return said


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), "unknown",
    )  # fmt: skip
    memory = next(
        line.split()[1]
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {int(memory) / 1024 / 1024:.1f} GB RAM, Python {platform.python_version()}, "
        f"{date.today().isoformat()}; load average before: {os.getloadavg()[0]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="stored figures, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=common.DEFAULT_POSTGRES, help="server for scratch databases")
    parser.add_argument("--question", default="facebook")
    parser.add_argument("--requests", type=int, default=300, help="sequential requests timed for p50/p99")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers for both servers")
    parser.add_argument("--clients", type=int, default=8, help="client processes for requests/s")
    parser.add_argument("--throughput-requests", type=int, default=400)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--digest-subscriptions", type=int, default=1_000)
    parser.add_argument("--digest-figures", type=int, default=100_000)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-digests", action="store_true")
    parser.add_argument(
        "--quick", action="store_true", help="10k figures, fewer requests, small import and digests"
    )
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.requests, args.warmup, args.throughput_requests = "10000", 100, 10, 160
        args.import_rows, args.digest_subscriptions, args.digest_figures = 2_000, 50, 10_000
    args.sizes = [int(size) for size in str(args.sizes).split(",")]
    backends = [backend.strip() for backend in args.backends.split(",")]

    print(machine(), flush=True)
    started = time.perf_counter()
    results = Results()
    with (
        tempfile.TemporaryDirectory(prefix="statbot-bench-") as tmp,
        SlackStandIn(team_id=common.TEAM) as standin,
    ):
        args.response_url = standin.response_url()
        bare = start_bare(args.workers, standin.api_url)
        try:
            for backend in backends:
                run_backend(backend, args, Path(tmp), bare, standin.api_url, results)
        finally:
            bare.stop()
    print()
    print(table(results, args))
    print()
    for line in goals(results):
        print(f"- {line}")
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
