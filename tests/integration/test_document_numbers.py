"""The 文号 of every document holds for every sequence of issuing and printing: per kind and
year the numbers run 1, 2, 3… without gap or repeat, and a document keeps the number it got."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.application import Context, Xinfang
from domain.commands import IssueDocument, MarkTypical, RecordProgress
from domain.documents import NUMBERED, OfficeProfile
from domain.errors import ConflictError, DomainError
from domain.values import DocumentKind
from tests.conftest import build_county
from tests.integration.helpers_read import Desk

KINDS = [DocumentKind.ACCEPTANCE_NOTICE, DocumentKind.TRANSFER_SLIP, DocumentKind.RESPONSE]
SERIAL = re.compile(r"〔(\d{4})〕(\d+)号$")


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(KINDS), st.sampled_from(["clerk", "head"])),
        min_size=1,
        max_size=12,
    )
)
def test_numbers_run_per_kind_and_year_and_never_change(
    issues: list[tuple[int, DocumentKind, str]],
) -> None:
    app = Xinfang(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.office = lambda: OfficeProfile(number_prefix="某信")
    county = build_county(app)
    desk = Desk(app, county)
    cases = []
    for _ in range(3):
        case = desk.register()
        desk.run(case, "dispatcher", "forward", unit_id=desk.unit("housing"))
        desk.run(case, "head", "accept", handler_id=desk.person("handler"))
        cases.append(case)
    given_numbers: dict[tuple[int, DocumentKind], str] = {}
    for index, kind, who in issues:
        command = IssueDocument(case_id=cases[index], kind=kind)
        try:
            app.execute(command, Context(actor=county.actors[who]))
        except ConflictError:
            assert (index, kind) in given_numbers  # issued already: refused, keeps its number
        except DomainError:
            assert kind is DocumentKind.RESPONSE  # not answered yet: refused, no number used
        issued = app._load_case(cases[index]).document(kind)
        if issued is not None:
            given_numbers.setdefault((index, kind), issued.number)
            assert issued.number == given_numbers[(index, kind)]
    for kind in NUMBERED:
        serials = sorted(
            int(SERIAL.search(number).group(2))  # type: ignore[union-attr]
            for (_, k), number in given_numbers.items()
            if k is kind
        )
        assert serials == list(range(1, len(serials) + 1)), (kind, serials)
    assert all(n.startswith("某信") for n in given_numbers.values())


def test_issued_documents_and_the_typical_mark_survive_a_snapshot() -> None:
    app = Xinfang(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    county = build_county(app)
    desk = Desk(app, county)
    case = desk.register()
    desk.run(case, "dispatcher", "forward", unit_id=desk.unit("housing"))
    desk.run(case, "head", "accept", handler_id=desk.person("handler"))
    kind = DocumentKind.ACCEPTANCE_NOTICE
    app.execute(IssueDocument(case_id=case, kind=kind), Context(actor=county.actors["clerk"]))
    app.execute(
        MarkTypical(case_id=case, text="联合接访化解"), Context(actor=county.actors["supervisor"])
    )
    for n in range(60):  # past the snapshot interval (50 events)
        app.execute(
            RecordProgress(case_id=case, note=f"进展{n}"), Context(actor=county.actors["handler"])
        )
    assert app.snapshots is not None
    assert list(app.snapshots.get(case))
    loaded = app.repository.get(case)
    issued = loaded.document(kind)
    assert issued is not None
    assert issued.number.startswith("县信受告〔")
    assert loaded.typical_text == "联合接访化解"
