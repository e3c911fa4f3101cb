"""The load test's harness: `xinfang` processes over the instance under test, started, stopped
and watched from outside, as an operator would run them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from projections.bootstrap import Services, bootstrap
from projections.settings import Settings

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment of `xinfang` processes over the instance under test."""
    return {
        **os.environ,
        "XINFANG_HOME": str(settings.home),
        "PERSISTENCE_MODULE": settings.persistence_module,
        **settings.extra_env,
        "PYTHONPATH": str(REPO),
    }


def run_cli(
    env: dict[str, str], *args: str, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run `xinfang ARGS` to the end."""
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def cli_ok(env: dict[str, str], *args: str) -> str:
    """Run `xinfang ARGS`, insist on success, return stdout."""
    done = run_cli(env, *args)
    assert done.returncode == 0, f"xinfang {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def spawn(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """Start `xinfang ARGS` in a session of its own, output appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", *args],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def children(pid: int) -> list[int]:
    """The child processes of `pid` (gunicorn's workers, for its master)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(set(found))


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    """Poll `predicate` until it holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def first_traceback(name: str, text: str) -> str:
    """The first logged traceback of a process's log, for the failure message."""
    start = text.index("Traceback")
    lines = text[max(0, text.rfind("\n", 0, start - 1)) :].splitlines()
    return f"{name}:\n" + "\n".join(lines[:60])


@contextmanager
def quiet(settings: Settings) -> Iterator[Services]:
    """Services over the instance that keep no views themselves (the checker's)."""
    services = bootstrap(settings, inline_projections=False)
    try:
        yield services
    finally:
        services.close()


@dataclass
class Instance:
    """The running processes over one instance."""

    env: dict[str, str]
    logs: Path
    server: subprocess.Popen[bytes]
    port: int
    admin: str
    projector: subprocess.Popen[bytes] | None = None

    def start_projector(self) -> None:
        """`xinfang project --follow` as a separate process."""
        self.projector = spawn(
            self.env, self.logs / "project.log", "project", "--follow", "--interval", "0.2"
        )

    def workers(self) -> list[int]:
        """gunicorn's worker processes."""
        return children(self.server.pid)
