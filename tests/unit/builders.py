"""Test-data builders for unit tests of the Case aggregate: a county, its people, and stories.

A `Story` drives one case through real commands, one business day per step, starting on
Monday 2025-03-03 09:00 China Standard Time, so every deadline in the tests is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import MISSING, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, get_type_hints
from uuid import UUID, uuid4

from domain.cases import Case, make_stamp
from domain.commands import BY_VERB, CaseCommand
from domain.values import (
    Actor,
    Category,
    Channel,
    Decision,
    Holder,
    Outcome,
    Petitioner,
    Resolution,
    Role,
    Stamp,
    Status,
)

CST = timezone(timedelta(hours=8))
"""China Standard Time, the offset county offices stamp their papers with."""

REGISTERED_ON = date(2025, 3, 3)
"""A Monday in an ordinary working week."""

ASSIGN_DUE_DATE = date(2025, 4, 3)
"""The due date the dispatcher orders when assigning in a story."""


def unit(n: int) -> UUID:
    """A fixed, readable unit id."""
    return UUID(int=0x100 + n)


BUREAU = unit(1)  # 县信访局
HOUSING = unit(2)  # 县住建局
LABOUR = unit(3)  # 县人社局
TOWNSHIP = unit(4)  # 城关镇
VILLAGE = unit(5)  # 城关镇幸福村, under the township

LINEAGE: dict[UUID, list[UUID]] = {
    BUREAU: [BUREAU],
    HOUSING: [HOUSING],
    LABOUR: [LABOUR],
    TOWNSHIP: [TOWNSHIP],
    VILLAGE: [VILLAGE, TOWNSHIP],
}
"""Each unit and the units above it."""


def person(n: int, name: str, role: Role, unit_id: UUID | None) -> Actor:
    """A fixed, readable user."""
    return Actor(id=UUID(int=0x200 + n), name=name, role=role, unit_id=unit_id)


CLERK = person(1, "李登记", Role.CLERK, BUREAU)
DISPATCHER = person(2, "王分办", Role.DISPATCHER, BUREAU)
BUREAU_HEAD = person(3, "刘主任", Role.UNIT_HEAD, BUREAU)
HEAD = person(4, "赵局长", Role.UNIT_HEAD, HOUSING)
HANDLER = person(5, "钱办事", Role.HANDLER, HOUSING)
HANDLER2 = person(6, "孙经办", Role.HANDLER, HOUSING)
LABOUR_HEAD = person(7, "周局长", Role.UNIT_HEAD, LABOUR)
LABOUR_HANDLER = person(8, "吴经办", Role.HANDLER, LABOUR)
TOWNSHIP_HEAD = person(9, "郑镇长", Role.UNIT_HEAD, TOWNSHIP)
VILLAGE_HANDLER = person(10, "冯村干", Role.HANDLER, VILLAGE)
LEADER = person(11, "陈县长", Role.LEADER, None)
LEADER2 = person(12, "褚副县长", Role.LEADER, None)
SUPERVISOR = person(13, "卫督查", Role.SUPERVISOR, None)
AUDITOR = person(14, "蒋纪检", Role.AUDITOR, None)
ADMIN = person(15, "管理员", Role.ADMIN, None)

HOLDER = Holder(unit_id=HOUSING, handler_id=HANDLER.id, leader_id=LEADER.id)
"""Who holds a story's case once the housing bureau accepted it."""

PETITIONER = Petitioner(
    name="张三", id_number="110101196001011234", phone="13812345678", address="城关镇幸福村3组"
)


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A moment on `day` in China Standard Time."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST)


def stamp_on(actor: Actor, day: date, *, reason: str | None = None, hour: int = 9) -> Stamp:
    """The who/when/why of a command done (and entered) on `day`."""
    when = at(day, hour)
    return make_stamp(actor, now=when, occurred_at=when, reason=reason)


def register(
    on: date = REGISTERED_ON,
    *,
    accused: Sequence[UUID] = (),
    actor: Actor = CLERK,
    collective_size: int | None = None,
    stamp: Stamp | None = None,
) -> Case:
    """A freshly registered case (its Registered event still pending)."""
    return Case.register(
        stamp or stamp_on(actor, on),
        case_id=uuid4(),
        number="XF-2026-000001",
        channel=Channel.LETTER,
        category=Category.CLAIM,
        subject="拖欠工程款",
        content="某公司拖欠农民工工资三个月。",
        petitioners=[PETITIONER],
        location="城关镇",
        accused_unit_ids=accused,
        collective_size=collective_size,
    )


class Story:
    """One case driven through real commands; each step happens on the next day."""

    def __init__(self, case: Case, today: date) -> None:
        self.case = case
        self.today = today
        self.history: list[Any] = []
        self.stamps: list[Stamp] = []
        self.merged_into: Case | None = None

    @classmethod
    def registered(cls, on: date = REGISTERED_ON, *, accused: Sequence[UUID] = ()) -> Story:
        """A story that starts with a registration on `on`."""
        stamp = stamp_on(CLERK, on)
        story = cls(register(accused=accused, stamp=stamp), on)
        story.stamps.append(stamp)
        return story

    # -- time and events -----------------------------------------------------------------------
    def stamp(self, actor: Actor, reason: str | None = None, *, days: int = 1) -> Stamp:
        """A stamp `days` after the previous step (the story's clock moves on)."""
        self.today += timedelta(days=days)
        stamp = stamp_on(actor, self.today, reason=reason)
        self.stamps.append(stamp)
        return stamp

    def flush(self) -> list[Any]:
        """Collect the pending events (the 'then' of a test) and keep them in the history."""
        events = list(self.case.collect_events())
        self.history.extend(events)
        return events

    def given(self) -> Story:
        """Treat everything so far as given: nothing is left pending."""
        self.flush()
        return self

    # -- steps (each one real command) ---------------------------------------------------------
    def forward(self, unit_id: UUID = HOUSING) -> Story:
        self.case.forward(self.stamp(DISPATCHER), unit_id=unit_id, unit_lineage=LINEAGE[unit_id])
        return self

    def assign(self, unit_id: UUID = HOUSING, due_date: date = ASSIGN_DUE_DATE) -> Story:
        self.case.assign(
            self.stamp(DISPATCHER),
            unit_id=unit_id,
            due_date=due_date,
            unit_lineage=LINEAGE[unit_id],
        )
        return self

    def divert(self) -> Story:
        self.case.divert(self.stamp(DISPATCHER), target="县人民法院")
        return self

    def not_accept(self) -> Story:
        self.case.not_accept(self.stamp(DISPATCHER, "已经或者依法应当通过诉讼解决"))
        return self

    def merge(self) -> Story:
        self.merged_into = register(self.today)
        self.merged_into.collect_events()
        self.case.merge(self.stamp(DISPATCHER), into=self.merged_into)
        self.merged_into.absorb(self.stamp(DISPATCHER), merged=self.case)
        return self

    def accept(self) -> Story:
        self.case.accept(self.stamp(HEAD), handler_id=HANDLER.id, leader_id=LEADER.id)
        return self

    def object(self) -> Story:
        self.case.object(self.stamp(HEAD, "属于人社局职责"))
        return self

    def start_work(self) -> Story:
        self.case.start_work(self.stamp(HANDLER))
        return self

    def extend(self, days: int = 10) -> Story:
        self.case.extend(self.stamp(HEAD, "需要补充调查"), days=days, approved_by="赵局长")
        return self

    def respond(self) -> Story:
        stamp = self.stamp(HANDLER)
        self.case.respond(
            stamp, outcome=Outcome.EXPLAINED, text="答复意见书", delivered_at=stamp.occurred_at
        )
        return self

    def submit_report(self) -> Story:
        self.case.submit_report(self.stamp(HANDLER), text="办结报告")
        return self

    def approve_report(self) -> Story:
        self.case.approve_report(self.stamp(DISPATCHER))
        return self

    def request_review(self) -> Story:
        self.case.request_review(self.stamp(CLERK))
        return self

    def decide_review(self, decision: Decision = Decision.UPHELD) -> Story:
        self.case.decide_review(self.stamp(SUPERVISOR), decision=decision, text="复查意见书")
        return self

    def request_recheck(self) -> Story:
        self.case.request_recheck(self.stamp(CLERK))
        return self

    def decide_recheck(self, decision: Decision = Decision.UPHELD) -> Story:
        self.case.decide_recheck(self.stamp(SUPERVISOR), decision=decision, text="复核意见书")
        return self

    def close(self, resolution: Resolution = Resolution.SETTLED) -> Story:
        self.case.close(self.stamp(DISPATCHER), resolution=resolution)
        return self


def path_to(status: Status, *, assigned: bool = False) -> list[str]:
    """The steps that bring a registered case to `status` (assigned or forwarded mode)."""
    hand = "assign" if assigned or status is Status.REPORT_SUBMITTED else "forward"
    handled = [hand, "accept", "start_work"]
    answered = (
        [*handled, "submit_report", "approve_report"] if hand == "assign" else [*handled, "respond"]
    )
    reviewed = [*answered, "request_review", "decide_review"]
    return {
        Status.REGISTERED: [],
        Status.FORWARDED: ["forward"],
        Status.ASSIGNED: ["assign"],
        Status.DIVERTED: ["divert"],
        Status.NOT_ACCEPTED: ["not_accept"],
        Status.MERGED: ["merge"],
        Status.ACCEPTED: [hand, "accept"],
        Status.IN_PROGRESS: handled,
        Status.EXTENDED: [*handled, "extend"],
        Status.REPORT_SUBMITTED: [*handled, "submit_report"],
        Status.RESPONDED: answered,
        Status.UNDER_REVIEW: [*answered, "request_review"],
        Status.REVIEWED: reviewed,
        Status.UNDER_RECHECK: [*reviewed, "request_recheck"],
        Status.TERMINATED: [*reviewed, "request_recheck", "decide_recheck"],
        Status.CLOSED: [*answered, "close"],
    }[status]


def story_in(status: Status, *, assigned: bool = False, accused: Sequence[UUID] = ()) -> Story:
    """A story whose case reached `status` through real commands; its events are given."""
    story = Story.registered(accused=accused)
    for step in path_to(status, assigned=assigned):
        getattr(story, step)()
    assert story.case.status is status
    return story.given()


def sample_command(verb: str, case_id: UUID, **arguments: Any) -> CaseCommand:
    """The declared command `verb` on a case, each argument not given taken from its
    declared example (or, for ids and moments, a fresh id and the story's first morning)."""
    declaration = BY_VERB[verb]
    hints = get_type_hints(declaration)
    for spec in fields(declaration):
        if spec.name == "case_id" or spec.name in arguments:
            continue
        if spec.metadata.get("example") is not None:
            arguments[spec.name] = spec.metadata["example"]
        elif spec.default is MISSING and spec.default_factory is MISSING:
            arguments[spec.name] = _filler(hints[spec.name])
    return declaration(case_id=case_id, **arguments)


def _filler(hint: Any) -> Any:
    fillers = {UUID: uuid4(), datetime: datetime.combine(REGISTERED_ON, time(9), CST)}
    return fillers[hint]
