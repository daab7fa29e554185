"""Who wrote a plain mail and how to call them back: the writer's name (from the text, the
signature block, else the From display name) and phones written in any common form."""

from __future__ import annotations

import re
import unicodedata

from parsers import normalise
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
DOUBLE_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文", "司徒", "夏侯", "歐陽", "司馬")
NOT_NAMES = {"客服", "经理", "师傅", "先生", "女士", "小姐", "老师", "同志", "您好", "你好", "谢谢", "此致", "敬礼", "顾客", "客户", "车主", "用户"}

MOBILE = re.compile(r"(?<![\w+])(?:(?:\+|00)\s?86[\s\-]?)?1[3-9]\d(?:[\s\-]?\d){8}(?![\w])")
LANDLINE = re.compile(r"(?<![\w+])(?:(?:\+|00)\s?86[\s\-]?)?\(?0\d{2,3}\)?[\s\-]?\d{3,4}[\s\-]?\d{4}(?![\w])")
SIGN_OFF = re.compile(
    r"^(?:regards|best regards|kind regards|best|thanks|thank you|many thanks|sincerely|yours sincerely|yours truly|cheers|"
    r"此致|敬礼|谢谢|感谢|祝好|顺祝|顺颂)[,，.!！]?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
LATIN_NAME = re.compile(r"^(?:(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+)?(?P<name>[A-Z][a-z]+(?:[ -][A-Z][a-z]+){1,2})$")
NAME_LINE = re.compile(
    r"^(?:[-—–~]+\s*)?(?:客户|顾客|车主|联系人|署名|姓名|name)?[:：]?\s*(?P<name>[\u4e00-\u9fff·]{2,4})"
    r"(?:\s*[(（]?(?:先生|女士|小姐)?[)）]?)?(?:\s+.*)?$",
    re.IGNORECASE,
)
PROSE_CONFIDENCE = 0.8
SIGNATURE_CONFIDENCE = 0.7
DISPLAY_NAME_CONFIDENCE = 0.5


def read_sender_fields(doc: ParsedDocument, own: str) -> None:
    """Name and phone of the writer of a plain mail, where the labels and prose patterns did
    not find them; a name from prose that is no person's name is dropped."""
    drop_unlikely_name(doc)
    if doc.value("phone") is None and (phone := find_phone(own)):
        doc.put("phone", phone, "body", PROSE_CONFIDENCE)
    if doc.value("customer_name") is None and (name := signature_name(own)):
        doc.put("customer_name", name, "signature", SIGNATURE_CONFIDENCE)
    if doc.value("customer_name") is None and (name := person_name(doc.meta.get("sender_name") or "")):
        doc.put("customer_name", name, "From display name", DISPLAY_NAME_CONFIDENCE)


def drop_unlikely_name(doc: ParsedDocument) -> None:
    found = doc.fields.get("customer_name")
    if found and found.confidence <= PROSE_CONFIDENCE and person_name(str(found.value)) is None:
        del doc.fields["customer_name"]


def find_phone(text: str) -> str | None:
    """The first mobile number (with or without +86, spaces or dashes), else a landline with
    its area code; numbers inside longer codes (SO13912345678) are not phones."""
    text = unicodedata.normalize("NFKC", text)
    for pattern in (MOBILE, LANDLINE):
        if match := pattern.search(text):
            return normalise.phone(match.group(0))
    return None


def signature_name(text: str) -> str | None:
    """The writer's name from the last lines: after a sign-off ("Regards, John Smith", "此致
    敬礼 / 王秀兰"), or a last short line that is a name (`—— 王秀兰`, `张伟 13912345678`)."""
    lines = [line.strip() for line in unicodedata.normalize("NFKC", text).splitlines() if line.strip()]
    tail = lines[-5:]
    for index, line in enumerate(tail):
        match = SIGN_OFF.match(line)
        if match:
            for candidate in [match["rest"], *tail[index + 1:]]:
                if name := person_name(_strip_phone(candidate)):
                    return name
    for line in reversed(tail[-3:]):
        if len(line) <= 24 and (name := person_name(_strip_phone(line))):
            return name
    return None


def _strip_phone(line: str) -> str:
    line = MOBILE.sub("", LANDLINE.sub("", line))
    return re.sub(r"(?:电话|手机|tel|phone|mobile)[:：]?\s*$", "", line.strip(), flags=re.IGNORECASE).strip(" ,，;；")


def person_name(text: str) -> str | None:
    """The text when it is a person's name: a Chinese name (a known surname, 2–4 characters,
    a 先生/女士 title kept as written) or two or three capitalised Latin words."""
    text = text.strip().strip("\"'“”")
    if match := LATIN_NAME.match(text):
        return match["name"]
    match = NAME_LINE.match(text)
    if not match:
        return None
    name = match["name"]
    base = re.sub(r"(?:先生|女士|小姐)$", "", name)
    if not base or base in NOT_NAMES or any(word in base for word in NOT_NAMES):
        return None
    if name[0] in SURNAMES or name.startswith(DOUBLE_SURNAMES):
        return name
    return None
