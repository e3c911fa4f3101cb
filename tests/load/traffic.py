"""The load: 32 clients with a seeded mix of commands and reads, each over a keep-alive
connection that sends a request again, with the same Idempotency-Key, when the connection dies."""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.load.processes import HOST, cli_ok

CLIENTS = 32
RUN_SECONDS = float(os.environ.get("XINFANG_LOAD_SECONDS", "60"))
IN_PROGRESS_CASES = 96
RESPONDED_CASES = 32
REQUEST_TIMEOUT = 60.0
RETRY_WINDOW = 60.0
"""How long after the end of a run a client keeps retrying a request that got no answer."""
MARK = "LT"
"""Every command's `reason` is a marker `LT<run>-<kind>-<client>-<seq>`, unique per command."""

READS = ("get_case", "history", "ledger")
MIX = {
    "progress": 20,
    "follow_up": 8,
    "flag": 8,
    "visit": 8,
    "register": 4,
    "get_case": 20,
    "history": 16,
    "ledger": 16,
}
"""Relative weights: about half commands, half reads."""
FLAGS = ("key_case", "backlog", "collective", "skip_level", "urgent", "sensitive")


# -- HTTP ------------------------------------------------------------------------------------
def now_iso() -> str:
    """The present moment as the API expects it."""
    return datetime.now(UTC).isoformat()


@dataclass
class Sample:
    """One attempt: what, its status (None: the connection failed), how long it took."""

    kind: str
    status: int | None
    seconds: float


@dataclass
class Command:
    """One command as the client saw it in the end."""

    marker: str
    kind: str
    status: int | None
    attempts: int


class Connection:
    """A keep-alive HTTP/1.1 connection that sends a request again when the connection dies."""

    def __init__(self, port: int, samples: list[Sample]) -> None:
        self.port = port
        self.samples = samples
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)

    def send(
        self,
        kind: str,
        method: str,
        path: str,
        token: str,
        body: Any = None,
        *,
        key: str | None = None,
        give_up_at: float | None = None,
    ) -> tuple[int | None, Any, int]:
        """(status, decoded body, attempts); status None if no answer came before `give_up_at`."""
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        attempts = 0
        while True:
            attempts += 1
            started = time.perf_counter()
            try:
                self.conn.request(method, f"/api/v1{path}", body=data, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
            except (OSError, http.client.HTTPException):
                # No answer is not an answer: the same request (same key) goes again.
                self.conn.close()
                self.samples.append(Sample(kind, None, time.perf_counter() - started))
                if give_up_at is not None and time.monotonic() > give_up_at:
                    return None, None, attempts
                time.sleep(min(0.05 * attempts, 1.0))
                continue
            self.samples.append(Sample(kind, response.status, time.perf_counter() - started))
            if response.will_close:
                self.conn.close()
            try:
                decoded = json.loads(raw) if raw else None
            except ValueError:
                decoded = raw.decode(errors="replace")
            return response.status, decoded, attempts

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


@dataclass
class County:
    """The office under load: tokens, ids and the pool of cases."""

    port: int
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    in_progress: list[str] = field(default_factory=list)
    responded: list[str] = field(default_factory=list)
    flags: dict[tuple[str, str], bool | None] = field(default_factory=dict)
    """Which flag is on which case (each client flags only its own share of the pool)."""

    @property
    def pool(self) -> list[str]:
        """Every case of the pool."""
        return self.in_progress + self.responded


def setup_county(env: dict[str, str], admin_token: str, port: int) -> County:
    """Units and users through the CLI, a pool of cases through the API."""
    county = County(port=port, tokens={"admin": admin_token})
    for key, name, kind in (
        ("bureau", "县信访局", "信访部门"),
        ("housing", "县住建局", "县直部门"),
    ):
        out = cli_ok(env, "units", "add", name, "--kind", kind)
        county.ids[key] = out.strip().splitlines()[-1]
    for key, name, role, unit in (
        ("clerk", "刘晓燕", "clerk", "bureau"),
        ("dispatcher", "王建军", "dispatcher", "bureau"),
        ("head", "赵志刚", "unit_head", "housing"),
        ("handler", "钱文博", "handler", "housing"),
        ("leader", "陈国栋", "leader", None),
        ("supervisor", "卫东", "supervisor", None),
        ("auditor", "蒋纪检", "auditor", None),
    ):
        args = ["users", "add", name, "--role", role]
        if unit is not None:
            args += ["--unit", county.ids[unit]]
        lines = cli_ok(env, *args).strip().splitlines()
        found = re.search(r"id ([0-9a-f-]{36})）", lines[-2])
        assert found is not None, lines
        county.ids[key], county.tokens[key] = found[1], lines[-1]

    def build(index: int) -> tuple[str, bool]:
        samples: list[Sample] = []
        conn = Connection(port, samples)
        respond = index >= IN_PROGRESS_CASES
        status, case, _ = conn.send(
            "setup", "POST", "/cases", county.tokens["clerk"], registration(f"SETUP-{index:03d}")
        )
        assert status == 201, case
        case_id = case["id"]
        steps: list[tuple[str, str, dict[str, Any]]] = [
            ("forward", "dispatcher", {"unit_id": county.ids["housing"]}),
            (
                "accept",
                "head",
                {"handler_id": county.ids["handler"], "leader_id": county.ids["leader"]},
            ),
            ("start-work", "handler", {}),
        ]
        if respond:
            steps.append(
                (
                    "respond",
                    "handler",
                    {"outcome": "supported", "text": "已协调解决。", "delivered_at": now_iso()},
                )
            )
        for path, who, planned in steps:
            # Business times taken as each command is sent: after the step it follows.
            body = {k: now_iso() if k == "delivered_at" else v for k, v in planned.items()}
            status, view, _ = conn.send(
                "setup", "POST", f"/cases/{case_id}/{path}", county.tokens[who], body
            )
            assert status == 200, (path, view)
        conn.close()
        return case_id, respond

    with ThreadPoolExecutor(max_workers=8) as pool:
        for case_id, respond in pool.map(build, range(IN_PROGRESS_CASES + RESPONDED_CASES)):
            (county.responded if respond else county.in_progress).append(case_id)
    return county


def registration(subject: str, reason: str | None = None) -> dict[str, Any]:
    """The body of POST /cases."""
    digits = f"{abs(hash(subject)) % 10**8:08d}"
    return {
        "channel": "visit",
        "category": "claim",
        "subject": subject,
        "content": f"信访人反映{subject}问题，请求依法处理。",
        "petitioners": [
            {"name": "张建国", "id_number": "411422196805120318", "phone": f"138{digits}"}
        ],
        "location": "城关镇幸福村",
        "reason": reason,
    }


# -- the clients -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Read:
    """One read of a case (GET case as the supervisor, history as the auditor: both see the
    petitioner, so each answered read must have its access record in the log)."""

    kind: str
    case_id: str
    status: int | None
    attempts: int


READ_ACTION = {"get_case": ("read_case", "supervisor"), "history": ("read_history", "auditor")}
"""The access record each read leaves: its action and the role of the reader."""

CHECK_OWN_WRITE = 0.3
"""Share of acknowledged commands followed by a GET of the case (read-your-writes)."""


@dataclass
class Record:
    """Everything one run's clients saw."""

    run: int
    samples: list[Sample] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    reads: list[Read] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    """Markers of commands whose case a GET right after the answer showed at an older version."""
    seconds: float = 0.0
    timeline: list[str] = field(default_factory=list)

    def acknowledged(self) -> dict[str, str]:
        """Marker → kind of every command answered with 2xx."""
        return {c.marker: c.kind for c in self.commands if c.status is not None and c.status < 300}


class Client(threading.Thread):
    """One of the 32 users of a run: a keep-alive connection, a seeded mix of requests."""

    def __init__(self, index: int, run: int, county: County, stop_at: float) -> None:
        super().__init__(name=f"client-{index}", daemon=True)
        self.index = index
        self.run_number = run
        self.county = county
        self.stop_at = stop_at
        self.rng = random.Random(run * 1000 + index)
        self.samples: list[Sample] = []
        self.commands: list[Command] = []
        self.reads: list[Read] = []
        self.stale: list[str] = []
        self.flag_cases = county.pool[index::CLIENTS]
        self.seq = 0
        self.failure: BaseException | None = None

    def marker(self, kind: str) -> str:
        self.seq += 1
        return f"{MARK}{self.run_number}-{kind}-{self.index:02d}-{self.seq:06d}"

    def run(self) -> None:
        conn = Connection(self.county.port, self.samples)
        kinds, weights = list(MIX), list(MIX.values())
        try:
            while time.monotonic() < self.stop_at:
                self.one(conn, self.rng.choices(kinds, weights)[0])
        except BaseException as error:  # reported by the test
            self.failure = error
        finally:
            conn.close()

    def one(self, conn: Connection, kind: str) -> None:
        county, rng = self.county, self.rng
        tokens, ids = county.tokens, county.ids
        if kind in READS:
            case_id = rng.choice(county.pool)
            who, path = {
                "get_case": ("supervisor", f"/cases/{case_id}"),
                "history": ("auditor", f"/cases/{case_id}/history"),
                "ledger": (
                    "supervisor",
                    f"/ledger?status=in_progress&page_size=20&page={rng.randint(1, 4)}",
                ),
            }[kind]
            status, _, attempts = conn.send(
                kind, "GET", path, tokens[who], give_up_at=self.stop_at + RETRY_WINDOW
            )
            if kind in READ_ACTION:
                self.reads.append(Read(kind, case_id, status, attempts))
            return
        marker = self.marker(kind)
        flag_key: tuple[str, str] | None = None
        if kind == "register":
            who, path, body = "clerk", "/cases", registration(f"负载测试 {marker}", marker)
        elif kind == "progress":
            case_id = rng.choice(county.in_progress)
            who, path = "handler", f"/cases/{case_id}/progress"
            body = {"note": f"调查进展 {marker}", "reason": marker}
        elif kind == "follow_up":
            case_id = rng.choice(county.responded)
            who, path = "clerk", f"/cases/{case_id}/follow-up"
            satisfaction = rng.choice(["satisfied", "basically_satisfied", "unsatisfied"])
            body = {"satisfaction": satisfaction, "note": f"电话回访 {marker}", "reason": marker}
        elif kind == "flag":
            case_id = rng.choice(self.flag_cases)
            flag_key = (case_id, rng.choice(FLAGS))
            if county.flags.get(flag_key, False) is None:
                return  # an earlier outcome is unknown to this client: leave that flag alone
            on = not county.flags.get(flag_key, False)
            who, path = "supervisor", f"/cases/{case_id}/flags"
            body = {"flag": flag_key[1], "on": on, "reason": marker}
        else:
            case_id = rng.choice(county.pool)
            who, path = "leader", f"/cases/{case_id}/visits"
            body = {
                "kind": "reception",
                "leader_id": ids["leader"],
                "held_at": now_iso(),
                "notes": f"包案领导接访 {marker}",
                "reason": marker,
            }
        status, view, attempts = conn.send(
            kind,
            "POST",
            path,
            tokens[who],
            body,
            key=marker,
            give_up_at=self.stop_at + RETRY_WINDOW,
        )
        self.commands.append(Command(marker, kind, status, attempts))
        if status is not None and status < 300 and rng.random() < CHECK_OWN_WRITE:
            self.read_own_write(conn, marker, view)
        if flag_key is not None:
            ok = status is not None and status < 300
            county.flags[flag_key] = body["on"] if ok else None

    def read_own_write(self, conn: Connection, marker: str, view: dict[str, Any]) -> None:
        """GET the case just written (any worker may answer): it shows at least that version."""
        case_id = view["id"]
        status, shown, attempts = conn.send(
            "get_case",
            "GET",
            f"/cases/{case_id}",
            self.county.tokens["supervisor"],
            give_up_at=self.stop_at + RETRY_WINDOW,
        )
        self.reads.append(Read("get_case", case_id, status, attempts))
        if status == 200 and shown["version"] < view["version"]:
            self.stale.append(marker)


def run_clients(county: County, run: int, chaos: Any = None) -> Record:
    """32 clients for RUN_SECONDS (and `chaos` beside them); every response recorded."""
    record = Record(run=run)
    started = time.monotonic()
    stop_at = started + RUN_SECONDS
    clients = [Client(i, run, county, stop_at) for i in range(CLIENTS)]
    for client in clients:
        client.start()
    helper = None
    if chaos is not None:
        helper = threading.Thread(target=chaos, args=(record, started), daemon=True)
        helper.start()
    for client in clients:
        client.join(timeout=RUN_SECONDS + RETRY_WINDOW + REQUEST_TIMEOUT + 30)
        assert not client.is_alive(), f"{client.name} did not finish"
        assert client.failure is None, f"{client.name}: {client.failure!r}"
        record.samples += client.samples
        record.commands += client.commands
        record.reads += client.reads
        record.stale += client.stale
    record.seconds = time.monotonic() - started
    if helper is not None:
        helper.join(timeout=60)
        assert not helper.is_alive(), "the fault injection did not finish"
    return record
