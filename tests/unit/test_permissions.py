"""Who may do what to which case, who sees it, and who sees the petitioner (domain.md §1, §7)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any
from uuid import UUID

import pytest

from domain import permissions
from domain.cases import Case
from domain.commands import ALLOWED, BY_VERB, RegisterCase
from domain.errors import NO_SUCH_CASE, NotFoundError, PermissionDeniedError
from domain.labels import COMMAND, ROLE
from domain.values import Actor, Category, Channel, Petitioner, Role, Status, VisitKind
from domain.visibility import can_see, require_visible, sees_identity
from tests.unit.builders import (
    ADMIN,
    AUDITOR,
    BUREAU,
    BUREAU_HEAD,
    CLERK,
    DISPATCHER,
    HANDLER,
    HEAD,
    HOUSING,
    LABOUR,
    LABOUR_HANDLER,
    LABOUR_HEAD,
    LEADER,
    LEADER2,
    LINEAGE,
    PETITIONER,
    SUPERVISOR,
    TOWNSHIP,
    TOWNSHIP_HEAD,
    VILLAGE,
    VILLAGE_HANDLER,
    Story,
    person,
    sample_command,
    story_in,
)

R = Role

# The default matrix of domain.md §1, one row per command, one column per role. Insiders: the
# unit_head and handler work in the responsible unit, the leader sponsors the case; visits are
# home visits (the strictest kind).
COLUMNS = (
    R.ADMIN,
    R.CLERK,
    R.DISPATCHER,
    R.UNIT_HEAD,
    R.HANDLER,
    R.LEADER,
    R.SUPERVISOR,
    R.AUDITOR,
)
TABLE = """
command                    adm clk dsp  uh hdl ldr sup aud
register                     .   x   x   .   .   .   .   .
notify_petitioner            .   x   x   .   .   .   .   .
record_follow_up             .   x   x   .   .   .   .   .
request_review               .   x   x   .   .   .   .   .
request_recheck              .   x   x   .   .   .   .   .
withdraw                     .   x   x   .   .   .   .   .
link_petition                .   x   x   .   .   .   .   .
forward                      .   .   x   .   .   .   .   .
assign                       .   .   x   .   .   .   .   .
divert                       .   .   x   .   .   .   .   .
not_accept                   .   .   x   .   .   .   .   .
merge                        .   .   x   .   .   .   .   .
decide_objection             .   .   x   .   .   .   .   .
approve_report               .   .   x   .   .   .   .   .
return_report                .   .   x   .   .   .   .   .
reassign                     .   .   x   .   .   .   .   .
close                        .   .   x   .   .   .   .   .
reopen                       .   .   x   .   .   .   .   .
accept                       .   .   .   x   .   .   .   .
object                       .   .   .   x   .   .   .   .
extend                       .   .   .   x   .   .   .   .
change_handler               .   .   .   x   .   .   .   .
respond                      .   .   .   x   x   .   .   .
submit_report                .   .   .   x   x   .   .   .
start_work                   .   .   .   x   x   .   .   .
record_progress              .   .   .   x   x   .   .   .
record_dispositions          .   .   .   x   x   .   .   .
answer_supervision_order     .   .   .   x   x   .   .   .
record_visit                 .   .   .   x   x   x   .   .
decide_review                .   .   .   .   .   .   x   .
decide_recheck               .   .   .   .   .   .   x   .
hearing                      .   .   .   .   .   .   x   .
set_flag                     .   .   x   .   .   .   x   .
issue_supervision_order      .   .   x   .   .   .   x   .
change_leader                .   .   x   .   .   .   x   .
declare_recusal              .   .   .   x   x   x   .   .
request_recusal              .   x   x   .   .   .   .   .
decide_recusal               .   .   x   x   .   .   .   .
issue_document               .   x   x   x   x   .   x   .
mark_typical                 .   .   .   .   .   .   x   .
"""
ROWS = {line.split()[0]: line.split()[1:] for line in TABLE.strip().splitlines()[1:]}
EXPECTED: dict[str, set[Role]] = {
    command: {role for role, mark in zip(COLUMNS, marks, strict=True) if mark == "x"}
    for command, marks in ROWS.items()
}

INSIDER = {
    R.ADMIN: ADMIN,
    R.CLERK: CLERK,
    R.DISPATCHER: DISPATCHER,
    R.UNIT_HEAD: HEAD,
    R.HANDLER: HANDLER,
    R.LEADER: LEADER,
    R.SUPERVISOR: SUPERVISOR,
    R.AUDITOR: AUDITOR,
}
"""One actor per role, as close to the case as the role can be (unit: housing; sponsor)."""

HOME_VISIT = {"kind": VisitKind.HOME_VISIT}
RECEPTION = {"kind": VisitKind.RECEPTION}


def housing_case() -> Case:
    """A case in progress at the housing bureau, handled by HANDLER, sponsored by LEADER."""
    return story_in(Status.IN_PROGRESS).case


def authorize(verb: str, actor: Actor, case: Case, args: dict[str, Any]) -> None:
    """Ask the permission rule about the declared command `verb` on `case`, with those of
    `args` that the command takes (`register` asks about registering a petition)."""
    if verb == "register":
        authorize_register(actor)
        return
    taken = {f.name for f in fields(BY_VERB[verb])}
    command = sample_command(verb, case.id, **{k: v for k, v in args.items() if k in taken})
    permissions.authorize(command, actor, case)


def authorize_register(actor: Actor) -> None:
    """Ask the permission rule whether `actor` may register a petition."""
    permissions.authorize(RegisterCase(**REGISTRATION), actor)


REGISTRATION: dict[str, Any] = {
    "channel": Channel.LETTER,
    "category": Category.CLAIM,
    "subject": "拖欠工资",
    "content": "反映拖欠工资",
    "petitioners": [PETITIONER],
}


def assert_denied(command: str, actor: Actor, case: Case, args: dict[str, object]) -> None:
    with pytest.raises(PermissionDeniedError) as denied:
        authorize(command, actor, case, args)
    what = "登记信访事项" if command == "register" else f"对本事项办理“{COMMAND[command]}”"
    assert denied.value.message == f"您的角色（{ROLE[actor.role]}）无权{what}"


# --- the matrix, row by row ---------------------------------------------------------------------


def test_the_matrix_has_one_row_per_command_of_the_case() -> None:
    assert {*BY_VERB, "register"} == set(EXPECTED)
    assert set(BY_VERB) == set(ALLOWED)


def test_the_expected_table_reads_as_domain_md_says() -> None:
    assert TABLE.split()[:9] == ["command", "adm", "clk", "dsp", "uh", "hdl", "ldr", "sup", "aud"]
    assert len(ROWS) == len(TABLE.strip().splitlines()) - 1 == 40
    assert EXPECTED["decide_objection"] == EXPECTED["reassign"] == {R.DISPATCHER}
    assert EXPECTED["hearing"] == {R.SUPERVISOR}
    assert EXPECTED["change_leader"] == {R.SUPERVISOR, R.DISPATCHER}
    assert all(R.ADMIN not in roles and R.AUDITOR not in roles for roles in EXPECTED.values())


CELLS = [(command, role) for command in ROWS for role in COLUMNS]


@pytest.mark.parametrize(("command", "role"), CELLS, ids=[f"{c}-{r.value}" for c, r in CELLS])
def test_each_role_may_run_exactly_the_commands_of_its_row(command: str, role: Role) -> None:
    case = housing_case()
    actor = INSIDER[role]
    if role in EXPECTED[command]:
        assert authorize(command, actor, case, HOME_VISIT) is None
    else:
        assert_denied(command, actor, case, HOME_VISIT)


@pytest.mark.parametrize("role", COLUMNS, ids=lambda r: r.value)
def test_only_intake_roles_register_petitions(role: Role) -> None:
    actor = INSIDER[role]
    if role in {R.CLERK, R.DISPATCHER}:
        assert authorize_register(actor) is None
    else:
        with pytest.raises(PermissionDeniedError) as denied:
            authorize_register(actor)
        assert denied.value.message == f"您的角色（{ROLE[role]}）无权登记信访事项"


# --- relationship to the case -------------------------------------------------------------------

UNIT_HEAD_COMMANDS = sorted(c for c, roles in EXPECTED.items() if R.UNIT_HEAD in roles)
HANDLER_COMMANDS = sorted(c for c, roles in EXPECTED.items() if R.HANDLER in roles)


def test_the_unit_bound_rows_are_the_ones_of_the_responsible_unit() -> None:
    assert UNIT_HEAD_COMMANDS == [
        "accept",
        "answer_supervision_order",
        "change_handler",
        "decide_recusal",
        "declare_recusal",
        "extend",
        "issue_document",
        "object",
        "record_dispositions",
        "record_progress",
        "record_visit",
        "respond",
        "start_work",
        "submit_report",
    ]
    assert sorted(set(UNIT_HEAD_COMMANDS) - set(HANDLER_COMMANDS)) == [
        "accept",
        "change_handler",
        "decide_recusal",
        "extend",
        "object",
    ]


@pytest.mark.parametrize("command", UNIT_HEAD_COMMANDS)
def test_the_head_of_another_unit_is_refused(command: str) -> None:
    assert_denied(command, LABOUR_HEAD, housing_case(), HOME_VISIT)


@pytest.mark.parametrize("command", HANDLER_COMMANDS)
def test_a_handler_of_another_unit_is_refused(command: str) -> None:
    assert_denied(command, LABOUR_HANDLER, housing_case(), HOME_VISIT)


def test_a_handler_may_respond_but_not_accept() -> None:
    story = story_in(Status.FORWARDED)
    assert_denied("accept", HANDLER, story.case, {})
    assert authorize("accept", HEAD, story.case, {}) is None
    case = housing_case()
    assert authorize("respond", HANDLER, case, {}) is None
    assert authorize("submit_report", HANDLER, case, {}) is None


def test_a_handler_of_a_unit_below_the_responsible_unit_is_refused() -> None:
    story = story_in(Status.REGISTERED).forward(TOWNSHIP).given()
    assert authorize("accept", TOWNSHIP_HEAD, story.case, {}) is None
    assert_denied("start_work", VILLAGE_HANDLER, story.case, {})


def test_the_intake_units_head_accepts_its_own_direct_item() -> None:
    case = story_in(Status.REGISTERED).case  # registered by a clerk of the bureau
    assert authorize("accept", BUREAU_HEAD, case, {}) is None
    assert_denied("accept", HEAD, case, {})


def test_after_reassignment_the_new_unit_acts_and_the_old_one_no_longer_does() -> None:
    story = story_in(Status.IN_PROGRESS)
    story.case.reassign(
        story.stamp(DISPATCHER, "住建局无管辖权"), unit_id=LABOUR, unit_lineage=LINEAGE[LABOUR]
    )
    assert authorize("accept", LABOUR_HEAD, story.case, {}) is None
    assert_denied("accept", HEAD, story.case, {})
    assert_denied("record_progress", HANDLER, story.case, {})


@pytest.mark.parametrize("kind", list(VisitKind), ids=lambda k: k.value)
def test_a_sponsoring_leader_may_record_any_kind_of_visit(kind: VisitKind) -> None:
    assert authorize("record_visit", LEADER, housing_case(), {"kind": kind}) is None


def test_any_leader_may_record_a_reception_visit_on_any_case() -> None:
    assert authorize("record_visit", LEADER2, housing_case(), RECEPTION) is None


@pytest.mark.parametrize("kind", [VisitKind.HOME_VISIT, VisitKind.APPOINTMENT], ids=str)
def test_a_leader_who_does_not_sponsor_the_case_may_not_visit_or_appoint(kind: VisitKind) -> None:
    assert_denied("record_visit", LEADER2, housing_case(), {"kind": kind})


def test_a_leader_may_do_nothing_else_even_on_a_sponsored_case() -> None:
    case = housing_case()
    allowed = []
    for verb in BY_VERB:
        try:
            authorize(verb, LEADER, case, {})
        except PermissionDeniedError:
            continue
        allowed.append(verb)
    # Visits are all a leader records; stepping aside (回避) is open to every insider.
    assert allowed == ["record_visit", "declare_recusal"]


# --- who sees the case ----------------------------------------------------------------------------


def lineage(actor: Actor) -> list[UUID]:
    return LINEAGE[actor.unit_id] if actor.unit_id is not None else []


@pytest.mark.parametrize(
    ("actor", "visible"),
    [
        (ADMIN, False),
        (CLERK, True),
        (DISPATCHER, True),
        (HEAD, True),
        (HANDLER, True),
        (LEADER, True),
        (SUPERVISOR, True),
        (AUDITOR, True),
        (LABOUR_HEAD, False),
        (LABOUR_HANDLER, False),
        (LEADER2, False),
        (BUREAU_HEAD, False),
    ],
    ids=lambda v: v.name if isinstance(v, Actor) else str(v),
)
def test_who_sees_a_case_held_by_the_housing_bureau(actor: Actor, visible: bool) -> None:
    assert can_see(actor, housing_case(), lineage(actor)) is visible


@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.value)
@pytest.mark.parametrize("actor", [SUPERVISOR, AUDITOR], ids=lambda a: a.role.value)
def test_supervisors_and_auditors_see_every_case(actor: Actor, status: Status) -> None:
    assert can_see(actor, story_in(status).case, []) is True


def test_handlers_see_only_their_own_units_cases() -> None:
    housing = housing_case()
    story = story_in(Status.REGISTERED).forward(LABOUR)
    story.case.accept(story.stamp(LABOUR_HEAD))
    labour = story.case
    assert (can_see(HANDLER, housing, [HOUSING]), can_see(HANDLER, labour, [HOUSING])) == (
        True,
        False,
    )
    assert (
        can_see(LABOUR_HANDLER, housing, [LABOUR]),
        can_see(LABOUR_HANDLER, labour, [LABOUR]),
    ) == (False, True)


def accused_township_case() -> Case:
    """A case accusing the township, handled by the housing bureau."""
    return story_in(Status.IN_PROGRESS, accused=[TOWNSHIP]).case


@pytest.mark.parametrize(
    "actor",
    [
        TOWNSHIP_HEAD,
        VILLAGE_HANDLER,
        person(90, "镇分办员", R.DISPATCHER, TOWNSHIP),
        person(91, "村督查员", R.SUPERVISOR, VILLAGE),
        person(92, "村审查员", R.AUDITOR, VILLAGE),
    ],
    ids=lambda a: f"{a.role.value}-{'township' if a.unit_id == TOWNSHIP else 'village'}",
)
def test_users_of_an_accused_unit_or_a_unit_under_it_do_not_see_the_case(actor: Actor) -> None:
    case = accused_township_case()
    assert can_see(actor, case, LINEAGE[actor.unit_id or BUREAU]) is False
    with pytest.raises(NotFoundError) as hidden:
        require_visible(actor, case, LINEAGE[actor.unit_id or BUREAU])
    assert hidden.value.message == NO_SUCH_CASE


def test_an_accusation_hides_the_case_from_the_accused_only() -> None:
    case = accused_township_case()
    assert [a.name for a in (DISPATCHER, HANDLER, SUPERVISOR) if can_see(a, case, lineage(a))] == [
        DISPATCHER.name,
        HANDLER.name,
        SUPERVISOR.name,
    ]
    assert require_visible(HANDLER, case, [HOUSING]) is None
    assert can_see(TOWNSHIP_HEAD, housing_case(), [TOWNSHIP]) is False  # not accused, not its unit
    assert can_see(DISPATCHER, case, [VILLAGE, TOWNSHIP]) is False


# --- who sees the petitioner ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "unmasked"),
    [
        (ADMIN, False),
        (CLERK, True),
        (DISPATCHER, True),
        (HEAD, True),
        (HANDLER, True),
        (LEADER, True),
        (SUPERVISOR, True),
        (AUDITOR, True),
        (LABOUR_HEAD, False),
        (LABOUR_HANDLER, False),
        (LEADER2, False),
    ],
    ids=lambda v: v.name if isinstance(v, Actor) else str(v),
)
def test_the_petitioners_identity_is_shown_only_to_roles_that_need_it(
    actor: Actor, unmasked: bool
) -> None:
    assert sees_identity(actor, housing_case()) is unmasked


def test_a_masked_petitioner_keeps_only_the_first_characters() -> None:
    assert PETITIONER.masked() == Petitioner(
        name="张*",
        id_number="1101**********1234",
        phone="138****5678",
        address="城关镇*****",
    )


def test_accepting_by_another_unit_is_allowed_only_after_forwarding_there() -> None:
    story = Story.registered().given()
    assert_denied("accept", LABOUR_HEAD, story.case, {})
    story.forward(LABOUR).given()
    assert authorize("accept", LABOUR_HEAD, story.case, {}) is None
