"""The ledger's text search (`q=`) through its bigram index: the same cases as reading every text.

`ledger_grams` holds every distinct pair of adjacent characters of each case's search text; a
search looks up its rarest bigram and tests the candidates' texts (docs/read-side.md, "Text
search"). These tests hold it to the plain rule: a case matches when its search text holds the
query, whichever way the search goes (from the bigram's cases, walking the page order, or reading
every text), for any text and any query.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.values import Actor, Channel, Petitioner
from projections import ledger as ledger_module
from projections.bootstrap import Services
from projections.ledger import Ledger, LedgerQuery
from projections.ledger_tables import bigrams
from projections.temporal import AsOfStore
from tests.conftest import County
from tests.integration.helpers_read import Desk

ALPHABET = "工资拖欠补偿征地房屋a李四"
"""Few characters, so that texts share bigrams and queries match some cases and not others."""


def grams_table(services: Services) -> set[tuple[str, str]]:
    """Every row of ledger_grams."""
    rows = services.views.query("SELECT gram, case_id FROM {p}ledger_grams")
    return {(row["gram"], row["case_id"]) for row in rows}


def texts(services: Services) -> dict[str, str]:
    """Every case's search text (redacted, lower-cased), by case id."""
    rows = services.views.query("SELECT case_id, searchable FROM {p}ledger_cases")
    return {row["case_id"]: row["searchable"] for row in rows}


def expected_grams(services: Services) -> set[tuple[str, str]]:
    """The bigram rows the search texts call for."""
    return {(gram, key) for key, text in texts(services).items() for gram in bigrams(text)}


def found(
    services: Services, viewer: Actor, q: str | None, page_size: int = 500, page: int = 1
) -> tuple[list[UUID], int]:
    """The ids of a ledger page (in page order) and the total matching."""
    rows, total = services.ledger.search(
        viewer, LedgerQuery(q=q, page_size=page_size, page=page), services.app.clock().date()
    )
    return [row["case_id"] for row in rows], total


@contextmanager
def strategy(**limits: int) -> Iterator[None]:
    """The search with other thresholds (which way it goes), restored after."""
    saved = {name: getattr(ledger_module, name) for name in limits}
    try:
        for name, value in limits.items():
            setattr(ledger_module, name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(ledger_module, name, value)


WAYS: dict[str, dict[str, int]] = {
    "the page sorted from the bigram's cases": {"FEW_MATCHES": 10**9},
    "the page order walked": {"FEW_MATCHES": -1},
    "every text read (each bigram too common)": {"COMMON_GRAM": 1},
    "led by the one bigram probed, whichever it is": {"PROBED": 1},
}


def test_the_bigram_index_holds_every_bigram_of_every_text_and_follows_a_redaction(
    services: Services, county: County
) -> None:
    desk = Desk(services.app, county)
    named = desk.register(subject="邻里纠纷", content="李四占用公共通道，协调无果。")
    desk.register(subject="工资拖欠", content="工地拖欠工资。")
    supervisor = county.actors["supervisor"]
    before = found(services, supervisor, "李四")
    assert grams_table(services) == expected_grams(services)

    # 李四 turns out to petition too: the texts are stored with his name blanked out.
    desk.run(
        named,
        "clerk",
        "link_petition",
        channel=Channel.PHONE,
        content="再次反映通道被占。",
        petitioners=[Petitioner(name="李四", phone="13900001111")],
    )

    assert before == ([named], 1)
    assert "李四" not in texts(services)[named.hex]
    assert found(services, supervisor, "李四") == ([], 0)
    assert found(services, supervisor, "公共通道") == ([named], 1)
    assert grams_table(services) == expected_grams(services)
    assert ("李四", named.hex) not in grams_table(services)


def test_a_rebuild_writes_the_same_bigrams_as_the_live_views(
    services: Services, county: County
) -> None:
    desk = Desk(services.app, county)
    for n in range(5):
        desk.register(subject=f"征地补偿{n}", content="房屋补偿标准偏低，要求足额补偿。")
    live = grams_table(services)

    services.runner.rebuild()

    assert live == expected_grams(services) == grams_table(services)
    assert len({key for _, key in live}) == 5


def test_a_search_finds_exactly_the_visible_cases_whose_text_holds_the_query(
    services: Services, county: County
) -> None:
    desk = Desk(services.app, county)
    draw = random.Random(11)
    for n in range(40):
        subject = "".join(draw.choice(ALPHABET) for _ in range(draw.randint(2, 6)))
        content = "".join(draw.choice(ALPHABET) for _ in range(draw.randint(0, 20)))
        case = desk.register(desk.ago(40 - n), subject=subject, content=content or "无")
        if n % 3 == 0:  # a third of them with the housing bureau, whose handler sees only those
            desk.run(case, "dispatcher", "forward", unit_id=desk.unit("housing"))
    viewers = [county.actors["supervisor"], county.actors["head"]]
    every_text = texts(services)
    shown = {viewer.id: found(services, viewer, None)[0] for viewer in viewers}
    assert 0 < len(shown[viewers[1].id]) < len(shown[viewers[0].id]) == 40
    assert grams_table(services) == expected_grams(services)

    @settings(max_examples=60, deadline=None)
    @given(
        q=st.text(alphabet=ALPHABET + "x", min_size=1, max_size=5), viewer=st.sampled_from(viewers)
    )
    def search_matches_the_substring_rule(q: str, viewer: Actor) -> None:
        wanted = [key for key in shown[viewer.id] if q.lower() in every_text[key.hex]]
        results: dict[str, Any] = {}
        for way, limits in WAYS.items():
            with strategy(**limits):
                results[way] = found(services, viewer, q)
                # a small page and the next one: the same order, split where the page ends
                first, total = found(services, viewer, q, page_size=3)
                second, _ = found(services, viewer, q, page_size=3, page=2)
                assert (first + second, total) == (wanted[:6], len(wanted)), way
        assert results == dict.fromkeys(WAYS, (wanted, len(wanted)))

    search_matches_the_substring_rule()


@pytest.mark.parametrize(("q", "matches"), [("工", 2), ("工资", 1), ("拖欠工资", 1), ("资拖", 0)])
def test_a_past_moment_is_searched_without_the_bigram_index_and_finds_the_same(
    services: Services, county: County, q: str, matches: int
) -> None:
    desk = Desk(services.app, county)
    desk.register(desk.ago(3), subject="拖欠工资", content="工地拖欠工资三个月。")
    desk.register(desk.ago(2), subject="征地补偿", content="工程补偿偏低。")
    supervisor = county.actors["supervisor"]
    now = found(services, supervisor, q)
    position = services.app.recorder.max_notification_id() or 0
    past = Ledger(services.app, AsOfStore(services.views, position), services.ledger.sealer)

    rows, total = past.search(
        supervisor, LedgerQuery(q=q, page_size=50), services.app.clock().date()
    )

    assert ([row["case_id"] for row in rows], total) == now
    assert total == matches


def test_a_long_query_is_led_by_a_few_of_its_bigrams_and_still_decided_by_the_text(
    services: Services, county: County
) -> None:
    desk = Desk(services.app, county)
    content = "反映某建筑工地拖欠农民工工资三个月，多次向项目部讨要无果，请求有关部门依法督促支付。"
    case = desk.register(subject="拖欠农民工工资", content=content)
    desk.register(subject="拖欠工资", content="反映工地拖欠工资，请求依法处理。")
    supervisor = county.actors["supervisor"]
    sentence = content[2:40]  # 38 characters: 37 bigrams, a spread of 8 of them probed

    assert found(services, supervisor, sentence) == ([case], 1)
    assert found(services, supervisor, sentence + "。再") == ([], 0)
