"""`xinfang registers` lists and exports the registers of work that the demo fills."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from domain.application import today_in_county
from domain.directory import SYSTEM_ACTOR
from projections.settings import Settings
from tests.cli.test_cli import application, env, xinfang

__all__ = ["env"]  # the fixture of the instance under test


def test_the_demo_fills_the_registers_and_the_console_lists_and_exports_them(
    env: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    xinfang(env, "init")
    made = xinfang(env, "demo", "--cases", "60", "--seed", "5")
    assert "联席会议 6 次" in made.stdout

    meetings = xinfang(env, "registers", "meetings").stdout
    assert meetings.count("县信访工作联席会议") == 6
    tasks = xinfang(env, "registers", "tasks").stdout
    assert "联席会议决定" in tasks
    assert "已销号" in tasks
    overdue = xinfang(env, "registers", "tasks", "--overdue").stdout
    assert "已销号" not in overdue
    assert "超期未销号" in overdue
    assert "被督查单位" in xinfang(env, "registers", "inspections").stdout
    assert "县纪委监委" in xinfang(env, "registers", "accountability").stdout

    target = tmp_path / "tasks.xlsx"
    exported = xinfang(env, "registers", "tasks", "--xlsx", str(target))
    assert str(target) in exported.stdout
    sheet = openpyxl.load_workbook(target)["任务清单"]
    assert [c.value for c in sheet[1]][:4] == ["来源", "序号", "问题", "任务"]
    with application(settings) as app:
        users = {u.name for u in app.users(SYSTEM_ACTOR)}
        year = today_in_county(app).year
        cases = [app.repository.get(c) for c in app.iter_case_ids(year)]
    leaders = {row[5].value for row in sheet.iter_rows(min_row=2)}
    assert leaders
    assert leaders <= users
    # No petitioner's identity leaves through a register.
    names = {p.name for case in cases for p in case.petitioners}
    texts = " ".join(str(c.value) for row in sheet.iter_rows() for c in row)
    assert [name for name in names if name in texts] == []
