"""One disclosure module: the endpoints serialise what projections/disclosure.py shows and logs."""

from __future__ import annotations

from api.schemas import CaseSchema
from projections.disclosure import CASE_FIELDS

RESTRICTED = {"id", "version", "identity_masked", "petitioners", "content", "deadlines"}
"""Fields of the case view the disclosure module derives instead of copying."""


def test_the_case_view_fills_every_field_of_the_case_schema() -> None:
    assert set(CaseSchema().fields) == {*CASE_FIELDS, *RESTRICTED}
    assert not RESTRICTED & set(CASE_FIELDS)
