"""Who wrote a plain mail and how to call them back: the writer's name (from the text, the
signature block, else the From display name) and phones written in any common form."""

from __future__ import annotations

import re
import unicodedata

from parsers import normalise
from parsers.language import to_simplified
from parsers.model import ParsedDocument

# The commonest Chinese surnames (single and double): a name read from prose or a signature
# must start with one, so 一名律师 or 客服 are not taken for names.
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白"
    "邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁"
    "尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏"
    "席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘"
    "满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平計计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
    "張劉陳楊黃趙吳許韓馮鄧蕭葉蘇魏呂盧薑崔鍾譚陸範賈韋鄒閻雷龍賀顧龔萬錢嚴溫莊聶魯嶽殷詹歐關蘭喬龐顏倪紀單裴塗駱藍靳鮑饒艾陽穆盧竇戚"
)
DOUBLE_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "令狐",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "歐陽",
    "司馬",
)
NOT_NAMES = (
    "客服",
    "经理",
    "师傅",
    "先生",
    "女士",
    "小姐",
    "老师",
    "同志",
    "您好",
    "你好",
    "谢谢",
    "此致",
    "敬礼",
    "顾客",
    "客户",
    "车主",
    "用户",
    "爷爷",
    "奶奶",
    "妈妈",
    "爸爸",
    "阿姨",
    "叔叔",
    "主管",
    "主任",
    "代表",
    "律师",
    "课长",
    "部长",
    "专员",
    "工程师",
    "行政",
    "财务",
    "采购",
    "销售",
    "业务",
    "售后",
    "公司",
    "单位",
    "报销",
    "敬上",
    "上午",
    "下午",
    "晚上",
    "周末",
    "明天",
    "今天",
    "联系",
    "电话",
    "地址",
    "祝好",
    "感谢",
    "多谢",
    "麻烦",
    "尽快",
    # the labels of an order's lines (商品：电热水壶) are no names
    "商品",
    "产品",
    "型号",
    "订单",
    "品名",
    "名称",
    "数量",
    "规格",
    "颜色",
    "品牌",
    "日期",
    "时间",
    "金额",
    "单号",
)

MOBILE = re.compile(r"(?<![\w+])(?:(?:\+|00)\s?86[\s\-]?)?1[3-9]\d(?:[\s\-]?\d){8}(?![\w])")
# Any phone as people write it: +CC, (area), groups split by spaces, dashes or dots.
PHONE = re.compile(
    r"(?<![\w+#./-])(?:(?:\+|00)\d{1,3}[\s\-.]?)?(?:\(\d{2,4}\)\s?)?\d[\d\s\-.]{5,}\d(?![\w/])"
)
PHONE_LABEL = re.compile(
    r"(?:电话|電話|手机|手機|联系|聯絡|聯繫|call|phone|tel|mob|mobile|cell|whatsapp|打我|致电|回电|回個電|回个电)",
    re.IGNORECASE,
)
NOT_PHONE_LABEL = re.compile(
    r"(?:sn|s/n|serial|order|invoice|ref|lot|batch|no\.?|编号|編號|单号|單號|订单|訂單|条码|條碼|批号|批號|序列号|序號|发票|發票|号码|號碼|合同|税号|稅號|工单|工單|vin|车架号|車架號)\s*[:：#]?\s*$",
    re.IGNORECASE,
)
OURS = re.compile(
    r"(?:你们|你們|贵司|貴司|贵公司|貴公司|店里|店裡|门店|門店|客服|热线|熱線|售后|售後|your|the shop'?s?|the dealer'?s?)"
    r"[^\n，,。]{0,8}(?:电话|電話|热线|熱線|号码|號碼|number|hotline|line)\s*[:：]?\s*$",
    re.IGNORECASE,
)
DATE_LIKE = re.compile(
    r"^(?:19|20)\d{2}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./](?:19|20)\d{2}$"
)
SIGN_OFF = re.compile(
    r"^(?:regards|best regards|kind regards|warm regards|best wishes|best|thanks|thank you|many thanks|thx|ty|sincerely|"
    r"yours sincerely|yours truly|yours|cheers|"
    r"此致|敬礼|谢谢|感谢|祝好|顺祝|顺颂)[,，.!！]?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_UPPER, _LOWER = r"[A-ZÀ-ÞŁŚŻ]", r"[a-zß-ÿłśżć]"
_LATIN_WORD = (
    rf"{_UPPER}(?:{_LOWER}+(?:['’]{_UPPER}{_LOWER}+)?|'{_UPPER}{_LOWER}+|c{_UPPER}{_LOWER}+)"
)
LATIN_NAME = re.compile(
    rf"^(?:(?:Mr|Mrs|Ms|Miss|Dr|PC|Sgt|Prof)\.?\s+)?(?P<name>{_LATIN_WORD}(?:[ -]{_LATIN_WORD}){{1,2}})(?:\s+\d+)?$"
)
LATIN_DISPLAY = re.compile(
    rf"{_LATIN_WORD}(?:[ -]{_LATIN_WORD}){{0,2}}|[a-z]+(?: [a-z]+)?", re.IGNORECASE
)
TITLED = re.compile(r"(?P<name>[\u4e00-\u9fff](?:先生|女士|小姐|太太|太))(?![\u4e00-\u9fff])")
ADDRESS_SUFFIXES = "太嫂"
TITLE_ONLY = re.compile(r"^(?:mr|mrs|ms|miss|dr|madam)\.?\s+\S+$", re.IGNORECASE)
# 老刘, 小王, 阿陈 signed on a line of their own, or after 我是/我係/我叫: what the writer goes by
FAMILIAR = re.compile(r"^(?:我是|我係|我叫|我)?(?P<name>[老小阿][\u4e00-\u9fff])[,，.。!！]?$")
NOT_PERSON = (
    "service",
    "reception",
    "team",
    "support",
    "info",
    "admin",
    "office",
    "sales",
    "department",
    "dept",
    "customer",
    "noreply",
    "no-reply",
    "desk",
    "center",
    "centre",
    "ltd",
    "limited",
    "inc",
    "gmbh",
    "co.",
    "公司",
    "部",
    "办",
    "群",
    "报销",
    "財務",
    "财务",
    "采购",
    "採購",
    "中心",
    "管委",
    "委员",
    "委員",
    "事务所",
    "事務所",
    "店",
    "厂",
    "廠",
    "科",
    "组",
    "處",
    "处",
    "课",
    "課",
    "物流",
    "汽配",
    "电器",
    "電器",
    "小区",
    "社区",
    "社區",
    "业主",
    "業主",
)
NAME_LINE = re.compile(
    r"^(?:[-—–~]+\s*)?(?:客户|顾客|车主|联系人|署名|姓名|name)?[:：]?\s*(?P<name>[\u4e00-\u9fff·]{2,4})"
    r"(?:\s*[(（]?(?:先生|女士|小姐)?[)）]?)?(?:\s+.*)?$",
    re.IGNORECASE,
)
PROSE_CONFIDENCE = 0.8
SIGNATURE_CONFIDENCE = 0.7
DISPLAY_NAME_CONFIDENCE = 0.5
ADDRESS_CONFIDENCE = 0.4


def read_sender_fields(doc: ParsedDocument, own: str, forwarded: str = "") -> None:
    """Name and phone of the writer of a plain mail, where the labels and prose patterns did
    not find them; a name from prose that is no person's name is dropped. A full name (text,
    signature, From display name) wins over a form of address (周小姐, 黄先生, 李太). A mail
    that forwards text is signed above the forwarded part: its writer's signature first, then
    the forwarded one's."""
    drop_unlikely_name(doc)
    if doc.value("phone") is None and (phone := find_phone(own) or find_phone(forwarded)):
        doc.put("phone", phone, "body", PROSE_CONFIDENCE)
    shown = display_name(doc.meta.get("sender_name") or "")
    if doc.value("customer_name") is None and (
        name := signature_name(own) or signature_name(forwarded)
    ):
        fuller = shown is not None and shown != name and _part_of(name, shown)
        doc.put("customer_name", shown if fuller else name, "signature", SIGNATURE_CONFIDENCE)
    if doc.value("customer_name") is None and shown and not TITLE_ONLY.match(shown):
        doc.put("customer_name", shown, "From display name", DISPLAY_NAME_CONFIDENCE)
    if doc.value("customer_name") is None and (name := addressed_name(own)):
        doc.put("customer_name", name, "body", ADDRESS_CONFIDENCE)
    if (
        doc.value("customer_name") is None and shown
    ):  # "Mrs Cheung": a form of address too, the writer's own last
        doc.put("customer_name", shown, "From display name", ADDRESS_CONFIDENCE)


def _part_of(signed: str, shown: str) -> bool:
    """A signature that is part of the From display name ("Ka Man" of "Ho Ka Man")."""
    return set(signed.lower().split()) < set(shown.lower().split())


def drop_unlikely_name(doc: ParsedDocument) -> None:
    found = doc.fields.get("customer_name")
    if found and found.confidence <= PROSE_CONFIDENCE and person_name(str(found.value)) is None:
        del doc.fields["customer_name"]


def find_phone(text: str) -> str | None:
    """The writer's phone: a Chinese mobile number anywhere, else a number of 7–15 digits in
    any common form on a line that says it is a phone or in the signature block. Numbers
    inside codes (SO13912345678), after a code's label (SN, 订单号, invoice) or dates are not."""
    text = unicodedata.normalize("NFKC", text)
    lines = text.splitlines()
    signature_from = max(0, len([line for line in lines if line.strip()]) - 6)
    candidates: list[tuple[int, str]] = []
    seen = 0
    for line in lines:
        if not line.strip():
            continue
        seen += 1
        for match in PHONE.finditer(line):
            raw = match.group(0).strip(" .-")
            before = line[: match.start()]
            digits = re.sub(r"\D", "", raw)
            if (
                DATE_LIKE.match(raw)
                or NOT_PHONE_LABEL.search(before[-14:])
                or not 7 <= len(digits) <= 15
            ):
                continue
            if OURS.search(
                before[-16:]
            ):  # 打你们店里的电话…, "your hotline": the desk's number, not the writer's
                continue
            if MOBILE.fullmatch(raw):
                rank = 0
            elif PHONE_LABEL.search(before[-16:]) or PHONE_LABEL.search(
                line[match.end() : match.end() + 6]
            ):
                rank = 1
            elif seen > signature_from and len(line.strip()) <= 60:
                rank = 2
            else:
                continue
            candidates.append((rank, raw))
    if not candidates:
        return None
    return normalise.phone(min(candidates, key=lambda c: c[0])[1])


def signature_name(text: str) -> str | None:
    """The writer's full name from the last lines: after a sign-off ("Regards, John Smith",
    "此致 敬礼 / 王秀兰"), or a short line of the signature block holding a name among a
    title, a department and a phone (`鸿达汽配 采购主管 葛建平`, `律师：邵文博`)."""
    lines = [
        line.strip() for line in unicodedata.normalize("NFKC", text).splitlines() if line.strip()
    ]
    tail = lines[-6:]
    for index, line in enumerate(tail):
        if match := SIGN_OFF.match(line):
            for candidate in [match["rest"], *tail[index + 1 :]]:
                if name := name_in_line(candidate) or first_name(candidate):
                    return name
    for line in reversed(tail[-4:]):
        if len(line) <= 40 and (name := name_in_line(line)):
            return name
    return None


# A line of a signature block: short, nobody speaking and nothing done in it (no sentence, no
# pronoun, no verb of going, telling or calling), and a name, a phone, a title or an
# organisation in it (`市公安局交警支队`, `律師`, `Solicitor`).
SIGNATURE_LINE_MAX = 40
NOT_SIGNATURE_LINE = re.compile(
    r"[。！？!?；;]|[我你您咱去找告到打要会會就再让讓把被给給发發报報说說曝诉訴不没沒别別]|"
    r"\b(?:i|i'm|i'll|we|you|my|our|will|if|call|sue|report|post|contact|tell|go|take|not|no)\b",
    re.IGNORECASE,
)
SIGNATURE_WORD = re.compile(
    r"(?:公司|部|科|处|處|办|辦|课|課|组|組|队|隊|所|局|院|厂|廠|店|行|中心|协会|協會|委员会|委員會|街道|社区|社區|大学|大學|"
    r"学校|學校|办公室|辦公室)(?=\s|$)|经理|經理|主管|主任|课长|課長|科长|科長|处长|處長|代表|总监|總監|工程师|工程師|"
    r"律师|律師|会计|會計|医生|醫生|记者|記者|警官|地址|邮箱|郵箱|e-?mail|tel|fax|mob|ltd|llp|inc|gmbh|co\.|corp|"
    r"solicitors?|manager|director|officer|engineer|department|dept|team|office|university|school|hospital|"
    r"station|police|press|@|\d{4}[-/.年]",
    re.IGNORECASE,
)


def without_signature(text: str) -> str:
    """The text without the writer's signature block: the last lines that hold a name or a
    phone with titles and organisations (`李强 / 市公安局交警支队`, `陳柏翰 律師 / 李氏聯合法律事務所`).
    Who the writer is (a police officer, a lawyer) says nothing about what happened. A line
    that says or does something (再不处理就去12315, `王秀兰 要去曝光`) ends the block."""
    lines = text.rstrip().splitlines()
    start = len(lines)
    while start > 1 and _signature_line(unicodedata.normalize("NFKC", lines[start - 1]).strip()):
        start -= 1
    if not any(
        PHONE.search(line) or MOBILE.search(line) or name_in_line(line) for line in lines[start:]
    ):
        return text
    return "\n".join(lines[:start])


def _signature_line(line: str) -> bool:
    if not line:
        return True
    rest = SIGN_OFF.sub(r"\g<rest>", line)
    name = name_in_line(rest)
    other = PHONE.sub(" ", MOBILE.sub(" ", rest.replace(name, " ") if name else rest))
    if len(line) > SIGNATURE_LINE_MAX or NOT_SIGNATURE_LINE.search(other):
        return False
    return bool(name or other != rest or not rest.strip() or SIGNATURE_WORD.search(other))


def name_in_line(line: str) -> str | None:
    line = _strip_phone(line)
    if latin := LATIN_NAME.match(line):
        return latin["name"]
    for token in re.split(r"[\s:：,，/|]+", line):
        if name := chinese_name(token):
            return name
    return None


FIRST_NAME = re.compile(rf"^(?P<name>{_LATIN_WORD})[,.]?$")
NOT_FIRST_NAMES = {
    "Thanks",
    "Thank",
    "Regards",
    "Best",
    "Cheers",
    "Sent",
    "Sincerely",
    "Yours",
    "Team",
    "Customer",
    "Manager",
    "Director",
    "Sales",
    "Service",
    "Support",
    "Admin",
    "Office",
    "Mobile",
    "Phone",
    "Tel",
}


def first_name(line: str) -> str | None:
    """One Latin first name alone on the line after a sign-off ("Cheers, / Tom")."""
    match = FIRST_NAME.match(_strip_phone(line))
    return match["name"] if match and match["name"] not in NOT_FIRST_NAMES else None


def _strip_phone(line: str) -> str:
    line = PHONE.sub("", MOBILE.sub("", line))
    return re.sub(
        r"(?:电话|電話|手机|手機|tel|phone|mobile)[.:：]?\s*$",
        "",
        line.strip(),
        flags=re.IGNORECASE,
    ).strip(" ,，;；")


def chinese_name(token: str) -> str | None:
    """A Chinese full name: 2–4 characters starting with a known surname, no title or role."""
    token = token.strip("\"'“”()（）")
    if not re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", token):
        return None
    simplified = to_simplified(token)
    if any(word in simplified for word in (*NOT_NAMES, *NOT_PERSON)):
        return None
    if len(token) == 4 and not simplified.startswith(DOUBLE_SURNAMES):
        return None
    if (
        len(token) == 2 and simplified[1] in ADDRESS_SUFFIXES
    ):  # 张太, 陈嫂: a form of address, not a name
        return None
    if simplified[0] in SURNAMES or simplified.startswith(DOUBLE_SURNAMES):
        return token
    return None


def person_name(text: str) -> str | None:
    """The text when it is a person's full name (Chinese or Latin)."""
    text = unicodedata.normalize("NFKC", text).strip()
    if latin := LATIN_NAME.match(text):
        return latin["name"]
    return chinese_name(text)


def display_name(text: str) -> str | None:
    """The From display name when it is a person's: not a company, a department or a role."""
    text = unicodedata.normalize("NFKC", text).strip().strip("\"'")
    if not text or any(word in text.lower() for word in NOT_PERSON):
        return None
    if LATIN_DISPLAY.fullmatch(text):
        return text
    if re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", text) and not any(
        word in to_simplified(text) for word in NOT_NAMES
    ):
        return text
    return None


def addressed_name(text: str) -> str | None:
    """A form of address the writer signs or introduces with: 周小姐, 黄先生, 我係李太."""
    lines = [
        line.strip() for line in unicodedata.normalize("NFKC", text).splitlines() if line.strip()
    ]
    for line in [*reversed(lines[-4:]), *lines[:3]]:
        for match in TITLED.finditer(line):
            if to_simplified(match["name"][0]) in SURNAMES:
                return match["name"]
    for line in reversed(lines[-3:]):
        if (match := FAMILIAR.match(line)) and to_simplified(match["name"][1]) in SURNAMES:
            return match["name"]
    return None
