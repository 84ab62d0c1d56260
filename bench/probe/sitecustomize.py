"""A memory report from inside each served worker (bench/questions_served.py --probe DIR [--trace]).

On PYTHONPATH only for the bench. With STATBOT_BENCH_PROBE set, every process of the server (gunicorn's
arbiter, and its workers, which inherit the handler through fork) writes DIR/worker-PID.txt when sent
SIGRTMIN+1 (a signal gunicorn leaves alone): /proc/self/status (VmRSS, VmHWM), glibc's mallinfo2 (bytes
in use and free in malloc's heaps, and in mmap'd blocks), the number of threads, the gc's object count
and the largest object types; with STATBOT_BENCH_TRACE=1, tracemalloc, started in each worker just after
the fork, adds the lines that allocated most of what is still held. Tracing costs memory of its own, so
runs that measure VmRSS leave it off.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
import threading
import tracemalloc
from collections import Counter
from pathlib import Path

FOLDER = os.environ.get("STATBOT_BENCH_PROBE")
TRACE = bool(os.environ.get("STATBOT_BENCH_TRACE"))


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                     "fordblks", "keepcost")
    ]  # fmt: skip


def _mallinfo() -> str:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _Mallinfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return "mallinfo2: not available"
    mb = 1024 * 1024
    return (
        f"malloc heaps (all arenas): {info.arena / mb:.1f} MB, in use {info.uordblks / mb:.1f} MB, "
        f"free {info.fordblks / mb:.1f} MB (top pad releasable {info.keepcost / mb:.1f}); "
        f"mmap'd blocks {info.hblks} = {info.hblkhd / mb:.1f} MB"
    )


def _status() -> str:
    fields = ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads")
    lines = Path("/proc/self/status").read_text().splitlines()
    return "\n".join(line for line in lines if line.split(":")[0] in fields)


def _smaps(least_kb: int = 1024) -> str:
    """Resident size of each mapping holding at least `least_kb` (anonymous ones are malloc's heaps, its
    mmap'd blocks, thread stacks, pymalloc's arenas)."""
    found, mapping = [], ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and not head[0].endswith(":"):
            start, end = (int(x, 16) for x in head[0].split("-"))
            mapping = f"{(end - start) // 1024:>8} kB {head[1]} {head[5] if len(head) > 5 else '[anon]'}"
        elif head and head[0] == "Rss:" and int(head[1]) >= least_kb:
            found.append((int(head[1]), mapping))
    found.sort(reverse=True)
    return "mappings by resident kB (size, perms, name):\n" + "\n".join(f"{rss:>8} {m}" for rss, m in found)


def _report(signum: int, frame: object) -> None:
    assert FOLDER
    parts = [_status(), _mallinfo(), f"threads (python): {threading.active_count()}", _smaps()]
    gc.collect()
    objects = gc.get_objects()
    kinds = Counter(type(o).__name__ for o in objects)
    parts.append(f"gc objects: {len(objects)}; most: {kinds.most_common(15)}")
    del objects
    modules = sorted(sys.modules)
    parts.append(f"modules: {len(modules)}")
    if tracemalloc.is_tracing():
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)]
        )
        current, peak = tracemalloc.get_traced_memory()
        parts.append(f"tracemalloc since the fork: now {current / 1e6:.1f} MB, peak {peak / 1e6:.1f} MB")
        stats = snapshot.statistics("filename")
        parts.append("by file:\n" + "\n".join(str(s) for s in stats[:25]))
        stats = snapshot.statistics("traceback")
        for stat in stats[:12]:
            parts.append(f"{stat.size / 1e6:.2f} MB in {stat.count} blocks:\n  " + "\n  ".join(stat.traceback.format()[-12:]))
    after_trim = ""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        after_trim = "after malloc_trim(0): " + _status().replace("\n", "; ") + "; " + _mallinfo()
    except (OSError, AttributeError):
        pass
    parts.append(after_trim)
    Path(FOLDER, f"worker-{os.getpid()}.txt").write_text("\n\n".join(parts) + "\n")


if FOLDER:
    signal.signal(signal.SIGRTMIN + 1, _report)
    if TRACE:
        os.register_at_fork(after_in_child=lambda: tracemalloc.start(int(os.environ.get("STATBOT_BENCH_FRAMES", "8"))))
