"""The Risk aggregate and the campaign figures: rules that must hold for every sequence."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import labels
from domain.campaigns import ENDED, OPEN, RESOLVED, Campaign, Mark, Target, figures
from domain.errors import NotFoundError, RuleViolationError, TransitionError
from domain.risks import DUTIES, Risk
from domain.values import CampaignKind, RiskKind, RiskLevel, RiskSource, RiskStatus
from tests.unit.builders import (
    CLERK,
    DISPATCHER,
    HANDLER,
    HOUSING,
    LABOUR,
    LEADER,
    PETITIONER,
    SUPERVISOR,
    TOWNSHIP,
    stamp_on,
)

DAY = date(2026, 3, 2)
LEADER2 = uuid4()


def new_risk(**overrides: object) -> Risk:
    arguments: dict[str, object] = {
        "risk_id": uuid4(),
        "number": "YH-2026-000001",
        "kind": RiskKind.DISPUTE,
        "source": RiskSource.SURVEY,
        "level": RiskLevel.SERIOUS,
        "subject": "宅基地纠纷",
        "description": "两户村民因宅基地边界争执",
        "township_id": TOWNSHIP,
        "people": [PETITIONER],
        **overrides,
    }
    return Risk.register(stamp_on(CLERK, DAY), **arguments)  # type: ignore[arg-type]


def replayed(risk: Risk) -> Risk:
    events = risk.collect_events()
    copy = None
    for event in events:
        copy = event.mutate(copy)
    assert isinstance(copy, Risk)
    return copy


def test_a_new_risk_is_open_incomplete_and_answered_for_by_the_unit_that_entered_it() -> None:
    risk = new_risk()

    assert risk.status is RiskStatus.OPEN
    assert risk.missing == list(DUTIES)
    assert risk.responsible_unit_id == CLERK.unit_id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"people": []}, "people"),
        ({"subject": " "}, "subject"),
        ({"description": ""}, "description"),
        ({"headcount": 0}, "headcount"),
    ],
)
def test_a_risk_without_what_it_needs_is_refused(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(RuleViolationError) as refused:
        new_risk(**overrides)
    assert refused.value.field == field


def test_resolving_needs_the_three_duties_and_evidence_and_then_nothing_more_happens() -> None:
    risk = new_risk()
    with pytest.raises(RuleViolationError) as incomplete:
        risk.resolve(stamp_on(SUPERVISOR, DAY), evidence="协议")
    assert incomplete.value.field == "leader_id"
    risk.assign(
        stamp_on(DISPATCHER, DAY),
        leader_id=LEADER.id,
        unit_id=HOUSING,
        handler_id=HANDLER.id,
        unit_lineage=[HOUSING],
        handler_unit_id=HOUSING,
    )
    with pytest.raises(RuleViolationError):
        risk.resolve(stamp_on(SUPERVISOR, DAY), evidence=" ")

    risk.resolve(stamp_on(SUPERVISOR, DAY + timedelta(days=1)), evidence="双方签订协议")

    assert risk.approved_by == SUPERVISOR
    with pytest.raises(TransitionError):
        risk.record_step(stamp_on(HANDLER, DAY + timedelta(days=2)), text="回访")
    with pytest.raises(RuleViolationError) as early:
        new_risk().record_step(stamp_on(HANDLER, DAY - timedelta(days=1)), text="x")
    assert early.value.field == "occurred_at"


def test_a_unit_the_risk_concerns_cannot_answer_for_it() -> None:
    risk = new_risk(accused_unit_ids=[LABOUR])

    with pytest.raises(RuleViolationError) as refused:
        risk.assign(stamp_on(DISPATCHER, DAY), unit_id=LABOUR, unit_lineage=[LABOUR])

    assert refused.value.field == "unit_id"


ASSIGNMENT = st.tuples(
    st.sampled_from([None, LEADER.id, LEADER2]),
    st.sampled_from([None, HOUSING, TOWNSHIP]),
    st.booleans(),
    st.booleans(),
)
"""A leader (or none), a unit (or none), whether to name that unit's handler, with a reason."""


@settings(max_examples=200, deadline=None)
@given(st.lists(ASSIGNMENT, max_size=8))
def test_for_every_sequence_of_assignments_incomplete_means_a_duty_is_unnamed(
    steps: list[tuple[UUID | None, UUID | None, bool, bool]],
) -> None:
    risk = new_risk()
    handlers = {HOUSING: uuid4(), TOWNSHIP: uuid4()}
    for leader_id, unit_id, name_handler, with_reason in steps:
        target_unit = unit_id or risk.unit_id
        handler_id = handlers[target_unit] if name_handler and target_unit else None
        with contextlib.suppress(RuleViolationError):
            risk.assign(
                stamp_on(DISPATCHER, DAY, reason="调整" if with_reason else None),
                leader_id=leader_id,
                unit_id=unit_id,
                handler_id=handler_id,
                unit_lineage=[unit_id] if unit_id else [],
                handler_unit_id=target_unit,
            )
        assert risk.incomplete == any(getattr(risk, d) is None for d in DUTIES)
        if risk.handler_id is not None:
            assert risk.unit_id is not None
            assert risk.handler_id == handlers[risk.unit_id]
        if risk.leader_id is not None:
            assert risk.leader_id in risk.sponsor_ids
    again = replayed(risk)
    assert (again.leader_id, again.unit_id, again.handler_id) == (
        risk.leader_id,
        risk.unit_id,
        risk.handler_id,
    )


# -- campaigns -----------------------------------------------------------------------------------
START = date(2026, 9, 1)


def target(n: int, unit: UUID, resolved_on: int | None, reports: list[int]) -> Target:
    marks = [Mark(START - timedelta(days=30), CLERK, OPEN)]
    actor = HANDLER if unit == HOUSING else CLERK
    marks += [Mark(START + timedelta(days=d), actor, OPEN) for d in sorted(reports)]
    if resolved_on is not None:
        marks.append(Mark(START + timedelta(days=resolved_on), SUPERVISOR, RESOLVED))
    return Target("risk", uuid4(), f"YH-{n}", unit, LEADER.id, marks)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([HOUSING, LABOUR]),
            st.one_of(st.none(), st.integers(-10, 110)),
            st.lists(st.integers(-10, 110), max_size=3),
        ),
        max_size=12,
    )
)
def test_every_resolution_is_counted_in_exactly_one_week_and_the_rest_remain(
    drawn: list[tuple[UUID, int | None, list[int]]],
) -> None:
    targets = [target(n, *one) for n, one in enumerate(drawn)]
    campaign = Campaign.launch(
        stamp_on(SUPERVISOR, START),
        name="百日攻坚",
        kind=CampaignKind.HUNDRED_DAYS,
        starts_on=START,
        ends_on=START + timedelta(days=99),
        case_ids=[],
        risk_ids=[t.id for t in targets] or [uuid4()],
    )
    weeks = [figures(targets, *campaign.week(n)) for n in range(1, campaign.weeks + 1)]
    whole = figures(targets, campaign.starts_on, campaign.ends_on)

    assert sum(len(w.resolved) for w in weeks) == len(whole.resolved)
    assert len(whole.resolved) + whole.resolved_before + len(whole.remaining) == len(targets)
    in_period = {
        t.number
        for t, (_, day, _) in zip(targets, drawn, strict=True)
        if day is not None and 0 <= day <= 99
    }
    assert set(whole.resolved) == in_period
    for w in weeks:
        for unit, tally in w.by_unit.items():
            assert tally.remaining >= len(tally.not_reported)
            assert unit in {HOUSING, LABOUR}
    with pytest.raises(NotFoundError):
        campaign.week(campaign.weeks + 1)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 99)),  # the day it joined (None: at the launch)
            st.one_of(st.none(), st.integers(-30, 99)),  # when it was resolved, from joining
        ),
        min_size=1,
        max_size=12,
    )
)
def test_a_target_added_later_counts_from_the_week_it_joined_and_never_before(
    drawn: list[tuple[int | None, int | None]],
) -> None:
    launched = stamp_on(SUPERVISOR, START)
    campaign = Campaign.launch(
        launched,
        name="百日攻坚",
        kind=CampaignKind.HUNDRED_DAYS,
        starts_on=START,
        ends_on=START + timedelta(days=99),
        case_ids=[],
        risk_ids=[uuid4()],
    )
    targets = []
    for n, (joined, after) in enumerate(drawn):
        risk_id = uuid4()
        if joined is not None:
            campaign.add_targets(
                stamp_on(SUPERVISOR, START + timedelta(days=joined)),
                case_ids=[],
                risk_ids=[risk_id],
            )
        marks = [Mark(START - timedelta(days=30), CLERK, OPEN)]
        if after is not None:
            resolved_on = START + timedelta(days=(joined or 0) + after)
            marks.append(Mark(resolved_on, SUPERVISOR, RESOLVED))
        since = campaign.joined_on(risk_id)
        assert since == (None if joined is None else START + timedelta(days=joined))
        targets.append(Target("risk", risk_id, f"YH-{n}", HOUSING, LEADER.id, marks, since))

    weeks = [figures(targets, *campaign.week(n)) for n in range(1, campaign.weeks + 1)]
    whole = figures(targets, campaign.starts_on, campaign.ends_on)
    for n, w in enumerate(weeks, start=1):
        _, last = campaign.week(n)
        joined_by = [t for t in targets if t.since is None or t.since <= last]
        assert w.targets == len(joined_by)
        assert set(w.resolved) <= {t.number for t in joined_by}
    assert sum(len(w.resolved) for w in weeks) == len(whole.resolved)
    assert len(whole.resolved) + whole.resolved_before + len(whole.remaining) == len(targets)
    # A resolution dated before the target joined is never the campaign's.
    for target, (joined, after) in zip(targets, drawn, strict=True):
        if joined is not None and after is not None and after < 0:
            assert all(target.number not in w.resolved for w in weeks)
    assert campaign.additions == sorted(campaign.additions, key=lambda a: a.recorded_at)
    for addition in campaign.additions:
        (added,) = addition.ids
        assert campaign.recorded_by(added, addition.recorded_at)
        assert not campaign.recorded_by(added, addition.recorded_at - timedelta(microseconds=1))


def test_adding_targets_refuses_what_is_already_there_and_a_campaign_that_ended() -> None:
    first = uuid4()
    campaign = Campaign.launch(
        stamp_on(SUPERVISOR, START),
        name="积案化解",
        kind=CampaignKind.BACKLOG,
        starts_on=START,
        ends_on=START + timedelta(days=9),
        case_ids=[first],
        risk_ids=[],
    )
    with pytest.raises(RuleViolationError, match="均已在本专项行动中"):
        campaign.add_targets(stamp_on(SUPERVISOR, START), case_ids=[first], risk_ids=[])
    late = stamp_on(SUPERVISOR, START + timedelta(days=10))
    with pytest.raises(RuleViolationError, match="已结束"):
        campaign.add_targets(late, case_ids=[uuid4()], risk_ids=[])
    second = uuid4()
    campaign.add_targets(stamp_on(SUPERVISOR, START), case_ids=[first, second], risk_ids=[])
    assert campaign.case_ids == [first, second]
    assert campaign.version == 2


def test_a_target_ended_otherwise_neither_counts_as_resolved_nor_remains() -> None:
    ended = Target(
        "risk",
        uuid4(),
        "YH-9",
        HOUSING,
        None,
        [Mark(START, CLERK, OPEN), Mark(START + timedelta(days=2), CLERK, ENDED)],
    )

    week = figures([ended], START, START + timedelta(days=6))

    assert (week.resolved, week.remaining, week.ended) == ([], [], 1)


def _events(aggregate: type) -> set[str]:
    base = getattr(aggregate, "Event", None)
    return {
        name
        for name, member in vars(aggregate).items()
        if isinstance(member, type)
        and issubclass(member, Aggregate.Event)
        and member is not base
        and name not in {"Event", "Created"}
    }


def test_every_event_of_a_risk_and_a_campaign_has_a_chinese_label() -> None:
    assert _events(Risk) == set(labels.RISK_EVENT)
    assert _events(Campaign) == set(labels.CAMPAIGN_EVENT)
    assert set(labels.MISSING_DUTY) == set(DUTIES)
