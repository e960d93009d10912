"""Answers typed where a button is offered: one pure reader per kind of answer.

On channels without inline buttons (WeChat, SMS, the terminal) typing is how people answer:
"挺急的" for the urgency, "没有照片" at the photo step, "两星吧" or "还行" for a score,
"还没好" for "solved?", "材料费35元" for a fee.  Each reader returns the value, or None
when the words are not an answer to that question (the step then re-asks with examples).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from cases.codes import Urgency
from cases.when import Span, When, cn_number, normalise
from handlers.kit.i18n import t
from nlp.hant import TABLE as TRADITIONAL

MAX_ANSWER = 200
# Particles and politeness around an answer: "两星吧", "不急哈", "没有了哦", "好的，谢谢".
_FILLER = re.compile(r"^嗯+(?=.)|[吧呢啊呀哈哦噢啦了的吗嘛～~!！。.,，、?？…\s]+|谢谢|麻烦了?|请|给个|[给打](?=[0-9一二两三四五⭐★])|我觉得|我看|感觉|应该")


def plain(text: str | None) -> str:
    """The answer's words without emoji, punctuation and filler ("" for nothing usable)."""
    if not text:
        return ""
    s = normalise(text).translate(TRADITIONAL)  # "兩星", "沒有照片" answer as "两星", "没有照片" do
    if len(s) > MAX_ANSWER:
        return ""
    return _FILLER.sub("", s)


def _first(s: str, table: tuple[tuple[tuple[str, ...], object], ...]) -> object | None:
    for words, value in table:
        if any(w.replace(" ", "") in s for w in words):  # plain took the spaces out
            return value
    return None


# ----------------------------------------------------------------- urgency
_URGENCY = (
    # Negated urgency first: "不急", "不是很急", "没那么急" are not "急".
    (("不急", "不着急", "不太急", "不是很急", "不是特别急", "没那么急", "没有那么急", "不紧急", "不赶", "慢慢来", "不用急",
      "有空再", "有时间再", "not urgent", "no rush", "no hurry"), Urgency.NORMAL),
    (("紧急", "十万火急", "非常急", "特别急", "超级急", "急死", "危险", "救命", "emergency", "danger"), Urgency.EMERGENCY),
    (("加急", "挺急", "很急", "比较急", "有点急", "蛮急", "着急", "急用", "急", "尽快", "越快越好", "当天", "今天就",
      "urgent", "asap", "soon"), Urgency.URGENT),
    (("一般", "普通", "正常", "不要紧", "无所谓", "都行", "normal", "regular"), Urgency.NORMAL),
)


def read_urgency(text: str | None) -> str | None:
    """"挺急的" → urgent, "不急" / "一般" → normal, "紧急" → emergency; a code typed as is."""
    s = plain(text)
    if s in set(Urgency):
        return s
    value = _first(s, _URGENCY)
    return str(value) if value else None


# ----------------------------------------------------------------- "nothing", at optional steps
_SKIP = re.compile(
    r"^(没有|没|无|木有|不用|不需要|不要|不必|免了|跳过|略过|省略|不拍|拍不了|没法拍|不方便拍?|不发|不传|暂时没有|暂无"
    r"|不涉及|没什么|没啥|没意见|skip|no|none|nope|n/?a|nothing|no photos?|no pictures?|nobody|no one)"
    r"(照片|图片|图|相片|拍照|照相|拍|发|上传|备注|补充|说明|其他|别的|要求|具体|人员|地点|对象|人|谁|要说|想说|说|意见"
    r"|了|啦)*$")
_DONE = re.compile(r"^(完成|完|好|发完|就这些|就这样|没了|没有了|下一步|继续|ok|okay|done|next|finished|that'?s all)$")


def is_skip(text: str | None) -> bool:
    """"没有", "不用", "跳过", "没有照片", "不需要", "skip": the owner has nothing to add."""
    s = plain(text)
    return bool(s) and bool(_SKIP.match(s))


def is_done(text: str | None) -> bool:
    """"完成", "发完了", "就这些", "done": the owner has sent all they wanted to (or nothing)."""
    s = plain(text)
    return bool(s) and (bool(_DONE.match(s)) or bool(_SKIP.match(s)))


# ----------------------------------------------------------------- stars (1–5)
_STAR_WORDS = (
    (("非常不满意", "极不满意", "特别不满意", "很不满意", "非常差", "特别差", "极差", "太差", "很差", "超差", "差评", "垃圾",
      "零分", "0分", "太慢", "非常慢", "很慢", "特别慢", "terrible", "awful", "very bad", "very poor"), 1),
    (("不满意", "不太满意", "不怎么样", "不好", "较差", "比较差", "有点差", "差", "慢", "unsatisfied", "dissatisfied", "not satisfied", "poor", "bad"), 2),
    (("一般般", "一般", "还行", "还可以", "凑合", "马马虎虎", "中等", "过得去", "ok", "okay", "average", "so-so"), 3),
    (("非常满意", "十分满意", "特别满意", "很满意", "超满意", "满分", "五星好评", "好评", "非常好", "特别好", "很好", "太好",
      "very satisfied", "fully satisfied",
      "完美", "很快", "非常快", "特别快", "excellent", "perfect", "great", "very good"), 5),
    (("比较满意", "满意", "挺好", "不错", "还不错", "蛮好", "好", "快", "satisfied", "good", "fine"), 4),
)
_STAR_COUNT = re.compile(r"^[★⭐🌟✨☆]+$")
_NUMBER_OF_STARS = re.compile(r"([0-9]+|[零〇一二两三四五六七八九十]+|one|two|three|four|five)"
                              r"(?:个|颗)?(?:星星?|⭐|★|stars?|分|points?)?(?:/5|分?满分5)?")
_EN = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}


def read_stars(text: str | None) -> int | None:
    """"两星", "2星", "二颗星", "⭐⭐⭐", "4分", "five stars" → the count; "还行" / "一般般" → 3,
    "非常满意" / "满分" → 5, "很差" → 1.  None when it is not a score of 1–5."""
    s = plain(text)
    if not s:
        return None
    if _STAR_COUNT.match(s):
        n = sum(1 for c in s if c in "★⭐🌟✨")
        return n if 1 <= n <= 5 else None
    m = _NUMBER_OF_STARS.fullmatch(s) or _NUMBER_OF_STARS.fullmatch(s.replace(" ", ""))
    if m and (s[len(m.group(1)):] or m.group(1).isdigit() or len(m.group(1)) == 1 or m.group(1) in _EN):
        n = _EN.get(m.group(1)) or cn_number(m.group(1))
        if n == 10 and "分" in s:
            return 5  # "10分": full marks out of ten
        return n if n is not None and 1 <= n <= 5 else None
    value = _first(s, _STAR_WORDS)  # type: ignore[arg-type]
    return int(value) if isinstance(value, int) else None


# ----------------------------------------------------------------- solved?
_SOLVED = (
    (("没解决", "未解决", "没有解决", "没能解决", "不解决", "还没好", "没好", "没修好", "没有修好", "还是坏", "还坏", "还不行",
      "不行", "还是不行", "依然", "仍然", "还在漏", "还漏", "又坏", "又漏", "没弄好", "没搞定", "没处理", "没人来", "还是", "还在", "依旧", "否",
      "没有", "不是", "不好", "not solved", "not fixed", "unsolved", "still broken", "nope"), False),
    (("解决了", "已解决", "解决", "修好", "好了", "搞定", "没问题", "可以了", "正常了", "弄好", "处理好", "yes", "solved", "fixed"),
     True),
)
# Short assent only as the whole answer: "是" inside "还是漏水" is no yes.
_ASSENT = {"是", "对", "嗯", "好", "行", "可以", "ok", "okay", "done", "yes"}


def read_solved(text: str | None) -> bool | None:
    """"解决了" → True; "没解决" / "还没好" → False; anything else None."""
    s = plain(text)
    if not s:
        return None
    if s in ("y", "1") or s in _ASSENT:
        return True
    if s in ("n", "no", "0"):
        return False
    value = _first(s, _SOLVED)  # type: ignore[arg-type]
    return value if isinstance(value, bool) else None


# ----------------------------------------------------------------- money
_FREE = ("免费", "不收费", "不收钱", "没收钱", "没收费", "未收费", "没要钱", "不要钱", "无收费", "免单", "free", "no charge")
_TOTAL = ("一共", "总共", "共计", "合计", "总计", "共", "total")
_CN_MONEY = "[零〇一二两三四五六七八九十百千万]+"
_AMOUNT = re.compile(
    r"(?<![\d,])(\d{1,3}(?:,\d{3})+|\d{1,7})(?![\d,])(?:\.(\d{1,2}))?(?:元|块钱?|rmb|yuan)?(?:(\d)角?)?"
    rf"|({_CN_MONEY})(?:元|块钱?)({_CN_MONEY[:-1]}?)?角?"
)


def read_fee(text: str | None) -> int | None:
    """Cents: "材料费35元" → 3500, "收了三十五块" → 3500, "¥35.5" / "35块5" → 3550, "免费" → 0.
    With several amounts, the one after "共/合计" counts; otherwise it is ambiguous (None)."""
    if not text:
        return None
    if re.search(r"\d\s+\d", unicodedata.normalize("NFKC", text)):
        return None  # "5 0" is no 50
    s = normalise(text)
    if len(s) > MAX_ANSWER or re.search(r"\d\.\d{3}|\d[eE]\d", s):
        return None  # split digits, three decimals, "1e3": not an amount we guess at
    s = re.sub(r"\s+", "", s).replace("¥", "").replace("￥", "").replace("人民币", "")
    if any(w in s for w in _FREE) or re.search(r"(?<![\d.])(0|零|〇)(\.0+)?(元|块)", s) \
            or re.fullmatch(r"(0|零|〇)(\.0+)?", s):
        return 0
    if "-" in s and re.search(r"-\s*\d", s):
        return None
    for word in _TOTAL:
        if word in s:
            after = s.split(word, 1)[1]
            found = _amounts(after)
            if found:
                return found[0]
    found = _amounts(s)
    return found[0] if len(found) == 1 else None


def _amounts(s: str) -> list[int]:
    out = []
    for m in _AMOUNT.finditer(s):
        if m.group(1):
            try:
                yuan = Decimal(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else ""))
            except InvalidOperation:
                continue
            cents = int(yuan * 100)
            if m.group(3) and not m.group(2):
                cents += int(m.group(3)) * 10  # "35块5": five jiao
            out.append(cents)
        elif m.group(4):
            yuan_n = cn_number(m.group(4))
            if yuan_n is None:
                continue
            jiao = cn_number(m.group(5)) if m.group(5) else 0
            out.append(yuan_n * 100 + (jiao or 0) * 10 if (jiao or 0) < 10 else yuan_n * 100)
    return out


# ----------------------------------------------------------------- how a window reads
def when_label(when: When, locale: str) -> str:
    """"6月6日（周六）08:00–12:00", "6月6日（周六）08:00 至 6月7日（周日）20:00", "越快越好"."""
    if when.span == Span.ASAP:
        return t(locale, "common.when_asap")
    if when.span == Span.ANYTIME:
        return t(locale, "common.when_anytime")
    if when.span == Span.ONGOING:
        return t(locale, "common.when_ongoing_since", day=day_label(when.start, locale)) if when.start \
            else t(locale, "common.when_ongoing")
    assert when.start is not None and when.end is not None
    end, end_clock = when.end, f"{when.end:%H:%M}"
    if end_clock == "00:00" and end > when.start:
        end, end_clock = end - timedelta(minutes=1), "24:00"  # midnight closes the day before
    if end.date() == when.start.date():
        return t(locale, "common.when_span", day=day_label(when.start, locale), start=f"{when.start:%H:%M}",
                 end=end_clock)
    return t(locale, "common.when_days", first=day_label(when.start, locale), start=f"{when.start:%H:%M}",
             last=day_label(end, locale), end=end_clock)


def day_label(at: datetime | None, locale: str) -> str:
    assert at is not None
    months = t(locale, "booking.months").split()
    weekdays = t(locale, "booking.weekdays").split()
    return t(locale, "common.when_day", month=months[at.month - 1], day=at.day, weekday=weekdays[at.weekday()])


# ----------------------------------------------------------------- a category in the owner's words
# Everyday words for the categories (the display names are matched first; these are for owners
# who describe rather than name: "邻里纠纷", "漏水的", "保安的问题").
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    # reports
    "plumbing": ("给排水", "漏水", "水管", "下水", "堵了", "堵塞", "马桶", "水龙头", "地漏", "水压", "没水"),
    "electrical": ("强弱电", "电路", "插座", "跳闸", "停电", "没电", "灯不亮", "开关", "网络", "门铃", "电线", "电表"),
    "building": ("土建", "墙", "裂缝", "开裂", "瓷砖", "地砖", "渗水", "门窗", "屋顶", "防水", "天花板"),
    "elevator": ("电梯",),
    "facility": ("公共设施", "设施", "路灯", "健身器材", "消防栓", "道闸", "监控"),
    "security": ("安全", "保安", "可疑", "治安"),
    # complaints
    "common": ("共性", "大家都", "整栋", "整个小区"),
    "housing": ("房屋管理", "房屋", "渗漏"),
    "equipment": ("设备",),
    "order": ("秩序", "保安", "停车", "乱停", "门岗", "巡逻", "岗亭"),
    "general": ("综合服务", "服务", "态度", "客服", "前台", "工作人员", "管家"),
    "neighbor": ("相邻", "邻里", "邻居", "楼上", "楼下", "隔壁", "对门", "装修噪音"),
    "developer": ("开发商", "交房", "质量问题", "质保"),
    "other": ("其它", "其他", "别的", "都不是"),
    "government": ("政府", "12345", "移送", "街道", "城管"),
    "environment": ("环境卫生", "环境", "卫生", "垃圾", "保洁", "绿化", "蚊虫", "老鼠", "蟑螂", "异味", "臭"),
}
_ASSENT_WORDS = ("对", "是的", "没错", "对的", "就是", "是", "嗯", "好", "可以", "ok", "yes", "right")


# The words of the "not sure" button ("不知道"/"随便" stay no answer: the step explains the choice).
_UNSURE_WORDS = frozenset({"不清楚", "不确定", "说不清", "跳过", "notsure", "skip"})


def read_category(text: str | None, allowed: tuple[str, ...], names: dict[str, str], suggested: str = "") -> str | None:
    """The category the owner typed: its name ("相邻关系"), a yes to the suggestion ("对"),
    or everyday words for it ("邻里纠纷", "漏水").  `names`: code → display name."""
    s = plain(text)
    if not s:
        return None
    for code in allowed:
        if s == plain(names.get(code, "")) or s == code:
            return code
    if suggested in allowed and s in _ASSENT_WORDS:
        return suggested
    if "other" in allowed and s in _UNSURE_WORDS:
        return "other"  # "不清楚": the office decides, as the "not sure" button does
    for code in allowed:
        name = plain(names.get(code, ""))
        if name and (name in s or (len(s) >= 2 and s in name)):
            return code
    for code in allowed:
        if any(w in s for w in CATEGORY_WORDS.get(code, ())):
            return code
    return None


# ----------------------------------------------------------------- "yes, submit it"
_GO_AHEAD = frozenset({"提交", "确认", "确定", "确认提交", "确认预约", "提交投诉", "提交记录", "预约", "没问题", "可以", "行",
                       "好", "对", "是", "就这样", "没错", "ok", "okay", "yes", "y", "submit", "confirm", "sure"})


# Resigned, not agreeing: "好吧" after a summary may mean "fine, whatever" — ask for a clear yes.
_RELUCTANT = frozenset({"好吧", "行吧", "那好吧", "也行吧", "随便吧", "随便", "算了吧", "那行吧"})


def is_go_ahead(text: str | None) -> bool:
    """"确认", "好的", "可以", "没问题", "提交吧": yes to a summary shown for confirmation (a price
    among it: a murmur such as "嗯" is not taken as yes)."""
    if re.sub(r"[\W_]+", "", normalise(text or "")) in _RELUCTANT:
        return False
    s = plain(text)
    return s in _GO_AHEAD or (s.startswith(("确认", "提交")) and len(s) <= 6 and "不" not in s)
