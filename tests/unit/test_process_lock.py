"""The lock between an instance's processes (projections/locks.py): exclusive across processes,
re-entrant within a thread, its own descriptor in a forked child."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from projections.locks import AdvisoryLock, ProcessLock

HOLDER = """
import sys, time
from pathlib import Path
import pytest

from projections.locks import AdvisoryLock, ProcessLock
lock = ProcessLock(Path(sys.argv[1]))
with lock.held():
    Path(sys.argv[2]).write_text("held")
    time.sleep(float(sys.argv[3]))
"""


def _hold_in_another_process(path: Path, flag: Path, seconds: float) -> subprocess.Popen[bytes]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(flag), str(seconds)],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    deadline = time.monotonic() + 30
    while not flag.exists():
        assert holder.poll() is None, "the holder process ended before taking the lock"
        assert time.monotonic() < deadline, "the holder process never took the lock"
        time.sleep(0.01)
    return holder


def test_a_process_waits_while_another_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "writers.lock"
    holder = _hold_in_another_process(path, tmp_path / "flag", 0.5)
    started = time.monotonic()
    with ProcessLock(path).held():
        waited = time.monotonic() - started
    assert holder.wait(timeout=30) == 0
    # The holder kept it 0.5 s after saying so: taken only once the holder let it go.
    assert waited >= 0.3, f"taken after {waited:.3f} s, while the other process held it"


def test_a_thread_holding_the_lock_may_take_it_again(tmp_path: Path) -> None:
    lock = ProcessLock(tmp_path / "writers.lock")
    with lock.held(), lock.held():
        pass
    with lock.held():  # released by the outermost block: free again
        pass


def test_threads_of_one_process_take_it_in_turn(tmp_path: Path) -> None:
    lock = ProcessLock(tmp_path / "writers.lock")
    inside: list[int] = []
    overlaps: list[int] = []

    def work() -> None:
        for _ in range(50):
            with lock.held():
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(len(inside))
                time.sleep(0.0005)
                inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert overlaps == []


def test_a_forked_child_does_not_share_its_parents_lock(tmp_path: Path) -> None:
    path = tmp_path / "writers.lock"
    lock = ProcessLock(path)
    with lock.held():
        pass  # the parent has opened its descriptor
    read, write = os.pipe()
    with lock.held():
        child = os.fork()
        if child == 0:  # pragma: no cover - the child reports through the pipe
            os.close(read)
            import fcntl

            fd = lock._descriptor()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.write(write, b"taken")
            except BlockingIOError:
                os.write(write, b"blocked")
            os._exit(0)
        os.close(write)
        answer = os.read(read, 16)
        os.waitpid(child, 0)
    assert answer == b"blocked"


def test_without_a_reachable_postgresql_the_advisory_lock_lets_the_write_go_ahead(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The numbering log still refuses a number taken twice: a lock that cannot be had must not
    stop the office from writing, and says so in the log."""
    lock = AdvisoryLock(
        {"POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": "1", "POSTGRES_DBNAME": "x"}
    )
    ran = []
    with caplog.at_level(logging.WARNING), lock.held():
        ran.append(True)
    assert ran == [True]
    assert "writers' lock unavailable" in caplog.text
    lock.close()
