"""The demo county's risk register (隐患排查台账) and a 百日攻坚 campaign, through the use cases.

Risks are found over the last ninety days in every township, from every source; most get their
包案领导, 责任单位 and 具体负责人 (some are left incomplete, as a real register has them), steps
are taken, many are closed as defused on evidence, a few become petitions. A 积案化解百日攻坚
campaign started sixty days ago targets the county's backlog cases and its grave and serious
risks, so its weekly snapshots have something to count.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID

from domain.application import Context
from domain.campaigns import Campaign
from domain.cases import LOCAL_TZ, Case
from domain.commands.campaigns import LaunchCampaign
from domain.commands.risks import (
    AssignRisk,
    ConvertRisk,
    RecordRiskStep,
    RegisterRisk,
    ResolveRisk,
)
from domain.registers import Campaigns, Registers
from domain.risks import Risk
from domain.values import (
    TERMINAL_STATUSES,
    CampaignKind,
    Category,
    Channel,
    Flag,
    RiskKind,
    RiskLevel,
    RiskSource,
)
from scripts.demo.county import County
from scripts.demo.people import TOWNSHIPS


@dataclass(frozen=True)
class Matter:
    """A kind of risk the county finds, with the department that usually answers for it."""

    kind: RiskKind
    subject: str
    description: str
    unit: str
    """The 责任单位 by default (`township`: the township where it lies)."""
    level: RiskLevel
    crowd: bool = False


MATTERS: tuple[Matter, ...] = (
    Matter(
        RiskKind.DISPUTE,
        "承包地边界纠纷",
        "两户村民因承包地边界多次争吵，一方扬言到县上访。",
        "township",
        RiskLevel.ORDINARY,
    ),
    Matter(
        RiskKind.DISPUTE,
        "宅基地纠纷",
        "邻里因宅基地翻建占地发生冲突，村调解两次未果。",
        "township",
        RiskLevel.ORDINARY,
    ),
    Matter(
        RiskKind.GROUP_GRIEVANCE,
        "征地补偿款分配争议",
        "村民对征地补偿款分配方案不满，多人聚集村委会。",
        "resources",
        RiskLevel.GRAVE,
        crowd=True,
    ),
    Matter(
        RiskKind.GROUP_GRIEVANCE,
        "农民工工资拖欠苗头",
        "某工地农民工反映两个月未发工资，有集体讨薪苗头。",
        "labour",
        RiskLevel.SERIOUS,
        crowd=True,
    ),
    Matter(
        RiskKind.GROUP_GRIEVANCE,
        "小区业主与物业矛盾",
        "业主对物业收费和公共收益不满，拟集体反映。",
        "housing",
        RiskLevel.SERIOUS,
        crowd=True,
    ),
    Matter(
        RiskKind.GROUP_GRIEVANCE,
        "商品房逾期交房",
        "购房户反映开发商逾期一年未交房，情绪激动。",
        "housing",
        RiskLevel.GRAVE,
        crowd=True,
    ),
    Matter(
        RiskKind.PERSON_AT_RISK,
        "老上访户诉求反复",
        "该户对原处理意见不服，近期多次扬言赴省进京。",
        "township",
        RiskLevel.SERIOUS,
    ),
    Matter(
        RiskKind.PERSON_AT_RISK,
        "退役军人待遇诉求",
        "退役人员反映优抚待遇未落实，情绪不稳。",
        "civil",
        RiskLevel.ORDINARY,
    ),
    Matter(
        RiskKind.DISPUTE,
        "养殖场污染投诉",
        "周边群众反映养殖场异味和污水问题，与场主发生口角。",
        "ecology",
        RiskLevel.ORDINARY,
    ),
    Matter(
        RiskKind.GROUP_GRIEVANCE,
        "企业改制职工社保接续",
        "原改制企业职工反映社保断缴，拟集体到县反映。",
        "labour",
        RiskLevel.GRAVE,
        crowd=True,
    ),
)
SOURCES = (
    (RiskSource.SURVEY, 4),
    (RiskSource.GRID, 4),
    (RiskSource.HOTLINE_12345, 2),
    (RiskSource.VISIT_SIGN, 2),
    (RiskSource.REFERRAL, 1),
)
STEPS = (
    "镇村干部入户走访，了解诉求",
    "组织双方现场调解",
    "召集相关部门协调会，明确解决方案",
    "包案领导约谈当事人，释法明理",
    "落实帮扶措施，持续跟踪稳控",
)
EVIDENCE = (
    "双方签订人民调解协议书",
    "补偿款已发放到位，当事人签字确认",
    "工资已全部结清，有签收单",
    "当事人书面承诺息诉罢访",
    "问题已整改到位，回访群众满意",
)
DAYS = 90
"""How far back risks are found."""


@dataclass
class RegisterReport:
    """What the demo added to the registers."""

    risks: int = 0
    resolved: int = 0
    converted: int = 0
    incomplete: int = 0
    campaigns: int = 0


def moment(day: date, rng: random.Random, now: datetime) -> datetime:
    """A working-hours moment on `day` in the county (never later than `now`)."""
    chosen = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=LOCAL_TZ)
    return min(chosen, now)


def populate_registers(
    county: County,
    rng: random.Random,
    today: date,
    cases: Sequence[Case],
    *,
    count: int = 40,
    conversions: int = 0,
) -> RegisterReport:
    """Enter `count` risks (the first `conversions` of them converted into cases) and launch
    one campaign; returns what was done."""
    app = county.app
    registers = Registers(app)
    report = RegisterReport()
    made: list[Risk] = []
    for n in range(count):
        risk = _one_risk(county, registers, rng, today, convert=n < conversions)
        made.append(risk)
        report.risks += 1
        report.incomplete += risk.incomplete
        report.resolved += risk.status.value == "resolved"
        report.converted += risk.status.value == "converted"
    backlog = [c.id for c in cases if Flag.BACKLOG in c.flags and c.status not in TERMINAL_STATUSES]
    targets = [r.id for r in made if r.level is not RiskLevel.ORDINARY]
    if backlog or targets:
        _campaign(county, registers, today, backlog[:30], targets)
        report.campaigns = 1
    return report


def _one_risk(
    county: County, registers: Registers, rng: random.Random, today: date, *, convert: bool
) -> Risk:
    now = county.app.clock()
    last = datetime.min.replace(tzinfo=LOCAL_TZ)

    def at(day: date) -> datetime:
        # Each step after the one before, never later than now.
        nonlocal last
        last = max(last, moment(day, rng, now))
        return last

    matter = rng.choice(MATTERS)
    township = rng.choice(list(TOWNSHIPS))
    village = rng.choice(TOWNSHIPS[township])
    source = rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0]
    found = today - timedelta(days=rng.randint(3, DAYS))
    people = [
        county.person(township, village) for _ in range(rng.randint(2, 4) if matter.crowd else 1)
    ]
    reporter = county.head(township) if source is RiskSource.GRID else county.people["clerk"]
    entered = registers.execute(
        RegisterRisk(
            kind=matter.kind,
            source=source,
            level=matter.level,
            subject=matter.subject,
            description=matter.description,
            township_id=county.units[township],
            village=village,
            people=people,
            headcount=len(people) * rng.randint(3, 12) if matter.crowd else None,
        ),
        Context(reporter, occurred_at=at(found)),
    ).risk
    day = found
    if not convert and rng.random() < 0.15:
        return entered  # nobody named yet: listed incomplete
    unit = township if matter.unit == "township" else matter.unit
    leader = rng.choice([k for k in county.people if k.startswith("leader")])
    handler = rng.choice(county.handlers(unit))
    named = (
        convert or rng.random() > 0.1
    )  # some have a unit and a handler, but no sponsoring leader yet
    day = min(today, day + timedelta(days=rng.randint(0, 3)))
    dispatcher = county.people["dispatcher"]
    risk = registers.execute(
        AssignRisk(
            risk_id=entered.id,
            leader_id=county.people[leader].id if named else None,
            unit_id=county.units[unit],
            handler_id=handler.id,
        ),
        Context(dispatcher, occurred_at=at(day)),
    ).risk
    for text in rng.sample(STEPS, rng.randint(0, 3)):
        day = min(today, day + timedelta(days=rng.randint(1, 10)))
        risk = registers.execute(
            RecordRiskStep(risk_id=risk.id, text=text),
            Context(handler, occurred_at=at(day)),
        ).risk
    if not named:
        return risk
    fate = rng.random()
    day = min(today, day + timedelta(days=rng.randint(1, 15)))
    if convert:
        return registers.execute(
            ConvertRisk(risk_id=risk.id, channel=Channel.VISIT, category=Category.CLAIM),
            Context(county.people["clerk"], occurred_at=at(day)),
        ).risk
    if fate < 0.5:
        approver = county.people[leader] if rng.random() < 0.5 else county.people["supervisor"]
        return registers.execute(
            ResolveRisk(risk_id=risk.id, evidence=rng.choice(EVIDENCE)),
            Context(approver, occurred_at=at(day)),
        ).risk
    return risk


def _campaign(
    county: County,
    registers: Registers,
    today: date,
    case_ids: list[UUID],
    risk_ids: list[UUID],
) -> Campaign:
    starts = today - timedelta(days=60)
    command = LaunchCampaign(
        name=f"{starts.year}年信访积案化解百日攻坚",
        kind=CampaignKind.HUNDRED_DAYS,
        starts_on=starts,
        ends_on=starts + timedelta(days=99),
        case_ids=case_ids,
        risk_ids=risk_ids,
    )
    at = datetime.combine(starts, time(9), tzinfo=LOCAL_TZ)
    return Campaigns(registers).launch(
        command, Context(county.people["supervisor"], occurred_at=at)
    )
