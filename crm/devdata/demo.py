"""The demo data of the reference programme (DESIGN §8.1), built by ``manage.py seed_demo``.

One city bureau with its departments and two county bureaus, demo users of every role, the 13 linked
enterprises, the 1 assisted enterprise and the 4 assisted projects, with visits, needs in every status
(each with its timeline), policies, policy matches, offerings and action items.

Every row is keyed on a stable natural key (bureau name, (bureau, department name), username, credit
code, policy title, (department, offering name), need title, …) and only created when it is missing, so
a second run changes nothing. Dates are relative to today so that the demo stays "live". All names,
credit codes and phone numbers are fictional. Nothing here is random.
"""

import datetime as dt
import json
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django.utils.translation import override

from crm.choices import (
    ActionStatus,
    ActivityKind,
    BureauLevel,
    EnterpriseStatus,
    MatchStatus,
    NeedEventKind,
    NeedSource,
    NeedStatus,
    PartyOrganization,
    PolicyDelivery,
    PolicyKind,
    PolicyLevel,
    ProjectKind,
    ProjectStage,
    Role,
    Satisfaction,
    Urgency,
    VisitFlag,
    VisitKind,
)
from crm.models import (
    ActionItem,
    Activity,
    ActivityParticipant,
    Bureau,
    CadenceRule,
    Commissioner,
    CommissionerAssignment,
    Contact,
    Cultivation,
    CultivationTarget,
    Department,
    Enterprise,
    EnterpriseQualification,
    EnterpriseYear,
    ExtensionRequest,
    Holiday,
    IndustryChain,
    Need,
    NeedEvent,
    Offering,
    Policy,
    PolicyMatch,
    Project,
    ProjectMilestone,
    ProjectProgress,
    Qualification,
    Region,
    ServiceLog,
    User,
    Visit,
    VisitPlan,
)
from crm.selectors.matching import explain_pairs
from crm.services.cadence import cadence_rules_ensure
from crm.services.needs import needs_answer_workdays_fill
from crm.services.programmes import (
    cultivation_create,
    cultivation_move,
    enterprise_figures_sync,
    project_milestones_save,
    project_progress_save,
)
from crm.validators import credit_code_check_char
from crm.workdays import TimeLimits

FIXTURE_DIR = settings.BASE_DIR / "fixtures"
REFERENCE_FIXTURES = ("regions", "industry_chains", "qualifications")
HOLIDAY_FIXTURE = "holidays"
DEMO_PASSWORD = "demo12345"

# ---------------------------------------------------------------------------------------------------------
# Organisation
# ---------------------------------------------------------------------------------------------------------

BUREAUS = {
    "city": ("淮安市科技局", BureauLevel.CITY, "320800"),
    "jinhu": ("金湖县科技局", BureauLevel.COUNTY, "320831"),
    "lianshui": ("涟水县科技局", BureauLevel.COUNTY, "320826"),
}

DEPARTMENTS = {
    "city": [
        "办公室",
        "高新技术处",
        "科技合作与成果转化处",
        "农村科技处",
        "政策法规处",
        "科技资源统筹服务中心",
        "科技金融服务中心",
    ],
    "jinhu": ["综合科", "科技服务中心"],
    "lianshui": ["综合科"],
}

# username, name, role, bureau, department, mobile, staff, superuser
USERS = [
    ("officer", "陈思远", Role.OFFICER, "city", "高新技术处", "13905170101", False, False),
    ("officer2", "赵雨晴", Role.OFFICER, "city", "科技合作与成果转化处", "13905170102", False, False),
    ("officer3", "吴海涛", Role.OFFICER, "city", "农村科技处", "13905170103", False, False),
    ("officer4", "郭晨", Role.OFFICER, "city", "科技资源统筹服务中心", "13905170104", False, False),
    ("officer5", "林涛", Role.OFFICER, "city", "政策法规处", "13905170105", False, False),
    ("manager", "刘建华", Role.MANAGER, "city", "高新技术处", "13905170201", True, False),
    ("manager2", "杨帆", Role.MANAGER, "city", "科技合作与成果转化处", "13905170202", True, False),
    ("finance_manager", "许静", Role.MANAGER, "city", "科技金融服务中心", "13905170203", True, False),
    ("leader", "周国庆", Role.LEADER, "city", "办公室", "13905170301", False, False),
    ("leader2", "黄志强", Role.LEADER, "city", "办公室", "13905170302", False, False),
    ("admin", "徐明", Role.ADMIN, "city", "办公室", "13905170401", True, True),
    ("county_officer", "孙丽娟", Role.OFFICER, "jinhu", "综合科", "13952310101", False, False),
    ("county_officer2", "何佳", Role.OFFICER, "jinhu", "科技服务中心", "13952310102", False, False),
    ("county_manager", "钱伟", Role.MANAGER, "jinhu", "综合科", "13952310201", True, False),
    ("lianshui_officer", "朱敏", Role.OFFICER, "lianshui", "综合科", "13952360101", False, False),
]

# ---------------------------------------------------------------------------------------------------------
# Enterprises: 13 linked (L*), 1 assisted (A1), 3 others (O*). Qualifications: (code, expires in days from
# today or None, years of validity, or years since certification when there is no expiry).
# ---------------------------------------------------------------------------------------------------------

ENTERPRISES = [
    {
        "key": "L1",
        "name": "淮安澄源新材料科技有限公司",
        "region": "320871",
        "org": "MA1N3R7K2",
        "chain": "fiber-materials",
        "established_on": dt.date(2012, 3, 18),
        "legal_representative": "沈立新",
        "address": "淮安经济技术开发区枫树路18号",
        "main_products": "高性能碳纤维预浸料、芳纶蜂窝复合材料、风电叶片用结构材料",
        "employees": 420,
        "rd_staff": 68,
        "revenue": "38600",
        "rd_expense": "1650",
        "linked": True,
        "officers": ["officer"],
        "leader": "leader",
        "party": PartyOrganization.GENERAL_BRANCH,
        "party_members": 46,
        "qualifications": [("hnte", 40, 3), ("srdi", 520, 3), ("prov-etc", None, 4)],
        "contacts": [
            ("沈立新", "董事长", "13851710001", "shenlx@chengyuan-demo.example", True),
            ("顾晓梅", "科技项目经理", "13851710002", "guxm@chengyuan-demo.example", False),
        ],
    },
    {
        "key": "L2",
        "name": "金湖瀚霖石油机械有限公司",
        "region": "320831",
        "org": "MA1P4T8L3",
        "chain": "new-energy",
        "established_on": dt.date(2006, 9, 6),
        "legal_representative": "戴永刚",
        "address": "金湖县经济开发区工业园神华大道66号",
        "main_products": "深井抽油机、井口装置、油气田智能监控设备",
        "employees": 310,
        "rd_staff": 52,
        "revenue": "26800",
        "rd_expense": "1120",
        "linked": True,
        "officers": ["officer", "county_officer"],
        "leader": "leader",
        "party": PartyOrganization.BRANCH,
        "party_members": 21,
        "qualifications": [("hnte", 610, 3), ("little-giant", 800, 3), ("prov-erc", None, 6)],
        "contacts": [
            ("戴永刚", "总经理", "13952300011", "daiyg@hanlin-demo.example", True),
            ("朱红霞", "财务总监", "13952300012", "", False),
        ],
    },
    {
        "key": "L3",
        "name": "金湖启衡仪表科技有限公司",
        "region": "320831",
        "org": "MA1Q5U9M4",
        "chain": "digital",
        "established_on": dt.date(2010, 5, 20),
        "legal_representative": "陆启明",
        "address": "金湖县理士大道108号",
        "main_products": "电磁流量计、超声波热量表、工业物联网压力变送器",
        "employees": 186,
        "rd_staff": 31,
        "revenue": "9800",
        "rd_expense": "455",
        "linked": True,
        "officers": ["county_officer"],
        "leader": "leader2",
        "party": PartyOrganization.BRANCH,
        "party_members": 12,
        "qualifications": [("hnte", -25, 3), ("tsme", 210, 1)],
        "contacts": [("陆启明", "总经理", "13952300021", "luqm@qiheng-demo.example", True)],
    },
    {
        "key": "L4",
        "name": "金湖禾穗食品有限公司",
        "region": "320831",
        "org": "MA1R6W0N5",
        "chain": "green-food",
        "established_on": dt.date(2014, 11, 2),
        "legal_representative": "杭玉兰",
        "address": "金湖县银集镇工业集中区3号",
        "main_products": "即食小龙虾、荷藕制品、冻干水产调理食品",
        "employees": 265,
        "rd_staff": 18,
        "revenue": "15200",
        "rd_expense": "410",
        "linked": True,
        "officers": ["county_officer", "officer3"],
        "leader": "leader2",
        "party": PartyOrganization.BRANCH,
        "party_members": 9,
        "qualifications": [("srdi", 300, 3), ("tsme", 210, 1)],
        "contacts": [
            ("杭玉兰", "董事长", "13952300031", "", True),
            ("马骏", "品控部经理", "13952300032", "majun@hesui-demo.example", False),
        ],
    },
    {
        "key": "L5",
        "name": "淮安芯湃电子科技有限公司",
        "region": "320812",
        "org": "MA1T7X1P6",
        "chain": "ic",
        "established_on": dt.date(2018, 7, 12),
        "legal_representative": "程一凡",
        "address": "淮安市清江浦区健康东路9号科创大厦12层",
        "main_products": "功率半导体器件封装测试、SiC MOSFET模块",
        "employees": 158,
        "rd_staff": 47,
        "revenue": "12400",
        "rd_expense": "1380",
        "linked": True,
        "officers": ["officer"],
        "leader": "leader",
        "party": PartyOrganization.BRANCH,
        "party_members": 15,
        "qualifications": [("hnte", 700, 3), ("tsme", 210, 1), ("gazelle", 330, 1)],
        "contacts": [("程一凡", "总经理", "13851720051", "chengyf@xinpai-demo.example", True)],
    },
    {
        "key": "L6",
        "name": "淮安翊辰汽车零部件有限公司",
        "region": "320871",
        "org": "MA1U8Y2Q7",
        "chain": "nev",
        "established_on": dt.date(2015, 4, 8),
        "legal_representative": "韩晓峰",
        "address": "淮安经济技术开发区承德南路288号",
        "main_products": "新能源汽车电驱壳体、一体化压铸结构件",
        "employees": 540,
        "rd_staff": 63,
        "revenue": "45200",
        "rd_expense": "1560",
        "linked": True,
        "officers": ["officer", "officer2"],
        "leader": "leader",
        "party": PartyOrganization.COMMITTEE,
        "party_members": 58,
        "qualifications": [("hnte", 450, 3), ("srdi", 660, 3), ("prov-etc", None, 3)],
        "contacts": [
            ("韩晓峰", "总经理", "13851720061", "hanxf@yichen-demo.example", True),
            ("李倩", "技术中心主任", "13851720062", "liq@yichen-demo.example", False),
        ],
    },
    {
        "key": "L7",
        "name": "淮安拓澜电路科技有限公司",
        "region": "320804",
        "org": "MA1W9A3R8",
        "chain": "pcb",
        "established_on": dt.date(2009, 8, 25),
        "legal_representative": "叶建平",
        "address": "淮安市淮阴区长江东路116号",
        "main_products": "HDI高密度互连板、汽车电子多层板",
        "employees": 1260,
        "rd_staff": 142,
        "revenue": "86500",
        "rd_expense": "3320",
        "linked": True,
        "officers": ["officer2"],
        "leader": "leader2",
        "party": PartyOrganization.COMMITTEE,
        "party_members": 87,
        "qualifications": [("hnte", 380, 3), ("little-giant", 420, 3), ("prov-erc", None, 5)],
        "contacts": [("叶建平", "董事长", "13851720071", "yejp@tuolan-demo.example", True)],
    },
    {
        "key": "L8",
        "name": "淮安嘉屹生物医药有限公司",
        "region": "320800-htz",
        "org": "MA1X0B4T9",
        "chain": "biomed",
        "established_on": dt.date(2016, 10, 16),
        "legal_representative": "邵文博",
        "address": "淮安高新技术产业开发区生物医药产业园7号楼",
        "main_products": "创新药中间体、多肽原料药CDMO服务",
        "employees": 230,
        "rd_staff": 76,
        "revenue": "16800",
        "rd_expense": "1460",
        "linked": True,
        "officers": ["officer"],
        "leader": "leader",
        "party": PartyOrganization.BRANCH,
        "party_members": 19,
        "qualifications": [("hnte", 20, 3), ("prov-erc", None, 2), ("leading-innovator", 500, 2)],
        "contacts": [
            ("邵文博", "总经理", "13851720081", "shaowb@jiayi-demo.example", True),
            ("陶然", "注册事务部经理", "13851720082", "", False),
        ],
    },
    {
        "key": "L9",
        "name": "淮安知微智能机器人有限公司",
        "region": "320812",
        "org": "MA1Y1C5U0",
        "chain": "ai-robotics",
        "established_on": dt.date(2021, 6, 1),
        "legal_representative": "任知远",
        "address": "淮安市清江浦区枚乘东路1号智慧谷B座",
        "main_products": "协作机器人、机器视觉引导系统",
        "employees": 64,
        "rd_staff": 29,
        "revenue": "2650",
        "rd_expense": "420",
        "linked": True,
        "officers": ["officer2"],
        "leader": "leader2",
        "party": PartyOrganization.NONE,
        "party_members": 3,
        "qualifications": [("tsme", 210, 1), ("innovative-sme", 400, 3), ("hnte-reserve", 120, 1)],
        "contacts": [("任知远", "创始人、总经理", "18651720091", "renzy@zhiwei-demo.example", True)],
    },
    {
        "key": "L10",
        "name": "涟水润岚化工新材料有限公司",
        "region": "320826",
        "org": "MA1A2D6W1",
        "chain": "chemical-materials",
        "established_on": dt.date(2011, 12, 9),
        "legal_representative": "魏长青",
        "address": "涟水县薛行化工园区纬三路6号",
        "main_products": "电子级氢氟酸、电子级硫酸等湿电子化学品",
        "employees": 205,
        "rd_staff": 27,
        "revenue": "21300",
        "rd_expense": "720",
        "linked": True,
        "officers": ["officer3", "lianshui_officer"],
        "leader": "leader2",
        "party": PartyOrganization.BRANCH,
        "party_members": 14,
        "qualifications": [("hnte", 560, 3), ("srdi", 150, 3)],
        "contacts": [("魏长青", "总经理", "13952360011", "weicq@runlan-demo.example", True)],
    },
    {
        "key": "L11",
        "name": "盱眙沐禾农业科技有限公司",
        "region": "320830",
        "org": "MA1B3E7X2",
        "chain": "green-food",
        "established_on": dt.date(2017, 3, 27),
        "legal_representative": "葛春燕",
        "address": "盱眙县马坝镇现代农业产业园",
        "main_products": "小龙虾专用饲料、稻虾共作技术服务",
        "employees": 88,
        "rd_staff": 12,
        "revenue": "6400",
        "rd_expense": "230",
        "linked": True,
        "officers": ["officer3"],
        "leader": "leader",
        "party": PartyOrganization.BRANCH,
        "party_members": 7,
        "qualifications": [("tsme", 210, 1), ("hnte", 900, 3)],
        "contacts": [("葛春燕", "总经理", "15861720111", "", True)],
    },
    {
        "key": "L12",
        "name": "淮安科蕴数字科技有限公司",
        "region": "320800-eco",
        "org": "MA1C4F8Y3",
        "chain": "digital",
        "established_on": dt.date(2019, 9, 9),
        "legal_representative": "郑博",
        "address": "淮安生态文旅区枚皋路9号数字产业园",
        "main_products": "工业互联网平台、数字孪生工厂解决方案",
        "employees": 112,
        "rd_staff": 58,
        "revenue": "5300",
        "rd_expense": "690",
        "linked": True,
        "officers": ["officer4"],
        "leader": "leader",
        "party": PartyOrganization.BRANCH,
        "party_members": 11,
        "qualifications": [("hnte", 260, 3), ("tsme", 210, 1), ("gazelle", 180, 1)],
        "contacts": [("郑博", "总经理", "18751720121", "zhengbo@keyun-demo.example", True)],
    },
    {
        "key": "L13",
        "name": "洪泽晟砺新能源科技有限公司",
        "region": "320813",
        "org": "MA1D5G9A4",
        "chain": "new-energy",
        "established_on": dt.date(2020, 4, 15),
        "legal_representative": "梁晟",
        "address": "淮安市洪泽区东七街39号",
        "main_products": "钠离子电池正极材料、储能电芯",
        "employees": 96,
        "rd_staff": 34,
        "revenue": "3800",
        "rd_expense": "560",
        "linked": True,
        "officers": ["officer4"],
        "leader": "leader2",
        "party": PartyOrganization.NONE,
        "party_members": 2,
        "qualifications": [("tsme", 210, 1), ("hnte-reserve", 120, 1)],
        "contacts": [("梁晟", "董事长", "18352170131", "liangs@shengli-demo.example", True)],
    },
    {
        "key": "A1",
        "name": "金湖栖云光电科技有限公司",
        "region": "320831",
        "org": "MA1E6H0B5",
        "chain": "new-energy",
        "established_on": dt.date(2019, 1, 10),
        "legal_representative": "柏云飞",
        "address": "金湖县经济开发区康宁路21号（租赁厂房）",
        "main_products": "光伏组件用激光划片设备、激光器件",
        "employees": 130,
        "rd_staff": 26,
        "revenue": "7600",
        "rd_expense": "380",
        "linked": False,
        "assisted": True,
        "officers": ["officer", "county_officer"],
        "leader": "leader2",
        "party": PartyOrganization.NONE,
        "party_members": 3,
        "qualifications": [("tsme", 210, 1), ("hnte", 480, 3)],
        "contacts": [
            ("柏云飞", "总经理", "13952300141", "baiyf@qiyun-demo.example", True),
            ("吕晓", "行政经理", "13952300142", "", False),
        ],
    },
    {
        "key": "O1",
        "name": "淮安稷禾米业有限公司",
        "region": "320803",
        "org": "MA1F7J1C6",
        "chain": "green-food",
        "established_on": dt.date(2013, 10, 30),
        "legal_representative": "谢国富",
        "address": "淮安市淮安区施河镇工业集中区",
        "main_products": "有机大米、留胚米",
        "employees": 75,
        "rd_staff": 6,
        "revenue": "8900",
        "rd_expense": "95",
        "officers": [],
        "party": PartyOrganization.NONE,
        "qualifications": [],
        "contacts": [("谢国富", "总经理", "13505170151", "", True)],
    },
    {
        "key": "O2",
        "name": "淮安钧澈精密机械有限公司",
        "region": "320800-iz",
        "org": "MA1G8K2D7",
        "chain": "nev",
        "established_on": dt.date(2023, 2, 14),
        "legal_representative": "褚钧",
        "address": "淮安工业园区智造大道5号",
        "main_products": "数控机床功能部件、精密滚珠丝杠",
        "employees": 45,
        "rd_staff": 11,
        "revenue": "1200",
        "rd_expense": "160",
        "officers": ["officer2"],
        "party": PartyOrganization.NONE,
        "qualifications": [("tsme", 210, 1)],
        "contacts": [("褚钧", "执行董事", "13814070161", "chuj@junche-demo.example", True)],
    },
    {
        "key": "O3",
        "name": "洪泽澜汐环保科技有限公司",
        "region": "320813",
        "org": "MA1H9L3E8",
        "chain": "chemical-materials",
        "established_on": dt.date(2016, 5, 5),
        "legal_representative": "秦澜",
        "address": "淮安市洪泽区东九街12号",
        "main_products": "水处理药剂、膜材料清洗剂",
        "employees": 58,
        "rd_staff": 9,
        "revenue": "4100",
        "rd_expense": "140",
        "officers": [],
        "party": PartyOrganization.NONE,
        "status": EnterpriseStatus.OPERATING,
        "qualifications": [("tsme", 210, 1)],
        "contacts": [("秦澜", "总经理", "13776170171", "", True)],
    },
]

CERT_PREFIX = {"hnte": "GR", "srdi": "ZJTX", "little-giant": "XJR", "tsme": "KXQ", "gazelle": "DL"}

PROJECTS = [
    {
        "key": "P1",
        "name": "澄源年产2000吨碳纤维预浸料扩建项目",
        "enterprise": "L1",
        "region": "320871",
        "chain": "fiber-materials",
        "kind": ProjectKind.INDUSTRIALISATION,
        "stage": ProjectStage.UNDER_CONSTRUCTION,
        "planned_investment": "68000",
        "assisted": True,
        "officers": ["officer"],
        "leader": "leader",
        "bureau": "city",
        "description": "新建预浸料生产线4条及配套研发中心，达产后新增产值约12亿元。",
    },
    {
        "key": "P2",
        "name": "钧澈精密高端数控机床功能部件项目",
        "enterprise": "O2",
        "region": "320800-iz",
        "chain": "nev",
        "kind": ProjectKind.INVESTMENT,
        "stage": ProjectStage.SIGNED,
        "planned_investment": "52000",
        "assisted": True,
        "officers": ["officer2"],
        "leader": "leader2",
        "bureau": "city",
        "description": "引进精密滚珠丝杠、直线导轨生产线，配套新能源汽车装备制造。",
    },
    {
        "key": "P3",
        "name": "金湖储能装备产业园项目",
        "enterprise": None,
        "region": "320831",
        "chain": "new-energy",
        "kind": ProjectKind.INVESTMENT,
        "stage": ProjectStage.NEGOTIATING,
        "planned_investment": "150000",
        "assisted": True,
        "officers": ["county_officer"],
        "leader": "leader2",
        "bureau": "jinhu",
        "description": "规划建设储能变流器、电池管理系统及集成装备产业园，正与投资方洽谈。",
    },
    {
        "key": "P4",
        "name": "淮安生物医药中试公共服务平台",
        "enterprise": "L8",
        "region": "320800-htz",
        "chain": "biomed",
        "kind": ProjectKind.PLATFORM,
        "stage": ProjectStage.COMPLETED,
        "planned_investment": "12000",
        "assisted": True,
        "officers": ["officer"],
        "leader": "leader",
        "bureau": "city",
        "description": "建设符合GMP要求的小试、中试车间和分析检测中心，面向园区企业开放共享。",
    },
    {
        "key": "P5",
        "name": "知微协作机器人视觉引导系统研发项目",
        "enterprise": "L9",
        "region": "320812",
        "chain": "ai-robotics",
        "kind": ProjectKind.TECH,
        "stage": ProjectStage.UNDER_CONSTRUCTION,
        "planned_investment": "1800",
        "assisted": False,
        "officers": ["officer2"],
        "leader": None,
        "bureau": "city",
        "description": "研发基于深度学习的三维视觉引导系统，用于无序抓取和柔性装配。",
    },
]

# ---------------------------------------------------------------------------------------------------------
# Visits (登门三问), keyed on (enterprise, q_needs)
# ---------------------------------------------------------------------------------------------------------

VISITS = [
    {
        "key": "V1",
        "enterprise": "L1",
        "project": "P1",
        "days_ago": 12,
        "kind": VisitKind.ON_SITE,
        "lead": "leader",
        "officers": ["officer", "manager"],
        "interviewee": ("沈立新", "董事长"),
        "q_needs": "扩建年产2000吨碳纤维预浸料产线，需要省级科技计划项目支持，"
        "并希望对接南京航空航天大学复合材料团队开展联合攻关。",
        "q_difficulties": "高端研发人才引进难，两名拟引进博士因住房和子女入学问题犹豫；扩建项目能评审批进度较慢。",
        "q_suggestions": "建议市里组织纤维新材料产业链上下游对接会，推动本地风电叶片企业优先采用本地材料。",
        "party_notes": "企业党总支现有党员46名，设3个党小组，开展“党员先锋岗”活动，研发骨干中党员占比超过三成。",
        "policies_briefed": "高新技术企业认定奖励、研发费用加计扣除、省苏北科技专项",
        "resolved_on_site": "现场解答了研发费用加计扣除中委托研发费用的归集口径。",
        "flag": VisitFlag.GREEN,
        "next_visit_in": 75,
    },
    {
        "key": "V2",
        "enterprise": "L2",
        "days_ago": 20,
        "kind": VisitKind.MEETING,
        "lead": "leader",
        "officers": ["officer", "county_officer"],
        "interviewee": ("戴永刚", "总经理"),
        "q_needs": "开发深井智能抽油机远程监控系统，希望联合高校申报省重点研发计划；需要约500万元流动资金贷款。",
        "q_difficulties": "油服市场回款周期长，应收账款占比高，流动资金紧张。",
        "q_suggestions": "建议县科技局牵头建立石油装备产业技术创新联盟，共享检测设备。",
        "party_notes": "党支部与金湖县科技局机关支部开展联学共建，双方签订党建共建协议。",
        "policies_briefed": "苏科贷、科技贷款贴息、省重点研发计划",
        "flag": VisitFlag.GREEN,
        "next_visit_in": 70,
    },
    {
        "key": "V3",
        "enterprise": "L3",
        "days_ago": 35,
        "kind": VisitKind.ON_SITE,
        "lead": "county_officer",
        "officers": ["county_officer"],
        "interviewee": ("陆启明", "总经理"),
        "q_needs": "高新技术企业资格已到期，今年需重新申报，希望获得一对一申报辅导。",
        "q_difficulties": "近三年仅有2件发明专利，知识产权数量不足；研发费用辅助账不规范。",
        "q_suggestions": "希望科技局把高企辅导前移到年初，分批开展一对一诊断。",
        "party_notes": "党支部有党员12名，“三会一课”制度落实较好。",
        "policies_briefed": "高新技术企业认定奖励、高企培育库入库奖励",
        "flag": VisitFlag.YELLOW,
        "next_visit_in": 30,
    },
    {
        "key": "V4",
        "enterprise": "L4",
        "days_ago": 48,
        "kind": VisitKind.ON_SITE,
        "lead": "county_officer",
        "officers": ["county_officer", "officer3"],
        "interviewee": ("杭玉兰", "董事长"),
        "q_needs": "小龙虾精深加工保鲜技术需要与高校合作攻关，希望对接科技特派员。",
        "q_difficulties": "冷库扩建后用电负荷不足，需要增容；旺季用工紧张。",
        "q_suggestions": "建议对绿色食品产业链企业建设共享检测中心。",
        "party_notes": "党支部组织党员技术骨干成立“保鲜技术攻关小组”。",
        "policies_briefed": "科技特派员工作站、科技创新券",
        "flag": VisitFlag.GREEN,
        "next_visit_in": 40,
    },
    {
        "key": "V5",
        "enterprise": "L5",
        "days_ago": 8,
        "kind": VisitKind.ON_SITE,
        "lead": "manager",
        "officers": ["officer"],
        "interviewee": ("程一凡", "总经理"),
        "q_needs": "功率芯片封测中试线需要流片验证资金支持，计划申报市级科技计划项目。",
        "q_difficulties": "集成电路专业人才紧缺，本地高校对口专业毕业生少，外地人才留淮意愿不强。",
        "q_suggestions": "建议设立集成电路人才专项，提供人才公寓和子女入学保障。",
        "party_notes": "党支部书记由技术副总兼任，党员在封测产线设立示范岗。",
        "policies_briefed": "淮上英才计划、科技创新券",
        "flag": VisitFlag.GREEN,
        "next_visit_in": 60,
    },
    {
        "key": "V6",
        "enterprise": "L6",
        "days_ago": 60,
        "kind": VisitKind.ON_SITE,
        "lead": "leader",
        "officers": ["officer", "officer2"],
        "interviewee": ("韩晓峰", "总经理"),
        "q_needs": "建设新能源汽车电驱壳体一体化压铸研发中心，申报省级工程技术研究中心。",
        "q_difficulties": "主机厂年降压力大，利润被压缩，研发投入难以持续。",
        "q_suggestions": "建议推动本地整车企业与零部件企业共建联合实验室。",
        "party_notes": "企业党委下设4个支部，开展“党建+质量”攻关活动。",
        "policies_briefed": "省级工程技术研究中心建设、研发费用加计扣除",
        "flag": VisitFlag.YELLOW,
        "next_visit_in": 20,
    },
    {
        "key": "V7",
        "enterprise": "L7",
        "days_ago": 95,
        "kind": VisitKind.ON_SITE,
        "lead": "officer2",
        "officers": ["officer2"],
        "interviewee": ("叶建平", "董事长"),
        "q_needs": "HDI板高多层产线技术改造，需要研发费用加计扣除辅导和技改支持。",
        "q_difficulties": "环保排放总量指标紧张，扩产环评受限。",
        "q_suggestions": "建议PCB产业链建设共享电镀中心，集中治理。",
        "party_notes": "企业党委有党员87名，与园区社区开展党建联建。",
        "policies_briefed": "研发费用加计扣除、专精特新中小企业认定",
        "flag": VisitFlag.GREEN,
        "next_visit_in": -5,
    },
    {
        "key": "V8",
        "enterprise": "L8",
        "project": "P4",
        "days_ago": 15,
        "kind": VisitKind.MEETING,
        "lead": "manager",
        "officers": ["officer"],
        "interviewee": ("邵文博", "总经理"),
        "q_needs": "创新药中间体项目需要中试平台和GMP车间，希望加快生物医药中试平台投用。",
        "q_difficulties": "高企证书即将到期，重新认定材料准备时间紧；中试设备进口手续复杂。",
        "q_suggestions": "建议邀请省药监部门来淮开展药品注册政策宣讲。",
        "party_notes": "党支部与高新区管委会机关支部开展结对共建。",
        "policies_briefed": "高新技术企业认定奖励、生物医药产业链专项",
        "flag": VisitFlag.YELLOW,
        "next_visit_in": 30,
    },
    {
        "key": "V9",
        "enterprise": "L9",
        "days_ago": 25,
        "kind": VisitKind.ONLINE,
        "lead": "officer2",
        "officers": ["officer2"],
        "interviewee": ("任知远", "总经理"),
        "q_needs": "协作机器人视觉引导算法需要与高校联合攻关，希望申报产学研合作项目。",
        "q_difficulties": "初创期融资难，缺少抵押物，银行授信额度低。",
        "q_suggestions": "希望增加面向科技型中小企业的信用贷款产品。",
        "party_notes": "企业暂无党组织，有党员3名，已建议联系园区联合党支部。",
        "policies_briefed": "产学研合作项目、苏科贷、科技创新券",
        "flag": VisitFlag.GREEN,
        "next_visit_in": 65,
    },
    {
        "key": "V10",
        "enterprise": "L10",
        "days_ago": 40,
        "kind": VisitKind.ON_SITE,
        "lead": "officer3",
        "officers": ["officer3", "lianshui_officer"],
        "interviewee": ("魏长青", "总经理"),
        "q_needs": "电子级氢氟酸纯化技术升级，需要对接省产业技术研究院相关专业研究所。",
        "q_difficulties": "化工园区用地指标紧张，二期项目落地受限。",
        "q_suggestions": "建议化工新材料项目环评、安评实行并联审批。",
        "party_notes": "党支部开展“安全生产党员责任区”活动。",
        "policies_briefed": "涟水县研发投入后补助、专精特新中小企业认定",
        "flag": VisitFlag.YELLOW,
        "next_visit_in": 50,
    },
    {
        "key": "V11",
        "enterprise": "L12",
        "days_ago": 30,
        "kind": VisitKind.PHONE,
        "lead": "officer4",
        "officers": ["officer4"],
        "interviewee": ("郑博", "总经理"),
        "q_needs": "工业互联网平台团队扩张，希望入驻市级众创空间并申请场地补贴。",
        "q_difficulties": "市场推广费用高，中小制造企业数字化改造意愿不足。",
        "q_suggestions": "建议科技局联合工信部门组织“数字化转型诊断”活动。",
        "policies_briefed": "科技企业孵化器和众创空间入驻补贴",
        "flag": VisitFlag.GREEN,
        "next_visit_in": 60,
    },
    {
        "key": "V12",
        "enterprise": "L13",
        "days_ago": 130,
        "kind": VisitKind.ON_SITE,
        "lead": "officer4",
        "officers": ["officer4"],
        "interviewee": ("梁晟", "董事长"),
        "q_needs": "钠离子电池正极材料中试线建设，需要科技计划项目支持。",
        "q_difficulties": "中试放大工艺不稳定，缺少工程化人才。",
        "q_suggestions": "建议引进高校新能源材料团队在淮设立研发中心。",
        "party_notes": "企业有党员2名，组织关系在流动党员党支部。",
        "policies_briefed": "省苏北科技专项、高企培育库入库奖励",
        "flag": VisitFlag.GREEN,
        "next_visit_in": -40,
    },
    {
        "key": "V13",
        "enterprise": "A1",
        "days_ago": 5,
        "kind": VisitKind.ON_SITE,
        "lead": "leader2",
        "officers": ["officer", "county_officer"],
        "interviewee": ("柏云飞", "总经理"),
        "q_needs": "计划扩建激光器件产线，需要约2000万元融资；希望协调新厂房。",
        "q_difficulties": "外省某开发区开出优厚条件邀请整体迁移，企业正在评估；现租赁厂房年底到期，续租受阻。",
        "q_suggestions": "希望市县两级协调厂房并给予科技金融支持，稳定企业在淮发展。",
        "party_notes": "企业尚未建立党组织，有党员3名，建议由金湖县科技局机关支部联系指导组建。",
        "policies_briefed": "苏科贷、科技贷款贴息、金湖县科技创新奖补",
        "flag": VisitFlag.RED,
        "next_visit_in": 7,
    },
    {
        "key": "V14",
        "enterprise": "A1",
        "days_ago": 45,
        "kind": VisitKind.PHONE,
        "lead": "county_officer",
        "officers": ["county_officer"],
        "interviewee": ("吕晓", "行政经理"),
        "q_needs": "了解苏科贷申请条件和所需材料。",
        "q_difficulties": "厂房房东有意收回自用，续租谈判不顺利。",
        "flag": VisitFlag.YELLOW,
        "next_visit_in": None,
    },
    {
        "key": "V15",
        "enterprise": "L1",
        "days_ago": 110,
        "kind": VisitKind.ON_SITE,
        "lead": "officer",
        "officers": ["officer"],
        "interviewee": ("顾晓梅", "科技项目经理"),
        "q_needs": "咨询高新技术企业重新认定时间安排和材料要求。",
        "q_suggestions": "希望政策宣讲会提前一个月通知。",
        "party_notes": "党总支开展主题党日活动，组织党员学习科技创新政策。",
        "policies_briefed": "高新技术企业认定奖励",
        "flag": VisitFlag.GREEN,
        "next_visit_in": None,
    },
    {
        "key": "V16",
        "enterprise": "L5",
        "days_ago": 140,
        "kind": VisitKind.ON_SITE,
        "lead": "officer",
        "officers": ["officer"],
        "interviewee": ("程一凡", "总经理"),
        "q_needs": "引进SiC器件封装领军人才，希望申报淮上英才计划。",
        "q_difficulties": "人才申报材料要求多，企业缺少熟悉申报的专人。",
        "flag": VisitFlag.GREEN,
        "next_visit_in": None,
    },
    {
        "key": "V17",
        "enterprise": "L2",
        "days_ago": 170,
        "kind": VisitKind.MEETING,
        "lead": "county_manager",
        "officers": ["county_officer", "county_manager"],
        "interviewee": ("戴永刚", "总经理"),
        "q_needs": "希望牵头组建石油装备产业技术创新联盟。",
        "q_suggestions": "联盟可吸纳县内十余家石油机械企业和两所高校。",
        "party_notes": "座谈会上开展党建联建签约。",
        "flag": VisitFlag.GREEN,
        "next_visit_in": None,
    },
    {
        "key": "V18",
        "enterprise": "O2",
        "project": "P2",
        "days_ago": 32,
        "kind": VisitKind.ON_SITE,
        "lead": "officer2",
        "officers": ["officer2"],
        "interviewee": ("褚钧", "执行董事"),
        "q_needs": "项目签约后急需引进精密加工技术骨干，希望解决人才公寓。",
        "q_difficulties": "项目团队多为外地人员，住房和子女入学需要协调。",
        "flag": VisitFlag.GREEN,
        "next_visit_in": 45,
    },
]

# ---------------------------------------------------------------------------------------------------------
# Needs, keyed on title. ``steps``: (verb, days after creation, author, text[, satisfaction]).
# ---------------------------------------------------------------------------------------------------------

NEEDS = [
    # --- new 待受理
    {
        "title": "协作机器人视觉引导算法产学研合作对接",
        "enterprise": "L9",
        "visit": "V9",
        "category": "cooperation",
        "days_ago": 2,
        "by": "officer2",
        "description": "希望对接省内高校机器视觉团队，联合开展三维视觉引导算法攻关，并申报市产学研合作项目。",
        "steps": [],
    },
    {
        "title": "申请入驻市级众创空间及场地补贴",
        "enterprise": "L12",
        "source": NeedSource.PHONE,
        "category": "platform",
        "days_ago": 1,
        "by": "officer4",
        "description": "研发团队将扩至80人，现办公场地不足，希望入驻市级众创空间并了解场地补贴政策。",
        "steps": [],
    },
    {
        "title": "冷库扩建用电增容协调",
        "enterprise": "L4",
        "visit": "V4",
        "category": "energy",
        "days_ago": 10,
        "by": "officer3",
        "bureau": "jinhu",
        "description": "新建5000吨冷库需增容800千伏安，希望协调供电部门加快办理。",
        "steps": [
            ("transfer", 1, "manager", "用电增容需属地协调，转办金湖县科技局，由县局对接县供电公司，市局跟踪。"),
        ],
    },
    # --- accepted 已受理
    {
        "title": "功率芯片封测中试线流片验证资金支持",
        "enterprise": "L5",
        "visit": "V5",
        "category": "funding",
        "urgency": Urgency.URGENT,
        "days_ago": 6,
        "by": "officer",
        "description": "中试线首批SiC模块需流片验证，费用约300万元，希望纳入市级科技计划项目支持。",
        "steps": [("accept", 1, "manager", "")],
    },
    {
        "title": "高新技术企业重新认定申报辅导",
        "enterprise": "L3",
        "visit": "V3",
        "category": "qualification",
        "days_ago": 30,
        "by": "county_officer",
        "description": "企业高企资格已到期，需在本年度重新申报，请求安排辅导机构开展诊断。",
        "steps": [("accept", 2, "manager", "已受理，待高企申报批次启动后统一交办。")],
    },
    {
        "title": "申请苏科贷融资2000万元",
        "enterprise": "A1",
        "visit": "V13",
        "category": "finance",
        "urgency": Urgency.URGENT,
        "days_ago": 5,
        "by": "officer",
        "description": "扩建激光器件产线需资金约2000万元，希望通过苏科贷及合作银行解决。",
        "steps": [("accept", 1, "finance_manager", "")],
    },
    # --- assigned 已交办
    {
        "title": "深井智能抽油机项目申报省重点研发计划",
        "enterprise": "L2",
        "visit": "V2",
        "category": "rd",
        "days_ago": 19,
        "by": "officer",
        "dept": ("city", "高新技术处"),
        "handler": "officer",
        "due_in": -2,
        "description": "企业拟联合中国石油大学申报省重点研发计划（产业前瞻与关键核心技术），需要申报指导。",
        "steps": [("accept", 1, "manager", ""), ("assign", 2, "manager", "")],
    },
    {
        "title": "高企证书到期重新认定材料辅导",
        "enterprise": "L8",
        "visit": "V8",
        "category": "qualification",
        "urgency": Urgency.URGENT,
        "days_ago": 14,
        "by": "officer",
        "dept": ("city", "高新技术处"),
        "handler": "officer",
        "due_in": 3,
        "description": "高企证书20天后到期，需尽快完成研发费用专项审计和知识产权梳理。",
        "steps": [("accept", 0, "manager", ""), ("assign", 1, "manager", "")],
    },
    {
        "title": "中试平台进口设备免税手续咨询",
        "enterprise": "L8",
        "project": "P4",
        "visit": "V8",
        "category": "approval",
        "days_ago": 9,
        "by": "officer",
        "dept": ("city", "政策法规处"),
        "handler": "officer5",
        "due_in": 6,
        "description": "平台拟进口液相色谱-质谱联用仪等设备，咨询科学研究和教学用品免征进口税收政策办理流程。",
        "steps": [("accept", 1, "manager", ""), ("assign", 1, "manager", "")],
    },
    {
        "title": "碳纤维扩建项目申报省苏北科技专项",
        "enterprise": "L1",
        "project": "P1",
        "category": "funding",
        "source": NeedSource.MEETING,
        "days_ago": 7,
        "by": "manager",
        "dept": ("city", "高新技术处"),
        "assisting": [("city", "科技资源统筹服务中心")],
        "handler": "officer",
        "due_in": 9,
        "description": "扩建项目配套研发中心拟申报省苏北科技专项，需指导编制可行性研究报告。",
        "steps": [("accept", 0, "manager", ""), ("assign", 1, "manager", "")],
    },
    # --- in_progress 办理中
    {
        "title": "申请苏科贷流动资金贷款500万元",
        "enterprise": "L2",
        "visit": "V2",
        "category": "finance",
        "urgency": Urgency.URGENT,
        "days_ago": 20,
        "by": "officer",
        "dept": ("city", "科技金融服务中心"),
        "handler": "finance_manager",
        "due_in": -5,
        "description": "企业应收账款回款慢，申请苏科贷流动资金贷款500万元，期限一年。",
        "steps": [
            ("accept", 0, "manager", ""),
            ("assign", 1, "manager", ""),
            ("start", 2, "finance_manager", ""),
            ("note", 6, "finance_manager", "已推荐至两家苏科贷合作银行，银行正在开展尽职调查。"),
            ("instruction", 15, "leader", "请金融中心加快对接，本月底前给企业明确答复。"),
        ],
    },
    {
        "title": "对接南京航空航天大学复合材料团队联合攻关",
        "enterprise": "L1",
        "visit": "V1",
        "category": "cooperation",
        "days_ago": 12,
        "by": "officer",
        "dept": ("city", "科技合作与成果转化处"),
        "handler": "officer2",
        "due_in": 20,
        "description": "围绕热塑性碳纤维预浸料开展联合攻关，拟共建校企联合研发中心。",
        "steps": [
            ("accept", 0, "manager2", ""),
            ("assign", 1, "manager2", ""),
            ("start", 2, "officer2", ""),
            ("extension", 8, "manager2", "高校团队负责人出国交流，对接会顺延，"),
        ],
    },
    {
        "title": "申报省级工程技术研究中心",
        "enterprise": "L6",
        "visit": "V6",
        "category": "platform",
        "days_ago": 58,
        "by": "officer",
        "dept": ("city", "高新技术处"),
        "handler": "officer",
        "due_in": 8,
        "description": "企业拟以一体化压铸研发中心为依托申报省级工程技术研究中心。",
        "steps": [
            ("accept", 1, "manager", ""),
            ("assign", 2, "manager", ""),
            ("start", 3, "officer", ""),
            ("answer", 20, "officer", "已提供省工程中心申报指南和往年优秀申报书范本，组织专家开展了一次预评审。"),
            (
                "return_visit",
                30,
                "officer",
                "企业反映预评审意见较笼统，希望专家再次到企业现场指导。",
                Satisfaction.UNSATISFIED,
            ),
            ("note", 34, "officer", "已联系两位省工程中心评审专家，计划下周到企业现场指导。"),
        ],
    },
    {
        "title": "扩建项目能评审批协调",
        "enterprise": "L1",
        "project": "P1",
        "visit": "V1",
        "category": "approval",
        "urgency": Urgency.CRITICAL,
        "days_ago": 11,
        "by": "officer",
        "dept": ("city", "政策法规处"),
        "assisting": [("city", "办公室")],
        "handler": "officer5",
        "due_in": -3,
        "description": "扩建项目节能审查报告已报送两个月未获批复，影响设备进场安装。",
        "steps": [
            ("accept", 0, "manager", ""),
            ("assign", 0, "manager", ""),
            ("start", 1, "officer5", ""),
            ("instruction", 3, "leader", "重大项目要特事特办，请政策法规处会同发改部门专题协调，每周报告进展。"),
            ("note", 6, "officer5", "已与市发改委能评科沟通，需企业补充能源消费替代方案。"),
        ],
    },
    {
        "title": "协调厂房续租及新厂房选址",
        "enterprise": "A1",
        "visit": "V13",
        "category": "land",
        "urgency": Urgency.CRITICAL,
        "days_ago": 5,
        "by": "officer",
        "dept": ("city", "办公室"),
        "assisting": [("jinhu", "综合科")],
        "handler": "officer",
        "due_in": 2,
        "description": "现租赁厂房年底到期且房东拟收回，企业有外迁意向，需市县联动协调厂房、稳定企业。",
        "steps": [
            ("accept", 0, "manager", ""),
            ("assign", 0, "manager", ""),
            ("instruction", 0, "leader2", "请市县联动，一周内拿出稳企方案，必要时我带队到企业协调。"),
            ("start", 1, "officer", ""),
            ("note", 3, "county_officer", "金湖县经开区已提供两处标准厂房备选，企业下周现场踏勘。"),
        ],
    },
    {
        "title": "电子级氢氟酸纯化技术对接省产研院",
        "enterprise": "L10",
        "visit": "V10",
        "category": "rd",
        "days_ago": 38,
        "by": "officer3",
        "dept": ("city", "科技合作与成果转化处"),
        "handler": "officer2",
        "due_in": 12,
        "description": "希望对接省产业技术研究院先进化工材料相关研究所，开展G5级电子级氢氟酸纯化技术合作。",
        "steps": [
            ("accept", 1, "manager2", ""),
            ("assign", 2, "manager2", ""),
            ("start", 4, "officer2", ""),
            ("extension", 18, "manager2", "研究所需先行开展小试验证，"),
        ],
    },
    # --- answered 已答复
    {
        "title": "科技型中小企业信用贷款产品咨询",
        "enterprise": "L9",
        "source": NeedSource.PHONE,
        "category": "finance",
        "days_ago": 24,
        "by": "officer2",
        "dept": ("city", "科技金融服务中心"),
        "handler": "finance_manager",
        "due_in": -5,
        "description": "咨询无抵押信用贷款产品和贷款贴息政策。",
        "steps": [
            ("accept", 0, "finance_manager", ""),
            ("assign", 0, "finance_manager", ""),
            ("start", 1, "finance_manager", ""),
            (
                "answer",
                8,
                "finance_manager",
                "已介绍苏科贷、人才贷等信用类产品及市科技贷款贴息政策，并推荐合作银行客户经理。",
            ),
        ],
    },
    {
        "title": "研发费用加计扣除归集口径辅导",
        "enterprise": "L7",
        "visit": "V7",
        "category": "consultation",
        "days_ago": 92,
        "by": "officer2",
        "dept": ("city", "高新技术处"),
        "handler": "officer",
        "due_in": -87,
        "description": "企业对研发人员人工费用、直接投入费用的归集范围存在疑问。",
        "steps": [
            ("accept", 0, "manager", ""),
            ("assign", 1, "manager", ""),
            ("start", 1, "officer", ""),
            ("answer", 3, "officer", "已邀请税务部门专家上门辅导，讲解研发费用辅助账设置和归集口径，并提供政策汇编。"),
        ],
    },
    {
        "title": "数控机床功能部件项目人才公寓申请",
        "enterprise": "O2",
        "project": "P2",
        "visit": "V18",
        "category": "talent",
        "days_ago": 30,
        "by": "officer2",
        "dept": ("city", "科技合作与成果转化处"),
        "handler": "officer2",
        "due_in": -8,
        "description": "项目引进的12名技术骨干需要人才公寓，希望协调工业园区人才公寓房源。",
        "steps": [
            ("accept", 1, "manager2", ""),
            ("assign", 2, "manager2", ""),
            ("start", 3, "officer2", ""),
            ("answer", 18, "officer2", "已协调工业园区人才公寓8套，其余4名人员纳入市区人才公寓轮候。"),
        ],
    },
    # --- closed 已办结
    {
        "title": "集成电路人才申报淮上英才计划",
        "enterprise": "L5",
        "visit": "V16",
        "category": "talent",
        "days_ago": 138,
        "by": "officer",
        "dept": ("city", "科技合作与成果转化处"),
        "handler": "officer2",
        "due_in": -115,
        "description": "企业拟引进SiC器件封装领军人才，申报淮上英才计划创新创业人才项目。",
        "steps": [
            ("accept", 1, "manager2", ""),
            ("assign", 2, "manager2", ""),
            ("start", 2, "officer2", ""),
            ("answer", 16, "officer2", "已指导企业完成申报材料并通过形式审查，人才已入选并获得100万元资助。"),
            ("return_visit", 25, "officer", "企业对申报指导表示满意。", Satisfaction.SATISFIED),
        ],
    },
    {
        "title": "对接科技特派员开展小龙虾保鲜技术攻关",
        "enterprise": "L4",
        "visit": "V4",
        "category": "rd",
        "days_ago": 47,
        "by": "county_officer",
        "dept": ("city", "农村科技处"),
        "assisting": [("jinhu", "科技服务中心")],
        "handler": "officer3",
        "due_in": -25,
        "description": "即食小龙虾货架期短，希望选派食品保鲜方向的科技特派员驻企服务。",
        "steps": [
            ("accept", 0, "manager", ""),
            ("assign", 1, "manager", ""),
            ("start", 2, "officer3", ""),
            ("answer", 20, "officer3", "已选派江南大学食品学院专家担任科技特派员，驻企开展气调保鲜工艺试验。"),
            (
                "return_visit",
                40,
                "county_officer",
                "企业对特派员服务很满意，货架期已延长约30%。",
                Satisfaction.SATISFIED,
            ),
        ],
    },
    {
        "title": "石油装备产业技术创新联盟筹建",
        "enterprise": "L2",
        "visit": "V17",
        "category": "cooperation",
        "source": NeedSource.MEETING,
        "days_ago": 168,
        "by": "county_officer",
        "bureau": "jinhu",
        "dept": ("jinhu", "综合科"),
        "handler": "county_officer",
        "due_in": -140,
        "description": "由企业牵头、县科技局指导，组建石油装备产业技术创新联盟。",
        "steps": [
            ("accept", 1, "county_manager", ""),
            ("assign", 1, "county_manager", ""),
            ("start", 3, "county_officer", ""),
            ("answer", 35, "county_officer", "联盟已召开成立大会，吸纳成员单位14家，秘书处设在企业。"),
            (
                "return_visit",
                45,
                "county_officer",
                "企业基本满意，希望联盟后续争取更多项目支持。",
                Satisfaction.BASICALLY_SATISFIED,
            ),
        ],
    },
    {
        "title": "科技型中小企业评价入库指导",
        "enterprise": "L11",
        "source": NeedSource.PLATFORM,
        "category": "qualification",
        "days_ago": 70,
        "by": "officer3",
        "dept": ("city", "高新技术处"),
        "handler": "officer",
        "due_in": -50,
        "description": "企业通过服务平台留言，咨询科技型中小企业评价系统填报和入库流程。",
        "steps": [
            ("accept", 0, "manager", ""),
            ("assign", 0, "manager", ""),
            ("start", 1, "officer", ""),
            ("answer", 4, "officer", "已电话指导企业在线填报，企业已成功入库并取得入库登记编号。"),
            ("return_visit", 10, "officer3", "企业满意。", Satisfaction.SATISFIED),
        ],
    },
    {
        "title": "储能装备产业园项目科技招商政策咨询",
        "project": "P3",
        "source": NeedSource.MEETING,
        "category": "consultation",
        "days_ago": 60,
        "by": "county_officer",
        "bureau": "jinhu",
        "dept": ("jinhu", "科技服务中心"),
        "handler": "county_officer2",
        "due_in": -50,
        "description": "投资方咨询落户后可享受的科技类扶持政策及研发中心建设支持。",
        "steps": [
            ("accept", 0, "county_manager", ""),
            ("assign", 0, "county_manager", ""),
            ("start", 1, "county_officer2", ""),
            ("answer", 6, "county_officer2", "已整理市县两级科技扶持政策清单，并与投资方逐条解读。"),
            ("return_visit", 12, "county_officer", "投资方基本满意。", Satisfaction.BASICALLY_SATISFIED),
        ],
    },
    {
        "title": "洪泽晟砺中试线申报市科技计划",
        "enterprise": "L13",
        "visit": "V12",
        "category": "funding",
        "days_ago": 128,
        "by": "officer4",
        "dept": ("city", "高新技术处"),
        "handler": "officer",
        "due_in": -100,
        "description": "钠离子电池正极材料中试线拟申报市级科技计划（产业前瞻）项目。",
        "steps": [
            ("accept", 1, "manager", ""),
            ("assign", 2, "manager", ""),
            ("start", 3, "officer", ""),
            ("extension", 15, "manager", "等待市科技计划申报指南发布，"),
            ("answer", 26, "officer", "已指导企业完成市科技计划项目申报，项目已立项。"),
            ("return_visit", 33, "officer4", "企业满意。", Satisfaction.SATISFIED),
        ],
    },
    # --- rejected 不予受理
    {
        "title": "协调化工园区新增用地指标",
        "enterprise": "L10",
        "visit": "V10",
        "category": "land",
        "days_ago": 38,
        "by": "officer3",
        "description": "二期项目需新增用地约60亩。",
        "steps": [
            (
                "reject",
                1,
                "manager",
                "用地指标属自然资源部门职权，已告知企业向涟水县自然资源和规划局反映，由县科技局跟踪。",
            ),
        ],
    },
    {
        "title": "申请市场推广费用补贴",
        "enterprise": "L12",
        "source": NeedSource.LETTER,
        "category": "market",
        "days_ago": 33,
        "by": "officer4",
        "description": "企业来函申请对参加行业展会的推广费用给予补贴。",
        "steps": [
            ("accept", 1, "manager", ""),
            (
                "reject",
                3,
                "manager",
                "展会推广补贴不属于科技部门扶持范围，已告知企业可关注商务部门外经贸发展专项资金。",
            ),
        ],
    },
]

# ---------------------------------------------------------------------------------------------------------
# Policies, keyed on title. Windows as days relative to today.
# ---------------------------------------------------------------------------------------------------------

CITY_ISSUER = "淮安市科学技术局"

POLICIES = [
    {
        "title": "淮安市高新技术企业认定奖励",
        "issuer": "淮安市科学技术局 淮安市财政局",
        "doc_number": "淮科发〔2025〕18号",
        "level": PolicyLevel.CITY,
        "kind": PolicyKind.FUNDING,
        "delivery": PolicyDelivery.NO_APPLICATION,
        "published": -120,
        "window": (-20, 40),
        "summary": "对首次认定和重新认定的高新技术企业给予一次性奖励，免申即享直接兑付。",
        "conditions_text": "在我市依法注册、具有独立法人资格的企业；当年通过高新技术企业认定（含重新认定）；"
        "近三年内未发生重大安全、质量事故和严重环境违法行为。",
        "support_text": "首次认定的高新技术企业奖励30万元；重新认定的奖励10万元。"
        "奖励资金由市、县区两级财政按比例承担。",
        "max_amount": "30",
        "department": ("city", "高新技术处"),
        "need_categories": ["qualification", "funding"],
        "keywords": "高新技术企业 高企 认定 重新认定 奖励",
        "required_qualifications": ["hnte"],
    },
    {
        "title": "企业研发费用税前加计扣除",
        "issuer": "财政部 税务总局",
        "doc_number": "财政部 税务总局公告2023年第7号",
        "level": PolicyLevel.NATIONAL,
        "kind": PolicyKind.TAX,
        "delivery": PolicyDelivery.NO_APPLICATION,
        "published": -700,
        "window": (None, None),
        "summary": "企业开展研发活动实际发生的研发费用，在据实扣除的基础上再按实际发生额的100%在税前加计扣除。",
        "conditions_text": "会计核算健全、实行查账征收并能够准确归集研发费用的居民企业；烟草制造业、住宿和餐饮业、"
        "批发和零售业、房地产业、租赁和商务服务业、娱乐业等行业除外。",
        "support_text": "未形成无形资产计入当期损益的，再按实际发生额的100%在税前加计扣除；"
        "形成无形资产的，按照无形资产成本的200%在税前摊销。",
        "department": ("city", "高新技术处"),
        "need_categories": ["consultation", "funding", "rd"],
        "keywords": "研发费用 加计扣除 税收优惠 所得税 辅助账",
    },
    {
        "title": "科技型中小企业评价入库",
        "issuer": "科学技术部 财政部 国家税务总局",
        "doc_number": "国科发政〔2022〕67号",
        "level": PolicyLevel.NATIONAL,
        "kind": PolicyKind.QUALIFICATION,
        "delivery": PolicyDelivery.APPLICATION,
        "published": -400,
        "window": (-100, 120),
        "summary": "符合条件的科技型中小企业自主评价、入库登记，享受研发费用加计扣除等政策。",
        "conditions_text": "在中国境内注册的居民企业；职工总数不超过500人、年销售收入不超过2亿元、资产总额不超过2亿元；"
        "企业提供的产品和服务不属于国家规定的禁止、限制和淘汰类。",
        "support_text": "入库企业享受研发费用加计扣除、科技贷款等政策支持，是申报市级科技计划项目的优先条件。",
        "department": ("city", "高新技术处"),
        "need_categories": ["qualification"],
        "keywords": "科技型中小企业 科小 评价 入库",
        "max_employees": 500,
        "max_revenue": "20000",
    },
    {
        "title": "淮安市科技创新券",
        "issuer": CITY_ISSUER,
        "doc_number": "淮科规〔2024〕2号",
        "level": PolicyLevel.CITY,
        "kind": PolicyKind.FUNDING,
        "delivery": PolicyDelivery.INSTANT,
        "published": -90,
        "window": (-60, 10),
        "summary": "中小企业购买检验检测、研发设计、技术转移等科技服务，按服务费用的一定比例给予创新券抵扣。",
        "conditions_text": "在我市注册的科技型中小企业、高新技术企业；向入库服务机构购买科技服务；"
        "同一服务事项不得重复享受其他财政资金支持。",
        "support_text": "按实际服务费用的50%予以兑付，单个企业年度最高20万元。",
        "max_amount": "20",
        "department": ("city", "科技资源统筹服务中心"),
        "need_categories": ["cooperation", "rd", "platform"],
        "keywords": "创新券 检验检测 研发设计 技术服务 大型仪器",
        "max_employees": 500,
        "max_revenue": "20000",
    },
    {
        "title": "苏科贷科技型中小企业贷款",
        "issuer": "江苏省科学技术厅 江苏省财政厅",
        "doc_number": "苏科技规〔2023〕5号",
        "level": PolicyLevel.PROVINCIAL,
        "kind": PolicyKind.FINANCE,
        "delivery": PolicyDelivery.APPLICATION,
        "published": -500,
        "window": (None, None),
        "summary": "省市县共建科技信贷风险补偿资金池，合作银行为入库科技型中小企业提供低息信用贷款。",
        "conditions_text": "已入库科技型中小企业或高新技术企业；有较强的自主创新能力和良好的信用记录；"
        "贷款用于企业科技成果转化和产业化。",
        "support_text": "单户贷款额度一般不超过1000万元，贷款利率原则上不超过同期贷款市场报价利率上浮20%。",
        "max_amount": "1000",
        "department": ("city", "科技金融服务中心"),
        "need_categories": ["finance"],
        "keywords": "苏科贷 信用贷款 风险补偿 融资 银行",
    },
    {
        "title": "淮安市科技型企业贷款贴息",
        "issuer": "淮安市科学技术局 淮安市财政局",
        "doc_number": "淮科发〔2025〕26号",
        "level": PolicyLevel.CITY,
        "kind": PolicyKind.FINANCE,
        "delivery": PolicyDelivery.APPLICATION,
        "published": -50,
        "window": (-30, 6),
        "summary": "对科技型企业上年度获得的苏科贷等科技贷款给予贴息。",
        "conditions_text": "在我市注册的科技型中小企业；上年度获得苏科贷、人才贷等科技信贷产品支持且按期还本付息。",
        "support_text": "按实际支付利息的50%给予贴息，单个企业最高50万元。",
        "max_amount": "50",
        "department": ("city", "科技金融服务中心"),
        "need_categories": ["finance", "funding"],
        "keywords": "贷款贴息 苏科贷 利息 科技金融",
        "required_qualifications": ["tsme"],
    },
    {
        "title": "“淮上英才计划”创新创业人才项目",
        "issuer": "中共淮安市委人才工作领导小组办公室",
        "doc_number": "淮人才办〔2025〕4号",
        "level": PolicyLevel.CITY,
        "kind": PolicyKind.TALENT,
        "delivery": PolicyDelivery.APPLICATION,
        "published": -170,
        "window": (-160, -5),
        "summary": "面向重点产业链引进和培育创新创业领军人才，给予项目资助和安居保障。",
        "conditions_text": "申报人年龄一般不超过55周岁，具有博士学位或高级职称，"
        "与在淮企业签订3年以上劳动合同或创办企业；"
        "所在企业属于我市重点产业链。",
        "support_text": "创新类人才给予最高100万元资助，创业类人才给予最高200万元项目资助，并提供人才公寓。",
        "max_amount": "200",
        "department": ("city", "科技合作与成果转化处"),
        "need_categories": ["talent"],
        "keywords": "淮上英才 人才计划 领军人才 博士 人才公寓",
        "min_years_established": 1,
    },
    {
        "title": "淮安市产学研合作项目",
        "issuer": CITY_ISSUER,
        "doc_number": "淮科发〔2025〕31号",
        "level": PolicyLevel.CITY,
        "kind": PolicyKind.FUNDING,
        "delivery": PolicyDelivery.APPLICATION,
        "published": -15,
        "window": (-10, 50),
        "summary": "支持企业与高校院所联合开展技术攻关和成果转化。",
        "conditions_text": "企业与高校院所签订技术开发或转让合同且已实际支付；企业研发投入占营业收入比例不低于3%；"
        "合作内容属于我市重点产业链。",
        "support_text": "按技术合同实际支付额的20%给予补助，单个项目最高30万元。",
        "max_amount": "30",
        "department": ("city", "科技合作与成果转化处"),
        "need_categories": ["cooperation", "rd"],
        "keywords": "产学研 校企合作 高校 院所 技术攻关 成果转化",
        "min_rd_ratio": "3",
    },
    {
        "title": "省科技成果转化专项资金（苏北科技专项）",
        "issuer": "江苏省科学技术厅 江苏省财政厅",
        "doc_number": "苏科计发〔2025〕45号",
        "level": PolicyLevel.PROVINCIAL,
        "kind": PolicyKind.FUNDING,
        "delivery": PolicyDelivery.APPLICATION,
        "published": -20,
        "window": (-15, 25),
        "summary": "支持苏北地区企业实施科技成果转化和产业化项目，提升重点产业链创新能力。",
        "conditions_text": "苏北地区注册的高新技术企业；上年度营业收入不低于2000万元；"
        "项目具有明确的技术来源和产业化前景。",
        "support_text": "省拨经费最高300万元，市县按比例配套。",
        "max_amount": "300",
        "department": ("city", "高新技术处"),
        "need_categories": ["funding", "rd"],
        "keywords": "苏北科技专项 科技计划 成果转化 产业化 省级项目",
        "min_revenue": "2000",
        "required_qualifications": ["hnte"],
    },
    {
        "title": "技术合同登记奖补",
        "issuer": CITY_ISSUER,
        "doc_number": "淮科规〔2024〕5号",
        "level": PolicyLevel.CITY,
        "kind": PolicyKind.FUNDING,
        "delivery": PolicyDelivery.INSTANT,
        "published": -60,
        "window": (-30, 60),
        "summary": "对在市技术合同登记机构登记并实际履行的技术合同给予奖补。",
        "conditions_text": "在我市注册的企业；技术合同经认定登记且已实际履行；技术交易额不低于10万元。",
        "support_text": "按技术交易额的2%给予吸纳方奖补，单个企业年度最高50万元。",
        "max_amount": "50",
        "department": ("city", "科技合作与成果转化处"),
        "need_categories": ["cooperation", "ip"],
        "keywords": "技术合同 登记 技术交易 奖补 技术转移",
    },
    {
        "title": "江苏省专精特新中小企业认定",
        "issuer": "江苏省工业和信息化厅",
        "doc_number": "苏工信中小〔2025〕12号",
        "level": PolicyLevel.PROVINCIAL,
        "kind": PolicyKind.QUALIFICATION,
        "delivery": PolicyDelivery.APPLICATION,
        "published": -10,
        "window": (-5, 30),
        "summary": "培育专业化、精细化、特色化、新颖化中小企业。",
        "conditions_text": "从事特定细分市场时间达到2年以上；上年度研发费用占营业收入比重不低于3%；"
        "上年度营业收入1000万元以上。",
        "support_text": "认定企业纳入重点培育库，优先推荐申报国家级专精特新“小巨人”企业。",
        "department": ("city", "政策法规处"),
        "need_categories": ["qualification", "market"],
        "keywords": "专精特新 小巨人 中小企业 认定 培育",
        "min_years_established": 2,
        "min_rd_ratio": "3",
        "min_revenue": "1000",
    },
    {
        "title": "科技企业孵化器和众创空间入驻补贴",
        "issuer": CITY_ISSUER,
        "doc_number": "淮科发〔2024〕40号",
        "level": PolicyLevel.CITY,
        "kind": PolicyKind.PLATFORM,
        "delivery": PolicyDelivery.APPLICATION,
        "published": -200,
        "window": (None, None),
        "summary": "对入驻市级以上孵化器、众创空间的初创科技企业给予场地租金补贴。",
        "conditions_text": "入驻市级以上科技企业孵化器或众创空间；职工人数不超过200人；上年度营业收入不超过5000万元。",
        "support_text": "前两年按租金的50%给予补贴，单个企业每年最高10万元。",
        "max_amount": "10",
        "department": ("city", "科技资源统筹服务中心"),
        "need_categories": ["platform", "land"],
        "keywords": "孵化器 众创空间 入驻 场地 租金补贴 初创",
        "max_employees": 200,
        "max_revenue": "5000",
    },
    {
        "title": "挂钩联系企业“一企一策”科技服务包",
        "issuer": CITY_ISSUER,
        "doc_number": "",
        "level": PolicyLevel.CITY,
        "kind": PolicyKind.OTHER,
        "delivery": PolicyDelivery.NO_APPLICATION,
        "published": -100,
        "window": (None, None),
        "summary": "为市科技局挂钩联系企业提供政策体检、项目申报、人才对接和金融对接等定制服务。",
        "conditions_text": "列入市科技局挂钩联系名单的企业。",
        "support_text": "每家企业明确挂钩局领导和联络员，每季度至少走访一次，诉求限时办结。",
        "department": ("city", "办公室"),
        "need_categories": ["consultation", "cooperation", "talent", "other"],
        "keywords": "挂钩联系 一企一策 服务包 政策体检",
        "linked_only": True,
    },
    {
        "title": "金湖县科技创新奖补",
        "issuer": "金湖县科学技术局 金湖县财政局",
        "doc_number": "金科发〔2025〕9号",
        "level": PolicyLevel.COUNTY,
        "kind": PolicyKind.FUNDING,
        "delivery": PolicyDelivery.APPLICATION,
        "published": -40,
        "window": (-20, 12),
        "summary": "对在金湖县新认定的高新技术企业、省级研发机构和新增发明专利给予奖补。",
        "conditions_text": "在金湖县注册纳税的企业；上年度研发费用占营业收入比例不低于2%。",
        "support_text": "新认定高企奖励10万元，省级研发机构奖励20万元，发明专利每件奖励0.5万元。",
        "max_amount": "20",
        "department": ("jinhu", "综合科"),
        "need_categories": ["funding", "qualification", "ip"],
        "keywords": "金湖 奖补 研发机构 发明专利 高企",
        "regions": ["320831"],
        "min_rd_ratio": "2",
    },
    {
        "title": "涟水县企业研发投入后补助",
        "issuer": "涟水县科学技术局",
        "doc_number": "涟科发〔2025〕6号",
        "level": PolicyLevel.COUNTY,
        "kind": PolicyKind.FUNDING,
        "delivery": PolicyDelivery.NO_APPLICATION,
        "published": -70,
        "window": (-40, 45),
        "summary": "根据企业上年度研发投入增量给予后补助。",
        "conditions_text": "在涟水县注册的规模以上工业企业；上年度研发投入占营业收入比例不低于3%。",
        "support_text": "按研发投入增量的10%给予补助，单个企业最高50万元。",
        "max_amount": "50",
        "department": ("lianshui", "综合科"),
        "need_categories": ["funding", "rd"],
        "keywords": "涟水 研发投入 后补助 增量",
        "regions": ["320826"],
        "min_rd_ratio": "3",
        "min_revenue": "2000",
    },
    {
        "title": "高新技术企业培育库入库奖励",
        "issuer": CITY_ISSUER,
        "doc_number": "淮科发〔2025〕12号",
        "level": PolicyLevel.CITY,
        "kind": PolicyKind.QUALIFICATION,
        "delivery": PolicyDelivery.NO_APPLICATION,
        "published": -80,
        "window": (-60, 90),
        "summary": "对入选省高新技术企业培育库的企业给予奖励，加快培育高新技术企业。",
        "conditions_text": "入选省高新技术企业培育库；已入库科技型中小企业。",
        "support_text": "一次性奖励5万元。",
        "max_amount": "5",
        "department": ("city", "高新技术处"),
        "need_categories": ["qualification", "funding"],
        "keywords": "高企培育库 培育 入库奖励 高新技术企业",
        "required_qualifications": ["hnte-reserve", "tsme"],
    },
    {
        "title": "省级工程技术研究中心建设",
        "issuer": "江苏省科学技术厅",
        "doc_number": "苏科资发〔2025〕20号",
        "level": PolicyLevel.PROVINCIAL,
        "kind": PolicyKind.PLATFORM,
        "delivery": PolicyDelivery.APPLICATION,
        "published": -8,
        "window": (-3, 45),
        "summary": "支持高新技术企业建设省级工程技术研究中心，提升工程化研究和成果转化能力。",
        "conditions_text": "依托单位为高新技术企业；研发投入占营业收入比例不低于3%；拥有稳定的研发团队和研发场地。",
        "support_text": "认定后纳入省级研发机构管理，市级给予一次性奖励20万元。",
        "max_amount": "20",
        "department": ("city", "高新技术处"),
        "need_categories": ["platform", "rd"],
        "keywords": "工程技术研究中心 工程中心 研发机构 平台",
        "min_rd_ratio": "3",
        "required_qualifications": ["hnte"],
    },
    {
        "title": "生物医药产业链关键技术攻关专项",
        "issuer": CITY_ISSUER,
        "doc_number": "淮科发〔2025〕33号",
        "level": PolicyLevel.CITY,
        "kind": PolicyKind.FUNDING,
        "delivery": PolicyDelivery.APPLICATION,
        "published": -12,
        "window": (-12, 35),
        "summary": "聚焦生物技术及新医药产业链关键核心技术开展攻关。",
        "conditions_text": "属于生物技术及新医药产业链的企业；研发人员不少于20人。",
        "support_text": "单个项目最高100万元。",
        "max_amount": "100",
        "department": ("city", "高新技术处"),
        "need_categories": ["rd", "funding"],
        "keywords": "生物医药 创新药 关键技术 攻关 产业链",
        "industry_chains": ["biomed"],
        "min_employees": 20,
    },
    {
        "title": "新能源汽车及零部件产业链协同创新项目",
        "issuer": CITY_ISSUER,
        "doc_number": "淮科发〔2025〕35号",
        "level": PolicyLevel.CITY,
        "kind": PolicyKind.FUNDING,
        "delivery": PolicyDelivery.APPLICATION,
        "published": -5,
        "window": (-5, 55),
        "summary": "支持挂钩联系的链主和配套企业开展协同创新、共建联合实验室。",
        "conditions_text": "属于新能源汽车及零部件或新能源及装备产业链的挂钩联系企业；上年度营业收入不低于5000万元。",
        "support_text": "单个项目最高80万元。",
        "max_amount": "80",
        "department": ("city", "高新技术处"),
        "need_categories": ["rd", "cooperation", "platform"],
        "keywords": "新能源汽车 零部件 协同创新 联合实验室 链主",
        "industry_chains": ["nev", "new-energy"],
        "min_revenue": "5000",
        "linked_only": True,
    },
]

# (policy title, enterprise, need title or None, status, pushed days ago, pushed by, granted amount, note)
MATCHES = [
    ("淮安市高新技术企业认定奖励", "L1", None, MatchStatus.GRANTED, 200, "manager", "10", "重新认定奖励已兑付。"),
    (
        "苏科贷科技型中小企业贷款",
        "L2",
        "申请苏科贷流动资金贷款500万元",
        MatchStatus.APPLYING,
        15,
        "finance_manager",
        None,
        "",
    ),
    (
        "“淮上英才计划”创新创业人才项目",
        "L5",
        "集成电路人才申报淮上英才计划",
        MatchStatus.GRANTED,
        130,
        "manager2",
        "100",
        "",
    ),
    ("企业研发费用税前加计扣除", "L7", "研发费用加计扣除归集口径辅导", MatchStatus.PUSHED, 88, "manager", None, ""),
    ("淮安市科技创新券", "L9", None, MatchStatus.PUSHED, 20, "manager", None, ""),
    (
        "省科技成果转化专项资金（苏北科技专项）",
        "L1",
        "碳纤维扩建项目申报省苏北科技专项",
        MatchStatus.APPLYING,
        5,
        "manager",
        None,
        "",
    ),
    (
        "科技型中小企业评价入库",
        "L11",
        "科技型中小企业评价入库指导",
        MatchStatus.GRANTED,
        68,
        "manager",
        None,
        "已入库。",
    ),
    (
        "科技企业孵化器和众创空间入驻补贴",
        "L9",
        None,
        MatchStatus.DECLINED,
        28,
        "manager",
        None,
        "企业已在智慧谷园区租赁场地，暂不入驻。",
    ),
    ("技术合同登记奖补", "L3", None, MatchStatus.NOT_GRANTED, 25, "manager2", None, "技术合同未在规定时限内登记。"),
    ("江苏省专精特新中小企业认定", "L5", None, MatchStatus.SUGGESTED, None, None, None, ""),
    (
        "淮安市产学研合作项目",
        "L1",
        "对接南京航空航天大学复合材料团队联合攻关",
        MatchStatus.PUSHED,
        8,
        "manager2",
        None,
        "",
    ),
    (
        "淮安市科技型企业贷款贴息",
        "L9",
        "科技型中小企业信用贷款产品咨询",
        MatchStatus.PUSHED,
        16,
        "finance_manager",
        None,
        "",
    ),
    ("淮安市高新技术企业认定奖励", "L8", "高企证书到期重新认定材料辅导", MatchStatus.PUSHED, 12, "manager", None, ""),
    ("苏科贷科技型中小企业贷款", "A1", "申请苏科贷融资2000万元", MatchStatus.PUSHED, 3, "finance_manager", None, ""),
    ("省级工程技术研究中心建设", "L6", "申报省级工程技术研究中心", MatchStatus.APPLYING, 6, "manager", None, ""),
    ("新能源汽车及零部件产业链协同创新项目", "L6", None, MatchStatus.PUSHED, 4, "manager", None, ""),
]

# ---------------------------------------------------------------------------------------------------------
# Offerings (资源清单), keyed on (department, name)
# ---------------------------------------------------------------------------------------------------------

OFFERINGS = [
    (
        ("city", "高新技术处"),
        "省市科技计划项目申报辅导（含省苏北科技专项）",
        "funding_programme",
        "解读省重点研发计划、省苏北科技专项和市级科技计划申报指南，组织专家对申报书开展预评审。",
        ["funding", "rd"],
        "刘建华",
        "0517-83661201",
        None,
    ),
    (
        ("city", "高新技术处"),
        "高新技术企业认定辅导",
        "policy_coaching",
        "分批开展高企申报一对一诊断，辅导知识产权布局、研发费用归集和申报材料编制。",
        ["qualification"],
        "陈思远",
        "0517-83661202",
        None,
    ),
    (
        ("city", "高新技术处"),
        "科技型中小企业评价入库指导",
        "policy_coaching",
        "指导企业在全国科技型中小企业信息服务平台自主评价、填报和入库。",
        ["qualification"],
        "陈思远",
        "0517-83661202",
        None,
    ),
    (
        ("city", "高新技术处"),
        "研发费用加计扣除政策辅导",
        "policy_coaching",
        "联合税务部门讲解研发费用辅助账设置、归集口径和享受流程。",
        ["consultation", "funding", "rd"],
        "陈思远",
        "0517-83661202",
        None,
    ),
    (
        ("city", "高新技术处"),
        "省级工程技术研究中心培育",
        "platform",
        "遴选研发基础好的高新技术企业，培育申报省级工程技术研究中心。",
        ["platform", "rd"],
        "刘建华",
        "0517-83661201",
        None,
    ),
    (
        ("city", "科技合作与成果转化处"),
        "产学研合作对接会",
        "service_event",
        "按产业链组织企业与高校院所供需对接，发布企业技术需求清单。",
        ["cooperation", "rd"],
        "赵雨晴",
        "0517-83661211",
        90,
    ),
    (
        ("city", "科技合作与成果转化处"),
        "科技副总选聘",
        "talent_programme",
        "从高校院所选聘科技人才到企业兼任科技副总，服务期一年。",
        ["talent", "rd"],
        "赵雨晴",
        "0517-83661211",
        None,
    ),
    (
        ("city", "科技合作与成果转化处"),
        "产业教授（研究生导师）选聘",
        "talent_programme",
        "推荐企业高层次人才受聘高校产业教授，联合培养研究生。",
        ["talent", "cooperation"],
        "杨帆",
        "0517-83661210",
        None,
    ),
    (
        ("city", "科技合作与成果转化处"),
        "淮上英才计划申报服务",
        "talent_programme",
        "指导企业引进创新创业领军人才并申报淮上英才计划。",
        ["talent"],
        "杨帆",
        "0517-83661210",
        None,
    ),
    (
        ("city", "科技合作与成果转化处"),
        "技术合同认定登记服务",
        "policy_coaching",
        "提供技术合同认定登记、技术交易额核定和奖补申报服务。",
        ["cooperation", "ip"],
        "赵雨晴",
        "0517-83661211",
        None,
    ),
    (
        ("city", "科技合作与成果转化处"),
        "科技镇长团服务",
        "expert_team",
        "依托科技镇长团成员所在高校资源，为县区企业对接技术和人才。",
        ["cooperation", "consultation", "talent"],
        "杨帆",
        "0517-83661210",
        None,
    ),
    (
        ("city", "农村科技处"),
        "科技特派员工作站",
        "commissioner",
        "在企业设立科技特派员工作站，选派高校专家驻企开展技术服务。",
        ["rd", "cooperation"],
        "吴海涛",
        "0517-83661221",
        None,
    ),
    (
        ("city", "农村科技处"),
        "农业科技特派员团队服务",
        "commissioner",
        "组织水产、稻米、蔬菜等产业科技特派员团队开展送科技下乡和技术培训。",
        ["rd", "talent"],
        "吴海涛",
        "0517-83661221",
        None,
    ),
    (
        ("city", "政策法规处"),
        "惠企科技政策宣讲",
        "service_event",
        "进园区、进企业开展惠企科技政策集中宣讲和一对一解读。",
        ["consultation"],
        "林涛",
        "0517-83661231",
        None,
    ),
    (
        ("city", "政策法规处"),
        "知识产权与科技成果评价咨询",
        "expert_team",
        "组织知识产权和科技评价专家，为企业提供专利布局、成果评价咨询。",
        ["ip", "consultation"],
        "林涛",
        "0517-83661231",
        None,
    ),
    (
        ("city", "政策法规处"),
        "科技领域审批事项帮办",
        "service_event",
        "对科技领域审批和涉企证照事项提供帮办代办服务，协调相关部门。",
        ["approval", "consultation"],
        "林涛",
        "0517-83661231",
        None,
    ),
    (
        ("city", "科技资源统筹服务中心"),
        "科技创新券",
        "funding_programme",
        "中小企业购买科技服务可使用创新券抵扣，单个企业年度最高20万元。",
        ["cooperation", "rd", "platform"],
        "郭晨",
        "0517-83661241",
        10,
    ),
    (
        ("city", "科技资源统筹服务中心"),
        "大型科学仪器共享服务",
        "platform",
        "开放共享全市高校院所和企业的大型科学仪器，提供预约和检测服务。",
        ["rd", "platform"],
        "郭晨",
        "0517-83661241",
        None,
    ),
    (
        ("city", "科技资源统筹服务中心"),
        "科技企业孵化器与众创空间入驻",
        "platform",
        "推荐初创科技企业入驻市级以上孵化器和众创空间，享受场地和孵化服务。",
        ["platform", "land"],
        "郭晨",
        "0517-83661241",
        None,
    ),
    (
        ("city", "科技金融服务中心"),
        "苏科贷",
        "finance_product",
        "省市县共建风险补偿资金池，合作银行为科技型中小企业提供低息信用贷款。",
        ["finance"],
        "许静",
        "0517-83661251",
        None,
    ),
    (
        ("city", "科技金融服务中心"),
        "科技贷款贴息",
        "finance_product",
        "对科技型企业获得的科技贷款按实际支付利息的50%给予贴息。",
        ["finance", "funding"],
        "许静",
        "0517-83661251",
        6,
    ),
    (
        ("city", "科技金融服务中心"),
        "知识产权质押融资与科技保险",
        "finance_product",
        "对接银行和保险机构开展知识产权质押融资和科技保险业务。",
        ["finance", "ip"],
        "许静",
        "0517-83661251",
        None,
    ),
    (
        ("city", "科技金融服务中心"),
        "科技企业创投路演",
        "service_event",
        "每季度组织科技企业与创投机构路演对接。",
        ["finance", "market"],
        "许静",
        "0517-83661251",
        45,
    ),
    (
        ("city", "办公室"),
        "市县联动科技服务直通车",
        "service_event",
        "市县两级科技部门联合走访，协调解决企业跨部门诉求。",
        ["consultation", "other", "land"],
        "周国庆",
        "0517-83661200",
        None,
    ),
    (
        ("jinhu", "科技服务中心"),
        "金湖县石油装备科技特派员工作站",
        "commissioner",
        "依托县内石油装备企业设立工作站，柔性引进高校专家团队。",
        ["rd", "cooperation"],
        "何佳",
        "0517-86881102",
        None,
    ),
]

# (title, need title, project key, offering (dept, name), owner, department, due in, status, result, completed ago)
ACTIONS = [
    (
        "对接合作银行办理苏科贷授信",
        "申请苏科贷流动资金贷款500万元",
        None,
        (("city", "科技金融服务中心"), "苏科贷"),
        "finance_manager",
        ("city", "科技金融服务中心"),
        -3,
        ActionStatus.IN_PROGRESS,
        "",
        None,
    ),
    (
        "瀚霖省重点研发计划申报书预审",
        "深井智能抽油机项目申报省重点研发计划",
        None,
        (("city", "高新技术处"), "省市科技计划项目申报辅导（含省苏北科技专项）"),
        "officer",
        ("city", "高新技术处"),
        -1,
        ActionStatus.PLANNED,
        "",
        None,
    ),
    (
        "组织澄源与南航复材团队技术对接会",
        "对接南京航空航天大学复合材料团队联合攻关",
        None,
        (("city", "科技合作与成果转化处"), "产学研合作对接会"),
        "officer2",
        ("city", "科技合作与成果转化处"),
        7,
        ActionStatus.PLANNED,
        "",
        None,
    ),
    (
        "选派科技特派员驻企开展保鲜技术攻关",
        "对接科技特派员开展小龙虾保鲜技术攻关",
        None,
        (("city", "农村科技处"), "科技特派员工作站"),
        "officer3",
        ("city", "农村科技处"),
        -28,
        ActionStatus.DONE,
        "已选派江南大学食品学院专家驻企，完成气调保鲜工艺试验3批次。",
        27,
    ),
    (
        "指导芯湃申报淮上英才计划",
        "集成电路人才申报淮上英才计划",
        None,
        (("city", "科技合作与成果转化处"), "淮上英才计划申报服务"),
        "officer2",
        ("city", "科技合作与成果转化处"),
        -118,
        ActionStatus.DONE,
        "人才入选淮上英才计划，获资助100万元。",
        122,
    ),
    (
        "嘉屹生物高企重新认定一对一辅导",
        "高企证书到期重新认定材料辅导",
        None,
        (("city", "高新技术处"), "高新技术企业认定辅导"),
        "officer",
        ("city", "高新技术处"),
        3,
        ActionStatus.IN_PROGRESS,
        "",
        None,
    ),
    (
        "市县联合走访栖云光电并制定稳企方案",
        "协调厂房续租及新厂房选址",
        None,
        (("city", "办公室"), "市县联动科技服务直通车"),
        "officer",
        ("city", "办公室"),
        2,
        ActionStatus.IN_PROGRESS,
        "",
        None,
    ),
    (
        "推荐栖云光电对接苏科贷合作银行",
        "申请苏科贷融资2000万元",
        None,
        (("city", "科技金融服务中心"), "苏科贷"),
        "finance_manager",
        ("city", "科技金融服务中心"),
        10,
        ActionStatus.PLANNED,
        "",
        None,
    ),
    (
        "科蕴数字市场推广补贴诉求转介",
        "申请市场推广费用补贴",
        None,
        None,
        "officer4",
        ("city", "科技资源统筹服务中心"),
        -25,
        ActionStatus.CANCELLED,
        "诉求不予受理，已转介商务部门。",
        None,
    ),
    (
        "跟踪澄源扩建项目设备进场安装进度",
        None,
        "P1",
        None,
        "officer",
        ("city", "高新技术处"),
        15,
        ActionStatus.PLANNED,
        "",
        None,
    ),
    (
        "推动生物医药中试平台申报省级公共技术服务平台",
        None,
        "P4",
        (("city", "科技资源统筹服务中心"), "大型科学仪器共享服务"),
        "officer4",
        ("city", "科技资源统筹服务中心"),
        30,
        ActionStatus.IN_PROGRESS,
        "",
        None,
    ),
    (
        "钧澈精密项目选聘科技副总",
        None,
        "P2",
        (("city", "科技合作与成果转化处"), "科技副总选聘"),
        "officer2",
        ("city", "科技合作与成果转化处"),
        -6,
        ActionStatus.DONE,
        "已从南京理工大学选聘1名科技副总。",
        8,
    ),
    (
        "开展储能装备产业园科技招商对接",
        None,
        "P3",
        None,
        "county_manager",
        ("jinhu", "综合科"),
        20,
        ActionStatus.PLANNED,
        "",
        None,
    ),
]

VERB_TO_STATUS = {
    "accept": NeedStatus.ACCEPTED,
    "reject": NeedStatus.REJECTED,
    "assign": NeedStatus.ASSIGNED,
    "start": NeedStatus.IN_PROGRESS,
    "answer": NeedStatus.ANSWERED,
}
VERB_TO_KIND = {
    "accept": NeedEventKind.STATUS,
    "reject": NeedEventKind.STATUS,
    "start": NeedEventKind.STATUS,
    "answer": NeedEventKind.STATUS,
    "assign": NeedEventKind.ASSIGNMENT,
    "return_visit": NeedEventKind.RETURN_VISIT,
    "transfer": NeedEventKind.TRANSFER,
    "extension": NeedEventKind.EXTENSION,
    "note": NeedEventKind.NOTE,
    "instruction": NeedEventKind.INSTRUCTION,
}
# Verbs that change the need and so bump its version (notes and instructions do not).
VERSIONED_VERBS = {"accept", "reject", "assign", "start", "answer", "return_visit", "transfer", "extension"}
SOURCE_LABELS = {
    NeedSource.VISIT: "走访",
    NeedSource.PHONE: "电话",
    NeedSource.LETTER: "来函",
    NeedSource.MEETING: "座谈会",
    NeedSource.PLATFORM: "平台",
}


def credit_code_make(*, region: str, org: str) -> str:
    """A valid unified social credit code for an enterprise (登记管理部门 9, 企业 1) in a region."""
    body = f"91{region[:6]}{org}"
    return body + credit_code_check_char(body)


def reference_data_load(*, verbosity: int = 0) -> int:
    """Load regions, industry chains and qualifications (loaddata) and the holiday calendar (keyed on date).

    Returns the number of holiday rows created.
    """
    call_command("loaddata", *[str(FIXTURE_DIR / f"{name}.json") for name in REFERENCE_FIXTURES], verbosity=verbosity)
    # Holidays are matched on their date, not the fixture's pk, so rows an admin added are never clobbered.
    with open(FIXTURE_DIR / f"{HOLIDAY_FIXTURE}.json", encoding="utf-8") as fh:
        rows = json.load(fh)
    created = 0
    for row in rows:
        fields = row["fields"]
        day = dt.date.fromisoformat(fields["date"])
        _, new = Holiday.objects.get_or_create(
            date=day, defaults={"name": fields["name"], "is_workday": fields.get("is_workday", False)}
        )
        created += new
    return created


# ---------------------------------------------------------------------------------------------------------
# Growth programmes (DESIGN §11.7): yearly figures 2023-2025, the 2026 cultivation pool and targets, project
# milestones and monthly progress, commissioners. Offsets are days from today.
# ---------------------------------------------------------------------------------------------------------

# Revenue and R&D of the years before the latest, as a share of the latest (2025 = the enterprise's figures).
YEAR_SHARES = {2023: (Decimal("0.78"), Decimal("0.70")), 2024: (Decimal("0.90"), Decimal("0.85")), 2025: (1, 1)}
CULTIVATION_TARGETS = [
    ("city", 2026, "hnte", 6),
    ("city", 2026, "tsme", 10),
    ("jinhu", 2026, "hnte", 3),
    ("jinhu", 2026, "tsme", 4),
    ("lianshui", 2026, "hnte", 2),
    ("city", 2025, "hnte", 5),
]
# (enterprise, year, programme, stage, officer, next step in days, notes)
CULTIVATIONS = [
    ("L3", 2025, "hnte", "failed", "county_officer", None, "2025年评审未通过：研发费用归集不规范。"),
    ("L3", 2026, "hnte", "certified", "county_officer", None, "重新认定，已公示无异议。"),
    ("L4", 2026, "hnte", "applied", "county_officer", 12, "申报材料已报省厅，等待专家评审。"),
    ("A1", 2026, "tsme", "coaching", "county_officer", 5, "科小评价入库辅导：补齐知识产权。"),
    ("L9", 2026, "hnte", "publicised", "officer", 8, "已列入拟认定名单公示。"),
    ("O1", 2026, "hnte", "candidate", "officer", 20, "入库培育，研发投入占比待提升。"),
    ("O1", 2026, "tsme", "applied", "officer", 3, ""),
    ("O2", 2026, "hnte", "coaching", "officer", 10, "辅导机构上门梳理研发项目。"),
    ("O3", 2026, "tsme", "certified", "officer", None, ""),
    ("L8", 2026, "hnte", "failed", "officer", None, "高新技术产品收入占比不足60%。"),
]
# Project → {milestone: (planned offset, actual offset or None)}
MILESTONES = {
    "P1": {"signed": (-640, -630), "started": (-560, -550), "completed": (-30, None), "in_production": (120, None)},
    "P2": {"signed": (-240, -230), "started": (-60, None), "completed": (300, None)},
    "P3": {"signed": (45, None)},
    "P4": {"signed": (-900, -905), "started": (-800, -790), "completed": (-160, -150), "in_production": (-40, None)},
    "P5": {"signed": (-480, -470), "started": (-390, -395), "completed": (210, None), "in_production": (330, None)},
}
# Project → (months reported back from last month, investment per month in 万元)
PROGRESS = {"P1": (8, Decimal("1200")), "P5": (6, Decimal("800")), "P4": (4, Decimal("500"))}
COMMISSIONERS = [
    {
        "name": "周明远",
        "institution": "淮阴工学院",
        "expertise": "碳纤维复合材料成型工艺",
        "chain": "fiber-materials",
        "mobile": "13905230001",
        "assignments": [("L1", -300, "预浸料工艺优化，联合申报省科技计划。"), ("L2", -200, "PCB基材可靠性测试。")],
        "logs": [("L1", -120, 2, "现场诊断固化曲线，提出温控改进方案。", 5), ("L2", -40, 1, "检测方法培训。", 4)],
    },
    {
        "name": "陈思雨",
        "institution": "江苏食品药品职业技术学院",
        "expertise": "食品发酵与功能配料",
        "chain": "green-food",
        "mobile": "13905230002",
        "assignments": [("L5", -250, "发酵工艺放大与质量标准制定。")],
        "logs": [("L5", -90, 3, "中试线调试。", 5), ("L5", -20, 1, "标准草案评审。", None)],
    },
    {
        "name": "王立新",
        "institution": "南京理工大学",
        "expertise": "工业机器人与智能制造",
        "chain": "ai-robotics",
        "mobile": "13905230003",
        "assignments": [],
        "logs": [],
    },
]


class _Builder:
    """Creates the demo rows that are missing; remembers them by key for the later sections."""

    def __init__(self) -> None:
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        self.regions = Region.objects.in_bulk()
        self.chains = IndustryChain.objects.in_bulk()
        self.qualifications = Qualification.objects.in_bulk()
        self.bureaus: dict[str, Bureau] = {}
        self.departments: dict[tuple[str, str], Department] = {}
        self.users: dict[str, User] = {}
        self.enterprises: dict[str, Enterprise] = {}
        self.projects: dict[str, Project] = {}
        self.visits: dict[str, Visit] = {}
        self.needs: dict[str, Need] = {}
        self.time_limits = TimeLimits()
        self.extensions: list[tuple] = []  # (need title, requester, decider, when, reason) of the steps
        self.policies: dict[str, Policy] = {}
        self.offerings: dict[tuple, Offering] = {}
        self.created: dict[str, int] = {}
        self._password = None

    # -- helpers ------------------------------------------------------------------------------------------

    def day(self, offset: int | None) -> dt.date | None:
        return None if offset is None else self.today + dt.timedelta(days=offset)

    def at(self, days_ago: float, hour: int = 9, minute: int = 0) -> dt.datetime:
        """An aware datetime ``days_ago`` days before today at the given local time, never in the future."""
        date = self.today - dt.timedelta(days=int(days_ago))
        value = dt.datetime.combine(date, dt.time(hour, minute), tzinfo=self.tz)
        ceiling = self.now - dt.timedelta(minutes=5)
        return min(value, ceiling)

    def ensure(self, model, lookup: dict, defaults: dict, *, exclude: tuple = (), created_at=None):
        """Return the row matching ``lookup``, creating (validated) it from ``defaults`` when it is missing."""
        obj = model._default_manager.filter(**lookup).first()
        if obj is not None:
            return obj, False
        obj = model(**{**defaults, **lookup})
        obj.full_clean(exclude=list(exclude) or None)
        obj.save()
        if created_at is not None:
            model._default_manager.filter(pk=obj.pk).update(created_at=created_at, updated_at=created_at)
            obj.created_at = obj.updated_at = created_at
        self.created[model.__name__] = self.created.get(model.__name__, 0) + 1
        return obj, True

    def password(self) -> str:
        if self._password is None:
            self._password = make_password(DEMO_PASSWORD)
        return self._password

    def dept(self, key: tuple[str, str] | None) -> Department | None:
        return self.departments[key] if key else None

    # -- sections -----------------------------------------------------------------------------------------

    def organisation(self) -> None:
        for key, (name, level, region) in BUREAUS.items():
            self.bureaus[key], _ = self.ensure(Bureau, {"name": name}, {"level": level, "region": self.regions[region]})
        for key, names in DEPARTMENTS.items():
            for name in names:
                self.departments[(key, name)], _ = self.ensure(
                    Department, {"bureau": self.bureaus[key], "name": name}, {}
                )
        groups = {role.value: Group.objects.get_or_create(name=role.value)[0] for role in Role}
        for username, name, role, bureau, dept, mobile, staff, superuser in USERS:
            user, created = self.ensure(
                User,
                {"username": username},
                {
                    "name": name,
                    "password": self.password(),
                    "email": f"{username}@example.com",
                    "bureau": self.bureaus[bureau],
                    "department": self.departments[(bureau, dept)],
                    "mobile": mobile,
                    "is_staff": staff,
                    "is_superuser": superuser,
                },
            )
            if created:
                user.groups.add(groups[role.value])
            self.users[username] = user

    def bureau_for_region(self, region: str) -> Bureau:
        for bureau in self.bureaus.values():
            if bureau.level == BureauLevel.COUNTY and bureau.region_id == region:
                return bureau
        return self.bureaus["city"]

    def enterprises_build(self) -> None:
        creator = self.users["officer"]
        for seq, spec in enumerate(ENTERPRISES, start=1):
            region = spec["region"]
            code = credit_code_make(region=region if region[:6].isdigit() else "320800", org=spec["org"])
            ent, created = self.ensure(
                Enterprise,
                {"credit_code": code},
                {
                    "name": spec["name"],
                    "region": self.regions[region],
                    "address": spec["address"],
                    "legal_representative": spec["legal_representative"],
                    "established_on": spec["established_on"],
                    "industry_chain": self.chains[spec["chain"]],
                    "main_products": spec["main_products"],
                    "employees": spec["employees"],
                    "rd_staff": spec["rd_staff"],
                    "revenue": Decimal(spec["revenue"]),
                    "rd_expense": Decimal(spec["rd_expense"]),
                    "is_linked": spec.get("linked", False),
                    "is_assisted": spec.get("assisted", False),
                    "liaison_leader": self.users.get(spec.get("leader") or ""),
                    "party_organization": spec["party"],
                    "party_members": spec.get("party_members"),
                    "status": spec.get("status", EnterpriseStatus.OPERATING),
                    "bureau": self.bureau_for_region(region),
                    "created_by": creator,
                },
                created_at=self.at(400 - seq * 7, 10),
            )
            self.enterprises[spec["key"]] = ent
            if not created:
                continue
            ent.liaison_officers.set([self.users[u] for u in spec["officers"]])
            for qseq, (qcode, expires_in, years) in enumerate(spec["qualifications"], start=1):
                if expires_in is None:
                    certified, expires = self.today - dt.timedelta(days=365 * years), None
                else:
                    expires = self.today + dt.timedelta(days=expires_in)
                    certified = expires - dt.timedelta(days=365 * years)
                prefix = CERT_PREFIX.get(qcode, "")
                self.ensure(
                    EnterpriseQualification,
                    {"enterprise": ent, "qualification": self.qualifications[qcode]},
                    {
                        "certified_on": certified,
                        "expires_on": expires,
                        "certificate_no": f"{prefix}{certified.year}32{seq:03d}{qseq:02d}" if prefix else "",
                    },
                )
            for name, title, mobile, email, primary in spec["contacts"]:
                self.ensure(
                    Contact,
                    {"enterprise": ent, "name": name},
                    {"title": title, "mobile": mobile, "email": email, "is_primary": primary, "created_by": creator},
                )

    def projects_build(self) -> None:
        for seq, spec in enumerate(PROJECTS, start=1):
            project, created = self.ensure(
                Project,
                {"name": spec["name"]},
                {
                    "enterprise": self.enterprises.get(spec["enterprise"] or ""),
                    "region": self.regions[spec["region"]],
                    "industry_chain": self.chains[spec["chain"]],
                    "kind": spec["kind"],
                    "stage": spec["stage"],
                    "planned_investment": Decimal(spec["planned_investment"]),
                    "description": spec["description"],
                    "is_assisted": spec["assisted"],
                    "liaison_leader": self.users.get(spec["leader"] or ""),
                    "bureau": self.bureaus[spec["bureau"]],
                    "created_by": self.users["manager"],
                },
                created_at=self.at(300 - seq * 20, 10),
            )
            if created:
                project.liaison_officers.set([self.users[u] for u in spec["officers"]])
            self.projects[spec["key"]] = project

    def visits_build(self) -> None:
        for spec in VISITS:
            ent = self.enterprises[spec["enterprise"]]
            lead = self.users[spec["lead"]]
            visited_on = self.today - dt.timedelta(days=spec["days_ago"])
            interviewee, interviewee_title = spec["interviewee"]
            visit, created = self.ensure(
                Visit,
                {"enterprise": ent, "q_needs": spec["q_needs"]},
                {
                    "project": self.projects.get(spec.get("project") or ""),
                    "visited_on": visited_on,
                    "kind": spec["kind"],
                    "lead": lead,
                    "interviewee": interviewee,
                    "interviewee_title": interviewee_title,
                    "q_difficulties": spec.get("q_difficulties", ""),
                    "q_suggestions": spec.get("q_suggestions", ""),
                    "party_notes": spec.get("party_notes", ""),
                    "policies_briefed": spec.get("policies_briefed", ""),
                    "resolved_on_site": spec.get("resolved_on_site", ""),
                    "flag": spec["flag"],
                    "next_visit_on": self.day(spec.get("next_visit_in")),
                    "created_by": lead,
                },
                exclude=("code",),
                created_at=self.at(spec["days_ago"], 17, 30),
            )
            if created:
                visit.officers.set([self.users[u] for u in spec["officers"]])
            self.visits[spec["key"]] = visit

    def needs_build(self) -> None:
        for seq, spec in enumerate(NEEDS):
            ent = self.enterprises.get(spec.get("enterprise") or "")
            project = self.projects.get(spec.get("project") or "")
            visit = self.visits.get(spec.get("visit") or "")
            source = NeedSource.VISIT if visit else spec.get("source", NeedSource.PHONE)
            lookup = {"title": spec["title"]}
            if ent is not None:
                lookup["enterprise"] = ent
            else:
                lookup["project"] = project
            existing = Need.objects.filter(**lookup).first()
            if existing is not None:
                self.needs[spec["title"]] = existing
                continue
            created_at = self.at(spec["days_ago"], 9, 10 + seq)
            fields, events = self._need_path(spec, created_at)
            # The clock of §11.4 from the day the need arrived; an extended need keeps its first deadline.
            accept_due, clock_due = self.time_limits.clock_dates(
                category=spec["category"],
                urgency=spec.get("urgency", Urgency.NORMAL),
                start=timezone.localtime(created_at).date(),
            )
            due = self.day(spec.get("due_in")) or clock_due
            extended = any(step[0] == "extension" for step in spec["steps"])
            fields.update(accept_due_on=accept_due, due_on=due, original_due_on=clock_due if extended else due)
            need, _ = self.ensure(
                Need,
                lookup,
                {
                    "enterprise": ent,
                    "project": project,
                    "visit": visit,
                    "source": source,
                    "category": spec["category"],
                    "description": spec.get("description", ""),
                    "urgency": spec.get("urgency", Urgency.NORMAL),
                    "bureau": self.bureaus[spec.get("bureau", "city")],
                    "lead_department": self.dept(spec.get("dept")),
                    "handler": self.users.get(spec.get("handler") or ""),
                    "created_by": self.users[spec["by"]],
                    **fields,
                },
                exclude=("code",),
                created_at=created_at,
            )
            need.assisting_departments.set([self.departments[key] for key in spec.get("assisting", [])])
            register = f"登记诉求，来源：{SOURCE_LABELS[source]}"
            if visit is not None:
                register += f"（{visit.code}）"
            events.insert(
                0, (created_at, self.users[spec["by"]], NeedEventKind.STATUS, "", NeedStatus.NEW, register + "。")
            )
            for when, author, kind, from_status, to_status, text in events:
                event = NeedEvent.objects.create(
                    need=need, author=author, kind=kind, from_status=from_status, to_status=to_status, text=text
                )
                NeedEvent.objects.filter(pk=event.pk).update(created_at=when)
            self.created["NeedEvent"] = self.created.get("NeedEvent", 0) + len(events)
            self.needs[spec["title"]] = need
        # The dates above were written directly, not by the transitions that keep the working days to answer.
        needs_answer_workdays_fill(needs=Need.objects.filter(pk__in=[need.pk for need in self.needs.values()]))

    def _need_path(self, spec: dict, created_at: dt.datetime) -> tuple[dict, list]:
        """Walk the need's steps through the §4.1 lifecycle; return its final fields and its events."""
        status = NeedStatus.NEW
        fields: dict = {"version": 1}
        events: list = []
        dept = self.dept(spec.get("dept"))
        assisting = [self.departments[key].name for key in spec.get("assisting", [])]
        handler = self.users.get(spec.get("handler") or "")
        due = self.day(spec.get("due_in"))
        extended = any(step[0] == "extension" for step in spec["steps"])
        for index, step in enumerate(spec["steps"]):
            verb, after, author_key, text = step[:4]
            when = min(created_at + dt.timedelta(days=after, hours=index + 1), self.now - dt.timedelta(minutes=4))
            author = self.users[author_key]
            if verb == "extension":
                self.extensions.append((spec["title"], handler or author, author, when, text))
            from_status = status
            if verb in VERB_TO_STATUS:
                status = VERB_TO_STATUS[verb]
            elif verb == "return_visit":
                status = NeedStatus.IN_PROGRESS if step[4] == Satisfaction.UNSATISFIED else NeedStatus.CLOSED
                fields["satisfaction"] = step[4]
                if status == NeedStatus.CLOSED:
                    fields["closed_at"] = when
            if verb == "assign":
                fields["assigned_at"] = when
                text = text or self._assign_text(dept, assisting, handler, None if extended else due)
            elif verb == "answer":
                fields["resolution"] = text
                fields["answered_at"] = when
            elif verb == "accept":
                text = text or "已受理。"
                fields.setdefault("accepted_at", when)
            elif verb == "start":
                text = text or "已开始办理。"
            elif verb == "extension" and due:
                text = f"{text}办理时限延至{due:%Y-%m-%d}。"
            if verb in VERSIONED_VERBS:
                fields["version"] += 1
            if verb in ("note", "instruction"):
                events.append((when, author, VERB_TO_KIND[verb], "", "", text))
            else:
                events.append((when, author, VERB_TO_KIND[verb], from_status, status, text))
        fields["status"] = status
        return fields, events

    @staticmethod
    def _assign_text(dept, assisting, handler, due) -> str:
        text = f"交办{dept.name if dept else ''}主办"
        if assisting:
            text += f"，{'、'.join(assisting)}协办"
        if handler:
            text += f"，经办人{handler.name}"
        if due:
            text += f"，办理时限{due:%Y-%m-%d}"
        return text + "。"

    def extensions_build(self) -> None:
        """The approved extensions of the steps (§11.4: requested by the handler, approved by a manager) and one
        request still pending, so the need page and the managers' 工作台 show one to decide."""
        for title, requester, decider, when, reason in self.extensions:
            need = self.needs[title]
            if need.extension_requests.exists():
                continue
            request, _ = self.ensure(
                ExtensionRequest,
                {"need": need, "requested_due_on": need.due_on},
                {
                    "reason": reason.rstrip("，,") or "办理需要更多时间",
                    "status": "approved",
                    "requested_by": requester,
                    "previous_due_on": need.original_due_on,
                    "decided_by": decider,
                    "decided_at": when,
                    "decision_note": "同意延期。",
                },
            )
            ExtensionRequest.objects.filter(pk=request.pk).update(requested_at=when - dt.timedelta(hours=1))
        if ExtensionRequest.objects.filter(status="pending").exists():
            return
        pending = next(
            (
                need
                for need in self.needs.values()
                if need.status == NeedStatus.IN_PROGRESS
                and need.handler_id == self.users["officer"].pk
                and need.due_on
                and need.due_on >= self.today
                and not need.extension_requests.exists()
            ),
            None,
        )
        if pending is not None:
            self.ensure(
                ExtensionRequest,
                {"need": pending, "status": "pending"},
                {
                    "requested_due_on": pending.due_on + dt.timedelta(days=7),
                    "reason": "企业补充材料需要第三方检测报告，检测机构排期较长。",
                    "requested_by": self.users["officer"],
                    "previous_due_on": pending.due_on,
                },
            )

    def policies_build(self) -> None:
        for spec in POLICIES:
            opens, closes = spec["window"]
            policy, created = self.ensure(
                Policy,
                {"title": spec["title"]},
                {
                    "issuer": spec["issuer"],
                    "doc_number": spec["doc_number"],
                    "level": spec["level"],
                    "kind": spec["kind"],
                    "delivery": spec["delivery"],
                    "published_on": self.day(spec["published"]),
                    "apply_from": self.day(opens),
                    "apply_until": self.day(closes),
                    "summary": spec["summary"],
                    "conditions_text": spec["conditions_text"],
                    "support_text": spec["support_text"],
                    "max_amount": Decimal(spec["max_amount"]) if spec.get("max_amount") else None,
                    "department": self.dept(spec.get("department")),
                    "need_categories": spec["need_categories"],
                    "keywords": spec["keywords"],
                    "min_employees": spec.get("min_employees"),
                    "max_employees": spec.get("max_employees"),
                    "min_revenue": Decimal(spec["min_revenue"]) if spec.get("min_revenue") else None,
                    "max_revenue": Decimal(spec["max_revenue"]) if spec.get("max_revenue") else None,
                    "min_rd_ratio": Decimal(spec["min_rd_ratio"]) if spec.get("min_rd_ratio") else None,
                    "min_years_established": spec.get("min_years_established"),
                    "linked_only": spec.get("linked_only", False),
                    "created_by": self.users["manager"],
                },
                created_at=self.at(max(-spec["published"], 0), 11),
            )
            if created:
                policy.regions.set([self.regions[c] for c in spec.get("regions", [])])
                policy.industry_chains.set([self.chains[c] for c in spec.get("industry_chains", [])])
                policy.required_qualifications.set(
                    [self.qualifications[c] for c in spec.get("required_qualifications", [])]
                )
            self.policies[spec["title"]] = policy

    def matches_build(self) -> None:
        for title, ent_key, need_title, status, pushed_ago, pushed_by, amount, note in MATCHES:
            policy = self.policies[title]
            ent = self.enterprises[ent_key]
            need = self.needs[need_title] if need_title else None
            # The same explanation a push stores (crm/selectors/matching.py), in the site language.
            with override(settings.LANGUAGE_CODE):
                explained = explain_pairs(policy=policy, enterprises=[ent], need=need)[ent.pk]
            reasons, score = explained.reasons, explained.score
            self.ensure(
                PolicyMatch,
                {"policy": policy, "enterprise": ent, "need": need},
                {
                    "score": score,
                    "reasons": reasons,
                    "status": status,
                    "pushed_by": self.users.get(pushed_by or ""),
                    "pushed_at": self.at(pushed_ago, 15) if pushed_ago is not None else None,
                    "granted_amount": Decimal(amount) if amount else None,
                    "note": note,
                    "created_by": self.users.get(pushed_by or "manager"),
                },
                created_at=self.at(pushed_ago if pushed_ago is not None else 1, 14),
            )

    def offerings_build(self) -> None:
        for dept_key, name, kind, description, categories, contact, phone, until in OFFERINGS:
            dept = self.departments[dept_key]
            self.offerings[(dept_key, name)], _ = self.ensure(
                Offering,
                {"department": dept, "name": name},
                {
                    "kind": kind,
                    "description": description,
                    "need_categories": categories,
                    "contact_name": contact,
                    "contact_phone": phone,
                    "available_until": self.day(until),
                    "created_by": self.users["manager"],
                },
                created_at=self.at(180, 10),
            )

    def actions_build(self) -> None:
        for title, need_title, project_key, offering, owner, dept, due_in, status, result, completed_ago in ACTIONS:
            need = self.needs[need_title] if need_title else None
            project = self.projects[project_key] if project_key else None
            due = self.day(due_in)
            self.ensure(
                ActionItem,
                {"title": title},
                {
                    "need": need,
                    "project": project,
                    "enterprise": (need.enterprise if need else None) or (project.enterprise if project else None),
                    "offering": self.offerings[offering] if offering else None,
                    "owner": self.users[owner],
                    "department": self.departments[dept],
                    "due_on": due,
                    "status": status,
                    "result": result,
                    "completed_on": self.day(-completed_ago) if completed_ago is not None else None,
                    "created_by": self.users["manager"],
                },
                exclude=("code",),
                created_at=self.at(max(-due_in, 0) + 14, 16),
            )

    def routine_build(self) -> None:
        """Cadence rules, plans, the joint research activity and the red-flag enterprise (idempotent)."""
        self.created["CadenceRule"] = cadence_rules_ensure(bureaus=list(self.bureaus.values()))
        for key, days, lead, officers, purpose in PLANS:
            plan, created = self.ensure(
                VisitPlan,
                {"enterprise": self.enterprises[key], "purpose": purpose},
                {
                    "planned_on": self.day(days),
                    "lead": self.users.get(lead or ""),
                    "created_by": self.users[officers[0]],
                },
                created_at=self.at(max(-days, 0) + 10, 11),
            )
            if created:
                plan.officers.set([self.users[u] for u in officers])
        spec = JOINT_RESEARCH
        activity, created = self.ensure(
            Activity,
            {"title": spec["title"]},
            {
                "kind": ActivityKind.JOINT_RESEARCH,
                "held_on": self.day(-spec["days_ago"]),
                "place": spec["place"],
                "lead": self.users[spec["lead"]],
                "summary": spec["summary"],
                "counts_as_visit": True,
                "bureau": self.bureaus["city"],
                "created_by": self.users[spec["lead"]],
            },
            exclude=("code",),
            created_at=self.at(spec["days_ago"], 18),
        )
        if created:
            activity.bureaus.set([self.bureaus[b] for b in spec["bureaus"]])
            activity.officers.set([self.users[u] for u in spec["officers"]])
            for key, attendees in spec["participants"]:
                ActivityParticipant.objects.create(
                    activity=activity, enterprise=self.enterprises[key], attendees=attendees
                )
            for seq, (key, category, title, urgency) in enumerate(spec["needs"], start=1):
                self._routine_need(
                    enterprise=self.enterprises[key],
                    title=title,
                    category=category,
                    urgency=urgency,
                    by=self.users[spec["lead"]],
                    created_at=self.at(spec["days_ago"], 18, seq),
                    activity=activity,
                    source=NeedSource.MEETING,
                    bureau=self.bureau_for_region(self.enterprises[key].region_id),
                )
        watched = WATCHED
        ent = self.enterprises[watched["enterprise"]]
        lead = self.users[watched["lead"]]
        visit, created = self.ensure(
            Visit,
            {"enterprise": ent, "q_needs": watched["q_needs"]},
            {
                "visited_on": self.day(-watched["days_ago"]),
                "kind": VisitKind.ON_SITE,
                "lead": lead,
                "interviewee": watched["interviewee"][0],
                "interviewee_title": watched["interviewee"][1],
                "q_difficulties": watched["q_difficulties"],
                "flag": VisitFlag.YELLOW,
                "created_by": lead,
            },
            exclude=("code",),
            created_at=self.at(watched["days_ago"], 16),
        )
        if created:
            visit.officers.set([self.users[u] for u in watched["officers"]])
            title, category, urgency = watched["need"]
            need = self._routine_need(
                enterprise=ent,
                title=title,
                category=category,
                urgency=urgency,
                by=lead,
                created_at=self.at(watched["days_ago"], 17),
                visit=visit,
                source=NeedSource.VISIT,
                bureau=self.bureaus["city"],
            )
            self.ensure(
                ActionItem,
                {"title": watched["action"]},
                {
                    "need": need,
                    "enterprise": ent,
                    "owner": self.users["officer2"],
                    "department": self.users["officer2"].department,
                    "due_on": self.day(5),
                    "created_by": self.users["manager"],
                },
                exclude=("code",),
            )

    def programmes_build(self) -> None:
        """Yearly figures, the cultivation pool with targets, milestones and progress, commissioners (idempotent;
        the writes that carry rules go through the programme services)."""
        manager = self.users["manager"]
        for key, ent in self.enterprises.items():
            if ent.revenue is None:
                continue
            for year, (revenue_share, rd_share) in YEAR_SHARES.items():
                self.ensure(
                    EnterpriseYear,
                    {"enterprise": ent, "year": year},
                    {
                        "revenue": (ent.revenue * revenue_share).quantize(Decimal("0.01")),
                        "rd_expense": (ent.rd_expense * rd_share).quantize(Decimal("0.01")) if ent.rd_expense else None,
                        "employees": ent.employees,
                        "rd_staff": ent.rd_staff,
                        "total_assets": (ent.revenue * Decimal("1.6") * revenue_share).quantize(Decimal("0.01")),
                        "high_tech_revenue": (ent.revenue * Decimal("0.62") * revenue_share).quantize(Decimal("0.01")),
                        "invention_patents": 2 + year - 2023 + len(key),
                        "other_ip": 8 + 3 * (year - 2023),
                        "created_by": manager,
                    },
                )
        enterprise_figures_sync(enterprise_ids=[e.pk for e in self.enterprises.values()])
        for bureau, year, programme, target in CULTIVATION_TARGETS:
            self.ensure(
                CultivationTarget,
                {"bureau": self.bureaus[bureau], "year": year, "programme": self.qualifications[programme]},
                {"target": target},
            )
        for key, year, programme, stage, officer, next_step, notes in CULTIVATIONS:
            lookup = {"enterprise": self.enterprises[key], "year": year, "programme": self.qualifications[programme]}
            if Cultivation.objects.filter(**lookup).exists():
                continue
            card = cultivation_create(
                user=manager,
                data={
                    **lookup,
                    "stage": "candidate",
                    "officer": self.users[officer],
                    "next_step_on": self.day(next_step),
                    "notes": notes,
                },
            )
            if stage != "candidate":
                certified_on = self.day(-20) if year == self.today.year else dt.date(year, 11, 20)
                cultivation_move(user=manager, cultivation=card, stage=stage, certified_on=certified_on)
            self.created["Cultivation"] = self.created.get("Cultivation", 0) + 1
        for key, rows in MILESTONES.items():
            project = self.projects[key]
            if project.milestones.exists():
                continue
            project_milestones_save(
                user=manager,
                project=project,
                rows={kind: {"planned_on": self.day(p), "actual_on": self.day(a)} for kind, (p, a) in rows.items()},
            )
            self.created["ProjectMilestone"] = self.created.get("ProjectMilestone", 0) + len(rows)
        last_month = self.today.replace(day=1) - dt.timedelta(days=1)
        for key, (months, per_month) in PROGRESS.items():
            project = self.projects[key]
            if project.progress_reports.exists():
                continue
            month = last_month.replace(day=1)
            firsts = []
            for _ in range(months):
                firsts.append(month)
                month = (month - dt.timedelta(days=1)).replace(day=1)
            for index, first in enumerate(reversed(firsts), start=1):
                project_progress_save(
                    user=manager,
                    project=project,
                    data={
                        "month": first,
                        "investment_month": per_month,
                        "investment_total": per_month * (index + 4),
                        "blockers": "施工许可变更待审批" if key == "P1" and index == months else "",
                    },
                )
            self.created["ProjectProgress"] = self.created.get("ProjectProgress", 0) + months
        for spec in COMMISSIONERS:
            commissioner, created = self.ensure(
                Commissioner,
                {"name": spec["name"]},
                {
                    "institution": spec["institution"],
                    "expertise": spec["expertise"],
                    "industry_chain": self.chains[spec["chain"]],
                    "mobile": spec["mobile"],
                    "serves_from": dt.date(self.today.year - 1, 1, 1),
                    "serves_until": dt.date(self.today.year + 1, 12, 31),
                    "bureau": self.bureaus["city"],
                    "created_by": manager,
                },
            )
            assignments = {}
            for key, starts, goals in spec["assignments"]:
                assignments[key], _created = self.ensure(
                    CommissionerAssignment,
                    {"commissioner": commissioner, "enterprise": self.enterprises[key]},
                    {"starts_on": self.day(starts), "goals": goals, "created_by": manager},
                )
            for key, served, days, content, rating in spec["logs"]:
                self.ensure(
                    ServiceLog,
                    {"assignment": assignments[key], "served_on": self.day(served)},
                    {"days": Decimal(days), "content": content, "enterprise_rating": rating, "created_by": manager},
                )

    def _routine_need(self, *, enterprise, title, category, urgency, by, created_at, bureau, **links) -> Need:
        need, created = self.ensure(
            Need,
            {"enterprise": enterprise, "title": title},
            {"category": category, "urgency": urgency, "bureau": bureau, "created_by": by, **links},
            exclude=("code",),
            created_at=created_at,
        )
        if created:
            event = NeedEvent.objects.create(
                need=need, author=by, kind=NeedEventKind.STATUS, to_status=NeedStatus.NEW, text="登记诉求。"
            )
            NeedEvent.objects.filter(pk=event.pk).update(created_at=created_at)
        return need


# ---------------------------------------------------------------------------------------------------------
# The routine (DESIGN §11.1–§11.3): cadence rules, plans (some overdue), one joint research trip with the
# 金湖县 bureau and several of its enterprises (one record), and a yellow-flag enterprise with the need and the
# action answering it (the red-flag one, A1 and its threatened relocation, comes from the visits above).
# ---------------------------------------------------------------------------------------------------------

# (enterprise key, planned in days from today, lead, officers, purpose)
PLANS = [
    ("L1", -5, None, ["officer"], "回访研发费用加计扣除落实情况"),
    ("L5", 2, None, ["officer"], "了解扩产用地进展"),
    ("L8", 9, "manager", ["officer"], "送政策上门：高企认定辅导"),
    ("L6", 6, "leader", ["officer2"], "局领导挂钩走访"),
    ("L7", -2, None, ["officer2"], "季度例行走访"),
    ("L3", 4, None, ["county_officer"], "了解仪表产线技改需求"),
]
JOINT_RESEARCH = {
    "title": "金湖县石油机械及仪表产业链联合调研",
    "days_ago": 9,
    "place": "金湖县经济开发区",
    "lead": "leader",
    "officers": ["officer", "county_officer"],
    "bureaus": ["city", "jinhu"],
    "participants": [
        ("L2", "王建军（总经理）"),
        ("L3", "李敏（技术总监）"),
        ("L4", "赵红（副总经理）"),
        ("A1", "陈立（董事长）"),
    ],
    "summary": (
        "市局与金湖县科技局联合调研石油机械、仪表及光电企业，座谈研发投入、人才和融资需求，现场答复政策问题5项。"
    ),
    "needs": [
        ("L3", "talent", "引进仪表方向研发人才", Urgency.NORMAL),
        ("L4", "finance", "冷链仓储技改项目融资对接", Urgency.URGENT),
    ],
}
WATCHED = {
    "enterprise": "L9",
    "days_ago": 1,
    "lead": "leader2",
    "officers": ["officer2"],
    "interviewee": ("周文斌", "董事长"),
    "q_needs": "希望协调扩产用地和能耗指标，留在淮安发展。",
    "q_difficulties": "扩产项目能耗指标不足，用地报批进度慢，企业担心错过订单窗口期。",
    "need": ("留企扩产用地及能耗指标协调", "land", Urgency.CRITICAL),
    "action": "会同自然资源部门现场踏勘扩产用地",
}


MODELS_COUNTED = (
    Bureau,
    Department,
    User,
    Region,
    IndustryChain,
    Qualification,
    Holiday,
    Enterprise,
    EnterpriseQualification,
    Contact,
    Project,
    Visit,
    Need,
    NeedEvent,
    Policy,
    PolicyMatch,
    Offering,
    ActionItem,
    CadenceRule,
    VisitPlan,
    Activity,
    EnterpriseYear,
    Cultivation,
    CultivationTarget,
    ProjectMilestone,
    ProjectProgress,
    Commissioner,
    CommissionerAssignment,
    ServiceLog,
)


@transaction.atomic
def demo_seed(*, verbosity: int = 0) -> dict[str, dict[str, int]]:
    """Load the reference data and create the missing demo rows; return per model the rows created and total."""
    holidays_created = reference_data_load(verbosity=verbosity)
    builder = _Builder()
    builder.created["Holiday"] = holidays_created
    builder.organisation()
    builder.enterprises_build()
    builder.projects_build()
    builder.visits_build()
    builder.needs_build()
    builder.extensions_build()
    builder.policies_build()
    builder.matches_build()
    builder.offerings_build()
    builder.actions_build()
    builder.routine_build()
    builder.programmes_build()
    return {
        model.__name__: {"created": builder.created.get(model.__name__, 0), "total": model._default_manager.count()}
        for model in MODELS_COUNTED
    }
