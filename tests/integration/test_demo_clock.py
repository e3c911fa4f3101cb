"""The demo fills every register whatever the hour: just after Beijing midnight a deadline due
yesterday is overdue for the 督查 finding and the 问责 record that name it, as on the watch list.
"""

from __future__ import annotations

from datetime import UTC, datetime

from domain.cases import local_date
from projections.bootstrap import bootstrap
from projections.inspection_register import InspectionQuery, InspectionRegister
from projections.meeting_register import SYSTEM_VIEWER, MeetingRegister
from projections.settings import Settings
from scripts import demo as generator
from scripts.demo.work_registers import populate_registers


def test_the_demo_records_its_inspections_and_accountability_just_after_midnight(
    settings: Settings,
) -> None:
    start = datetime(2026, 12, 2, 16, 20, tzinfo=UTC)  # 00:20 on 3 December in Beijing
    offset = start - datetime.now(UTC)
    services = bootstrap(settings, clock=lambda: datetime.now(UTC) + offset)
    try:
        generator.populate(services.app, cases=60, seed=5)
        report = populate_registers(services, 5)
        services.catch_up()
        register = InspectionRegister(
            MeetingRegister(services.app, services.views, services.accountability, services.risks)
        )
        records = register.accountability_records()
        inspections = register.inspections(SYSTEM_VIEWER, InspectionQuery())
    finally:
        services.close()

    assert report.inspections == len(inspections) >= 2
    assert report.accountability_records == 1
    assert [r["decided_by"] for r in records] == ["县纪委监委"]
    assert records[0]["decided_on"] == local_date(start)
    # Every inspection recorded its finding and its order (none was skipped by a refusal).
    assert [(i["findings"], i["orders"]) for i in inspections] == [(1, 1)] * len(inspections)
