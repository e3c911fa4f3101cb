"""The Case aggregate rebuilt from its events: in memory and from the event store."""

from __future__ import annotations

from datetime import date

from domain.application import Xinfang
from domain.values import (
    Channel,
    Disposition,
    Flag,
    HearingAction,
    Holder,
    NoticeKind,
    Petitioner,
    Rule,
    Satisfaction,
    VisitKind,
)
from tests.unit.builders import (
    CLERK,
    DISPATCHER,
    HANDLER,
    HANDLER2,
    HEAD,
    HOUSING,
    LEADER,
    LEADER2,
    PETITIONER,
    SUPERVISOR,
    Story,
    at,
    register,
)
from tests.unit.expectations import clock


def rich_story() -> Story:
    """A case with activities of every kind besides its transitions."""
    story = Story.registered()
    case = story.case
    story.forward()
    case.notify_petitioner(
        story.stamp(CLERK), kind=NoticeKind.RECEIPT, method="邮寄", delivered_at=at(story.today)
    )
    story.accept().start_work()
    case.record_visit(
        story.stamp(HANDLER),
        kind=VisitKind.HOME_VISIT,
        leader_id=LEADER.id,
        held_at=at(story.today),
        notes="上门走访",
    )
    case.record_progress(story.stamp(HANDLER), note="调取工程合同")
    case.set_flag(story.stamp(SUPERVISOR), flag=Flag.KEY_CASE, on=True)
    case.issue_supervision_order(
        story.stamp(SUPERVISOR), due_date=date(2025, 3, 31), text="限期办结"
    )
    case.link_petition(
        story.stamp(CLERK),
        channel=Channel.PHONE,
        content="再次反映",
        petitioners=[PETITIONER, Petitioner(name="李四", phone="13900000000")],
    )
    case.change_handler(story.stamp(HEAD, "工作调整"), handler_id=HANDLER2.id)
    case.change_leader(story.stamp(SUPERVISOR, "分工调整"), leader_id=LEADER2.id)
    story.extend()
    case.answer_supervision_order(story.stamp(HANDLER2), n=1, text="已答复")
    case.record_dispositions(
        story.stamp(HANDLER2), kinds=[Disposition.RESOLVED, Disposition.ASSISTED], note="已解决"
    )
    story.respond()
    case.record_follow_up(story.stamp(CLERK), satisfaction=Satisfaction.SATISFIED, note="满意")
    story.request_review().decide_review().request_recheck()
    case.hearing(story.stamp(SUPERVISOR), action=HearingAction.START)
    return story


def test_replaying_the_events_rebuilds_the_same_case() -> None:
    story = rich_story().given()
    first, *rest = story.history
    rebuilt = first.mutate(None)
    for event in rest:
        rebuilt = event.mutate(rebuilt)
    assert vars(rebuilt) == vars(story.case)
    assert rebuilt.deadlines == story.case.deadlines
    assert rebuilt.past_deadlines == story.case.past_deadlines
    assert rebuilt.version == 21


def test_a_saved_case_comes_back_from_the_event_store_identical() -> None:
    app = Xinfang(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    story = rich_story()
    app.save(story.case)
    stored = app.repository.get(story.case.id)
    assert vars(stored) == vars(story.case)
    # Recheck requested Sat 03-22 (due Mon 04-21), hearing started Sun 03-23.
    assert stored.deadlines["recheck_decide_30"] == clock(
        Rule.RECHECK_DECIDE_30,
        date(2025, 3, 22),
        30,
        date(2025, 4, 21),
        paused_since=date(2025, 3, 23),
    )
    assert stored.petitioners == [PETITIONER, Petitioner(name="李四", phone="13900000000")]
    assert stored.holder == Holder(unit_id=HOUSING, handler_id=HANDLER2.id, leader_id=LEADER2.id)
    assert stored.sponsor_ids == [LEADER.id, LEADER2.id]
    assert stored.dispositions == [Disposition.RESOLVED, Disposition.ASSISTED]


def test_a_merged_pair_is_saved_together_and_replays() -> None:
    app = Xinfang(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    story = Story.registered()
    other = register(date(2025, 3, 1))
    story.case.merge(story.stamp(DISPATCHER), into=other)
    other.absorb(story.stamp(DISPATCHER), merged=story.case)
    app.save(story.case, other)
    assert vars(app.repository.get(story.case.id)) == vars(story.case)
    assert vars(app.repository.get(other.id)) == vars(other)
    assert app.repository.get(other.id).merged_case_ids == [story.case.id]
