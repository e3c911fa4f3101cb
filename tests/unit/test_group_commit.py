"""Group commit (domain/group_commit.py): saves queued while a group is written go together in
the next group; a conflict in a group writes each save again on its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from eventsourcing.persistence import IntegrityError

from domain.group_commit import GroupCommit, KeyedLocks, _Ticket


class Store:
    """Writes items; `gate` holds the first write until released; names in `conflicts` fail."""

    def __init__(self, conflicts: frozenset[str] = frozenset()) -> None:
        self.written: list[list[str]] = []
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.conflicts = conflicts

    def many(self, items: Sequence[str]) -> list[str]:
        self.entered.set()
        self.gate.wait(5)
        if self.conflicts & set(items):
            raise IntegrityError("conflict")
        self.written.append(list(items))
        return [f"ok:{i}" for i in items]

    def one(self, item: str) -> str:
        self.entered.set()
        self.gate.wait(5)
        if item in self.conflicts:
            raise IntegrityError(item)
        self.written.append([item])
        return f"ok:{item}"


def until_queued(group: GroupCommit[str, str], count: int) -> None:
    """Wait (up to 5 s) until `count` saves are queued behind the one being written."""
    deadline = time.monotonic() + 5
    while len(group._queue) < count and time.monotonic() < deadline:
        time.sleep(0.001)


def run_while_first_is_written(store: Store, names: list[str]) -> dict[str, object]:
    group = GroupCommit(store.many, store.one)
    answers: dict[str, object] = {}

    def save(name: str) -> None:
        try:
            answers[name] = group.submit(name)
        except IntegrityError as err:
            answers[name] = err

    first = threading.Thread(target=save, args=(names[0],))
    first.start()
    assert store.entered.wait(5)
    others = [threading.Thread(target=save, args=(n,)) for n in names[1:]]
    for thread in others:
        thread.start()
    until_queued(group, len(others))
    store.gate.set()
    for thread in [first, *others]:
        thread.join(5)
    return answers


def test_saves_queued_during_a_write_share_the_next_transaction() -> None:
    store = Store()
    answers = run_while_first_is_written(store, ["a", "b", "c", "d"])
    assert store.written[0] == ["a"]
    assert sorted(store.written[1]) == ["b", "c", "d"]  # one transaction for the three
    assert len(store.written) == 2
    assert answers == {n: f"ok:{n}" for n in "abcd"}


def test_saves_queued_while_the_leader_waits_for_another_process_join_its_group() -> None:
    """The leader takes its group once it holds the writers' queue (another process writing
    meanwhile): what was queued in the wait is written with it, in one transaction."""
    store = Store()
    store.gate.set()
    group = GroupCommit(store.many, store.one)
    other_process = threading.Lock()
    waiting = threading.Event()

    @contextmanager
    def exclusive() -> Iterator[None]:
        waiting.set()
        with other_process:
            yield

    group.exclusive = exclusive
    answers: dict[str, object] = {}

    def save(name: str) -> None:
        answers[name] = group.submit(name)

    other_process.acquire()  # another process is writing
    threads = [threading.Thread(target=save, args=(n,)) for n in "abc"]
    threads[0].start()
    assert waiting.wait(5)
    for thread in threads[1:]:
        thread.start()
    until_queued(group, 3)
    assert not store.written  # nothing written while the other process holds the queue
    other_process.release()
    for thread in threads:
        thread.join(5)
    assert [sorted(w) for w in store.written] == [["a", "b", "c"]]  # one transaction
    assert answers == {n: f"ok:{n}" for n in "abc"}
    assert (group.groups, group.items) == (1, 3)


def test_a_conflict_in_a_group_fails_only_its_own_save() -> None:
    store = Store(conflicts=frozenset({"c"}))
    answers = run_while_first_is_written(store, ["a", "b", "c", "d"])
    assert isinstance(answers["c"], IntegrityError)
    assert {n: answers[n] for n in "abd"} == {n: f"ok:{n}" for n in "abd"}
    assert sorted(map(tuple, store.written)) == [("a",), ("b",), ("d",)]


def test_an_error_of_the_store_reaches_every_save_of_the_group() -> None:
    def broken(items: Sequence[str]) -> list[str]:
        raise OSError("disk gone")

    group: GroupCommit[str, str] = GroupCommit(broken, lambda item: item)
    assert group.submit("alone") == "alone"  # a group of one is written on its own
    tickets = [_Ticket[str, str]("x"), _Ticket[str, str]("y")]
    group._write(tickets)
    assert all(t.done and isinstance(t.error, OSError) for t in tickets)


def test_keyed_locks_give_one_key_one_holder_at_a_time_and_forget_it_after() -> None:
    locks = KeyedLocks()
    inside: dict[str, int] = {"a": 0, "b": 0}
    most: dict[str, int] = {"a": 0, "b": 0}
    both = threading.Barrier(2, timeout=5)
    guard = threading.Lock()

    def hold(key: str, meet: bool) -> None:
        with locks.hold(key):
            with guard:
                inside[key] += 1
                most[key] = max(most[key], inside[key])
            if meet:
                both.wait()  # a holder of "b" meets one of "a": different keys overlap
            time.sleep(0.01)
            with guard:
                inside[key] -= 1

    threads = [threading.Thread(target=hold, args=("a", i == 0)) for i in range(8)]
    threads.append(threading.Thread(target=hold, args=("b", True)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)

    assert most == {"a": 1, "b": 1}
    with locks.hold("a"), locks.hold("a"):  # re-entrant in one thread
        pass
    assert len(locks) == 0
