"""The Case aggregate's state machine (domain.md §3): every status is reached through real
commands, and the table of allowed commands is the one of the reference.
"""

from __future__ import annotations

import pytest

from domain.cases import Case
from domain.commands import ALLOWED
from domain.values import TERMINAL_STATUSES, Status
from tests.unit.builders import story_in

S = Status


LAST_EVENT = {
    S.REGISTERED: Case.Registered,
    S.FORWARDED: Case.Forwarded,
    S.ASSIGNED: Case.Assigned,
    S.DIVERTED: Case.Diverted,
    S.NOT_ACCEPTED: Case.NotAccepted,
    S.MERGED: Case.Merged,
    S.ACCEPTED: Case.Accepted,
    S.IN_PROGRESS: Case.WorkStarted,
    S.EXTENDED: Case.Extended,
    S.REPORT_SUBMITTED: Case.ReportSubmitted,
    S.RESPONDED: Case.Responded,
    S.UNDER_REVIEW: Case.ReviewRequested,
    S.REVIEWED: Case.ReviewDecided,
    S.UNDER_RECHECK: Case.RecheckRequested,
    S.TERMINATED: Case.RecheckDecided,
    S.CLOSED: Case.Closed,
}


@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.value)
def test_every_status_is_reached_through_real_commands(status: Status) -> None:
    story = story_in(status)
    assert story.case.status is status
    assert type(story.history[-1]) is LAST_EVENT[status]
    assert story.case.version == len(story.history)


STATE_MACHINE = {
    "forward": {S.REGISTERED},
    "assign": {S.REGISTERED},
    "divert": {S.REGISTERED},
    "not_accept": {S.REGISTERED, S.FORWARDED, S.ASSIGNED},
    "merge": {S.REGISTERED},
    "accept": {S.REGISTERED, S.FORWARDED, S.ASSIGNED},
    "object": {S.FORWARDED, S.ASSIGNED},
    "decide_objection": {S.FORWARDED, S.ASSIGNED},
    "start_work": {S.ACCEPTED},
    # "≤30 days in total" allows a second extension while already extended.
    "extend": {S.IN_PROGRESS, S.EXTENDED},
    "respond": {S.IN_PROGRESS, S.EXTENDED},
    "submit_report": {S.IN_PROGRESS, S.EXTENDED},
    "reassign": {S.IN_PROGRESS, S.EXTENDED},
    "approve_report": {S.REPORT_SUBMITTED},
    "return_report": {S.REPORT_SUBMITTED},
    "request_review": {S.RESPONDED, S.CLOSED},
    "decide_review": {S.UNDER_REVIEW},
    "request_recheck": {S.REVIEWED, S.CLOSED},
    "hearing": {S.UNDER_RECHECK},
    "decide_recheck": {S.UNDER_RECHECK},
    "close": {S.RESPONDED, S.REVIEWED},
    "reopen": {S.CLOSED, S.TERMINATED},
    "withdraw": set(Status) - TERMINAL_STATUSES,
}


def test_the_state_machine_is_the_one_of_the_domain_reference() -> None:
    # Written out from domain.md §3 so that a change of ALLOWED must be a change of the spec.
    assert {command: ALLOWED[command] for command in STATE_MACHINE} == STATE_MACHINE
