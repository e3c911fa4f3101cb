"""A synthetic county for demonstrations: units, staff, and cases in every status.

Everything goes through the application's own use cases, as a real office would have entered it:
each case is walked through time in order with business times (`occurred_at`) in the past, so the
deadlines, ledgers and accountability views have something true to show. The same seed on the
same day gives the same county.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from domain import deadlines
from domain.application import Context, Xinfang
from domain.cases import LOCAL_TZ, Case, local_date
from domain.commands import RegisterCase, build
from domain.directory import SYSTEM_ACTOR
from domain.values import (
    TERMINAL_STATUSES,
    Actor,
    Category,
    Channel,
    Decision,
    Disposition,
    Flag,
    HearingAction,
    Level,
    NoticeKind,
    Outcome,
    Petitioner,
    Resolution,
    Role,
    Rule,
    Satisfaction,
    Status,
    VisitKind,
)

OFFICE_DUTIES = frozenset(
    set(Rule) - {Rule.OBJECT_5WD, Rule.REVIEW_WINDOW_30, Rule.RECHECK_WINDOW_30}
)
"""Deadlines the office must meet (the others are windows for the unit or the petitioner)."""

HISTORY_DAYS = 240
"""How far back the demo cases reach (about eight months)."""

BULK_BATCH = 250
"""Cases per transaction in bulk mode."""

# -- the directory -------------------------------------------------------------------------------
UNITS: tuple[tuple[str, str, str, str | None], ...] = (
    ("bureau", "县信访局", "信访部门", None),
    ("housing", "县住建局", "县直部门", None),
    ("labour", "县人社局", "县直部门", None),
    ("resources", "县自然资源局", "县直部门", None),
    ("police", "县公安局", "县直部门", None),
    ("police_cg", "县公安局城关派出所", "派出所", "police"),
    ("market", "县市场监管局", "县直部门", None),
    ("education", "县教育局", "县直部门", None),
    ("health", "县卫健委", "县直部门", None),
    ("civil", "县民政局", "县直部门", None),
    ("urban", "县城管局", "县直部门", None),
    ("ecology", "县生态环境局", "县直部门", None),
    ("agri", "县农业农村局", "县直部门", None),
    ("chengguan", "城关镇", "乡镇", None),
    ("xingfu", "城关镇幸福村", "村（社区）", "chengguan"),
    ("dongjie", "城关镇东街社区", "村（社区）", "chengguan"),
    ("hedong", "河东乡", "乡镇", None),
    ("hexi", "河西镇", "乡镇", None),
    ("qingshan", "青山镇", "乡镇", None),
    ("liulin", "柳林乡", "乡镇", None),
)
"""(key, name, kind, parent key): county departments, townships and a few units below them."""

UNIT_STAFF: dict[str, tuple[str, ...]] = {
    "housing": ("赵志刚", "钱文博", "孙晓梅"),
    "labour": ("周建平", "吴海燕", "郑浩"),
    "resources": ("冯国庆", "陈静", "褚明辉"),
    "police": ("卫振华", "蒋立新", "沈佳"),
    "market": ("韩永军", "杨帆", "朱丽娟"),
    "education": ("秦宏伟", "尤晓红", "许亮"),
    "health": ("何文华", "吕娜", "施俊杰"),
    "civil": ("张秀兰", "孔德明", "曹雪"),
    "urban": ("严国强", "华磊", "金玉霞"),
    "ecology": ("魏东升", "陶然", "姜丽"),
    "agri": ("戚长青", "谢春燕", "邹勇"),
    "chengguan": ("喻建新", "柏杨", "章晓军"),
    "hedong": ("苏红旗", "潘立军", "葛梅"),
    "hexi": ("范金山", "彭晓东", "郎秀英"),
    "qingshan": ("鲁成林", "韦春花", "马春生"),
    "liulin": ("苗建军", "方志远", "俞晓燕"),
    "xingfu": ("任长水",),
    "dongjie": ("袁桂芳",),
    "police_cg": ("柳文斌",),
}
"""Per unit: its head (单位负责人) first, then its handlers (承办人)."""

OFFICE_STAFF: tuple[tuple[str, str, Role, str | None], ...] = (
    ("clerk", "刘晓燕", Role.CLERK, "bureau"),
    ("clerk2", "张丽", Role.CLERK, "bureau"),
    ("clerk_cg", "何敏", Role.CLERK, "chengguan"),
    ("dispatcher", "王建军", Role.DISPATCHER, "bureau"),
    ("dispatcher2", "陈红梅", Role.DISPATCHER, "bureau"),
    ("leader", "陈国栋", Role.LEADER, None),
    ("leader2", "林海峰", Role.LEADER, None),
    ("leader3", "郭建华", Role.LEADER, None),
    ("supervisor", "卫东", Role.SUPERVISOR, None),
    ("supervisor2", "黄丽萍", Role.SUPERVISOR, None),
    ("auditor", "蒋文", Role.AUDITOR, None),
    ("auditor2", "韩雪", Role.AUDITOR, None),
)
"""(key, name, role, unit key) of the people who are not staff of a responsible unit."""

LOGINS: tuple[tuple[str, str, Role], ...] = (
    ("clerk", "刘晓燕", Role.CLERK),
    ("dispatcher", "王建军", Role.DISPATCHER),
    ("housing.head", "赵志刚", Role.UNIT_HEAD),
    ("supervisor", "卫东", Role.SUPERVISOR),
    ("auditor", "蒋文", Role.AUDITOR),
)
"""The people whose tokens the demo prints, so one can sign in as each of them."""

# -- places and people ---------------------------------------------------------------------------
TOWNSHIPS: dict[str, tuple[str, ...]] = {
    "chengguan": ("幸福村", "东街社区", "西关村", "南关社区"),
    "hedong": ("李庄村", "王楼村", "河东村"),
    "hexi": ("张湾村", "河西社区", "杨集村"),
    "qingshan": ("青山村", "石门村", "大王庄村"),
    "liulin": ("柳林村", "前营村", "后营村"),
}
COMPOUNDS = ("阳光花园", "锦绣华庭", "金水湾小区", "幸福里小区", "滨河家园", "御景苑")
STREETS = ("人民路", "建设路", "解放街", "文化路", "新华路", "滨河路")
COMPANIES = ("宏达建筑公司", "鑫源置业公司", "顺通劳务公司", "金利房地产开发公司", "恒信建设公司")
SCHOOLS = ("县第二实验小学", "县第三中学", "城关镇中心小学", "河东乡初级中学")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
GIVEN_NAMES = (
    "建国 秀英 桂兰 志强 红梅 海涛 玉珍 德华 春燕 永福 金凤 小军 丽娟 国庆 文斌 淑珍 立新 长林 "
    "美玲 振华 翠花 宝山 爱民 秋菊 长顺 月英 俊峰 晓光 福生 玉兰 明 军 霞 勇 芳 伟 静 强 磊 娜"
).split()
REGION_CODES = ("411422", "411423", "411424")
PHONE_PREFIXES = ("133", "135", "137", "138", "139", "150", "152", "158", "177", "186", "189")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class Topic:
    """A kind of matter people petition about, and who usually handles it."""

    subject: str
    category: Category
    units: tuple[str, ...]
    content: str
    place: str = "village"
    accused: str | None = None
    divert_to: str = "县人民法院（诉讼程序）"
    collective: bool = False
    weight: int = 3


TOWNSHIP = "@township"
"""In Topic.units: the township the matter happened in."""

TOPICS: tuple[Topic, ...] = (
    Topic(
        "拖欠农民工工资",
        Category.CLAIM,
        ("labour",),
        "反映{place}{company}承建的工地拖欠{count}名农民工工资共计{amount}万元，多次讨要无果，"
        "请求协调督促支付。",
        divert_to="县劳动人事争议仲裁委员会",
        collective=True,
        weight=6,
    ),
    Topic(
        "征地拆迁补偿",
        Category.CLAIM,
        ("resources", TOWNSHIP),
        "反映{place}{year}年征地拆迁时房屋补偿标准偏低，安置房至今未交付，要求按政策足额补偿。",
        collective=True,
        weight=5,
    ),
    Topic(
        "物业纠纷",
        Category.CLAIM,
        ("housing",),
        "反映{place}物业公司服务不到位，电梯长期故障无人维修，且擅自上调物业费，要求主管部门查处。",
        place="compound",
        weight=4,
    ),
    Topic(
        "噪音扰民",
        Category.CLAIM,
        ("ecology", "urban"),
        "反映{place}附近工地夜间施工噪音扰民，严重影响休息，多次拨打热线未解决。",
        place="street",
        weight=3,
    ),
    Topic(
        "低保申请",
        Category.CLAIM,
        ("civil", TOWNSHIP),
        "反映本人家住{place}，因病致贫、丧失劳动能力，申请最低生活保障未获批准，请求重新审核。",
        weight=4,
    ),
    Topic(
        "商品房质量问题",
        Category.CLAIM,
        ("housing",),
        "反映购买的{place}商品房出现墙体开裂、卫生间渗水等质量问题，开发商{company}拒不维修。",
        place="compound",
        weight=3,
    ),
    Topic(
        "食品安全投诉",
        Category.CLAIM,
        ("market",),
        "反映{place}一家超市销售过期食品，向店家交涉未果，要求依法查处。",
        place="street",
        weight=2,
    ),
    Topic(
        "学校违规收费",
        Category.CLAIM,
        ("education",),
        "反映{school}以资料费、课后服务费名义向学生收取费用，请求查处并退还。",
        place="county",
        weight=2,
    ),
    Topic(
        "医疗纠纷",
        Category.CLAIM,
        ("health",),
        "反映家属在县人民医院治疗期间因诊疗不当病情加重，要求调查处理并依法赔偿。",
        place="county",
        divert_to="县医疗纠纷人民调解委员会",
        weight=2,
    ),
    Topic(
        "违章建筑",
        Category.CLAIM,
        ("urban", TOWNSHIP),
        "反映{place}有人私搭乱建，占用公共通道，影响通行和消防安全，请求依法拆除。",
        weight=3,
    ),
    Topic(
        "土地承包纠纷",
        Category.CLAIM,
        ("agri", TOWNSHIP),
        "反映{place}调整承包地时未按规定程序，本人承包地被他人占用耕种，请求依法处理。",
        weight=3,
    ),
    Topic(
        "社保缴纳问题",
        Category.CLAIM,
        ("labour",),
        "反映原工作单位{company}未依法为本人缴纳社会保险，达到退休年龄无法办理退休手续。",
        place="county",
        divert_to="县劳动人事争议仲裁委员会",
        weight=2,
    ),
    Topic(
        "宅基地纠纷",
        Category.CLAIM,
        ("resources", TOWNSHIP),
        "反映与邻居因宅基地界址发生纠纷，{place}村委会调解未果，请求依法确权。",
        weight=3,
    ),
    Topic(
        "养殖场污染",
        Category.CLAIM,
        ("ecology", "agri"),
        "反映{place}一处养猪场粪污直排，污染河道和农田，气味刺鼻，请求治理。",
        collective=True,
        weight=2,
    ),
    Topic(
        "通村道路硬化建议",
        Category.SUGGESTION,
        (TOWNSHIP, "housing"),
        "建议对{place}通村道路进行硬化改造，雨天泥泞，方便群众出行和农产品运输。",
        weight=1,
    ),
    Topic(
        "增设停车位建议",
        Category.SUGGESTION,
        ("urban", "police"),
        "建议在县城{place}增设停车位，规范占道停车，缓解上下学时段拥堵。",
        place="street",
        weight=1,
    ),
    Topic(
        "检举村干部优亲厚友",
        Category.ACCUSATION,
        ("chengguan",),
        "检举{place}村干部在低保评定中优亲厚友，将不符合条件的亲属纳入低保，请求调查。",
        place="xingfu",
        accused="xingfu",
        divert_to="县纪委监委",
        weight=2,
    ),
    Topic(
        "举报社区虚报工程量",
        Category.ACCUSATION,
        ("chengguan",),
        "举报{place}在老旧小区改造中虚报工程量、套取补助资金，请求查处。",
        place="dongjie",
        accused="dongjie",
        divert_to="县纪委监委",
        weight=1,
    ),
    Topic(
        "举报民警违规收费",
        Category.ACCUSATION,
        ("police",),
        "举报城关派出所个别民警在办理户籍业务时违规收取费用、态度粗暴。",
        place="county",
        accused="police_cg",
        divert_to="县纪委监委",
        weight=1,
    ),
)

CHANNELS: tuple[tuple[Channel, int], ...] = (
    (Channel.VISIT, 30),
    (Channel.ONLINE, 25),
    (Channel.LETTER, 12),
    (Channel.PHONE, 10),
    (Channel.HOTLINE_12345, 12),
    (Channel.LEADER_RECEPTION, 5),
    (Channel.TRANSFERRED_FROM_ABOVE, 6),
)
STATUS_WEIGHTS: dict[Status, int] = {
    Status.REGISTERED: 5,
    Status.FORWARDED: 6,
    Status.ASSIGNED: 4,
    Status.DIVERTED: 4,
    Status.NOT_ACCEPTED: 4,
    Status.MERGED: 3,
    Status.ACCEPTED: 5,
    Status.IN_PROGRESS: 12,
    Status.EXTENDED: 5,
    Status.REPORT_SUBMITTED: 3,
    Status.RESPONDED: 10,
    Status.UNDER_REVIEW: 3,
    Status.REVIEWED: 3,
    Status.UNDER_RECHECK: 3,
    Status.TERMINATED: 3,
    Status.CLOSED: 27,
}
RECENT_DAYS: dict[Status, int] = {
    Status.REGISTERED: 12,
    Status.FORWARDED: 15,
    Status.ASSIGNED: 15,
    Status.ACCEPTED: 20,
    Status.IN_PROGRESS: 50,
    Status.EXTENDED: 40,
    Status.REPORT_SUBMITTED: 25,
    Status.RESPONDED: 25,
    Status.UNDER_REVIEW: 20,
    Status.REVIEWED: 20,
    Status.UNDER_RECHECK: 20,
}
"""Open cases are mostly recent; the rest of them are the overdue ones."""

NOT_ACCEPTED_REASONS = (
    "该事项已经人民法院生效判决处理，属于依法应当通过诉讼途径解决的事项",
    "信访人就同一事项在办理期限内重复提出，已告知其等待办理结果",
    "所反映事项超出本级机关职权范围，已告知信访人向有权机关提出",
)
RESPONSES: dict[Outcome, str] = {
    Outcome.SUPPORTED: "经调查核实，信访人反映的问题基本属实。已责成相关方限期整改并落实到位。",
    Outcome.EXPLAINED: "经调查，相关做法符合政策规定，已向信访人当面解释说明政策依据。",
    Outcome.NOT_SUPPORTED: "经调查核实，信访人的诉求缺乏事实和政策依据，不予支持。"
    "如不服，可自收到本意见之日起30日内申请复查。",
}
PROGRESS_NOTES = (
    "已到现场实地核查，调取相关合同和票据。",
    "已约谈相关企业负责人，督促其限期整改。",
    "已召集双方当面调解，初步达成一致意见。",
    "已向上级业务主管部门请示政策口径，等待答复。",
    "已联系信访人说明办理进展，信访人表示理解。",
)
EXTENSION_REASONS = (
    "案情复杂，需进一步调查取证并协调多个部门",
    "涉及历史遗留问题，需报县政府专题研究",
    "需委托第三方机构鉴定，鉴定周期较长",
)
NOTICE_METHODS = ("当面送达", "邮寄送达", "短信告知", "网上信访平台推送")


# -- plans ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Later:
    """An argument known only when the step's time is: e.g. `delivered_at` of a response."""

    make: Callable[[datetime], Any]


def at_step(when: datetime) -> datetime:
    """The step's own time (for delivered_at, held_at)."""
    return when


def days_after(days: int) -> Later:
    """A date `days` after the step's own (for due dates)."""

    def make(when: datetime) -> date:
        return local_date(when) + timedelta(days=days)

    return Later(make)


@dataclass
class Step:
    """One command in a case's life, `days` whole days after the previous one (0: same day)."""

    days: int
    command: str
    actor: Actor
    reason: str | None
    args: dict[str, Any]


@dataclass
class Plan:
    """How one case will go: its registration and then its steps in order."""

    target: Status
    topic: Topic
    register: dict[str, Any]
    clerk: Actor
    steps: list[Step] = field(default_factory=list)
    unit: str | None = None

    def add(
        self, after: int, command: str, actor: Actor, reason: str | None = None, /, **args: Any
    ) -> None:
        """Append a step `after` days after the previous one."""
        self.steps.append(Step(after, command, actor, reason, args))

    @property
    def total_days(self) -> int:
        """Days from registration to the last step."""
        return sum(step.days for step in self.steps)


@dataclass(frozen=True)
class Login:
    """A person to sign in as, with a fresh token."""

    role: Role
    name: str
    unit: str
    token: str


@dataclass
class Report:
    """What `populate` did."""

    units: int = 0
    users: int = 0
    statuses: Counter[Status] = field(default_factory=Counter)
    events: int = 0
    overdue_cases: int = 0
    logins: list[Login] = field(default_factory=list)


class County:
    """The demo's directory, built through the application, and the random choices over it."""

    def __init__(self, app: Xinfang, rng: random.Random) -> None:
        self.app = app
        self.rng = rng
        self.units: dict[str, UUID] = {}
        self.unit_names: dict[str, str] = {}
        self.people: dict[str, Actor] = {}
        self.tokens: dict[str, str] = {}

    def build(self) -> None:
        """Add the units and every person."""
        for key, name, kind, parent in UNITS:
            parent_id = self.units[parent] if parent else None
            unit = self.app.add_unit(SYSTEM_ACTOR, name=name, kind=kind, parent_id=parent_id)
            self.units[key] = unit.id
            self.unit_names[key] = name
        for unit_key, names in UNIT_STAFF.items():
            for i, name in enumerate(names):
                key = f"{unit_key}.head" if i == 0 else f"{unit_key}.h{i}"
                role = Role.UNIT_HEAD if i == 0 else Role.HANDLER
                self._add_person(key, name, role, unit_key)
        for key, name, role, office in OFFICE_STAFF:
            self._add_person(key, name, role, office)

    def _add_person(self, key: str, name: str, role: Role, unit_key: str | None) -> None:
        unit_id = self.units[unit_key] if unit_key else None
        user, token = self.app.add_user(SYSTEM_ACTOR, name=name, role=role, unit_id=unit_id)
        self.people[key] = user.as_actor
        self.tokens[key] = token

    def head(self, unit: str) -> Actor:
        """The unit's head."""
        return self.people[f"{unit}.head"]

    def handlers(self, unit: str) -> list[Actor]:
        """The unit's handlers."""
        return [a for k, a in self.people.items() if k.startswith(f"{unit}.h")]

    def pick(self, *keys: str) -> Actor:
        """One of the named people."""
        return self.people[self.rng.choice(keys)]

    # -- petitioners and places ------------------------------------------------------------------
    def person(self, township: str, village: str) -> Petitioner:
        """A petitioner with a plausible name, ID number, phone and address."""
        rng = self.rng
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 52))
        body = f"{rng.choice(REGION_CODES)}{born:%Y%m%d}{rng.randrange(1000):03d}"
        check = ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]
        phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        address = f"{self.unit_names[township]}{village}{rng.randint(1, 9)}组{rng.randint(1, 60)}号"
        return Petitioner(name=name, id_number=body + check, phone=phone, address=address)

    def place(self, topic: Topic) -> tuple[str, str, str]:
        """(township key, location text, the place as the petition names it)."""
        rng = self.rng
        if topic.place in {"xingfu", "dongjie"}:
            name = self.unit_names[topic.place]
            return "chengguan", name, name
        township = rng.choice(list(TOWNSHIPS))
        village = rng.choice(TOWNSHIPS[township])
        if topic.place == "compound":
            compound = f"城关镇{rng.choice(COMPOUNDS)}"
            return "chengguan", compound, compound
        if topic.place == "street":
            street = f"{rng.choice(STREETS)}{rng.randint(1, 20) * 10}号"
            return "chengguan", f"城关镇{street}", street
        if topic.place == "county":
            return township, "县城", "县城"
        location = f"{self.unit_names[township]}{village}"
        return township, location, location


# -- walking a case through its life ---------------------------------------------------------------
class Planner:
    """Decides, with the seeded generator, how each case goes."""

    def __init__(self, county: County) -> None:
        self.county = county
        self.rng = county.rng

    def chance(self, p: float) -> bool:
        """True with probability p."""
        return self.rng.random() < p

    def days(self, low: int, high: int) -> int:
        """A whole number of days in [low, high]."""
        return self.rng.randint(low, high)

    def plan(self, target: Status) -> Plan:
        """A plan that ends in `target`."""
        c = self.county
        rng = self.rng
        topic = rng.choices(TOPICS, weights=[t.weight for t in TOPICS])[0]
        township, location, place_text = c.place(topic)
        people = [c.person(township, rng.choice(TOWNSHIPS[township]))]
        collective_size = None
        if topic.collective and self.chance(0.35):
            collective_size = rng.randint(5, 60)
            people += [c.person(township, rng.choice(TOWNSHIPS[township])) for _ in range(2)]
        elif self.chance(0.1):
            people.append(c.person(township, rng.choice(TOWNSHIPS[township])))
        content = topic.content.format(
            place=place_text,
            company=rng.choice(COMPANIES),
            count=collective_size or rng.randint(3, 30),
            amount=rng.randint(3, 90),
            year=rng.randint(2016, 2023),
            school=rng.choice(SCHOOLS),
        )
        units = [township if u == TOWNSHIP else u for u in topic.units]
        direct = (
            "chengguan" in units
            and topic.accused is None
            and target not in {Status.FORWARDED, Status.ASSIGNED, Status.REPORT_SUBMITTED}
            and self.chance(0.3)
        )
        clerk = c.people["clerk_cg"] if direct else c.pick("clerk", "clerk2")
        channel = rng.choices([ch for ch, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
        plan = Plan(
            target=target,
            topic=topic,
            clerk=clerk,
            register={
                "channel": channel,
                "category": topic.category,
                "subject": topic.subject,
                "content": content,
                "petitioners": people,
                "location": location,
                "accused_unit_ids": [c.units[topic.accused]] if topic.accused else [],
                "collective_size": collective_size,
            },
        )
        self._intake(plan, channel)
        if target is Status.MERGED:
            return plan
        if target is Status.REGISTERED:
            self._maybe_repeat(plan)
        elif target is Status.DIVERTED:
            plan.add(
                self.days(1, 6),
                "divert",
                c.pick("dispatcher", "dispatcher2"),
                target=topic.divert_to,
            )
        elif target is Status.NOT_ACCEPTED:
            if self.chance(0.4):
                self._route(plan, units, assign=False)
            plan.add(
                self.days(1, 5),
                "not_accept",
                c.pick("dispatcher", "dispatcher2"),
                rng.choice(NOT_ACCEPTED_REASONS),
            )
            self._notice(plan, NoticeKind.NOT_ACCEPTED, 0.7)
        else:
            self._handle(plan, units, direct)
        return plan

    # -- stages ----------------------------------------------------------------------------------
    def _intake(self, plan: Plan, channel: Channel) -> None:
        c = self.county
        self._notice(plan, NoticeKind.RECEIPT, 0.9, by=plan.clerk)
        if channel in {Channel.TRANSFERRED_FROM_ABOVE, Channel.LEADER_RECEPTION} and self.chance(
            0.5
        ):
            plan.add(
                0, "set_flag", c.pick("dispatcher", "dispatcher2"), flag=Flag.SKIP_LEVEL, on=True
            )
        if self.chance(0.03):
            plan.add(0, "set_flag", c.pick("dispatcher", "dispatcher2"), flag=Flag.URGENT, on=True)
        if plan.topic.category is Category.ACCUSATION and self.chance(0.5):
            plan.add(
                0, "set_flag", c.pick("supervisor", "supervisor2"), flag=Flag.SENSITIVE, on=True
            )

    def _notice(self, plan: Plan, kind: NoticeKind, p: float, by: Actor | None = None) -> None:
        if self.chance(p):
            plan.add(
                self.days(0, 2),
                "notify_petitioner",
                by or self.county.pick("clerk", "clerk2"),
                kind=kind,
                method=self.rng.choice(NOTICE_METHODS),
                delivered_at=Later(at_step),
            )

    def _maybe_repeat(self, plan: Plan, p: float = 0.12) -> None:
        if not self.chance(p):
            return
        c = self.county
        first: Petitioner = plan.register["petitioners"][0]
        plan.add(
            self.days(2, 12),
            "link_petition",
            c.pick("clerk", "clerk2"),
            channel=self.rng.choice([Channel.VISIT, Channel.PHONE, Channel.HOTLINE_12345]),
            content=f"信访人再次反映“{plan.topic.subject}”问题，询问办理进度，情绪较为激动。",
            petitioners=[first],
        )

    def _route(self, plan: Plan, units: list[str], *, assign: bool) -> str:
        """Forward or assign the case; sometimes the unit objects first."""
        c = self.county
        dispatcher = c.pick("dispatcher", "dispatcher2")
        unit = units[0] if self.chance(0.7) else self.rng.choice(units)
        if assign:
            due = self.rng.choice((30, 45, 60))
            plan.add(
                self.days(1, 6),
                "assign",
                dispatcher,
                unit_id=c.units[unit],
                due_date=days_after(due),
            )
        else:
            plan.add(self.days(1, 6), "forward", dispatcher, unit_id=c.units[unit])
        others = [u for u in units if u != unit]
        if not assign and others and self.chance(0.12):
            other = others[0]
            plan.add(
                self.days(1, 2),
                "object",
                c.head(unit),
                f"该事项属于{c.unit_names[other]}职责范围，请重新分办",
            )
            plan.add(self.days(1, 2), "decide_objection", dispatcher, upheld=True)
            plan.add(self.days(0, 2), "forward", dispatcher, unit_id=c.units[other])
            unit = other
        plan.unit = unit
        return unit

    def _handle(self, plan: Plan, units: list[str], direct: bool) -> None:
        """From routing to the target status."""
        c = self.county
        rng = self.rng
        target = plan.target
        assign = target in {Status.ASSIGNED, Status.REPORT_SUBMITTED} or (
            target not in {Status.FORWARDED} and not direct and self.chance(0.15)
        )
        if direct:
            unit = "chengguan"
            plan.unit = unit
        else:
            unit = self._route(plan, units, assign=assign)
        if target in {Status.FORWARDED, Status.ASSIGNED}:
            self._maybe_repeat(plan)
            return
        head = c.head(unit)
        handler = rng.choice(c.handlers(unit))
        sponsor = c.pick("leader", "leader2", "leader3") if self.chance(0.25) else None
        plan.add(
            self.days(1, 5),
            "accept",
            head,
            handler_id=handler.id,
            leader_id=sponsor.id if sponsor else None,
        )
        self._notice(plan, NoticeKind.ACCEPTANCE, 0.85)
        if target is Status.ACCEPTED:
            return
        if target is Status.CLOSED and self.chance(0.1):
            plan.add(self.days(3, 20), "withdraw", plan.clerk, "信访人书面申请撤回信访事项")
            return
        plan.add(self.days(0, 3), "start_work", handler)
        handler = self._working(plan, unit, handler, sponsor)
        if target is Status.IN_PROGRESS:
            self._maybe_redo(plan, unit, handler, assign)
            return
        if target is Status.EXTENDED or self.chance(0.12):
            plan.add(
                self.days(20, 45),
                "extend",
                head,
                rng.choice(EXTENSION_REASONS),
                days=rng.choice((10, 15, 20, 30)),
                approved_by=c.people[rng.choice(("leader", "leader2"))].name,
            )
            self._notice(plan, NoticeKind.EXTENSION, 0.5)
            if target is Status.EXTENDED:
                return
        if assign:
            self._report(plan, unit, handler)
        else:
            self._respond(plan, unit, handler)
        if target is Status.REPORT_SUBMITTED:
            return
        self._after_response(plan, unit, handler)

    def _working(self, plan: Plan, unit: str, handler: Actor, sponsor: Actor | None) -> Actor:
        """Investigation: progress notes, visits, supervision, hand-overs. Returns the handler."""
        c = self.county
        rng = self.rng
        for _ in range(rng.randint(0, 2)):
            plan.add(self.days(2, 10), "record_progress", handler, note=rng.choice(PROGRESS_NOTES))
        if self.chance(0.3):
            plan.add(
                self.days(1, 8),
                "record_visit",
                handler,
                kind=VisitKind.HOME_VISIT,
                leader_id=None,
                held_at=Later(at_step),
                notes="承办人上门走访信访人，核实情况并宣讲相关政策。",
            )
        if sponsor is None and self.chance(0.08):
            sponsor = c.pick("leader", "leader2", "leader3")
            plan.add(
                self.days(0, 3),
                "change_leader",
                c.pick("supervisor", "supervisor2"),
                "列为县级领导包案化解",
                leader_id=sponsor.id,
            )
        if sponsor is not None and self.chance(0.7):
            kind = rng.choice([VisitKind.RECEPTION, VisitKind.HOME_VISIT, VisitKind.APPOINTMENT])
            plan.add(
                self.days(1, 10),
                "record_visit",
                sponsor,
                kind=kind,
                leader_id=sponsor.id,
                held_at=Later(at_step),
                notes="包案领导面对面听取信访人诉求，责成承办单位限期解决。",
            )
        if self.chance(0.05):
            plan.add(
                0, "set_flag", c.pick("supervisor", "supervisor2"), flag=Flag.KEY_CASE, on=True
            )
        if self.chance(0.1):
            n = sum(1 for s in plan.steps if s.command == "issue_supervision_order") + 1
            due = rng.choice((7, 10, 15))
            plan.add(
                self.days(3, 15),
                "issue_supervision_order",
                c.pick("supervisor", "supervisor2"),
                due_date=days_after(due),
                text="该件办理进度缓慢，请按期报送办理情况。",
            )
            if self.chance(0.7):
                plan.add(
                    self.days(2, 9),
                    "answer_supervision_order",
                    handler,
                    n=n,
                    text="已按督办要求加快办理，已约谈相关责任方，预计两周内办结。",
                )
        others = [h for h in c.handlers(unit) if h != handler]
        if others and self.chance(0.05):
            handler = rng.choice(others)
            plan.add(
                self.days(1, 5),
                "change_handler",
                c.head(unit),
                "原承办人工作调整",
                handler_id=handler.id,
            )
        if plan.target in {Status.IN_PROGRESS, Status.EXTENDED} and self.chance(0.06):
            plan.add(0, "set_flag", c.pick("supervisor", "supervisor2"), flag=Flag.BACKLOG, on=True)
        self._maybe_repeat(plan, 0.1)
        return handler

    def _maybe_redo(self, plan: Plan, unit: str, handler: Actor, assign: bool) -> None:
        """Some cases in progress are back there after a review or a reopening."""
        if assign or not self.chance(0.15):
            return
        c = self.county
        self._respond(plan, unit, handler, dispositions=False)
        if self.chance(0.5):
            plan.add(self.days(5, 20), "request_review", c.pick("clerk", "clerk2"))
            plan.add(
                self.days(10, 25),
                "decide_review",
                c.pick("supervisor", "supervisor2"),
                decision=Decision.REDO,
                text="原处理意见事实不清，责成原办理单位重新办理。",
            )
        else:
            plan.add(
                self.days(31, 40),
                "close",
                c.pick("dispatcher", "dispatcher2"),
                resolution=Resolution.UNRESOLVED,
            )
            plan.add(
                self.days(3, 20),
                "reopen",
                c.pick("dispatcher", "dispatcher2"),
                "信访人提供新的证据材料，经分管领导批准重新办理",
                approved_by=c.people["leader2"].name,
            )

    def _respond(
        self, plan: Plan, unit: str, handler: Actor, *, dispositions: bool = True
    ) -> Outcome:
        c = self.county
        rng = self.rng
        outcome = rng.choices(list(RESPONSES), weights=(45, 40, 15))[0]
        plan.add(
            self.days(8, 35),
            "respond",
            handler if self.chance(0.8) else c.head(unit),
            outcome=outcome,
            text=RESPONSES[outcome],
            delivered_at=Later(at_step),
        )
        if dispositions and self.chance(0.6):
            kinds = {
                Outcome.SUPPORTED: [Disposition.RESOLVED],
                Outcome.EXPLAINED: [Disposition.EDUCATED],
                Outcome.NOT_SUPPORTED: [Disposition.EDUCATED],
            }[outcome]
            if plan.topic.subject == "低保申请" or self.chance(0.1):
                kinds = [*kinds, Disposition.ASSISTED]
            plan.add(0, "record_dispositions", handler, kinds=kinds, note="三到位一处理已落实。")
        return outcome

    def _report(self, plan: Plan, unit: str, handler: Actor) -> None:
        c = self.county
        plan.add(
            self.days(8, 30),
            "submit_report",
            handler,
            text="办结报告：经调查核实，已督促相关方整改到位，信访人诉求已依法处理。",
        )
        if plan.target is Status.REPORT_SUBMITTED:
            return
        dispatcher = c.pick("dispatcher", "dispatcher2")
        if self.chance(0.2):
            plan.add(self.days(1, 4), "return_report", dispatcher, "办结报告未附调查笔录，请补充")
            plan.add(
                self.days(3, 8),
                "submit_report",
                handler,
                text="补充办结报告：已附调查笔录和整改凭证。",
            )
        plan.add(self.days(1, 4), "approve_report", dispatcher)

    def _after_response(self, plan: Plan, unit: str, handler: Actor) -> None:
        """Review, recheck, follow-up and closing."""
        c = self.county
        rng = self.rng
        target = plan.target
        clerk = c.pick("clerk", "clerk2")
        supervisor = c.pick("supervisor", "supervisor2")
        dispatcher = c.pick("dispatcher", "dispatcher2")
        if target is Status.RESPONDED:
            if self.chance(0.4):
                self._follow_up(plan)
            return
        wants_review = target in {
            Status.UNDER_REVIEW,
            Status.REVIEWED,
            Status.UNDER_RECHECK,
            Status.TERMINATED,
        } or (target is Status.CLOSED and self.chance(0.25))
        if not wants_review:
            satisfaction = self._follow_up(plan, p=0.8)
            resolution = (
                Resolution.UNRESOLVED
                if satisfaction is Satisfaction.UNSATISFIED
                else rng.choice([Resolution.SETTLED, Resolution.RESOLVED])
            )
            plan.add(self.days(31, 45), "close", dispatcher, resolution=resolution)
            return
        plan.add(self.days(5, 25), "request_review", clerk)
        if target is Status.UNDER_REVIEW:
            return
        decision = rng.choices(
            [Decision.UPHELD, Decision.CHANGED, Decision.REVOKED], weights=(75, 18, 7)
        )[0]
        upheld = decision is Decision.UPHELD
        plan.add(
            self.days(10, 28),
            "decide_review",
            supervisor,
            decision=decision,
            text="复查意见：维持原处理意见。" if upheld else "复查意见：变更原处理意见。",
        )
        if target is Status.REVIEWED:
            return
        if target is Status.CLOSED:
            plan.add(self.days(31, 40), "close", dispatcher, resolution=Resolution.RESOLVED)
            return
        plan.add(self.days(5, 25), "request_recheck", clerk)
        hearing = self.chance(0.5)
        if hearing:
            plan.add(self.days(3, 10), "hearing", supervisor, action=HearingAction.START)
        if target is Status.UNDER_RECHECK:
            return
        if hearing:
            plan.add(self.days(2, 7), "hearing", supervisor, action=HearingAction.END)
        plan.add(
            self.days(5, 18),
            "decide_recheck",
            supervisor,
            decision=Decision.UPHELD,
            text="复核意见：维持复查意见，本信访事项复核终结。",
        )
        if self.chance(0.3):
            self._follow_up(plan)

    def _follow_up(self, plan: Plan, p: float = 1.0) -> Satisfaction | None:
        if not self.chance(p):
            return None
        satisfaction = self.rng.choices(list(Satisfaction), weights=(60, 25, 15))[0]
        plan.add(
            self.days(3, 12),
            "record_follow_up",
            self.county.pick("clerk", "clerk2"),
            satisfaction=satisfaction,
            note="电话回访信访人，了解办理结果落实情况。",
        )
        return satisfaction


# -- running the plans -----------------------------------------------------------------------------
class Runner:
    """Executes plans through the application, in business-time order within each case."""

    def __init__(self, county: County) -> None:
        self.county = county
        self.app = county.app
        self.rng = county.rng
        self.now = county.app.clock()
        self.today = local_date(self.now)
        self.events = 0

    def _moment(self, day: date, after: datetime | None) -> datetime:
        """A time in office hours on `day`, later than `after`."""
        minutes = self.rng.randint(8 * 60 + 30, 17 * 60 + 30)
        moment = datetime.combine(day, time(minutes // 60, minutes % 60), LOCAL_TZ)
        if after is not None and moment <= after:
            moment = after + timedelta(minutes=self.rng.randint(5, 60))
        return moment

    def start_day(self, plan: Plan, earliest: date | None = None) -> date:
        """When the case is registered, so that it ends by yesterday."""
        latest = self.today - timedelta(days=1 + plan.total_days)
        first = earliest or self.today - timedelta(days=HISTORY_DAYS)
        if latest <= first:
            return max(latest, self.today - timedelta(days=HISTORY_DAYS + 120))
        recent = RECENT_DAYS.get(plan.target)
        span = (latest - first).days
        if recent is not None and self.rng.random() < 0.8:
            span = min(span, recent)
        return latest - timedelta(days=self.rng.randint(0, span))

    def run(self, plan: Plan, start: date) -> Case:
        """Register the case and walk it through its steps."""
        when = self._moment(start, None)
        registration = RegisterCase(**plan.register)
        outcome = self.app.execute(registration, Context(plan.clerk, occurred_at=when))
        self.events += 1
        case_id = outcome.case.id
        case = outcome.case
        day = start
        for step in plan.steps:
            day += timedelta(days=step.days)
            when = (
                when + timedelta(minutes=self.rng.randint(5, 90))
                if step.days == 0
                else self._moment(day, when)
            )
            when = min(when, self.now - timedelta(minutes=1))
            args = {k: v.make(when) if isinstance(v, Later) else v for k, v in step.args.items()}
            ctx = Context(step.actor, occurred_at=when, reason=step.reason)
            case = self.app.execute(build(step.command, case_id, **args), ctx).case
            self.events += 1 + (step.command == "merge")
        return case

    def merge(self, plan: Plan, targets: Sequence[Case]) -> Case:
        """Register a duplicate of an earlier case and merge it into that case."""
        c = self.county
        target = self.rng.choice(list(targets))
        first = local_date(target.registered_at) + timedelta(days=1)
        plan.register.update(
            channel=self.rng.choice([Channel.VISIT, Channel.PHONE, Channel.ONLINE]),
            category=target.category,
            subject=target.subject,
            content=f"再次反映：{target.content}",
            petitioners=list(target.petitioners[:1]),
            location=target.location,
            accused_unit_ids=list(target.accused_unit_ids),
            collective_size=None,
        )
        plan.add(
            self.rng.randint(1, 4),
            "merge",
            c.pick("dispatcher", "dispatcher2"),
            into_case_id=target.id,
        )
        return self.run(plan, self.start_day(plan, earliest=first))


# -- entry points --------------------------------------------------------------------------------
def statuses_for(count: int, rng: random.Random) -> list[Status]:
    """`count` target statuses: every status once first (as far as count allows), then weighted."""
    every = [s for s in Status if count > 1 or s is not Status.MERGED]
    rng.shuffle(every)
    chosen = every[:count]
    if count > len(chosen):
        chosen += rng.choices(
            list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=count - len(chosen)
        )
    if count == 1 and chosen == [Status.MERGED]:
        chosen = [Status.CLOSED]
    return chosen


def has_cases(app: Xinfang) -> bool:
    """Whether any case was ever registered in this instance."""
    topic = f"{Case.Registered.__module__}:{Case.Registered.__qualname__}"
    return bool(app.recorder.select_notifications(None, 1, topics=[topic]))


def populate(
    app: Xinfang,
    *,
    cases: int = 300,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
    bulk: bool = False,
) -> Report:
    """Add the demo county and `cases` cases to an instance; returns what was done.

    With `bulk`, the same use cases run in batches of BULK_BATCH cases, each saved in one
    transaction (see `Xinfang.batch`): far fewer round trips, the same events.
    """
    rng = random.Random(seed)
    county = County(app, rng)
    county.build()
    planner = Planner(county)
    runner = Runner(county)
    report = Report(units=len(county.units), users=len(county.people))
    plans = [planner.plan(status) for status in statuses_for(cases, rng)]
    # Duplicates come last: they are merged into cases that exist by then.
    plans.sort(key=lambda p: p.target is Status.MERGED)
    done: list[Case] = []
    batches = [plans[i : i + BULK_BATCH] for i in range(0, len(plans), BULK_BATCH)]
    for batch in batches if bulk else [plans]:
        with app.batch() if bulk else contextlib.nullcontext():
            done += [run_one(runner, plan, done) for plan in batch]
            if progress is not None:
                progress(len(batch))
    final = {case.id: case for case in done}
    for case in done:
        if case.merged_into in final:
            final[case.merged_into] = app.repository.get(case.merged_into)
    report.statuses = Counter(case.status for case in final.values())
    report.events = runner.events
    report.overdue_cases = sum(1 for case in final.values() if is_overdue(case, runner.today))
    report.logins = [
        Login(role, county.people[key].name, _unit_of(county, key), county.tokens[key])
        for key, _, role in LOGINS
    ]
    return report


def run_one(runner: Runner, plan: Plan, done: Sequence[Case]) -> Case:
    """Walk one plan; a duplicate is merged into an earlier case still able to take it."""
    if plan.target is Status.MERGED:
        targets = [
            case
            for case in done
            if (case.status not in TERMINAL_STATUSES or case.status is Status.CLOSED)
            and local_date(case.registered_at) < runner.today - timedelta(days=8)
        ]
        if targets:
            return runner.merge(plan, targets)
    return runner.run(plan, runner.start_day(plan))


def is_overdue(case: Case, today: date) -> bool:
    """Whether an open case has missed one of the office's own deadlines by `today`."""
    if case.status in TERMINAL_STATUSES:
        return False
    return any(
        d.rule in OFFICE_DUTIES
        and deadlines.level(d, today) in {Level.OVERDUE, Level.SEVERELY_OVERDUE}
        for d in case.deadlines.values()
    )


def _unit_of(county: County, key: str) -> str:
    unit_id = county.people[key].unit_id
    names = {uid: county.unit_names[k] for k, uid in county.units.items()}
    return names.get(unit_id, "-") if unit_id else "-"


def fresh_logins(app: Xinfang) -> list[Login]:
    """New tokens for the demo's sign-in people, if the instance has them."""
    names = {unit.id: unit.name for unit in app.units()}
    found = {(u.name, u.role): u for u in app.users(SYSTEM_ACTOR) if u.active}
    logins = []
    for _, name, role in LOGINS:
        user = found.get((name, role))
        if user is not None:
            token = app.issue_token(SYSTEM_ACTOR, user.id)
            unit = names.get(user.unit_id, "-") if user.unit_id else "-"
            logins.append(Login(role, user.name, unit, token))
    return logins
