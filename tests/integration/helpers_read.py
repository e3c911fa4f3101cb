"""Drivers and snapshots for the read-side tests: scripted cases, view tables compared whole."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

from flask.testing import FlaskClient
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from domain.application import Context, Xinfang
from domain.cases import LOCAL_TZ, Case, local_date, make_stamp
from domain.commands import REASON_REQUIRED, RegisterCase, build
from domain.values import (
    Category,
    Channel,
    Decision,
    Disposition,
    Flag,
    HearingAction,
    NoticeKind,
    Outcome,
    Petitioner,
    Resolution,
    Satisfaction,
    Stamp,
    VisitKind,
)
from projections.bootstrap import Services
from tests.conftest import County

PERSON = Petitioner(
    name="张三", id_number="110101199001011234", phone="13812345678", address="城关镇幸福村1号"
)
"""A petitioner with every identity field filled in."""


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A moment of a county day (China Standard Time)."""
    return datetime.combine(day, time(hour, minute), LOCAL_TZ)


@dataclass
class Desk:
    """The county office at work: every command goes through the application's use cases."""

    app: Xinfang
    county: County
    now: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.now = self.app.clock()

    @property
    def today(self) -> date:
        """The county's date when the desk opened."""
        return local_date(self.now)

    def ago(self, days: int, seconds: int = 0) -> datetime:
        """`days` before the desk opened (plus a few seconds to keep steps of a day in order)."""
        return self.now - timedelta(days=days) + timedelta(seconds=seconds)

    def unit(self, key: str) -> UUID:
        """A unit of the test county."""
        return self.county.units[key]

    def person(self, key: str) -> UUID:
        """A user of the test county."""
        return self.county.actors[key].id

    def register(
        self,
        when: datetime | None = None,
        *,
        who: str = "clerk",
        subject: str = "拖欠农民工工资",
        content: str = "某建筑工地拖欠工资三个月，多次讨要无果。",
        category: Category = Category.CLAIM,
        channel: Channel = Channel.VISIT,
        petitioners: Sequence[Petitioner] = (PERSON,),
        accused: Sequence[str] = (),
        location: str | None = "城关镇",
        collective_size: int | None = None,
    ) -> UUID:
        """Register a case; returns its id."""
        registration = RegisterCase(
            channel=channel,
            category=category,
            subject=subject,
            content=content,
            petitioners=list(petitioners),
            location=location,
            accused_unit_ids=[self.unit(k) for k in accused],
            collective_size=collective_size,
        )
        outcome = self.app.execute(registration, Context(self.county.actors[who], occurred_at=when))
        return outcome.case.id

    def run(
        self,
        case_id: UUID,
        who: str,
        command: str,
        when: datetime | None = None,
        *,
        reason: str | None = None,
        **args: Any,
    ) -> Case:
        """Send one command as `who` (a reason is supplied where the command needs one)."""
        if reason is None and command in REASON_REQUIRED:
            reason = "按规定办理"
        ctx = Context(self.county.actors[who], occurred_at=when, reason=reason)
        return self.app.execute(build(command, case_id, **args), ctx).case


# -- a busy county: every kind of transition, views fed as the events arrive ---------------------
def busy_county(desk: Desk, count: int = 30) -> list[UUID]:
    """`count` cases through ten different lives (reassignment, extensions, review, merge...)."""
    ids: list[UUID] = []
    for i in range(count):
        base = 200 - 4 * i
        ids.append(LIVES[i % len(LIVES)](desk, base, ids))
    return ids


def _forwarded_and_working(desk: Desk, base: int, unit: str = "housing") -> UUID:
    case = desk.register(desk.ago(base))
    head, handler = ("head", "handler") if unit == "housing" else ("labour_head", "labour_handler")
    desk.run(case, "dispatcher", "forward", desk.ago(base - 1), unit_id=desk.unit(unit))
    desk.run(case, head, "accept", desk.ago(base - 2), handler_id=desk.person(handler))
    desk.run(case, handler, "start_work", desk.ago(base - 2, 1))
    return case


def _extended_and_closed(desk: Desk, base: int, ids: list[UUID]) -> UUID:
    case = _forwarded_and_working(desk, base)
    desk.run(case, "head", "extend", desk.ago(base - 50), days=10, approved_by="赵局长")
    desk.run(case, "head", "extend", desk.ago(base - 55), days=5, approved_by="赵局长")
    delivered = desk.ago(base - 70)
    desk.run(
        case,
        "handler",
        "respond",
        delivered,
        outcome=Outcome.SUPPORTED,
        text="已督促施工方结清工资。",
        delivered_at=delivered,
    )
    desk.run(
        case,
        "clerk",
        "record_follow_up",
        desk.ago(base - 72),
        satisfaction=Satisfaction.SATISFIED,
        note="电话回访",
    )
    desk.run(case, "dispatcher", "close", desk.ago(base - 72, 1), resolution=Resolution.SETTLED)
    return case


def _assigned_reviewed_rechecked(desk: Desk, base: int, ids: list[UUID]) -> UUID:
    case = desk.register(desk.ago(base))
    desk.run(
        case,
        "dispatcher",
        "assign",
        desk.ago(base - 1),
        unit_id=desk.unit("housing"),
        due_date=local_date(desk.ago(base - 21)),
    )
    desk.run(
        case,
        "clerk",
        "notify_petitioner",
        desk.ago(base - 1, 1),
        kind=NoticeKind.RECEIPT,
        method="短信",
        delivered_at=desk.ago(base - 1, 1),
    )
    desk.run(case, "head", "accept", desk.ago(base - 2), handler_id=desk.person("handler"))
    desk.run(case, "handler", "start_work", desk.ago(base - 3))
    desk.run(case, "handler", "submit_report", desk.ago(base - 25), text="办结报告")
    desk.run(case, "dispatcher", "return_report", desk.ago(base - 26))
    desk.run(case, "handler", "submit_report", desk.ago(base - 30), text="办结报告（补充）")
    desk.run(
        case,
        "dispatcher",
        "approve_report",
        desk.ago(base - 31),
        outcome=Outcome.SUPPORTED,
        delivered_at=desk.ago(base - 31),
    )
    desk.run(case, "clerk", "request_review", desk.ago(base - 35))
    desk.run(
        case,
        "supervisor",
        "decide_review",
        desk.ago(base - 40),
        decision=Decision.CHANGED,
        text="变更原处理意见",
        delivered_at=desk.ago(base - 40),
    )
    desk.run(case, "clerk", "request_recheck", desk.ago(base - 45))
    desk.run(case, "supervisor", "hearing", desk.ago(base - 46), action=HearingAction.START)
    desk.run(case, "supervisor", "hearing", desk.ago(base - 48), action=HearingAction.END)
    desk.run(
        case,
        "supervisor",
        "decide_recheck",
        desk.ago(base - 50),
        decision=Decision.UPHELD,
        text="维持复查意见",
        delivered_at=desk.ago(base - 50),
    )
    return case


def _reassigned_with_new_people(desk: Desk, base: int, ids: list[UUID]) -> UUID:
    case = _forwarded_and_working(desk, base, "labour")
    desk.run(case, "dispatcher", "reassign", desk.ago(base - 10), unit_id=desk.unit("housing"))
    desk.run(case, "head", "accept", desk.ago(base - 11), handler_id=desk.person("handler"))
    desk.run(
        case, "head", "change_handler", desk.ago(base - 20), handler_id=desk.person("handler2")
    )
    desk.run(
        case,
        "dispatcher",
        "change_leader",
        desk.ago(base - 20, 1),
        leader_id=desk.person("leader2"),
    )
    desk.run(case, "handler2", "start_work", desk.ago(base - 21))
    delivered = desk.ago(base - 30)
    desk.run(
        case,
        "handler2",
        "respond",
        delivered,
        outcome=Outcome.EXPLAINED,
        text="已解释说明。",
        delivered_at=delivered,
    )
    return case


def _diverted(desk: Desk, base: int, ids: list[UUID]) -> UUID:
    case = desk.register(desk.ago(base), channel=Channel.LETTER)
    desk.run(case, "dispatcher", "divert", desk.ago(base - 3), target="县人民法院")
    return case


def _not_accepted(desk: Desk, base: int, ids: list[UUID]) -> UUID:
    case = desk.register(desk.ago(base), category=Category.SUGGESTION, subject="建议增设公交线路")
    desk.run(case, "dispatcher", "not_accept", desk.ago(base - 20))
    return case


def _objected_and_moved(desk: Desk, base: int, ids: list[UUID]) -> UUID:
    case = desk.register(desk.ago(base))
    desk.run(case, "dispatcher", "forward", desk.ago(base - 1), unit_id=desk.unit("housing"))
    desk.run(case, "head", "object", desk.ago(base - 2))
    desk.run(case, "dispatcher", "decide_objection", desk.ago(base - 3), upheld=True)
    desk.run(case, "dispatcher", "forward", desk.ago(base - 4), unit_id=desk.unit("labour"))
    desk.run(case, "labour_head", "accept", desk.ago(base - 5))
    return case


def _accusation_under_supervision(desk: Desk, base: int, ids: list[UUID]) -> UUID:
    case = desk.register(
        desk.ago(base),
        category=Category.ACCUSATION,
        subject="反映镇干部违规发放补贴",
        content="检举城关镇某干部虚报冒领补贴。",
        accused=["township"],
    )
    desk.run(case, "dispatcher", "forward", desk.ago(base - 1), unit_id=desk.unit("housing"))
    desk.run(case, "supervisor", "set_flag", desk.ago(base - 1, 1), flag=Flag.KEY_CASE, on=True)
    desk.run(
        case,
        "supervisor",
        "issue_supervision_order",
        desk.ago(base - 2),
        due_date=local_date(desk.ago(base - 12)),
        text="请于十日内报送办理情况",
    )
    desk.run(case, "head", "accept", desk.ago(base - 3), handler_id=desk.person("handler"))
    desk.run(case, "handler", "answer_supervision_order", desk.ago(base - 15), n=1, text="已办理")
    desk.run(
        case,
        "supervisor",
        "set_flag",
        desk.ago(base - 16),
        flag=Flag.KEY_CASE,
        on=False,
        reason="已办结",
    )
    return case


def _sponsored_and_repeated(desk: Desk, base: int, ids: list[UUID]) -> UUID:
    case = desk.register(desk.ago(base), collective_size=6)
    desk.run(case, "dispatcher", "forward", desk.ago(base - 1), unit_id=desk.unit("housing"))
    desk.run(
        case,
        "head",
        "accept",
        desk.ago(base - 2),
        handler_id=desk.person("handler"),
        leader_id=desk.person("leader"),
    )
    desk.run(case, "handler", "start_work", desk.ago(base - 3))
    desk.run(
        case,
        "leader",
        "record_visit",
        desk.ago(base - 4),
        kind=VisitKind.HOME_VISIT,
        leader_id=desk.person("leader"),
        held_at=desk.ago(base - 4),
        notes="上门走访",
    )
    for step in (5, 6):
        desk.run(
            case,
            "clerk",
            "link_petition",
            desk.ago(base - step),
            channel=Channel.PHONE,
            content="再次反映工资仍未结清。",
            petitioners=[PERSON, Petitioner(name="李四", phone="13900001111")],
        )
    desk.run(case, "handler", "record_progress", desk.ago(base - 7), note="已约谈施工方")
    desk.run(
        case,
        "handler",
        "record_dispositions",
        desk.ago(base - 8),
        kinds=[Disposition.RESOLVED, Disposition.ASSISTED],
        note="诉求已解决",
    )
    # Entered late: it happened before the dispositions, so the last activity stays put.
    desk.run(case, "handler", "record_progress", desk.ago(base - 6, 30), note="补录走访记录")
    return case


def _merged(desk: Desk, base: int, ids: list[UUID]) -> UUID:
    case = desk.register(desk.ago(base), channel=Channel.ONLINE)
    desk.run(case, "dispatcher", "merge", desk.ago(base - 1), into_case_id=ids[-1])
    return case


def _withdrawn_and_reopened(desk: Desk, base: int, ids: list[UUID]) -> UUID:
    case = _forwarded_and_working(desk, base)
    desk.run(case, "clerk", "withdraw", desk.ago(base - 10))
    desk.run(case, "dispatcher", "reopen", desk.ago(base - 12), approved_by="县信访局局长")
    return case


LIVES = (
    _extended_and_closed,
    _assigned_reviewed_rechecked,
    _reassigned_with_new_people,
    _diverted,
    _not_accepted,
    _objected_and_moved,
    _accusation_under_supervision,
    _sponsored_and_repeated,
    _merged,
    _withdrawn_and_reopened,
)

MERGING = LIVES.index(_merged)
"""The life that merges its case into the one before it (which must still be open)."""


def drawn_lives(min_size: int) -> st.SearchStrategy[list[int]]:
    """Up to four lives of LIVES by index, never the merging one (`lived` adds it)."""
    return st.lists(
        st.integers(0, len(LIVES) - 1).filter(lambda n: n != MERGING),
        min_size=min_size,
        max_size=4,
    )


def every_life(desk: Desk) -> list[UUID]:
    """One case of each life of LIVES, five days apart, the first 150 days ago."""
    ids: list[UUID] = []
    for n, life in enumerate(LIVES):
        ids.append(life(desk, 150 - 5 * n, ids))
    return ids


def lived(desk: Desk, lives: Sequence[int], merge: bool) -> list[UUID]:
    """The cases of `lives` five days apart from 150 days ago, one in work since 40 days ago
    and, with `merge`, a duplicate merged 30 days ago into the one before it."""
    ids: list[UUID] = []
    for n, life in enumerate(lives):
        ids.append(LIVES[life](desk, 150 - 5 * n, ids))
    ids.append(_forwarded_and_working(desk, 40))
    if merge:
        ids.append(_merged(desk, 30, ids))
    return ids


# -- the views, whole -----------------------------------------------------------------------------
def view_tables(services: Services) -> list[str]:
    """Every table of every view the runner keeps."""
    return [table for p in services.runner.projections for table in p.drops]


def snapshot(services: Services) -> dict[str, Any]:
    """Every row of every view table (sealed columns decrypted) and every view's position."""
    found: dict[str, Any] = {
        "positions": {p.name: services.views.position(p.name) for p in services.runner.projections}
    }
    for table in view_tables(services):
        rows = [dict(r) for r in services.views.query(f"SELECT * FROM {{p}}{table}")]
        for row in rows:
            if "petitioners" in row:
                row["petitioners"] = services.ledger.sealer.open(row["petitioners"])
            if "people" in row:  # the risk register's people involved
                row["people"] = services.ledger.sealer.open(row["people"])
            if row.get("sealed_text") is not None:
                row["sealed_text"] = services.ledger.sealer.open_text(row["sealed_text"])
            if table == "ledger_case_states":
                # Encrypted with a fresh nonce per write: compared by the case it holds.
                case = services.cases.get(UUID(row["case_id"]))
                row["state"] = None if case is None else repr(sorted(vars(case).items()))
        found[table] = sorted(rows, key=lambda r: [(v is None, str(v)) for v in r.values()])
    return found


def head(app: Xinfang) -> int:
    """The last position of the log."""
    return app.recorder.max_notification_id() or 0


def case_events(app: Xinfang, until: int | None = None) -> int:
    """How many events of the log (up to `until`) are case events."""
    count, start = 0, 0
    while True:
        batch = app.recorder.select_notifications(
            start=start, limit=1_000, stop=until, inclusive_of_start=False
        )
        if not batch:
            return count
        count += sum(
            isinstance(app.mapper.to_domain_event(n), Case.Event | Case.Registered) for n in batch
        )
        start = batch[-1].id


def bulk_log(desk: Desk, *, cases: int, notes: int, per_save: int = 10) -> None:
    """A long log fast: cases built in memory through their own commands, saved ten at a time."""
    housing, handler = desk.unit("housing"), desk.person("handler")

    def stamp(who: str, days: int, seconds: int = 0) -> Stamp:
        return make_stamp(
            desk.county.actors[who], now=desk.now, occurred_at=desk.ago(days, seconds)
        )

    pending: list[Case] = []
    for i in range(cases):
        case = Case.register(
            stamp("clerk", 90),
            case_id=uuid4(),
            number=f"XF-BULK-{i:06d}",
            channel=Channel.LETTER,
            category=Category.CLAIM,
            subject=f"批量案件{i}",
            content="批量生成的信访事项。",
            petitioners=[PERSON],
        )
        case.forward(stamp("dispatcher", 89), unit_id=housing, unit_lineage=[housing])
        case.accept(stamp("head", 88), handler_id=handler)
        case.start_work(stamp("handler", 88, 1))
        for k in range(notes):
            case.record_progress(stamp("handler", 80, k), note=f"进展{k}")
        pending.append(case)
        if len(pending) == per_save:
            desk.app.save(*pending)
            pending = []
    if pending:
        desk.app.save(*pending)


# -- reading the views over HTTP ------------------------------------------------------------------
API = "/api/v1"


def fetch(client: FlaskClient, county: County, who: str, path: str, **query: Any) -> TestResponse:
    """GET an API path as `who`."""
    return client.get(f"{API}{path}", query_string=query, headers=county.headers(who))


def read(client: FlaskClient, county: County, who: str, path: str, **query: Any) -> Any:
    """The JSON of a 200 answer to GET `path` as `who`."""
    response = fetch(client, county, who, path, **query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()
