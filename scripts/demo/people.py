"""The demo county's people and places: units, staff, sign-in people, and petitioners' names."""

from __future__ import annotations

from domain.values import Role

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
