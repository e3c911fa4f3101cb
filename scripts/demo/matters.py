"""What the demo county's people petition about, and the words the office answers with."""

from __future__ import annotations

from dataclasses import dataclass

from domain.values import Category, Channel, Outcome, Status


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
