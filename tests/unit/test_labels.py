"""Every code of the domain has one Chinese name, and rates read as percentages with counts."""

from __future__ import annotations

import inspect
import re
from enum import Enum

import pytest

from domain import labels, values
from domain.cases import Case
from domain.labels import label, label_of, percent, percent_text, rate_text
from domain.values import Channel, Level, Status

CHINESE = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


def enums_of_values() -> list[type[Enum]]:
    """Every enum that domain/values.py declares."""
    return [
        member
        for _, member in inspect.getmembers(values, inspect.isclass)
        if issubclass(member, Enum) and member.__module__ == values.__name__
    ]


def case_events() -> list[str]:
    """The class names of every event a case can record."""
    return sorted(
        name
        for name, member in vars(Case).items()
        if inspect.isclass(member)
        and issubclass(member, Case.Event | Case.Registered)
        and name not in {"Event", "Created"}
    )


def test_every_enum_of_the_domain_has_a_table_of_labels() -> None:
    assert set(labels.TABLES) == set(enums_of_values())


@pytest.mark.parametrize("enum", enums_of_values(), ids=lambda e: e.__name__)
def test_every_member_of_every_enum_has_a_chinese_label(enum: type[Enum]) -> None:
    table = labels.TABLES[enum]

    assert set(table) == set(enum)
    for member in enum:
        text = label(member)
        assert CHINESE.search(text), (member, text)
        assert not LATIN.search(text), (member, text)
        assert label_of(enum, member.value) == text


def test_every_event_a_case_records_has_a_chinese_label() -> None:
    missing = [name for name in case_events() if name not in labels.EVENT]

    assert missing == []
    assert set(labels.EVENT) == set(case_events())
    for name, text in labels.EVENT.items():
        assert CHINESE.search(text), (name, text)
        assert not LATIN.search(text), (name, text)


def test_a_code_has_one_name_wherever_it_is_printed() -> None:
    assert label(Status.REPORT_SUBMITTED) == "办结报告待审"
    assert label_of(Status, "report_submitted") == "办结报告待审"
    assert label(Channel.LEADER_RECEPTION) == "领导接访"
    assert label(Level.MISSED) == "超期未办"
    assert label(None) == label_of(Status, None) == label_of(Status, "") == ""
    assert label_of(Status, "no_such_status") == "no_such_status"


def test_rates_are_percentages_with_one_decimal_and_their_counts_beside_them() -> None:
    assert (percent(2, 3), percent(1, 3), percent(1, 16), percent(3, 3)) == (
        66.7,
        33.3,
        6.3,
        100.0,
    )
    assert percent(0, 0) is None
    assert (percent_text(66.7), percent_text(100.0), percent_text(None)) == ("66.7%", "100.0%", "—")
    assert rate_text(2, 3) == "66.7%（2/3）"
    assert rate_text(0, 0) == "—（0/0）"


def test_a_scorecard_below_the_minimum_sample_says_so_in_chinese() -> None:
    assert labels.unranked(10) == "样本不足（本月到期事项少于 10 件），不参与排名"
    assert labels.RANKED == "参与排名"


def test_a_ledger_deadline_state_reads_in_chinese_ready_to_close_included() -> None:
    assert labels.deadline_state("ready_to_close") == "期满待办结"
    assert labels.deadline_state("overdue") == "超期"
    assert labels.deadline_state(None) == ""
