"""The `statbot` command run as a newcomer runs it: a subprocess of this venv's script, in a folder of its own.

Its fixtures (`template`, `initialised`) are a plugin of tests/conftest.py."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

STATBOT = str(Path(sys.executable).with_name("statbot"))


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/statbot.db"
    env.update(extra)
    return env


def run(args: list[str], tmp_path: Path, stdin: str = "", **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment(tmp_path, **extra),
        timeout=120,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `statbot init` per test process; tests that need an initialised database start from copies of it."""
    folder = tmp_path_factory.mktemp("template")
    made = run([STATBOT, "init"], folder)
    assert made.returncode == 0, made.stderr
    return folder / "statbot.db"


@pytest.fixture
def initialised(template: Path, tmp_path: Path) -> Path:
    """tmp_path holding a copy of an initialised statbot.db, where `environment` points DATABASE_URL."""
    for source in template.parent.glob("statbot.db*"):
        shutil.copy(source, tmp_path / source.name)
    return tmp_path


def wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path | None = None) -> dict[str, Any]:
    """Poll `{base}/healthz` until the served process answers 200 and return what it said; fail with its log if
    it exits first or has not answered within a minute."""
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"statbot exited with {process.returncode}:\n{log.read_text() if log else ''}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=30) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    health: dict[str, Any] = json.load(response)
                    return health
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"statbot did not come up within 60 s:\n{log.read_text() if log else ''}")
        time.sleep(0.2)
