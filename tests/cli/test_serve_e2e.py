"""End to end: `xinfang init` and `xinfang serve` as processes, then a first case over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from projections.settings import Settings
from scripts.bench.served import free_port
from scripts.cli import host_port

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


def now() -> str:
    """The present moment as the API expects it."""
    return datetime.now(UTC).isoformat()


def at_sending(body: dict[str, Any]) -> dict[str, Any]:
    """A command's body with its business times (given as `now`) taken when it is sent, so each
    lies after the step before it."""
    return {key: value() if callable(value) else value for key, value in body.items()}


@dataclass
class Office:
    """A running server and the people of a county office, signed in by token."""

    base: str
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    """The environment the server was started with (its instance)."""
    port: int = 0

    def call(
        self, method: str, path: str, who: str | None, body: Any = None, *, expect: int = 200
    ) -> Any:
        """Send one request; insist on the status; return the decoded JSON body."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if who is not None:
            request.add_header("Authorization", f"Bearer {self.tokens[who]}")
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as err:
            with err:
                status, raw = err.code, err.read()
        decoded = json.loads(raw) if raw else None
        assert status == expect, f"{method} {path} → {status}: {decoded}"
        return decoded

    def command(self, case_id: str, name: str, who: str, **body: Any) -> dict[str, Any]:
        """POST a case command and return the new case view."""
        view: dict[str, Any] = self.call("POST", f"/cases/{case_id}/{name}", who, body)
        return view


def run_cli(env: dict[str, str], *args: str) -> str:
    """Run `xinfang ARGS` as its own process; returns stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "scripts.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def instance_env(settings: Settings) -> dict[str, str]:
    """The environment of `xinfang` commands on the test's instance."""
    return {
        **os.environ,
        "XINFANG_HOME": str(settings.home),
        "PERSISTENCE_MODULE": settings.persistence_module,
        **settings.extra_env,
        "PYTHONPATH": str(REPO),
    }


@contextmanager
def serving(
    env: dict[str, str], log_path: Path, *options: str, host: str = "127.0.0.1"
) -> Iterator[Office]:
    """`xinfang serve OPTIONS` (2 workers) on `host` and a free port, up and healthy, until the
    block ends."""
    port = free_port()
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", "serve", "--host", host, "--port", str(port),
             "--workers", "2", *options],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        office = Office(base=f"http://{host_port(host, port)}/api/v1", env=env, port=port)
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert server.poll() is None, f"xinfang serve exited:\n{log_path.read_text()}"
            try:
                health = office.call("GET", "/health", None)
                break
            except (OSError, AssertionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert health["status"] == "ok"
        yield office
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture
def office(settings: Settings, tmp_path: Path) -> Iterator[Office]:
    """`xinfang init`, then `xinfang serve` on a free port until the test ends."""
    env = instance_env(settings)
    admin_token = run_cli(env, "init").strip().splitlines()[-1]
    with serving(env, tmp_path / "serve.log") as office:
        office.tokens["admin"] = admin_token
        backend = "postgres" if settings.is_postgres else "sqlite"
        assert office.call("GET", "/health", None) == {"status": "ok", "backend": backend}
        yield office


@pytest.fixture
def county(office: Office) -> Office:
    """The administrator sets up units and people over the API, as a new office would."""
    for key, name, kind in (
        ("bureau", "县信访局", "信访部门"),
        ("housing", "县住建局", "县直部门"),
    ):
        unit = office.call("POST", "/units", "admin", {"name": name, "kind": kind}, expect=201)
        assert unit["name"] == name
        office.ids[key] = unit["id"]
    for key, name, role, unit_key in (
        ("clerk", "刘晓燕", "clerk", "bureau"),
        ("dispatcher", "王建军", "dispatcher", "bureau"),
        ("head", "赵志刚", "unit_head", "housing"),
        ("handler", "钱文博", "handler", "housing"),
        ("leader", "陈国栋", "leader", None),
        ("supervisor", "卫东", "supervisor", None),
    ):
        body = {"name": name, "role": role, "unit_id": office.ids[unit_key] if unit_key else None}
        user = office.call("POST", "/users", "admin", body, expect=201)
        office.tokens[key] = user["token"]
        office.ids[key] = user["id"]
        me = office.call("GET", "/me", key)
        assert me == {"id": user["id"], "name": name, "role": role, "unit_id": body["unit_id"]}
    return office


def register(office: Office, subject: str) -> dict[str, Any]:
    """The clerk registers a petition."""
    body = {
        "channel": "visit",
        "category": "claim",
        "subject": subject,
        "content": f"信访人反映{subject}问题，请求依法处理。",
        "petitioners": [
            {"name": "张建国", "id_number": "411422196805120318", "phone": "13812345678"}
        ],
        "location": "城关镇幸福村",
    }
    case: dict[str, Any] = office.call("POST", "/cases", "clerk", body, expect=201)
    assert case["status"] == "registered"
    assert case["number"].startswith("XF-")
    return case


def history_of(office: Office, case_id: str) -> list[dict[str, Any]]:
    """The case's audit trail, as the supervisor reads it."""
    trail = office.call("GET", f"/cases/{case_id}/history", "supervisor")
    assert trail["case_id"] == case_id
    events: list[dict[str, Any]] = trail["events"]
    return events


def check_trail(office: Office, events: list[dict[str, Any]], steps: list[tuple[str, str]]) -> None:
    """Every step is one entry, in order, with who (as they were), both times and version."""
    assert [(e["type"], e["actor"]["id"]) for e in events] == [
        (kind, office.ids[who]) for kind, who in steps
    ]
    for version, (event, (_, who)) in enumerate(zip(events, steps, strict=True), start=1):
        me = office.call("GET", "/me", who)
        assert event["version"] == version
        assert event["actor"] == me
        assert datetime.fromisoformat(event["recorded_at"]).tzinfo is not None
        assert datetime.fromisoformat(event["occurred_at"]).tzinfo is not None
    recorded = [datetime.fromisoformat(e["recorded_at"]) for e in events]
    assert recorded == sorted(recorded)


def test_a_case_goes_from_registration_to_closing_over_http(county: Office) -> None:
    office = county
    case = register(office, "拖欠农民工工资")
    cid = case["id"]

    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("forward", "dispatcher", {"unit_id": office.ids["housing"], "reason": "属住建部门职责"}),
        (
            "accept",
            "head",
            {"handler_id": office.ids["handler"], "leader_id": office.ids["leader"]},
        ),
        ("start-work", "handler", {}),
        (
            "visits",
            "leader",
            {
                "kind": "reception",
                "leader_id": office.ids["leader"],
                "held_at": now,
                "notes": "包案领导接访信访人",
            },
        ),
        (
            "extend",
            "head",
            {"days": 15, "reason": "案情复杂，需进一步调查", "approved_by": "林海峰"},
        ),
        (
            "respond",
            "handler",
            {"outcome": "supported", "text": "已督促支付。", "delivered_at": now},
        ),
        ("follow-up", "clerk", {"satisfaction": "satisfied", "note": "电话回访"}),
        ("close", "dispatcher", {"resolution": "resolved"}),
    ]
    statuses = []
    for name, who, body in steps:
        view = office.command(cid, name, who, **at_sending(body))
        statuses.append(view["status"])

    assert statuses == [
        "forwarded",
        "accepted",
        "in_progress",
        "in_progress",
        "extended",
        "responded",
        "responded",
        "closed",
    ]
    assert view["resolution"] == "resolved"
    assert view["satisfaction"] == "satisfied"
    assert view["visit_count"] == 1
    events = history_of(office, cid)
    check_trail(
        office,
        events,
        [
            ("Registered", "clerk"),
            ("Forwarded", "dispatcher"),
            ("Accepted", "head"),
            ("WorkStarted", "handler"),
            ("VisitRecorded", "leader"),
            ("Extended", "head"),
            ("Responded", "handler"),
            ("FollowedUp", "clerk"),
            ("Closed", "dispatcher"),
        ],
    )
    reasons = {e["type"]: e["reason"] for e in events}
    assert reasons["Forwarded"] == "属住建部门职责"
    assert reasons["Extended"] == "案情复杂，需进一步调查"
    assert events[5]["data"]["days"] == 15
    assert events[5]["data"]["approved_by"] == "林海峰"

    # The case as it stood when it had just been accepted, and before it existed.
    accepted_at = urllib.parse.quote(events[2]["recorded_at"])
    then = office.call("GET", f"/cases/{cid}?as_of={accepted_at}", "supervisor")
    assert (then["status"], then["version"]) == ("accepted", 3)
    assert then["handler_id"] == office.ids["handler"]
    before = urllib.parse.quote("2000-01-01T00:00:00+00:00")
    office.call("GET", f"/cases/{cid}?as_of={before}", "supervisor", expect=404)
    assert office.call("GET", f"/cases/{cid}", "supervisor")["status"] == "closed"


def test_a_case_goes_through_review_and_recheck_to_termination_over_http(
    county: Office,
) -> None:
    office = county
    cid = register(office, "物业纠纷")["id"]

    steps: list[tuple[str, str, dict[str, Any], str]] = [
        ("forward", "dispatcher", {"unit_id": office.ids["housing"]}, "forwarded"),
        ("accept", "head", {"handler_id": office.ids["handler"]}, "accepted"),
        ("start-work", "handler", {}, "in_progress"),
        (
            "respond",
            "handler",
            {"outcome": "not_supported", "text": "诉求缺乏依据。", "delivered_at": now},
            "responded",
        ),
        ("request-review", "clerk", {"reason": "信访人不服处理意见"}, "under_review"),
        (
            "decide-review",
            "supervisor",
            {"decision": "upheld", "text": "维持", "delivered_at": now},
            "reviewed",
        ),
        ("request-recheck", "clerk", {}, "under_recheck"),
        ("hearing", "supervisor", {"action": "start"}, "under_recheck"),
        ("hearing", "supervisor", {"action": "end"}, "under_recheck"),
        (
            "decide-recheck",
            "supervisor",
            {"decision": "upheld", "text": "复核终结", "delivered_at": now},
            "terminated",
        ),
    ]
    for name, who, body, status in steps:
        assert office.command(cid, name, who, **at_sending(body))["status"] == status, name

    refused = office.call(
        "POST", f"/cases/{cid}/close", "dispatcher", {"resolution": "resolved"}, expect=409
    )
    assert refused["message"] == "事项当前状态为“复核终结”，不能办理“办结”"
    events = history_of(office, cid)
    check_trail(
        office,
        events,
        [
            ("Registered", "clerk"),
            ("Forwarded", "dispatcher"),
            ("Accepted", "head"),
            ("WorkStarted", "handler"),
            ("Responded", "handler"),
            ("ReviewRequested", "clerk"),
            ("ReviewDecided", "supervisor"),
            ("RecheckRequested", "clerk"),
            ("HearingHeld", "supervisor"),
            ("HearingHeld", "supervisor"),
            ("RecheckDecided", "supervisor"),
        ],
    )
    assert events[5]["reason"] == "信访人不服处理意见"
    assert [e["data"].get("action") for e in events[8:10]] == ["start", "end"]
    reviewed_at = urllib.parse.quote(events[6]["recorded_at"])
    then = office.call("GET", f"/cases/{cid}?as_of={reviewed_at}", "supervisor")
    assert (then["status"], then["version"], then["review_decision"]) == ("reviewed", 7, "upheld")


def test_the_served_root_is_the_sign_in_page_and_a_token_signs_in(county: Office) -> None:
    """`xinfang serve` (what `make run` starts) serves the web pages: `/` shows the sign-in form
    to a visitor, and a token printed by the CLI signs in through it (issue 13)."""
    root = county.base.removesuffix("/api/v1")
    jar = urllib.request.HTTPCookieProcessor()
    browser = urllib.request.build_opener(jar)
    with browser.open(f"{root}/", timeout=20) as response:
        assert response.url.startswith(f"{root}/login")
        page = response.read().decode()
    assert 'name="token"' in page
    assert "<h1>登录</h1>" in page
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = urllib.parse.urlencode({"token": county.tokens["clerk"], "csrf_token": csrf}).encode()
    with browser.open(f"{root}/login", data=form, timeout=20) as response:
        assert response.url == f"{root}/"
        assert "登记员工作台" in response.read().decode()


def listening_sockets(port: int) -> int:
    """How many IPv4 sockets listen on 127.0.0.1:`port` (/proc/net/tcp, state 0A)."""
    local = f"0100007F:{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1] == local and row.split()[3] == "0A")


def serve_again(office: Office, *options: str) -> subprocess.CompletedProcess[str]:
    """A second `xinfang serve` on the port `office` is served on."""
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", "serve", "--port", str(office.port), *options],
        env=office.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


REFUSED = "上监听：该端口已有服务在监听"


def test_the_workers_share_one_socket_and_a_second_server_on_the_port_is_refused(
    office: Office,
) -> None:
    """By default the workers share the one socket the master listens on (a stuck or dying
    worker leaves new connections to the others); a second `serve` on that port, with or
    without `--reuse-port`, stops at once with the reason (in Chinese, not gunicorn's retries)."""
    assert listening_sockets(office.port) == 1
    for options in ((), ("--reuse-port",)):
        second = serve_again(office, *options)
        assert second.returncode == 1
        assert f"无法在 127.0.0.1:{office.port} {REFUSED}" in second.stderr
    assert office.call("GET", "/health", None)["status"] == "ok"


def test_with_reuse_port_each_worker_listens_on_the_port_and_a_second_server_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    """With `--reuse-port` each of the two workers listens on the port itself (the kernel
    spreads the connections over them, instead of whichever worker woke first taking a burst
    of them); a second `serve --reuse-port` there is refused, instead of silently sharing the
    first one's connections."""
    env = instance_env(settings)
    run_cli(env, "init")
    with serving(env, tmp_path / "serve.log", "--reuse-port") as office:
        assert listening_sockets(office.port) == 2
        second = serve_again(office, "--reuse-port")
        assert second.returncode == 1
        assert f"无法在 127.0.0.1:{office.port} {REFUSED}" in second.stderr
        assert listening_sockets(office.port) == 2
        assert office.call("GET", "/health", None)["status"] == "ok"


def test_an_ipv6_address_is_served_in_brackets(settings: Settings, tmp_path: Path) -> None:
    """`--host ::1` (or `[::1]`) is bound as IPv6 and printed as a URL with brackets."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("this machine has no IPv6 loopback address (::1)")
    env = instance_env(settings)
    run_cli(env, "init")
    log_path = tmp_path / "serve6.log"
    with serving(env, log_path, host="::1") as office:
        assert office.base == f"http://[::1]:{office.port}/api/v1"
        assert f"接口 {office.base}" in log_path.read_text()
        # A second server there is refused, the address named as a URL names it.
        second = serve_again(office, "--host", "::1")
        assert second.returncode == 1
        assert f"无法在 [::1]:{office.port} {REFUSED}" in second.stderr
