"""The task visibility contract: domain/tasks.py `visible` and its SQL twin (`task_filter`, read
through `MeetingRegister.tasks`) agree for every task and actor of a small county, exhaustively:
tasks of every unit (townships and a village under one), for either leader, about no case, a
plain case or a case accusing a unit, and no risk, a plain risk or a risk concerning a unit;
actors of every role in every unit (and none)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from uuid import UUID

import pytest

from domain.application import Context
from domain.cases import local_date
from domain.commands import RegisterCase
from domain.commands.registers import ConveneMeeting, RecordDecision
from domain.commands.risks import RegisterRisk
from domain.directory import SYSTEM_ACTOR
from domain.errors import PermissionDeniedError, RuleViolationError
from domain.tasks import TASK_READERS, Task, visible
from domain.values import (
    Actor,
    Category,
    Channel,
    Petitioner,
    RiskKind,
    RiskLevel,
    RiskSource,
    Role,
)
from domain.work_registers import WorkRegisters
from projections.bootstrap import Services
from projections.meeting_register import MeetingRegister, TaskQuery

TREE = (("county", None), ("township", "county"), ("village", "township"), ("bureau", None))


def test_the_sql_twin_shows_exactly_the_tasks_the_rule_lets_each_actor_see(
    services: Services,
) -> None:
    app = services.app
    units: dict[str, UUID] = {}
    for name, parent in TREE:
        units[name] = app.add_unit(SYSTEM_ACTOR, name=name, parent_id=units.get(parent or "")).id
    people = {}
    for key, role, unit in (
        ("clerk", Role.CLERK, "bureau"),
        ("supervisor", Role.SUPERVISOR, None),
        ("leader1", Role.LEADER, None),
        ("leader2", Role.LEADER, None),
        *((f"handler_{u}", Role.HANDLER, u) for u in units),
    ):
        user, _ = app.add_user(
            SYSTEM_ACTOR, name=key, role=role, unit_id=units[unit] if unit else None
        )
        people[key] = user.as_actor
    cases: dict[str, UUID | None] = {"none": None}
    for key, accused in (
        ("plain", []),
        ("accuses_township", ["township"]),
        ("accuses_bureau", ["bureau"]),
    ):
        command = RegisterCase(
            channel=Channel.VISIT,
            category=Category.CLAIM,
            subject="土地补偿",
            content="反映征地补偿未到位",
            petitioners=[Petitioner(name="欧阳明远")],
            accused_unit_ids=[units[u] for u in accused],
        )
        cases[key] = app.execute(command, Context(actor=people["clerk"])).case.id
    risks: dict[str, UUID | None] = {"none": None}
    for key, accused in (
        ("plain", []),
        ("accuses_township", ["township"]),
        ("accuses_bureau", ["bureau"]),
    ):
        entered = RegisterRisk(
            kind=RiskKind.DISPUTE,
            source=RiskSource.GRID,
            level=RiskLevel.GRAVE,
            subject="承包地纠纷",
            description="两户村民因承包地边界发生争执",
            township_id=units["township"],
            people=[Petitioner(name="欧阳明远")],
            accused_unit_ids=[units[u] for u in accused],
        )
        risks[key] = services.registers.execute(entered, Context(actor=people["clerk"])).risk.id
    desk = WorkRegisters(app)
    today = local_date(app.clock())
    chair = people["leader1"].id
    meeting = desk.execute(
        ConveneMeeting(held_on=today, title="联席会议", chair_id=chair),
        Context(actor=people["supervisor"]),
    )
    made: list[tuple[UUID, UUID, UUID | None]] = []
    for unit, leader, case, risk in itertools.product(units, ("leader1", "leader2"), cases, risks):
        decision = RecordDecision(
            meeting_id=meeting.id,
            problem="问题",
            task="任务",
            due_date=today + timedelta(days=3),
            leader_id=people[leader].id,
            unit_id=units[unit],
            handler_id=people[f"handler_{unit}"].id,
            case_id=cases[case],
            risk_id=risks[risk],
        )
        accused_above = any(
            about.startswith("accuses")
            and units[about.removeprefix("accuses_")] in app.lineage(units[unit])
            for about in (case, risk)
        )
        try:
            desk.execute(decision, Context(actor=people["supervisor"]))
        except RuleViolationError:
            # A task never goes to a unit the case accuses or the risk concerns (or below one).
            assert accused_above, (unit, case, risk)
            continue
        assert not accused_above, (unit, case, risk)
        made.append((units[unit], people[leader].id, cases[case]))
    services.catch_up()
    register = MeetingRegister(app, services.views, services.accountability, services.risks)
    stored = {}
    for record in app.repository.get(meeting.id).decisions:
        task = app.repository.get(record.task_id)
        assert isinstance(task, Task)
        accused = app.repository.get(task.case_id).accused_unit_ids if task.case_id else []
        if task.risk_id:
            accused = [*accused, *app.repository.get(task.risk_id).accused_unit_ids]
        stored[task.id] = (task.unit_id, task.leader_id, accused)
    assert len(stored) == len(made)

    ids = [people["leader1"].id, people["leader2"].id, UUID(int=7)]
    for role, unit, person in itertools.product(Role, [None, *units.values()], ids):
        viewer = Actor(id=person, name="某人", role=role, unit_id=unit)
        lineage = app.lineage(unit)
        expected = {
            task_id
            for task_id, (task_unit, leader, accused) in stored.items()
            if visible(
                viewer, unit_id=task_unit, leader_id=leader, accused=accused, unit_lineage=lineage
            )
        }
        if role not in TASK_READERS:
            assert expected == set(), viewer
            with pytest.raises(PermissionDeniedError):
                register.tasks(viewer, TaskQuery(), today)
            continue
        shown = {item["id"] for item in register.tasks(viewer, TaskQuery(), today)}
        assert shown == expected, viewer
