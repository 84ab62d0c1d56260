"""The load generator bench/vs_bolt.py runs in its own process: signed `/stats` requests to one server.

    python bench/load.py URL SECRET --text facebook --requests 300 --warmup 30 [--concurrency 8]

Prints one JSON line: the latency of every timed request in ms, the wall time, and any failures.
With --concurrency N it forks N client processes that send their share at once (requests/s).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.slackapi.signing import post, signed_headers, slash_command_body


def send(
    url: str, secret: str, text: str, count: int, expect: str, response_url: str
) -> tuple[list[float], list[str], float, float]:
    """Send `count` requests one after another; returns latencies (ms), failures, first start, last end."""
    latencies: list[float] = []
    failures: list[str] = []
    began = time.time()
    for _ in range(count):
        body = slash_command_body("/stats", text, response_url=response_url)
        started = time.perf_counter()
        status, _, raw = post(f"{url}/slack/events", body, signed_headers(body, secret))
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200 or expect not in raw:
            failures.append(f"{status}: {raw[:120]}")
    return latencies, failures, began, time.time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("secret")
    parser.add_argument("--text", default="facebook")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--expect", default="", help="text every answer must hold")
    parser.add_argument("--response-url", default="http://127.0.0.1:9/response")
    args = parser.parse_args()

    send(
        args.url, args.secret, args.text, args.warmup, args.expect, args.response_url
    )  # every worker's caches and pool
    share = [args.requests // args.concurrency] * args.concurrency
    if args.concurrency == 1:
        results = [send(args.url, args.secret, args.text, share[0], args.expect, args.response_url)]
    else:
        with multiprocessing.get_context("fork").Pool(args.concurrency) as pool:
            results = pool.starmap(
                send, [(args.url, args.secret, args.text, n, args.expect, args.response_url) for n in share]
            )
    latencies = [ms for result in results for ms in result[0]]
    failures = [failure for result in results for failure in result[1]]
    wall = max(r[3] for r in results) - min(r[2] for r in results)
    print(
        json.dumps({"latencies": latencies, "failures": failures[:5], "failed": len(failures), "wall": wall})
    )


if __name__ == "__main__":
    main()
