"""Every clock a case ran stays in its record: a new clock in a slot never erases a met one.

The ledger lists `past_deadlines` beside the current clocks (docs/accountability.md); the bureau's
scorecard counts the notices it sent on time from them.
"""

from __future__ import annotations

from datetime import date

from domain.cases import Case
from domain.values import ClockEnd, NoticeKind, Rule, Status
from tests.unit.builders import (
    ASSIGN_DUE_DATE,
    CLERK,
    DISPATCHER,
    HOUSING,
    LINEAGE,
    REGISTERED_ON,
    Story,
    at,
    register,
    stamp_on,
    story_in,
)


def record(case: Case) -> list[tuple[str, date, date | None, ClockEnd | None]]:
    """(slot, started, ended, how) of every clock of the case, past ones first."""
    clocks = [*case.past_deadlines, *case.deadlines.values()]
    return [(d.name, d.started_on, d.met_on, d.ended_by) for d in clocks]


def test_a_receipt_notice_met_the_day_the_case_is_forwarded_stays_in_the_record() -> None:
    day = REGISTERED_ON
    case = register(day)
    case.notify_petitioner(
        stamp_on(CLERK, day, hour=10),
        kind=NoticeKind.RECEIPT,
        method="短信",
        delivered_at=at(day, 10),
    )
    case.forward(stamp_on(DISPATCHER, day, hour=11), unit_id=HOUSING, unit_lineage=LINEAGE[HOUSING])

    notices = [r for r in record(case) if r[0] == Rule.NOTICE_15.value]

    assert notices == [
        ("notice_15", day, day, ClockEnd.MET),
        ("notice_15", day, None, None),
    ]


def test_a_returned_report_runs_the_same_assignment_clock_on_without_a_second_record() -> None:
    story: Story = story_in(Status.REPORT_SUBMITTED, assigned=True)
    story.case.return_report(story.stamp(DISPATCHER, "报告缺少证明材料"))

    assigned = [r for r in record(story.case) if r[0] == Rule.ASSIGN_DUE.value]

    assert len(assigned) == 1
    assert assigned[0][2:] == (None, None)
    assert story.case.deadlines[Rule.ASSIGN_DUE.value].due_date == ASSIGN_DUE_DATE
