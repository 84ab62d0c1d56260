"""A web worker does not load what only spreadsheets, digests, articles and feeds need (issue 19: a worker with
the model and 100,000 vectors must stay under 200 MB). `statbot serve`'s workers are forked from a process that
imported `bot.cli` and build `bot.web`'s app, so both are imported here, in a fresh interpreter."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

from bot.config import Settings

HEAVY = ("pandas", "openpyxl", "trafilatura", "feedparser", "lxml", "PIL")


@pytest.mark.parametrize("entry", ["bot.web", "bot.cli"])
def test_importing_the_web_app_loads_none_of_the_heavy_modules(entry: str) -> None:
    script = (
        f"import json, sys; import {entry}; "
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_the_clock_process_loads_no_listener_module_and_not_bolt() -> None:
    """`statbot clock` is `bot.cli` running `bot.clock`: what it imports, in a fresh interpreter, holds no module
    of the Bolt app (those import slack_bolt) and not Bolt itself; `bot.web` does, as the check's other side."""
    script = (
        "import json, sys; import {}; "
        "print(json.dumps(sorted(name for name in sys.modules if name.split('.')[0] in ('bot', 'slack_bolt'))))"
    )

    def loaded(*entries: str) -> set[str]:
        out = subprocess.run(
            [sys.executable, "-c", script.format(", ".join(entries))], capture_output=True, text=True, check=True
        )
        return set(json.loads(out.stdout))

    clock = loaded("bot.cli", "bot.clock")
    assert "bot.clock" in clock and "slack_bolt" not in clock
    assert clock.isdisjoint({"bot.app", "bot.slash", "bot.console", "bot.oauth"}), sorted(clock)
    assert {"slack_bolt", "bot.app"} <= loaded("bot.web")


def test_building_the_app_loads_none_of_them_either(settings: Settings, home_id: int) -> None:
    """Building the app (listeners registered, the model found, Slack asked who it is) is what a worker does
    after the fork: against this test's database and the Web API stand-in."""
    script = (
        "import json, sys\n"
        "from bot.config import Settings\n"
        "from bot.web import create_wsgi\n"
        f"create_wsgi(Settings(database_url={settings.database_url!r}, bot_token={settings.bot_token!r}, "
        f"signing_secret={settings.signing_secret!r}, api_url={settings.api_url!r}))\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.splitlines()[-1]))
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


RETAINED = """
import sys, threading
from bot.webworker import fixed_malloc_threshold

def anon_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("RssAnon:"))

if sys.argv[1] == "fixed":
    assert fixed_malloc_threshold()

def request():  # what a request thread did in a search: large temporaries, one after another, freed
    for size in (24, 20, 20):
        block = b"x" * (size << 20)
        del block

before = anon_kb()
worker = threading.Thread(target=request)  # as a worker's request threads run
worker.start()
worker.join()
print(anon_kb() - before)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc setting")
def test_a_worker_thread_gives_back_its_large_temporaries() -> None:
    """With glibc's threshold fixed (each web worker sets it), blocks of 20 MB freed by a request thread are
    returned to the system; left to adapt, glibc serves them from the thread's heap after a larger block was
    freed, and keeps them there."""

    def retained_mb(mode: str) -> float:
        out = subprocess.run([sys.executable, "-c", RETAINED, mode], capture_output=True, text=True, check=True)
        return int(out.stdout.split()[-1]) / 1024

    assert retained_mb("fixed") < 8
    assert retained_mb("default") >= 15  # what the setting is for, on this glibc


BLAS = """
import ctypes, sys
import numpy
from bot.webworker import single_threaded_blas

library = next(line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line.rsplit("/", 1)[-1])
threads = ctypes.CDLL(library).scipy_openblas_get_num_threads64_
print(threads(), single_threaded_blas(), threads())
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="OpenBLAS runs one thread already")
def test_a_worker_runs_numpy_s_blas_on_one_thread() -> None:
    """Each web worker sets it (a thread per core made every vector search spin the cores: bench/RESULTS.md)."""
    env = os.environ | {"OPENBLAS_NUM_THREADS": "", "OMP_NUM_THREADS": ""}  # OpenBLAS's default: a thread per core
    out = subprocess.run([sys.executable, "-c", BLAS], capture_output=True, text=True, check=True, env=env)
    before, was_set, after = out.stdout.split()
    assert int(before) > 1 and was_set == "True" and after == "1"


FROZEN = """
import gc, json
from gunicorn.config import Config
from bot.webworker import worker_class

class Application:  # what gunicorn hands a worker: it builds the WSGI app when asked, after the fork
    def wsgi(self):
        import bot.app, bot.web  # what building statbot's app loads
        return lambda environ, start_response: []

worker = worker_class(10.0)(0, 0, [], Application(), 30, Config(), None)
walked_before = len(gc.get_objects())
worker.load_wsgi()
print(json.dumps([walked_before, gc.get_freeze_count(), len(gc.get_objects())]))
"""


def test_a_worker_moves_what_its_app_holds_out_of_the_collectors_reach() -> None:
    """Each full collection walked every object of the modules and the app: 110-150 ms in one request in about
    fifty, the p99 of /stats (bench/RESULTS.md). Once a worker has built its app they are frozen."""
    out = subprocess.run([sys.executable, "-c", FROZEN], capture_output=True, text=True, check=True)
    walked_before, frozen, walked_after = json.loads(out.stdout.splitlines()[-1])
    assert frozen > walked_before > 20_000
    assert walked_after < 1_000
