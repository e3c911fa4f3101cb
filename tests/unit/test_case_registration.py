"""The Case aggregate's registration: collective petitions and the petitioners it needs."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.cases import Case
from domain.errors import RuleViolationError
from domain.values import Category, Channel, Flag
from tests.unit.builders import CLERK, register, stamp_on


def test_a_collective_petition_of_five_or_more_is_flagged_at_registration() -> None:
    case = register(collective_size=5)
    assert case.flags == [Flag.COLLECTIVE]
    assert register(collective_size=4).flags == []


def test_a_registration_without_petitioners_is_refused() -> None:
    with pytest.raises(RuleViolationError) as refused:
        Case.register(
            stamp_on(CLERK, date(2025, 3, 3)),
            case_id=uuid4(),
            number="XF-2026-000002",
            channel=Channel.VISIT,
            category=Category.CLAIM,
            subject="拖欠工资",
            content="内容",
            petitioners=[],
        )
    assert refused.value.field == "petitioners"
