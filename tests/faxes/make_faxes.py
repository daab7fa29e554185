"""Draw test faxes in layouts the reader has never seen, each with its answer (issue 20).

Every fax is one page drawn with PIL from invented data — complaint registration forms,
return/exchange sheets (调退货明细表) and service feedback forms A with check boxes — in
several layouts and fonts, then sent through what a fax line does to a page: tilt, slight
blur, fine (204×196) or standard (204×98) resolution, 1-bit binarisation, speckle, toner
streaks and the sender's header line. Beside each image goes `NAME.expected.json` in the
samples' format (../shared/samples/README.md) plus a `fax` object saying how it was made.

The output is deterministic: the same --seed gives the same files.

    python tests/faxes/make_faxes.py --out tests/faxes/generated [--seed 20] [--count 36]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

NOTO = Path("/usr/share/fonts/opentype/noto")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
WIDTH, HEIGHT = 1728, 2290  # an A4 fax line at 204 dpi across, fine resolution down
TILTS = (-5.0, -3.0, -1.5, 0.0, 1.0, 2.0, 3.0, 5.0)
INK = 0

# ---------------------------------------------------------------------------------------------
# Fonts


CJK_FACES = {  # file, index of the simplified face, index of the traditional face
    "sans": ("NotoSansCJK-Regular.ttc", 2, 3),
    "sans-bold": ("NotoSansCJK-Bold.ttc", 2, 3),
    "serif": ("NotoSerifCJK-Regular.ttc", 2, 3),
    "mono": ("NotoSansCJK-Regular.ttc", 7, 8),
}
LATIN_FACES = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSansCondensed.ttf")
_font_cache: dict[tuple, ImageFont.FreeTypeFont] = {}


def cjk_font(face: str, size: int, traditional: bool = False) -> ImageFont.FreeTypeFont:
    name, simplified, hant = CJK_FACES[face]
    key = (name, hant if traditional else simplified, size)
    if key not in _font_cache:
        _font_cache[key] = ImageFont.truetype(str(NOTO / name), size, index=key[1])
    return _font_cache[key]


def latin_font(name: str, size: int) -> ImageFont.FreeTypeFont:
    key = (name, 0, size)
    if key not in _font_cache:
        _font_cache[key] = ImageFont.truetype(str(DEJAVU / name), size)
    return _font_cache[key]


@dataclass
class Style:
    """The fonts of one fax: labels, values, and values that are only Latin letters and digits."""

    label: ImageFont.FreeTypeFont
    value: ImageFont.FreeTypeFont
    latin: ImageFont.FreeTypeFont
    title: ImageFont.FreeTypeFont

    def for_value(self, text: str) -> ImageFont.FreeTypeFont:
        return self.latin if text.isascii() else self.value


def pick_style(rng: random.Random, traditional: bool, size: int | None = None) -> Style:
    size = size or rng.choice((24, 26, 28, 30, 32))
    label_face = rng.choice(("sans", "sans-bold", "serif"))
    value_face = rng.choice(("sans", "serif", "mono"))
    return Style(
        label=cjk_font(label_face, size, traditional),
        value=cjk_font(value_face, size, traditional),
        latin=latin_font(rng.choice(LATIN_FACES), size - 2),
        title=cjk_font(rng.choice(("sans-bold", "serif", "sans")), size + 16, traditional),
    )


# ---------------------------------------------------------------------------------------------
# Invented data: every value is drawn as `shown` and scored as `value` (the canonical form)


@dataclass
class Item:
    """One field on a form: its canonical name and value, the label and text drawn."""

    name: str
    value: object
    label: str
    shown: str
    wide: bool = False
    options: list[str] = field(default_factory=list)  # check-box choices, `shown` is the ticked one


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程魏苏吕丁任沈姚卢"
GIVEN = [
    "敏",
    "伟",
    "芳",
    "娜",
    "秀英",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "晓东",
    "海燕",
    "建华",
    "志强",
    "文博",
    "雨萱",
    "子轩",
    "浩然",
    "嘉怡",
]
CITIES = [
    ("杭州", "0571", "ZJ"),
    ("宁波", "0574", "ZJ"),
    ("沈阳", "024", "LN"),
    ("大连", "0411", "LN"),
    ("郑州", "0371", "HA"),
    ("成都", "028", "SC"),
    ("昆明", "0871", "YN"),
    ("福州", "0591", "FJ"),
    ("长沙", "0731", "HN"),
    ("济南", "0531", "SD"),
    ("南京", "025", "JS"),
    ("武汉", "027", "HB"),
]
SHOP_WORDS = [
    "兴隆",
    "宏泰",
    "瑞丰",
    "永盛",
    "鑫源",
    "顺达",
    "联众",
    "华信",
    "恒通",
    "金桥",
    "百川",
    "中兴",
]
CARS = [
    ("途观L", "2025款 330TSI"),
    ("凯美瑞", "2026款 2.0G"),
    ("帕萨特", "2024款 380TSI"),
    ("朗逸", "2025款 1.5L 自动"),
    ("卡罗拉", "2026款 1.2T"),
    ("迈腾", "2025款 330TSI 豪华型"),
    ("途岳", "2024款 280TSI"),
    ("雅阁", "2025款 260TURBO"),
]
APPLIANCES = [
    ("燃气热水器", "JSQ30-16"),
    ("燃气热水器", "JSQ25-13"),
    ("壁挂炉", "L1PB26-B"),
    ("空调", "KFR-35GW/BP3"),
    ("吸油烟机", "CXW-200-Z8B"),
    ("洗碗机", "WQP8-S2B0"),
]
LINE_PRODUCTS = [  # name, spec, unit, price
    ("半合成机油", "10W-40 4L", "桶", 168.0),
    ("柴油机油", "CI-4 15W-40 18L", "桶", 586.0),
    ("全合成机油", "5W-30 4L", "桶", 268.5),
    ("通信模块板", "PCB-6L-{d4}", "片", 88.0),
    ("燃气热水器", "JSQ30-16", "台", 1899.0),
    ("壁挂炉", "L1PB26-B", "台", 3299.0),
    ("机油滤清器", "W719/30", "个", 45.5),
    ("刹车片", "BP-330Z", "套", 268.5),
    ("电源板", "PSU-12V-5A", "片", 36.75),
    ("控制器", "KZ-2B08", "个", 129.9),
]
DESCRIPTIONS = [
    ("预约了保养,到店后还是等了三个小时,服务顾问态度冷淡。", "apology"),
    ("车辆行驶中仪表盘报警,发动机故障灯常亮,已经修过两次仍未解决。", "repair"),
    ("热水器使用一周后点不着火,上门维修师傅迟迟不来。", "repair"),
    ("新买的产品外壳有明显划痕,要求换一台新的。", "exchange"),
    ("购车时承诺的赠品至今没有兑现,要求给出说明。", "explanation"),
    ("空调制冷效果差,噪音很大,要求退货退款。", "return"),
    ("维修后刹车异响更严重,耽误了工作,要求赔偿损失。", "compensation"),
    ("机油包装破损漏油,弄脏了仓库地面。", "exchange"),
    ("上门安装师傅索要额外费用,且安装不规范。", "apology"),
    ("保养时更换的配件与清单不符,要求解释清楚。", "explanation"),
]
REQUESTS = {
    "return": ["退货", "要求退货"],
    "exchange": ["换货", "调换"],
    "repair": ["维修", "尽快维修"],
    "compensation": ["赔偿", "赔偿损失"],
    "apology": ["道歉", "书面道歉"],
    "explanation": ["解释", "给出解释"],
}
REQUESTS_HANT = {
    "return": "退貨",
    "exchange": "換貨",
    "repair": "維修",
    "compensation": "賠償",
    "apology": "道歉",
    "explanation": "解釋",
}
REASONS = {
    "unsaleable": ["不适销", "滞销不适销"],
    "quality": ["质量问题"],
    "transport_damage": ["运输损坏", "运输破损"],
    "other": ["其他", "其它"],
}
ACTIONS = {"exchange": ["调换", "换货"], "return": ["退货"]}
OPINIONS = [
    "服务及时,技术过硬,非常满意。",
    "现场清理不到位,请改进。",
    "师傅很专业,讲解耐心细致。",
    "到场时间比约定晚了一个小时。",
    "问题已解决,希望定期回访。",
    "配件等了三天才到,效率有待提高。",
]
PROJECTS = [
    "物流园年度保养",
    "污水处理厂故障维修",
    "商场空调巡检",
    "酒店热水系统改造",
    "车队机油更换",
    "工厂配电柜检修",
]

# labels: canonical name -> simplified synonyms, traditional
LABELS = {
    "customer_name": (["顾客姓名", "客户姓名", "投诉人", "姓名", "用户名称"], "顧客姓名"),
    "phone": (["联系电话", "电话", "手机", "移动电话"], "聯絡電話"),
    "address": (["联系地址", "地址", "通讯地址"], "聯絡地址"),
    "product_name": (["产品名称", "品名", "商品名称"], "產品名稱"),
    "product_model": (["型号", "规格型号"], "型號"),
    "vin": (["车架号", "VIN", "底盘号"], "車架號"),
    "plate_no": (["车牌号", "牌照号"], "車牌號"),
    "mileage_km": (["行驶里程", "里程"], "行駛里程"),
    "serial_no": (["出厂编号", "序列号", "机身号"], "產品序號"),
    "purchase_date": (["购买日期", "购车日期"], "購買日期"),
    "purchase_place": (["购买地点", "购买商店"], "購買地點"),
    "complaint_date": (["投诉日期", "受理日期", "日期"], "客訴日期"),
    "description": (["投诉内容", "问题描述", "投诉原因"], "客訴內容"),
    "request": (["客户要求", "处理要求", "顾客要求"], "顧客要求"),
    "order_no": (["订单编号", "订单号"], "工單號碼"),
    "batch_no": (["生产批号", "批号"], "生產批號"),
    "part_no": (["料号", "零件号", "物料编码"], "品號"),
}
COMPLAINT_TITLES = (
    [
        "客户投诉登记表",
        "顾客投诉记录表",
        "客户抱怨处理表",
        "顾客抱怨(投诉)处理单",
        "客户投诉登记反馈表",
    ],
    ["顧客投訴記錄表", "客戶抱怨處理表"],
)


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def a_date(rng: random.Random, month_from: int = 6, month_to: int = 11) -> tuple[str, str]:
    """(ISO date, how it is written)."""
    month, day = rng.randint(month_from, month_to), rng.randint(1, 28)
    iso = f"2026-{month:02d}-{day:02d}"
    shown = rng.choice(
        (
            iso,
            f"2026/{month}/{day}",
            f"2026年{month}月{day}日",
            f"2026.{month:02d}.{day:02d}",
            f"2026年{month:02d}月{day:02d}日",
        )
    )
    return iso, shown


MOBILE_PREFIXES = (
    "130",
    "135",
    "138",
    "139",
    "150",
    "157",
    "159",
    "166",
    "177",
    "180",
    "185",
    "189",
    "198",
    "199",
)


def mobile(rng: random.Random) -> tuple[str, str]:
    digits = rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))
    shown = rng.choice(
        (
            digits,
            f"{digits[:3]} {digits[3:7]} {digits[7:]}",
            f"{digits[:3]}-{digits[3:7]}-{digits[7:]}",
        )
    )
    return digits, shown


def landline(rng: random.Random, area: str) -> tuple[str, str]:
    length = 8 if len(area) == 3 else rng.choice((7, 8))
    local = str(rng.randint(2, 8)) + "".join(rng.choice("0123456789") for _ in range(length - 1))
    shown = rng.choice((f"{area}-{local}", f"({area}){local}", f"{area}-{local[:4]} {local[4:]}"))
    return area + local, shown


def a_phone(rng: random.Random, area: str) -> tuple[str, str]:
    return mobile(rng) if rng.random() < 0.7 else landline(rng, area)


def order_no(rng: random.Random) -> str:
    return f"SO26{rng.randint(6, 11):02d}-{rng.randint(1, 999):04d}"


def batch_no(rng: random.Random) -> str:
    return f"B26{rng.randint(5, 11):02d}{rng.randint(1, 99):02d}"


def part_no(rng: random.Random) -> str:
    """Part numbers where letters and digits that recognisers confuse (O/0 I/1 S/5 B/8 Z/2) meet."""
    letters, digits = "OISBZ", "01582"
    scheme = rng.randrange(4)
    if scheme == 0:
        return "LB-" + "".join(rng.choice("0123456789") for _ in range(4))
    if scheme == 1:
        return "PB" + rng.choice(digits) + "".join(rng.choice("0123456789") for _ in range(4))
    if scheme == 2:
        return (
            rng.choice(letters)
            + rng.choice(letters)
            + rng.choice(digits)
            + "-"
            + rng.choice(letters)
            + "".join(rng.choice(digits) for _ in range(3))
        )
    return (
        "".join(rng.choice(letters) for _ in range(2))
        + "-"
        + rng.choice(digits)
        + rng.choice(letters)
        + rng.choice(digits)
        + rng.choice(digits)
    )


def vin(rng: random.Random) -> str:
    chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    return "LFV3A" + "".join(rng.choice(chars) for _ in range(12))


def plate(rng: random.Random) -> str:
    return (
        rng.choice("京沪浙川粤辽豫闽湘苏鄂鲁")
        + rng.choice("ABCDEF")
        + "".join(rng.choice("0123456789") for _ in range(5))
    )


def money(value: float, rng: random.Random) -> str:
    return rng.choice(
        (
            f"{value:.2f}",
            f"{value:,.2f}",
            f"{value:.2f}",
            f"{value:g}" if value == int(value) else f"{value:.2f}",
        )
    )


# ---------------------------------------------------------------------------------------------
# Documents: (fields, items to draw, extra answer keys)


def complaint_items(rng: random.Random, traditional: bool) -> list[Item]:
    city, area, _ = rng.choice(CITIES)

    def label(name: str) -> str:
        synonyms, hant = LABELS[name]
        return hant if traditional else rng.choice(synonyms)

    items: list[Item] = []

    def add(name: str, value: object, shown: str | None = None, wide: bool = False) -> None:
        items.append(Item(name, value, label(name), str(value) if shown is None else shown, wide))

    add("customer_name", person(rng))
    phone, shown = a_phone(rng, area)
    add("phone", phone, shown)
    kind = rng.choice(("car", "appliance", "parts"))
    if kind == "car":
        name, model = rng.choice(CARS)
        add("product_name", name)
        add("product_model", model)
        add("vin", vin(rng))
        add("plate_no", plate(rng))
        km = rng.randint(800, 90000)
        add("mileage_km", km, rng.choice((f"{km} km", f"{km}公里", str(km))))
        place = f"{city}{rng.choice(SHOP_WORDS)}汽车销售服务有限公司"
    elif kind == "appliance":
        name, model = rng.choice(APPLIANCES)
        add("product_name", name)
        add("product_model", model)
        serial = model.split("-")[0].replace("/", "")[:6] + "".join(
            rng.choice("0123456789") for _ in range(9)
        )
        add("serial_no", serial)
        place = f"{city}{rng.choice(SHOP_WORDS)}电器"
    else:
        name, spec, _, _ = rng.choice([p for p in LINE_PRODUCTS if "{" not in p[1]])
        add("product_name", name)
        add("product_model", spec)
        add("part_no", part_no(rng))
        add("batch_no", batch_no(rng))
        add("order_no", order_no(rng))
        place = f"{city}{rng.choice(SHOP_WORDS)}汽配商行"
    bought, shown = a_date(rng, 3, 9)
    add("purchase_date", bought, shown)
    add("purchase_place", place, wide=True)
    complained, shown = a_date(rng, 10, 11)
    add("complaint_date", complained, shown)
    text, request = rng.choice(DESCRIPTIONS)
    add("description", text, wide=True)
    request_shown = REQUESTS_HANT[request] if traditional else rng.choice(REQUESTS[request])
    add("request", request, request_shown)
    if traditional:
        for item in items:
            if isinstance(item.value, str) and item.name in (
                "product_name",
                "purchase_place",
                "description",
            ):
                item.value = item.shown = to_traditional(item.value)
    return items


HANT = str.maketrans(
    "热水器汽车销售服务电发动机仪表盘报警灯长亮经过两次仍未决使用一周后点着火门维修师傅迟来买产品壳划痕换台新购时承诺赠兑现给说明调噪很大退货款刹异响严重耽误了损失油包装破漏弄脏仓库面额费且规范养与单符释楚约到店还态度冷淡",
    "熱水器汽車銷售服務電發動機儀表盤報警燈長亮經過兩次仍未決使用一週後點著火門維修師傅遲來買產品殼劃痕換臺新購時承諾贈兌現給說明調噪很大退貨款剎異響嚴重耽誤了損失油包裝破漏弄髒倉庫面額費且規範養與單符釋楚約到店還態度冷淡",
)


def to_traditional(text: str) -> str:
    return text.translate(HANT)


def return_sheet(rng: random.Random) -> tuple[dict, list[dict], list[Item], list[list[str]]]:
    """(header fields, answer lines, header items, table cells as shown) of a 调退货明细表."""
    city, area, province = rng.choice(CITIES)
    company = f"{city}{rng.choice(SHOP_WORDS)}{rng.choice(('电器连锁店', '汽配有限公司', '润滑油经销部', '商贸有限公司'))}"
    code = f"{province}-{rng.randint(1000, 9999)}"
    sheet_iso, sheet_shown = a_date(rng, 10, 11)
    header = [
        Item(
            "company",
            company,
            rng.choice(("客户单位", "经销商名称", "客户名称", "单位")),
            company,
            wide=True,
        ),
        Item(
            "dealer_code",
            code,
            rng.choice(("客户编号", "经销商代码", "客户代码", "网点编号")),
            code,
        ),
        Item("sheet_date", sheet_iso, rng.choice(("填表日期", "制表日期")), sheet_shown),
    ]
    if rng.random() < 0.5:
        header.append(Item("contact_person", person(rng), rng.choice(("联系人", "经办人")), ""))
        header[-1].shown = str(header[-1].value)
        phone, shown = a_phone(rng, area)
        header.append(Item("phone", phone, "联系电话", shown))
    lines, rows = [], []
    for _ in range(rng.randint(3, 8)):
        name, spec, unit, price = rng.choice(LINE_PRODUCTS)
        spec = spec.replace("{d4}", f"{rng.randint(1000, 9999)}")
        quantity = rng.randint(1, 40)
        amount = round(quantity * price, 2)
        reason = rng.choice(list(REASONS))
        action = rng.choice(list(ACTIONS))
        ship_iso, ship_shown = a_date(rng, 5, 10)
        line = {
            "order_no": order_no(rng),
            "part_no": part_no(rng),
            "product_name": name,
            "spec": spec,
            "quantity": quantity,
            "unit": unit,
            "unit_price": price,
            "amount": amount,
            "ship_date": ship_iso,
            "batch_no": batch_no(rng),
            "reason": reason,
            "action": action,
        }
        lines.append(line)
        rows.append(
            {
                "order_no": line["order_no"],
                "part_no": line["part_no"],
                "product_name": name,
                "spec": spec,
                "quantity": str(quantity),
                "unit": unit,
                "unit_price": money(price, rng),
                "amount": money(amount, rng),
                "ship_date": ship_shown,
                "batch_no": line["batch_no"],
                "reason": rng.choice(REASONS[reason]),
                "action": rng.choice(ACTIONS[action]),
            }
        )
    fields = {item.name: item.value for item in header}
    return fields, lines, header, rows


RATINGS = [
    ("work_completed", ["本次工作是否完成", "工作是否完成"], [("是", True), ("否", False)]),
    (
        "result_rating",
        ["服务结果", "服务效果评价"],
        [("很好", "very_good"), ("好", "good"), ("一般", "average"), ("不太满意", "unsatisfied")],
    ),
    ("efficiency", ["服务效率", "工作效率"], [("高", "high"), ("一般", "average"), ("低", "low")]),
    (
        "attitude",
        ["服务态度", "人员态度"],
        [("良好", "good"), ("一般", "average"), ("较差", "poor")],
    ),
    ("training_given", ["是否进行了培训", "是否对用户进行培训"], [("是", True), ("没有", False)]),
]


def feedback_items(rng: random.Random) -> list[Item]:
    city, area, _ = rng.choice(CITIES)
    items = [
        Item("project_name", city + rng.choice(PROJECTS), "项目名称", "", wide=True),
        Item(
            "customer_name",
            f"{city}{rng.choice(SHOP_WORDS)}{rng.choice(('商贸有限公司', '润滑油经销部', '物业管理处'))}",
            rng.choice(("客户名称", "用户单位")),
            "",
            wide=True,
        ),
    ]
    phone, shown = a_phone(rng, area)
    items.append(Item("phone", phone, rng.choice(("联系电话", "电话")), shown))
    for number, (name, labels, options) in enumerate(RATINGS, 1):
        shown, value = rng.choice(options)
        items.append(
            Item(
                name,
                value,
                f"{number}. {rng.choice(labels)}",
                shown,
                options=[o for o, _ in options],
            )
        )
    day_iso, day_shown = a_date(rng, 9, 11)
    if rng.random() < 0.5:
        arrive, leave = rng.randint(8, 11), rng.randint(13, 17)
        minute_a, minute_b = rng.choice((0, 15, 30, 45)), rng.choice((0, 10, 20, 40, 50))
        items.append(
            Item(
                "arrival_time",
                f"{day_iso}T{arrive:02d}:{minute_a:02d}",
                "6. 到达时间",
                f"{day_iso} {arrive:02d}:{minute_a:02d}",
            )
        )
        items.append(
            Item(
                "departure_time",
                f"{day_iso}T{leave:02d}:{minute_b:02d}",
                "   离开时间",
                f"{day_iso} {leave:02d}:{minute_b:02d}",
            )
        )
    items.append(Item("customer_opinion", rng.choice(OPINIONS), "7. 客户意见", "", wide=True))
    items.append(Item("signer", person(rng), rng.choice(("客户签字", "签字")), ""))
    items.append(Item("sign_date", day_iso, "日期", day_shown))
    for item in items:
        if not item.shown:
            item.shown = str(item.value)
    return items


# ---------------------------------------------------------------------------------------------
# Drawing


class Page:
    """A white page at fine fax resolution with the few strokes forms are made of."""

    def __init__(self, rng: random.Random, style: Style):
        self.rng, self.style = rng, style
        self.image = Image.new("L", (WIDTH, HEIGHT), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.left, self.right = rng.randint(90, 150), WIDTH - rng.randint(90, 150)
        self.rule = rng.choice((2, 2, 3))

    def text(
        self, x: float, y: float, text: str, font: ImageFont.FreeTypeFont, anchor: str = "lm"
    ) -> None:
        self.draw.text((x, y), text, font=font, fill=INK, anchor=anchor)

    def value(self, x: float, y: float, text: str, anchor: str = "lm") -> None:
        self.text(x, y, text, self.style.for_value(text), anchor)

    def line(self, x0: float, y0: float, x1: float, y1: float, width: int | None = None) -> None:
        self.draw.line((x0, y0, x1, y1), fill=INK, width=width or self.rule)

    def rect(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.draw.rectangle((x0, y0, x1, y1), outline=INK, width=self.rule)

    def title(self, text: str, y: int = 170) -> int:
        self.text(WIDTH / 2, y, text, self.style.title, "mm")
        return y + self.style.title.size + 30

    def wrap(self, text: str, width: float, font: ImageFont.FreeTypeFont) -> list[str]:
        lines, current = [], ""
        for char in text:
            if font.getlength(current + char) > width and current:
                lines.append(current)
                current = ""
            current += char
        return [*lines, current] if current else lines

    def checkbox(self, x: float, y: float, ticked: bool) -> float:
        """An empty box, or one ticked by hand (✓, ■ or ☒); returns its right edge."""
        size = int(self.style.value.size * 0.8)
        top = y - size / 2
        self.draw.rectangle((x, top, x + size, top + size), outline=INK, width=2)
        if ticked:
            jitter = lambda: self.rng.uniform(-2.5, 2.5)  # noqa: E731
            mark = self.rng.choice(("tick", "tick", "filled", "cross"))
            if mark == "tick":
                points = [
                    (x + 2 + jitter(), top + size * 0.5 + jitter()),
                    (x + size * 0.4 + jitter(), top + size - 2),
                    (x + size * 1.25 + jitter(), top - size * 0.35 + jitter()),
                ]
                self.draw.line(points, fill=INK, width=self.rng.choice((3, 4, 5)), joint="curve")
            elif mark == "filled":
                inset = self.rng.randint(3, 5)
                self.draw.rectangle(
                    (x + inset, top + inset, x + size - inset, top + size - inset), fill=INK
                )
            else:
                width = self.rng.choice((3, 4))
                self.draw.line(
                    (x + 2 + jitter(), top + 2 + jitter(), x + size - 2, top + size - 2 + jitter()),
                    fill=INK,
                    width=width,
                )
                self.draw.line(
                    (x + size - 2 + jitter(), top + 2, x + 2, top + size - 2 + jitter()),
                    fill=INK,
                    width=width,
                )
        return x + size

    def options(self, x: float, y: float, item: Item) -> None:
        for option in item.options:
            x = self.checkbox(x, y, option == item.shown) + 6
            self.text(x, y, option, self.style.value)
            x += self.style.value.getlength(option) + self.rng.randint(28, 48)


def item_height(page: Page, item: Item, width: float) -> tuple[list[str], int]:
    font = page.style.for_value(item.shown)
    lines = page.wrap(item.shown, width, font) if not item.options else [item.shown]
    pitch = int(font.size * 1.6)
    return lines, max(int(font.size * 2.1), pitch * len(lines) + int(font.size * 0.6))


def draw_value(
    page: Page, x: float, y_top: float, height: int, lines: list[str], item: Item
) -> None:
    if item.options:
        page.options(x, y_top + height / 2, item)
        return
    pitch = int(page.style.for_value(item.shown).size * 1.6)
    y = y_top + height / 2 - pitch * (len(lines) - 1) / 2
    for text in lines:
        page.value(x, y, text)
        y += pitch


def grid_label_left(page: Page, items: list[Item], top: int, pairs: bool) -> int:
    """A ruled table, label cells left of value cells; `pairs` puts two fields on a row."""
    left, right = page.left, page.right
    label_w = max(page.style.label.getlength(item.label) for item in items) + 36
    rows: list[list[Item]] = []
    for item in items:
        if (
            pairs
            and not item.wide
            and not item.options
            and rows
            and len(rows[-1]) == 1
            and not rows[-1][0].wide
            and not rows[-1][0].options
        ):
            rows[-1].append(item)
        else:
            rows.append([item])
    y = top
    page.line(left, y, right, y)
    for row in rows:
        cell_w = (right - left) / (2 if len(row) == 2 else 1)
        laid = [item_height(page, item, cell_w - label_w - 30) for item in row]
        height = max(h for _, h in laid)
        for index, (item, (lines, _)) in enumerate(zip(row, laid, strict=True)):
            x = left + index * cell_w
            page.line(x, y, x, y + height)
            page.text(x + 14, y + height / 2, item.label, page.style.label)
            page.line(x + label_w, y, x + label_w, y + height)
            draw_value(page, x + label_w + 14, y, height, lines, item)
        page.line(right, y, right, y + height)
        y += height
        page.line(left, y, right, y)
    return y


def grid_label_above(page: Page, items: list[Item], top: int) -> int:
    """A ruled table of cells, each with its label small at the top and the value under it."""
    left, right = page.left, page.right
    small = cjk_font("sans", max(18, page.style.label.size - 6))
    rows: list[list[Item]] = []
    for item in items:
        if item.wide or not rows or len(rows[-1]) == 3 or rows[-1][0].wide:
            rows.append([item])
        else:
            rows[-1].append(item)
    y = top
    page.line(left, y, right, y)
    for row in rows:
        cell_w = (right - left) / (1 if row[0].wide else 3)
        laid = [item_height(page, item, cell_w - 30) for item in row]
        height = max(h for _, h in laid) + small.size + 12
        for index, (item, (lines, value_h)) in enumerate(zip(row, laid, strict=True)):
            x = left + index * cell_w
            page.line(x, y, x, y + height)
            page.text(x + 10, y + 8, item.label, small, "la")
            draw_value(page, x + 16, y + small.size + 10, value_h, lines, item)
        page.line(right, y, right, y + height)
        y += height
        page.line(left, y, right, y)
    return y


def label_lines(page: Page, items: list[Item], top: int, columns: int, underline: bool) -> int:
    """`label：value` lines without ruling, in one or two columns, values on drawn blanks or not."""
    colon = page.rng.choice(("：", ":", "： ", ""))
    gap = int(page.style.value.size * 2.2)
    column_w = (page.right - page.left) / columns
    y, column, extra = top, 0, 0
    for item in items:
        if item.wide or item.options:
            if column:
                y, column = y + gap + extra, 0
            width = page.right - page.left
        else:
            width = column_w
        x = page.left + column * column_w
        label = item.label + colon
        page.text(x, y, label, page.style.label)
        x_value = x + page.style.label.getlength(label) + 14
        lines, _ = item_height(page, item, width - (x_value - x) - 20)
        pitch = int(page.style.for_value(item.shown).size * 1.6)
        if item.options:
            page.options(x_value, y, item)
        for index, text in enumerate(lines if not item.options else []):
            page.value(x_value, y + index * pitch, text)
            if underline:
                base = y + page.style.value.size * 0.75 + index * pitch
                page.line(x_value - 6, base, x + width - 30, base, 1)
        extra = max(
            extra if column else 0, int(page.style.value.size * 1.6) * max(0, len(lines) - 1)
        )  # a blank has no line
        if item.wide or item.options or column == columns - 1:
            y, column = y + gap + extra, 0
        else:
            column += 1
    return y + (gap if column else 0)


def table(
    page: Page,
    header: list[str],
    rows: list[list[str]],
    top: int,
    vertical: bool,
    font: ImageFont.FreeTypeFont,
    latin: ImageFont.FreeTypeFont,
) -> int:
    """A table of return lines: every column as wide as its widest cell, scaled to the page."""

    def width_of(text: str) -> float:
        return (latin if text.isascii() else font).getlength(text)

    widths = [
        max(width_of(text) for text in column) + 20 for column in zip(header, *rows, strict=True)
    ]
    scale = (page.right - page.left) / sum(widths)
    widths = [w * scale for w in widths]
    height = int(font.size * 2.0)
    xs = [page.left]
    for w in widths:
        xs.append(xs[-1] + w)
    y = top
    for row_index, row in enumerate([header, *rows]):
        page.line(page.left, y, page.right, y, page.rule if vertical or row_index <= 1 else 1)
        for x, w, text in zip(xs, widths, row, strict=False):
            f = latin if text.isascii() else font
            page.text(
                x + w / 2 if row_index == 0 else x + 8,
                y + height / 2,
                text,
                f,
                "mm" if row_index == 0 else "lm",
            )
        y += height
    page.line(page.left, y, page.right, y)
    if vertical:
        for x in xs:
            page.line(x, top, x, y)
    return y


# ---------------------------------------------------------------------------------------------
# Layouts: each draws one document on a page and returns its answer


def erase_blank(items: list[Item], name: str) -> None:
    for item in items:
        if item.name == name:
            item.shown = ""


def complaint_with_blank(layout: str) -> Callable[[random.Random], tuple[Image.Image, dict]]:
    """A complaint form with one field left empty by the sender (its label is there, no value)."""
    traditional = layout == "grid-hant"

    def make(rng: random.Random) -> tuple[Image.Image, dict]:
        page = Page(rng, pick_style(rng, traditional))
        items = complaint_items(rng, traditional)
        optional = [
            i.name for i in items if i.name in ("plate_no", "serial_no", "batch_no", "mileage_km")
        ]
        blank = rng.choice(optional) if optional and rng.random() < 0.5 else None
        if blank:
            erase_blank(items, blank)
        y = page.title(rng.choice(COMPLAINT_TITLES[traditional]))
        if layout in ("grid-left", "grid-hant"):
            y = grid_label_left(page, items, y + 20, pairs=layout == "grid-left")
        elif layout == "grid-above":
            y = grid_label_above(page, items, y + 20)
        else:
            y = label_lines(
                page, items, y + 40, 1 if layout == "lines" else 2, underline=layout == "lines"
            )
        page.text(
            page.left,
            y + 70,
            "受理人:" + " " * 12 + ("經辦:" if traditional else "经办:"),
            page.style.label,
        )
        fields = {item.name: item.value for item in items if item.name != blank}
        return page.image, {
            "kind": "complaint",
            "language": "zh-Hant" if traditional else "zh-Hans",
            "fields": fields,
        }

    return make


RETURN_COLUMNS = {  # canonical name -> header labels
    "order_no": ("订单编号", "订单号"),
    "part_no": ("料号", "产品编号", "物料编码"),
    "product_name": ("产品名称", "品名"),
    "spec": ("规格",),
    "quantity": ("数量",),
    "unit": ("单位",),
    "unit_price": ("单价", "单价(元)"),
    "amount": ("金额", "金额(元)"),
    "ship_date": ("交运日期", "发货日期"),
    "batch_no": ("生产批号", "批号"),
    "reason": ("退货原因",),
    "action": ("处理要求",),
}


def return_layout(layout: str) -> Callable[[random.Random], tuple[Image.Image, dict]]:
    def make(rng: random.Random) -> tuple[Image.Image, dict]:
        size = rng.choice((22, 24)) if layout != "wide" else 20
        style = pick_style(rng, False, size + 4)
        page = Page(rng, style)
        fields, lines, header, rows = return_sheet(rng)
        columns = [
            "order_no",
            "part_no",
            "product_name",
            "spec",
            "quantity",
            "unit_price",
            "amount",
            "batch_no",
            "reason",
            "action",
        ]
        if layout == "wide":
            columns = [
                "order_no",
                "part_no",
                "product_name",
                "spec",
                "quantity",
                "unit",
                "unit_price",
                "amount",
                "ship_date",
                "batch_no",
                "reason",
                "action",
            ]
        answer_lines = [{name: line[name] for name in columns} for line in lines]
        y = page.title(rng.choice(("调退货明细表", "调退货明细表", "退换货明细表")))
        if layout == "header-grid":
            y = grid_label_left(page, header, y + 10, pairs=True) + 40
        else:
            first, rest = header[:3], header[3:]
            y = label_lines(page, first, y + 20, 3 if layout == "wide" else 2, underline=False)
            if rest:
                y = label_lines(page, rest, y, 2, underline=False)
        font = cjk_font(rng.choice(("sans", "serif")), size)
        latin = latin_font(rng.choice(LATIN_FACES), size - 2)
        names = ["序号", *[rng.choice(RETURN_COLUMNS[c]) for c in columns]]
        cells = [[str(i), *[row[c] for c in columns]] for i, row in enumerate(rows, 1)]
        total_qty = sum(line["quantity"] for line in lines)
        total_amount = round(sum(line["amount"] for line in lines), 2)
        total = [
            "合计"
            if c == "order_no"
            else str(total_qty)
            if c == "quantity"
            else money(total_amount, rng)
            if c == "amount"
            else ""
            for c in columns
        ]
        cells.append(["", *total])
        y = table(page, names, cells, y + 10, vertical=layout != "rules", font=font, latin=latin)
        footer = rng.choice(("制表人:", "经办人签字:", "仓库签收:"))
        page.text(page.left, y + 60, footer, style.label)
        return page.image, {
            "kind": "return_sheet",
            "language": "zh-Hans",
            "fields": fields,
            "lines": answer_lines,
        }

    return make


def feedback_layout(layout: str) -> Callable[[random.Random], tuple[Image.Image, dict]]:
    def make(rng: random.Random) -> tuple[Image.Image, dict]:
        page = Page(rng, pick_style(rng, False, rng.choice((26, 28, 30))))
        items = feedback_items(rng)
        y = page.title(
            rng.choice(
                ("售后服务信息反馈单(A)", "售后服务信息反馈单 A", "售后服务信息反馈单（客户确认）")
            )
        )
        if layout == "grid":
            y = grid_label_left(page, items, y + 20, pairs=False)
        elif layout == "lines":
            y = label_lines(page, items, y + 30, 1, underline=rng.random() < 0.5)
        else:  # two columns: the header and the signature in pairs, the ratings each on a row
            y = grid_label_left(page, items, y + 20, pairs=True)
        page.text(page.left, y + 60, "服务人员:" + " " * 10 + "服务单号:", page.style.label)
        fields = {item.name: item.value for item in items}
        return page.image, {"kind": "feedback_form", "language": "zh-Hans", "fields": fields}

    return make


LAYOUTS: dict[str, Callable[[random.Random], tuple[Image.Image, dict]]] = {
    "complaint-grid-left": complaint_with_blank("grid-left"),
    "complaint-grid-above": complaint_with_blank("grid-above"),
    "complaint-lines": complaint_with_blank("lines"),
    "complaint-two-columns": complaint_with_blank("two-columns"),
    "complaint-grid-hant": complaint_with_blank("grid-hant"),
    "return-grid": return_layout("grid"),
    "return-rules": return_layout("rules"),
    "return-header-grid": return_layout("header-grid"),
    "return-wide": return_layout("wide"),
    "feedback-grid": feedback_layout("grid"),
    "feedback-lines": feedback_layout("lines"),
    "feedback-two-columns": feedback_layout("two-columns"),
}


# ---------------------------------------------------------------------------------------------
# The fax line


@dataclass
class Transmission:
    tilt: float
    standard: bool  # 204×98 (standard) or 204×196 (fine)
    tiff: bool  # TIFF G4, else a PDF of one page image

    @property
    def resolution(self) -> str:
        return "204x98" if self.standard else "204x196"


def sender_header(rng: random.Random) -> str:
    _, area, _ = rng.choice(CITIES)
    number = f"{area} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
    month, day = rng.randint(10, 11), rng.randint(1, 28)
    return rng.choice(
        (
            f"2026-{month:02d}-{day:02d} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}  FROM:{number}  P.1/1",
            f"{month:02d}/{day:02d}/2026 {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}  FAX {number}  P.01/01",
            f"发件人传真:{number}   2026年{month}月{day}日   第1页/共1页",
        )
    )


def transmit(page: Image.Image, how: Transmission, rng: random.Random) -> Image.Image:
    """What a fax line does to a page: tilted in the feeder, blurred, sampled, 1-bit, dirty."""
    noise = np.random.default_rng(rng.randrange(2**32))
    image = page.rotate(how.tilt, resample=Image.BICUBIC, fillcolor=255)
    draw = ImageDraw.Draw(image)  # the sender's header is stamped straight, above the tilted page
    draw.rectangle((0, 0, WIDTH, 44), fill=255)
    header = sender_header(rng)
    font = latin_font(rng.choice(LATIN_FACES[:3]), 22) if header.isascii() else cjk_font("sans", 22)
    draw.text((24, 22), header, font=font, fill=INK, anchor="lm")
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.0)))
    if how.standard:
        image = image.resize((WIDTH, HEIGHT // 2), Image.BOX)
    ink = np.asarray(image) < rng.uniform(140, 185)
    rows, cols = ink.shape
    ink |= noise.random(ink.shape) < rng.uniform(0.0003, 0.0015)  # speckle
    for _ in range(noise.integers(5, 25)):  # blots
        y, x = noise.integers(0, rows - 4), noise.integers(0, cols - 4)
        ink[y : y + noise.integers(2, 5), x : x + noise.integers(2, 5)] = True
    ink &= ~(noise.random(ink.shape) < rng.uniform(0.0, 0.03))  # toner drop-outs
    for _ in range(rng.choice((0, 1, 1, 2))):  # streaks
        if rng.random() < 0.6:
            x, width = rng.randrange(60, cols - 60), rng.randint(1, 3)
            y0 = rng.choice((0, rng.randrange(rows // 2)))
            ink[y0 : rng.randrange(y0 + rows // 4, rows), x : x + width] = True
        else:
            y, height = rng.randrange(60, rows - 60), rng.randint(1, 2)
            x0 = rng.randrange(cols // 2)
            ink[y : y + height, x0 : rng.randrange(x0 + cols // 4, cols)] = True
    image = Image.fromarray(np.where(ink, 0, 255).astype(np.uint8)).convert("1")
    if how.standard and not how.tiff:
        image = image.resize(
            (WIDTH, HEIGHT), Image.NEAREST
        )  # a PDF of a standard fax: lines doubled
    return image


def save(image: Image.Image, path: Path, how: Transmission) -> None:
    if how.tiff:
        image.save(
            path, format="TIFF", compression="group4", dpi=(204, 98 if how.standard else 196)
        )
    else:
        fixed = time.gmtime(1_793_491_200)  # 2026-11-01: the same bytes from the same seed
        image.save(path, format="PDF", resolution=204, creationDate=fixed, modDate=fixed)


# ---------------------------------------------------------------------------------------------
# The set


@dataclass
class Plan:
    name: str
    layout: str
    how: Transmission
    seed: int


def plan(count: int, seed: int) -> list[Plan]:
    """Layouts in turn, tilts in turn (offset so each layout meets several), resolutions and
    formats alternating: every layout at several tilts and both resolutions."""
    layouts = list(LAYOUTS)
    plans = []
    for index in range(count):
        layout = layouts[index % len(layouts)]
        round_ = index // len(layouts)
        tilt = TILTS[(index * 3 + round_) % len(TILTS)]
        standard = (index + round_) % 2 == 1
        tiff = index % 5 == 2
        name = f"{index + 1:03d}-fax-{layout}-{'std' if standard else 'fine'}-tilt{tilt:+.1f}"
        plans.append(
            Plan(
                name + (".tif" if tiff else ".pdf"),
                layout,
                Transmission(tilt, standard, tiff),
                seed * 1000 + index,
            )
        )
    return plans


def make_one(item: Plan, out: Path) -> dict:
    rng = random.Random(item.seed)
    page, answer = LAYOUTS[item.layout](rng)
    image = transmit(page, item.how, rng)
    save(image, out / item.name, item.how)
    how = item.how
    tags = [
        "fax",
        "generated",
        how.resolution,
        "tif" if how.tiff else "pdf",
        f"skew{abs(how.tilt):g}",
        item.layout,
    ]
    expected = {
        "file": item.name,
        **answer,
        "case_ref": None,
        "tags": tags,
        "fax": {
            "layout": item.layout,
            "tilt": how.tilt,
            "resolution": how.resolution,
            "format": "tif" if how.tiff else "pdf",
            "seed": item.seed,
        },
    }
    stem = item.name.rsplit(".", 1)[0]
    (out / f"{stem}.expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return expected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="folder to write the faxes and answers into"
    )
    parser.add_argument(
        "--seed", type=int, default=20, help="the same seed gives the same faxes (default 20)"
    )
    parser.add_argument("--count", type=int, default=36, help="how many faxes (default 36)")
    parser.add_argument("--only", default="", help="only layouts whose name contains this")
    args = parser.parse_args(argv)
    if not NOTO.is_dir() or not DEJAVU.is_dir():
        print(
            f"make_faxes: fonts missing ({NOTO}, {DEJAVU}): apt-get install fonts-noto-cjk fonts-dejavu-core",
            file=sys.stderr,
        )
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for item in plan(args.count, args.seed):
        if args.only in item.layout:
            make_one(item, args.out)
            print(item.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
