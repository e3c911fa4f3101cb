"""The rules of meetings, tasks and inspections, through the aggregates: for every sequence of
reports, returns (退回) and closings, a task is closed only once reported done and with evidence,
a return reopens only a task reported done, nothing changes after the closing, and a task is late
exactly when closed (or still open) after its due date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import labels
from domain.cases import LOCAL_TZ, make_stamp
from domain.commands import Command
from domain.commands import campaigns as campaign_commands
from domain.commands import registers as register_commands
from domain.commands import risks as risk_commands
from domain.errors import ConflictError, RuleViolationError
from domain.inspections import Inspection, inspection_id
from domain.meetings import Meeting
from domain.register_values import (
    REGISTER_ENUMS,
    CheckItem,
    CheckResult,
    TaskLevel,
    TaskOrigin,
    TaskStatus,
)
from domain.tasks import Task, task_level
from domain.values import Actor, Role, Stamp

START = datetime(2026, 11, 2, 9, tzinfo=LOCAL_TZ)
HANDLER = Actor(id=uuid4(), name="钱办事", role=Role.HANDLER, unit_id=uuid4())
OFFICE = Actor(id=uuid4(), name="卫督查", role=Role.SUPERVISOR, unit_id=None)
NOW = START + timedelta(days=60)


def stamp(actor: Actor, day: int) -> Stamp:
    """Who and when: `day` days after START."""
    return make_stamp(actor, now=NOW, occurred_at=START + timedelta(days=day))


def new_task(due_in: int = 10) -> Task:
    """A task given on START, due `due_in` days later."""
    return Task.assign(
        stamp(OFFICE, 0),
        task_id=uuid4(),
        origin=TaskOrigin.MEETING,
        source_id=uuid4(),
        n=1,
        problem="问题",
        task="任务",
        due_date=START.date() + timedelta(days=due_in),
        leader_id=uuid4(),
        unit_id=HANDLER.unit_id or uuid4(),
        handler_id=HANDLER.id,
    )


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("report"), st.booleans(), st.integers(0, 40)),
        st.tuples(st.just("close"), st.sampled_from(["", "  ", "签收单"]), st.integers(0, 40)),
        st.tuples(st.just("return"), st.none(), st.integers(0, 40)),
    ),
    max_size=8,
)


@given(steps=STEPS, due_in=st.integers(0, 30))
def test_a_task_is_closed_only_when_reported_done_with_evidence_and_never_changes_after(
    steps: list[tuple[str, object, int]], due_in: int
) -> None:
    task = new_task(due_in)
    day = 0
    for kind, value, later in sorted(steps, key=lambda s: s[2]):
        day = max(day, later)
        before = (task.status, task.version, len(task.reports))
        try:
            if kind == "report":
                task.report(stamp(HANDLER, day), text="进展", completed=bool(value))
            elif kind == "return":
                task.return_report(stamp(OFFICE, day))
            else:
                task.close(stamp(OFFICE, day), evidence=str(value))
        except (ConflictError, RuleViolationError):
            assert (task.status, task.version, len(task.reports)) == before
            if kind == "close":
                assert before[0] is not TaskStatus.REPORTED or not str(value).strip()
            elif kind == "return":
                assert before[0] is not TaskStatus.REPORTED
            else:
                assert before[0] is TaskStatus.CLOSED
            continue
        if kind == "return":
            # Reopened, the returned report kept among the reports; never after the closing.
            assert before[0] is TaskStatus.REPORTED
            assert (task.status, len(task.reports)) == (TaskStatus.OPEN, before[2])
        if kind == "close":
            assert before[0] is TaskStatus.REPORTED
            assert task.evidence == "签收单"
            assert task.closed_by == OFFICE
    today = START.date() + timedelta(days=45)
    level = task.level(today)
    if task.status is TaskStatus.CLOSED:
        assert task.closed_on is not None
        late = task.closed_on > task.due_date
        assert level is (TaskLevel.CLOSED_LATE if late else TaskLevel.CLOSED_ON_TIME)
    else:
        assert level is (TaskLevel.OVERDUE if today > task.due_date else level)
        assert level not in {TaskLevel.CLOSED_LATE, TaskLevel.CLOSED_ON_TIME}


def test_the_levels_of_a_task() -> None:
    due = date(2026, 11, 20)
    assert task_level(due, None, date(2026, 11, 21)) is TaskLevel.OVERDUE
    assert task_level(due, None, date(2026, 11, 20)) is TaskLevel.DUE_SOON
    assert task_level(due, None, date(2026, 11, 1)) is TaskLevel.OPEN
    assert task_level(due, date(2026, 11, 20), date(2026, 12, 30)) is TaskLevel.CLOSED_ON_TIME
    assert task_level(due, date(2026, 11, 21), date(2026, 11, 21)) is TaskLevel.CLOSED_LATE


def test_a_meeting_is_not_in_the_future_and_its_tasks_not_due_before_it() -> None:
    with pytest.raises(RuleViolationError) as raised:
        Meeting.convene(
            stamp(OFFICE, 0),
            meeting_id=uuid4(),
            held_on=NOW.date() + timedelta(days=1),
            title="联席会议",
            chair_id=uuid4(),
            attendee_ids=[],
            place="",
            agenda=[],
        )
    assert raised.value.field == "held_on"
    meeting = Meeting.convene(
        stamp(OFFICE, 3),
        meeting_id=uuid4(),
        held_on=START.date(),
        title="联席会议",
        chair_id=uuid4(),
        attendee_ids=[],
        place="",
        agenda=[],
    )
    args = {
        "task_id": uuid4(),
        "problem": "问题",
        "task": "任务",
        "leader_id": uuid4(),
        "unit_id": uuid4(),
        "handler_id": uuid4(),
        "case_id": None,
        "risk_id": None,
    }
    with pytest.raises(RuleViolationError) as early:
        meeting.decide(stamp(OFFICE, 3), due_date=START.date() - timedelta(days=1), **args)
    assert early.value.field == "due_date"
    # A decision may carry the meeting's own day, though the meeting was typed in later.
    decision = meeting.decide(stamp(OFFICE, 0), due_date=START.date(), **args)
    assert decision.n == 1


def test_one_inspection_a_month_and_one_typical_mark() -> None:
    unit = uuid4()
    checklist = [CheckResult(CheckItem.MEETING_HELD, passed=True)]
    inspection = Inspection.open(
        stamp(OFFICE, 20), month="2026-11", unit_id=unit, held_on=START.date(), checklist=checklist
    )
    assert inspection.id == inspection_id(unit, "2026-11")
    with pytest.raises(RuleViolationError):
        Inspection.open(
            stamp(OFFICE, 20),
            month="2026-12",
            unit_id=unit,
            held_on=START.date(),
            checklist=checklist,
        )
    inspection.mark_typical(stamp(OFFICE, 21), text="超期未办")
    with pytest.raises(ConflictError):
        inspection.mark_typical(stamp(OFFICE, 22), text="再次")


def test_every_code_of_the_registers_has_a_chinese_label() -> None:
    assert set(labels.REGISTER_TABLES) == set(REGISTER_ENUMS)
    for enum in REGISTER_ENUMS:
        assert set(labels.REGISTER_TABLES[enum]) == set(enum)
        for member in enum:
            assert labels.label(member)
            assert labels.label_of(enum, member.value) == labels.label(member)


def test_every_register_command_has_a_chinese_form_title() -> None:
    """The registers' forms are titled, and their success notes worded, by the declaration's
    name in REGISTER_COMMAND: a declaration missing from it would show its English name."""
    declared = {
        cls.__name__
        for module in (register_commands, risk_commands, campaign_commands)
        for cls in vars(module).values()
        if isinstance(cls, type)
        and issubclass(cls, Command)
        and cls.__module__ == module.__name__
        and getattr(cls, "path", "")
    }
    assert {"OpenInspection", "LaunchCampaign", "MarkInspectionTypical"} <= declared
    assert declared == set(labels.REGISTER_COMMAND)
