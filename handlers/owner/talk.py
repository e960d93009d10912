"""What a short message means before any flow reads it (pure: no I/O).

Owners write the way they talk: "谢谢啦", "在吗", "好的👍", a bare "报修", "算了 我想问一下…",
"没事了 是误报".  These words are recognised here, in one place, so the conversation core
can answer small talk briefly, start the flow an intent word names, let the owner out of
any step, and never file a case whose whole description is a greeting or an intent word.
"""

from __future__ import annotations

import re
import unicodedata

from handlers.kit.answers import plain, read_stars
from nlp.hant import TABLE as TRADITIONAL

# ----------------------------------------------------------------- small talk
# Longest first inside each group, so "谢谢你们" is read whole before "谢谢".
THANKS = ("唔该晒", "多谢晒", "唔该", "非常感谢", "太感谢了", "谢谢你们", "谢谢您", "谢谢你", "谢谢啦", "谢谢了", "多谢",
          "感谢", "感恩", "谢谢", "谢了", "谢啦", "辛苦了", "辛苦啦", "辛苦", "麻烦你们了", "麻烦了", "thank you", "thank u", "thanks", "thx", "ty")
GREETINGS = ("早晨", "早上好", "上午好", "中午好", "下午好", "晚上好", "早安", "午安", "你们好", "大家好", "你好", "您好",
             "哈喽", "哈啰", "嗨", "早", "hello", "hi", "hey", "good morning", "good afternoon", "good evening")
PRESENCE = ("有人在吗", "有人吗", "有人没", "在不在", "在吗", "在么", "在嘛", "在不", "人呢", "anyone there", "is anyone there",
            "are you there")
ACKS = ("好的", "好滴", "好嘞", "好吧", "好", "行", "可以", "收到", "知道了", "知道", "明白了", "明白", "了解", "懂了", "嗯嗯", "嗯",
        "哦哦", "哦", "噢", "ok", "okay", "got it", "noted", "没问题", "没事", "不客气", "哈哈", "呵呵", "嘻嘻", "嘿嘿",
        "lol", "haha")
WHO = ("你是机器人吗", "你是机器人", "机器人吗", "是机器人", "你是谁", "是真人吗", "真人吗", "are you a bot", "are you human",
       "who are you")
# "等一下", "让我想想": the owner needs a moment; nothing to act on, and no answer to any step.
WAITS = ("稍等一下", "稍等", "等我一下", "等一下", "等一等", "等一会儿", "等一会", "等会儿", "等会", "等下", "等等", "慢着",
         "让我想想", "我想想", "我想一下", "hold on", "one moment", "just a moment", "one sec", "wait")
BYES = ("再见", "拜拜", "晚安", "回见", "886", "88", "bye", "goodbye", "good night")
# Words that add nothing once the above are taken out.
_FILLER = ("你们", "您", "你", "啦", "了", "啊", "呀", "哈", "呢", "吧", "哟", "哦", "喔", "嘛", "的", "很", "非常", "真",
           "太", "好", "都", "大家", "各位", "师傅", "师傅们", "物业", "管家", "请问", "一下", "so much", "very much", "a lot",
           "you", "all", "guys", "everyone", "folks", "team", "anyway", "again", "你哋", "佢哋", "晒", "喇")


def _clean(text: str) -> str:
    """Lower case, full-width and traditional characters folded ("報修", "謝謝" read as
    "报修", "谢谢": one character for one, so positions still match the original), spaces
    at the ends dropped."""
    return unicodedata.normalize("NFKC", text).lower().strip().translate(TRADITIONAL)


def _letters(text: str) -> str:
    """Only letters and digits (emoji, punctuation and spaces dropped)."""
    return "".join(ch for ch in text if ch.isalnum())


def _strip_words(text: str, words: tuple[str, ...]) -> str:
    for w in sorted(words, key=len, reverse=True):
        # Latin words only as whole words ("a" must not eat the a of "repair").
        text = re.sub(rf"\b{re.escape(w)}\b", " ", text) if w.isascii() else text.replace(w, " ")
    return text


def small_talk(text: str | None) -> str | None:
    """'thanks', 'greeting', 'presence', 'wait', 'ack', 'bye' or 'emoji' when the message is only
    that; courtesy said at more length — 'praise' ("你们最近的服务比前两年好多了"), 'wishes'
    ("祝工作顺利", "have a nice weekend"), 'sorry' ("不好意思 打扰了") or 'self_help' ("我儿子说
    他来弄") — when every clause of it is courtesy; None when it carries anything to act on."""
    if text is None:
        return None
    clean = _clean(text)
    if not clean:
        return None
    if not _letters(clean):
        # Only emoji or punctuation ("👍", "🙏🙏", "？"): answered, never a case.
        return "emoji" if any(unicodedata.category(ch) == "So" for ch in clean) else None
    short = _short_talk(clean)
    return short if short is not None else courtesy(clean)


def _short_talk(clean: str) -> str | None:
    """The message is only greetings, thanks, acknowledgements… (words of the lists above)."""
    found = [(name, words) for name, words in
             (("who", WHO), ("thanks", THANKS), ("presence", PRESENCE), ("greeting", GREETINGS), ("bye", BYES),
              ("wait", WAITS), ("ack", ACKS))
             if any(w in clean for w in words)]
    if not found:
        return None
    rest = clean
    for _, words in found:
        rest = _strip_words(rest, words)
    rest = _strip_words(rest, _FILLER)
    if _letters(rest):
        return None
    return found[0][0]


# ----------------------------------------------------------------- courtesy at more length
# Praise, well-wishes, apologies and "my son will do it" are no request either: read clause by
# clause ("好的，收到，谢谢。说句实话你们最近的服务比前两年好多了，回复也快，辛苦各位，继续保持。"),
# and only when every clause is courtesy; one clause with a problem or a request in it ("服务挺
# 好 但电梯又坏了") and the message is read for that.
_CLAUSES = re.compile(r"[，,。.!！?？;；~～、…:：\n]+|(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")
# Words in front of a clause that only frame it ("说句实话…", "总的来说…", "我觉得…").
_FRAME = re.compile(r"^(?:说句实话|说实话|实话说|实话实说|讲真|老实说|说真的|真心(?:话|说)?|总的来说|总之|总体来说|我觉得|觉得|感觉|"
                    r"我们(?:全家|一家)?都觉得|最近|这次|这回|上次|今天|昨天|一直|真的|确实|的确|就是想说|想说|"
                    r"honestly|to be honest|really|just wanted to say|i just want to say)\s*")
# Praise phrases that stand alone ("继续保持", "点个赞", "good job").
_PRAISE_PHRASES = ("继续保持", "再接再厉", "值得表扬", "表扬一下", "表扬", "点个赞", "点赞", "赞一个", "给你们点赞", "为你们点赞",
                   "太棒了", "真棒", "棒棒哒", "越来越好", "比以前好多了", "好多了", "进步很大", "有进步", "没得说", "没话说",
                   "辛苦各位", "辛苦大家", "各位辛苦", "大家辛苦", "服务周到", "服务到位",
                   "这么晚还有人回", "这么晚还回", "这么晚还在", "半夜还有人回", "大半夜还", "还有人回消息", "回得这么快",
                   "good job", "great job", "well done", "great work", "nice work", "keep it up", "keep up the good work",
                   "much appreciated", "appreciate it", "appreciate your help", "you're the best", "you are the best")
# Who or what is praised, and the words that praise it ("保洁阿姨打扫得很干净", "回复也快").
_PRAISED = re.compile(r"服务|态度|回复|回应|响应|速度|效率|处理|工作|师傅|保安|保洁|阿姨|大叔|大哥|管家|小哥|小姐姐|客服|物业|你们|各位|"
                      r"大家|团队|员工|工作人员|前台|维修工|小区|环境|绿化|干活|做事|办事|[修做干办弄搞来扫收]得|"
                      r"\b(?:staff|service|team|you|job|work|guys|everyone|response|support|lobby|garden|place|estate"
                      r"|community|building|everything)\b")
_PRAISING = re.compile(r"好|棒|赞|不错|快|及时|迅速|到位|专业|热情|周到|负责|尽责|细心|耐心|给力|靠谱|满意|优秀|贴心|认真|利索|"
                       r"麻利|干净|漂亮|暖心|感动|厉害|用心|高效|敬业|称职|没得说|没话说|"
                       r"\b(?:nice|great|good|excellent|awesome|amazing|helpful|quick|fast|kind|friendly|professional"
                       r"|wonderful|fantastic|brilliant|perfect|clean|tidy|beautiful|lovely)\b")
# A clause with any of these is about a problem, a wish for more, or a question — no praise
# (once the praising words with a 不 or 没 in them are taken out: "不错", "没得说", "特别").
_POSITIVE_NOT = ("不错", "了不起", "不愧", "不辞辛苦", "不厌其烦", "没得说", "没话说", "没的说", "不用说", "特别",
                 "这么", "那么", "多么")  # "这么晚还有人回": 么 here asks nothing
_NOT_PRAISE = re.compile(r"不|没|别|未|差|慢|烂|坏|漏|堵|吵|脏|臭|乱|贵|难|问题|故障|投诉|但|可是|不过|只是|就是|希望|建议|要是|如果|"
                         r"怎么|为什么|吗|么|几|哪|啥|谁|多少|什么|怎样|如何|好像|好久|好几|\b(?:not|but|no|never|why|how|bad|slow|broken)\b")
# Well-wishes ("祝工作顺利", "周末愉快", "have a nice weekend").
_WISHES = re.compile(r"^(?:也|同样)?(?:祝|祝福|祝愿)(?:你们|您|你|大家|各位|师傅们)?.{0,12}$|"
                     r"^(?:(?:新年|节日|中秋|春节|国庆|元旦|端午|周末|假期|工作)(?:快乐|愉快|顺利)|身体健康|万事如意|一切顺利|"
                     r"工作顺利|生活愉快|阖家幸福|合家欢乐|平安喜乐|天天开心|生意兴隆)+(?:啊|哦|哈|呀|啦)*$|"
                     r"^(?:have|enjoy) (?:a |your )?(?:nice|good|great|lovely|wonderful)? ?(?:day|weekend|evening|night|holiday|"
                     r"holidays|week|one|time)(?: too| as well)?$|^(?:happy|merry) [a-z' ]{2,20}$|^(?:all the best|best wishes|"
                     r"best regards|kind regards|regards|cheers|take care)$")
# Apologies for the bother ("不好意思", "打扰了", "sorry to bother you").
_SORRY = ("不好意思啊", "不好意思", "打扰了", "打扰你们了", "打扰您了", "打扰一下", "抱歉", "对不起", "给你们添麻烦了", "添麻烦了",
          "麻烦你们了", "麻烦您了", "sorry to bother you", "sorry for the trouble", "sorry")
# "我儿子说他来弄", "我女儿周末回来帮我弄", "我自己修就行", "my son will do it": nothing for the
# desk to do after all.  Someone of the family is the doer ("回来帮我弄", "自己装"); "我儿子说厨房
# 灯要修" is a request.
_DOERS = r"(?:儿子|女儿|老公|老婆|爱人|先生|太太|家里人|家人|孩子|小孩|朋友|亲戚|邻居|老伴|女婿|儿媳)"
_DO = r"(?:弄|修|搞|处理|装|换|解决|搞定|弄好|修好|装好|换好|帮忙)(?:一下)?(?:就行|就好|就可以)?(?:了|啦|吧|的|哈)*$"
_SELF_HELP = re.compile(r"^(?:那|那就|还是)?(?:我|我们|我家|我们家)?(?:的)?(?:" + _DOERS + r"(?:说)?(?:他|她|他们|她们)?"
                        r"(?P<when>.{0,8}?)(?:自己|过来|回来|帮我|帮忙|会|能|可以|来|去)(?:来|去)?(?:帮我)?|自己|我自己)(?:找人|找师傅)?(?:来|去)?"
                        + _DO + r"|"
                        r"^(?:my (?:son|daughter|husband|wife|family|friend|kids?)|i)(?:'ll| will| can| is going to| are going to)"
                        r" (?:do|fix|handle|sort|take care of)(?: it| this| that)?(?: out)?(?: myself| himself| herself)?$")


def _courtesy_clause(clause: str) -> str | None:
    """What one clause of courtesy is, or None."""
    short = _short_talk(clause)
    if short is not None:
        return short
    clause = _FRAME.sub("", clause).strip()
    while True:  # frames may stack: "说句实话我觉得…"
        framed = _FRAME.sub("", clause).strip()
        if framed == clause:
            break
        clause = framed
    if not _letters(_strip_words(clause, _FILLER)):
        return _NEUTRAL  # "物业的各位，…": only whom it is said to
    helped = _SELF_HELP.match(clause)
    if helped and not re.search(r"你们|您|物业|师傅|人|不|没|坏|漏|堵", helped.groupdict().get("when") or ""):
        return "self_help"  # ("我儿子说灯坏了叫你们来修" is a request)
    if _WISHES.match(clause) and not _NOT_PRAISE.search(_strip_words(clause, _POSITIVE_NOT)):
        return "wishes"
    if any(w in clause for w in _SORRY):
        rest = _strip_words(_strip_words(clause, _SORRY), _FILLER)
        if len(_letters(rest)) <= 8 and not _NOT_PRAISE.search(rest):
            return "sorry"  # "不好意思啊 大半夜的打扰你们了"
    if len(_letters(clause)) > 30:
        return None
    positive = _strip_words(clause, _POSITIVE_NOT + ("好多了",))
    if _NOT_PRAISE.search(positive):
        return None
    if any(w in clause for w in _PRAISE_PHRASES if not w.isascii()) \
            or not _letters(_strip_words(_strip_words(_strip_words(clause, _PRAISE_PHRASES), THANKS), _FILLER)):
        return "praise"  # "继续保持", "表扬一下3号楼的保洁阿姨", "good job"
    if _PRAISED.search(clause) and _PRAISING.search(clause):
        return "praise"
    return None


# A clause of only address or framing words ("物业的各位", "说实话"): courtesy around it decides.
_NEUTRAL = "neutral"
# Which answer a message of several kinds of courtesy gets: the one that matters most.
_COURTESY_ORDER = ("self_help", "praise", "wishes", "sorry", "thanks", "bye", "greeting", "presence", "who", "wait", "ack")


def courtesy(clean: str) -> str | None:
    """The kind of courtesy a message is, clause by clause (None when any clause is more)."""
    clauses = [c.strip() for c in _CLAUSES.split(clean) if c and c.strip()]
    if len(clauses) > 12 or not clauses or "?" in clean or "？" in clean:  # "服务很好？" is no praise
        return None
    kinds = []
    for clause in clauses:
        kind = _courtesy_clause(clause)
        if kind is None:
            return None
        kinds.append(kind)
    kinds = [k for k in kinds if k != _NEUTRAL]  # "啊啊啊" alone is no courtesy
    if not kinds:
        return None
    return min(kinds, key=lambda k: _COURTESY_ORDER.index(k) if k in _COURTESY_ORDER else len(_COURTESY_ORDER))


# ----------------------------------------------------------------- a hedge in front
# "等一下 我先问问…", "对了 物业费怎么交", "哦 算了": words in front that only say "something
# else first". Interjections of one character count only with a pause after them ("额头" is a word).
_HEDGE = re.compile(r"^(?:(?:稍等一下|稍等|等我一下|等一下|等一等|等一会儿?|等会儿?|等下|等等|慢着|且慢|先等等|先等一下|停一下|打断一下"
                    r"|插一句|插个话|哦对了|噢对了|啊对了|对了|对啦|话说回来|话说|顺便说一下|顺便|另外|还有|那个"
                    r"|(?:hold on|wait|by the way|btw)\b)[\s，,。.!！~～、：:…]*"
                    # "不对，…", "说错了 …": a correction, with a pause after it ("不对劲" is a word).
                    r"|[哦噢喔呃额诶欸哎唉啊嗯呀]*(?:不对|不是|说错了|搞错了|弄错了|错了)[\s，,。.!！~～、：:…]+"
                    r"|[哦噢喔呃额诶欸哎唉啊嗯呀]+[\s，,。.!！~～、：:…]+)+")


def unhedge(text: str) -> tuple[bool, str]:
    """(True, the rest) when the message opens with a hedge: "等一下 我先问问快递放哪里" →
    (True, "我先问问快递放哪里"); (False, the message) otherwise.  Both cleaned."""
    clean = _clean(text)
    m = _HEDGE.match(clean)
    if not m:
        return False, clean
    return True, clean[m.end():].strip()


# ----------------------------------------------------------------- intent words
# A bare intent word names what the owner wants to do, not the problem itself.
INTENTS = {
    "report": ("报事报修", "报修", "报事", "报个修", "维修", "修理", "保修", "修东西", "repair", "report"),
    "complaint": ("投诉", "举报", "complaint", "complain"),
    "service": ("预约服务", "有偿服务", "预约", "预订", "预定", "上门服务", "上门", "book", "booking", "service"),
    "inquiry": ("咨询", "问问题", "问个问题", "有个问题", "有问题", "问一下", "问问", "请问", "提问", "ask", "question"),
    "mycases": ("我的工单", "查工单", "工单进度", "查进度", "进度", "工单", "我的报修单", "我的报修", "报修单", "我的单子", "报修进度",
                "查询", "查一下",
                "my cases", "my case", "progress", "status"),
    "human": ("转人工", "人工客服", "人工服务", "人工", "真人", "转客服", "客服", "找客服", "human", "agent", "operator"),
    "menu": ("主菜单", "菜单", "帮助", "功能", "menu", "help", "start"),
}
# Politeness and verbs around an intent word ("我要报修一下", "帮我查下进度").
_INTENT_WRAP = ("我想要", "我想", "我要", "我需要", "需要", "想要", "想", "要", "帮我", "给我", "麻烦", "请帮我", "请", "我",
                "申请", "办理", "一下", "一个", "下", "吧", "啊", "呢", "了", "的", "可以", "能", "吗", "谢谢", "你好",
                "您好", "我的", "看看", "看", "查", "找", "物业", "i want to", "i want", "i'd like to", "i need to", "i need", "please",
                "to", "a", "an", "my", "make", "file", "see", "check", "talk to", "speak to", "with", "problem", "issue")


def bare_intent(text: str | None) -> str | None:
    """The intent a message names when it says nothing else ("报修", "我要投诉", "查一下进度")."""
    if not text:
        return None
    clean = unhedge(text)[1]  # "等一下 我要投诉" names the complaint
    if len(_letters(clean)) > (32 if clean.isascii() else 12):
        return None
    for intent, words in INTENTS.items():
        for word in words:
            if word not in clean:
                continue
            rest = _strip_words(_strip_words(clean, words), _INTENT_WRAP)
            # "人工客服在吗", "你好 转人工": the word with a greeting or thanks around it.
            if not _letters(rest) or any(_short_talk(r.strip()) is not None
                                         for r in (rest, _strip_words(clean, words)) if _letters(r)):
                return intent
    return None


# "转人工 我要投诉保安", "我要投诉保安，转人工": a person asked for, with the matter said.  "人工" in
# front only with a pause or a new clause after it ("人工草坪坏了" is a lawn).
_PERSON = r"(?:我要|我想|我需要|请|麻烦|帮我)?(?:转人工客服|转人工服务|转接人工|转人工|人工客服|人工服务|找人工|要人工|真人客服|找真人|转客服|找客服|人工)"
_PERSON_FIRST = re.compile(rf"^(?:{_PERSON})+(?:[\s，,。.!！:：、~～]+|(?=我|帮|请|麻烦))(.+)$")
_PERSON_LAST = re.compile(rf"^(.+?)[\s，,。.!！:：、~～]+(?:{_PERSON})+[\s，,。.!！~～吧啊呀]*$")


def person_lead(text: str | None) -> str | None:
    """The matter said with a request for a person ("转人工 我要投诉保安" → "我要投诉保安"), or None."""
    if not text:
        return None
    clean = unhedge(text)[1]
    m = _PERSON_FIRST.match(clean) or _PERSON_LAST.match(clean)
    if m is None:
        return None
    rest = m.group(1).strip(" ，,。.!！~～、:：")
    return rest if len(_letters(rest)) >= 2 and not small_talk(rest) and bare_intent(rest) != "human" else None


_PROGRESS = ("进度", "到哪了", "到哪一步", "处理到哪", "处理得怎么样", "处理的怎么样", "怎么样了", "有结果了吗", "有结果没",
             "什么时候来修", "什么时候上门", "how is my case", "any update", "status of my")


def asks_progress(text: str | None) -> bool:
    """"我的报修到哪了", "进度怎么样了": the owner's cases, not a question for the FAQ."""
    if not text:
        return False
    clean = _clean(text)
    return len(_letters(clean)) <= 16 and any(w in clean for w in _PROGRESS)


def wants_to_resume(text: str | None) -> bool:
    """"继续", "接着来": back to what an interruption set aside."""
    return bool(text) and _letters(_clean(text or "")) in ("继续", "继续吧", "接着来", "接着", "继续刚才的", "回到刚才", "回到刚才的",
                                                          "continue", "goon", "resume")


# ----------------------------------------------------------------- leaving a step
CANCEL_LEADS = ("不用了", "不需要了", "不要了", "算了吧", "算了", "取消吧", "取消", "不弄了", "不办了", "不报了", "先不用了",
                "never mind", "cancel", "forget it")


# "不报修了", "先不投诉了", "不用修了", "不想约了": the thing being done, called off by name.
_CALL_OFF = re.compile(r"^(先|暂时|还是)?不(用|要|想|打算|需要)?再?(报事报修|报修|报事|维修|修理|修|投诉|举报|预约|约|预订|订|办理|办|弄"
                       r"|搞|报|咨询|问)(了|啦|咯|喽)")


def cancel_lead(text: str | None) -> tuple[bool, str]:
    """(True, the rest) when the message starts by calling off what is going on:
    "算了" → (True, ""), "算了 我想问一下物业费怎么交" → (True, "我想问一下物业费怎么交"),
    "先不投诉了 停车怎么收费" → (True, "停车怎么收费")."""
    if not text:
        return False, ""
    clean = unhedge(text)[1]  # "等等 算了不报了" calls off as "算了不报了" does
    if small_talk(clean) == "self_help":
        return True, ""  # "我儿子说他来弄 谢谢": nothing for us to do after all
    named = _CALL_OFF.match(clean)
    for lead in [named.group(0)] if named else sorted(CANCEL_LEADS, key=len, reverse=True):
        if not clean.startswith(lead):
            continue
        rest = clean[len(lead):].strip(" ，,。.!！~～、;；:：")
        # "算了谢谢" and "取消预约" only call off; "算了 我想问…" and "算了 我要投诉" go on to something new.
        if not _letters(rest) or small_talk(rest) or bare_intent(rest) and lead in ("取消", "取消吧", "cancel") \
                or cancel_lead(rest) == (True, ""):  # "算了不报了": called off twice over
            return True, ""
        return True, rest
    return False, ""


def courtesy_of(text: str | None) -> str | None:
    """The courtesy a message that calls something off carries ("不用了 谢谢你们啊 我儿子说他来弄
    不好意思" → 'self_help', "算了 谢谢" → 'thanks'; "取消" → None)."""
    if not text:
        return None
    clean = unhedge(text)[1]
    for _ in range(3):  # "算了算了 …": the lead said twice
        named = _CALL_OFF.match(clean)
        lead = named.group(0) if named else next((w for w in sorted(CANCEL_LEADS, key=len, reverse=True)
                                                  if clean.startswith(w)), None)
        if lead is None:
            break
        clean = clean[len(lead):].strip(" ，,。.!！~～、;；:：")
    kind = small_talk(clean) if _letters(clean) else None
    return kind if kind in ("self_help", "praise", "wishes", "sorry", "thanks", "bye") else None


# ----------------------------------------------------------------- after the fact
FALSE_ALARM = ("误报", "虚惊一场", "虚惊", "没事了", "没有事了", "没事儿了", "搞错了", "弄错了", "看错了", "是误会", "误会了",
               "不用来了", "别来了", "已经没事", "现在没事", "警报解除", "false alarm", "all clear", "never mind", "it's fine now")


def false_alarm(text: str | None) -> bool:
    if not text:
        return False
    clean = _clean(text)
    return any(w in clean for w in FALSE_ALARM) and len(_letters(clean)) <= 30


DONE = ("修好了", "已经修好", "弄好了", "搞好了", "搞定了", "处理好了", "解决了", "已解决", "好了", "可以用了", "能用了",
        "没问题了", "正常了", "恢复了", "通了", "fixed", "it works", "works now", "done")
_NOT_DONE = ("没修好", "没有修好", "没好", "还没", "没弄好", "没解决", "不好", "又坏", "还是", "没通", "不行", "not fixed")


def says_done(text: str | None) -> bool:
    """'修好了', '好了谢谢': the owner says finished work is fine (never with a 'not')."""
    if not text:
        return False
    clean = _clean(text)
    if any(w in clean for w in _NOT_DONE) or len(_letters(clean)) > 24:
        return False
    return any(w in clean for w in DONE)


ADD_LEADS = ("补充说明", "补充一下", "补充", "再说一下", "还有就是", "另外", "追加", "add to my case", "one more thing")
# "另外…", "还有就是…" may add to the open case or bring up another problem altogether.
LOOSE_ADD_LEADS = ("还有就是", "另外")


def addition(text: str | None) -> tuple[bool, str]:
    """(True, what follows) for "补充一下：…" — more words for a case already open."""
    if not text:
        return False, ""
    stripped = text.strip()
    clean = _clean(stripped)
    for lead in ADD_LEADS:
        if clean.startswith(lead):
            return True, stripped[len(lead):].lstrip(" ，,。.!！:：、")
    return False, ""


# "补一张现场照片", "再发一张", "加个图" under a photo: more for the case just filed.
_PHOTO_LEAD = re.compile(r"^(?:补(?:发|拍)?(?=[一1两2几张个照图\s，,]|$)|再(?:发|拍|来|补)|多发|(?:附|加)(?=上|[一1两2几张个照图])上?)(?:一|1|两|2|几)?(?:张|个|幅)?(?:现场|补充)?(?:的)?"
                         r"(?:照片|图片|相片|图|照)?[\s，,。.!！:：、]*")


def photo_addition(caption: str | None) -> tuple[bool, str]:
    """(True, the rest of the caption) when a photo's caption says it adds to a case."""
    if not caption:
        return False, ""
    clean = _clean(caption)
    m = _PHOTO_LEAD.match(clean)
    if not m:
        return False, ""
    return True, clean[m.end():]


def loose_addition(text: str | None) -> bool:
    """"另外客厅插座没电了": an addition only if it is about the same problem."""
    return bool(text) and _clean(text or "").startswith(LOOSE_ADD_LEADS)


YES = ("是的", "是", "有", "有的", "对", "对的", "嗯", "是啊", "有危险", "危险", "yes", "y", "yeah")
NO = ("没有", "没", "不是", "否", "没危险", "没有危险", "不危险", "无", "不", "no", "n", "nope")


def yes_no(text: str | None) -> str | None:
    if not text:
        return None
    clean = _letters(_clean(text))
    for w in ("吧", "啊", "呢", "了", "的"):
        clean = clean.rstrip(w) if len(clean) > 1 else clean
    if clean in NO:
        return "no"
    if clean in YES:
        return "yes"
    return None


# Question words, colloquial ones too ("办啥手续", "咋交", "几时来水", "行不行", "捡到的手机交给谁").
_QUESTION = re.compile(r"[?？]|吗|么|多少|几点|哪|什么|怎样|如何|能否|能不能|可不可以|可以不|是否|有没有|啥|咋|几时|多久|多长时间"
                       r"|行不行|要不要|用不用|是不是|(?:交|给|还|送)给?谁|how|what|when|where|can i|is there")


def looks_like_question(text: str) -> bool:
    return bool(_QUESTION.search(_clean(text))) or asks_who_to_call(text)


# "找谁修", "该联系谁", "打哪个电话", "有人管吗": whom to turn to ...
_WHO_TO_CALL = re.compile(r"(找|联系|打给|打电话给|问|叫|通知|搵|揾)(谁|边个)|给谁打|谁(来)?(管|负责|处理|修|值班)|边个(整|管|负责|修)"
                          r"|(找|联系|问)(哪个|哪位|什么人|哪里|哪儿|哪边|哪个部门)|(打|拨)(哪个|什么|几号)电话"
                          r"|有(没有)?人(管|修|处理|值班|接)|(能|可以|还能|能不能|可不可以|接不接|受理)(报修|报事)"
                          r"|who (do|should|can|would) (i|we) (call|ring|contact|ask|turn to)|who (to|can) (call|contact)"
                          r"|who (fixes|handles|repairs)|whom? to call|(what|which) (number|phone)")
# Should something happen, or about anything at all: words of both patterns below.
_SHOULD_IT_HAPPEN = r"如果|要是|万一|假如|的话|平时|一般|东西|什么|if |in case"
# ... framed as after hours, should something happen, or about anything at all: a question
# about the desk, not an account of a problem ("我家水管漏了 找谁修" is a report, and read as one).
_FRAMED = re.compile(r"半夜|深夜|夜里|夜间|晚上|凌晨|大晚上|周末|星期[六天日]|礼拜[六天日]|周[六日]|节假日|假期|放假|过年|春节|国庆"
                     r"|下班|休息日|非工作时间|不上班|没人上班|办公室关门"
                     r"|at night|overnight|weekend|holiday|after hours|out of hours|" + _SHOULD_IT_HAPPEN)
# Never an account of a problem happening now.  More words than _FRAMED: "出事", "anything"
# alone do not make "找谁" a question about the desk.
_IN_GENERAL = re.compile(_SHOULD_IT_HAPPEN + r"|出事|嘢|咩|乜|anything|something")


def in_general(text: str | None) -> bool:
    """"要是半夜水管坏了找谁", "半夜有东西坏了找谁修": asked in general, not told as happening."""
    return bool(text) and bool(_IN_GENERAL.search(_clean(text or "")))


def asks_who_to_call(text: str | None) -> bool:
    """"半夜有东西坏了找谁修", "周末家里跳闸了找谁", "who do I call if something breaks at
    night": whom to turn to outside office hours or should something happen — answered
    with the 24-hour hotline."""
    if not text:
        return False
    clean = _clean(text)
    return bool(_WHO_TO_CALL.search(clean)) and bool(_FRAMED.search(clean))


# "我是想问…", "其实我想问的是…": the same, said as a correction.
_ASK_LEAD = re.compile(r"^(其实)?我?(其实|就|只)?是?(想|还想|也想|要)?(先|顺便|再|还)?(问一下|问问|问下|问个事儿?|问个问题"
                       r"|问的是|咨询一下|咨询下|咨询的是|咨询|请问|打听一下|打听下|打听|(?<=想)问)[，,：: ]*")


def question_part(text: str) -> str | None:
    """"我想问一下快递放哪里", "等一下 我先问问快递放哪里" → "快递放哪里": an explicit
    question, whatever step we are at."""
    clean = unhedge(text)[1]
    m = _ASK_LEAD.match(clean)
    if not m:
        return None
    rest = clean[m.end():].strip()
    return rest if len(_letters(rest)) >= 2 else None


def aside(text: str) -> str | None:
    """A question asked in passing in the middle of a flow: an explicit one, or a question
    behind a hedge ("对了 物业费怎么交", "等一下，停车费多少") — not a plain question-shaped
    answer to the step ("为什么电梯老坏" is a complaint's account)."""
    explicit = question_part(text)
    if explicit:
        return explicit
    hedged, rest = unhedge(text)
    return rest if hedged and len(_letters(rest)) >= 2 and looks_like_question(rest) else None


# ----------------------------------------------------------------- a rating with no survey open
# "挺满意的 给四星吧", "五星好评", "给你们打满分": a score in words.  With a survey waiting it is that
# survey's answer; with none it is thanked, never filed as a suggestion case.
_RATING_CUES = ("星", "⭐", "★", "满分", "好评", "差评", "满意", "点赞", "给力", "star")
_SCORE = re.compile(r"[0-9一二两三四五六七八九十]\s*分(?!类|钟|开|享|配|别|期|局)")  # "4分", not 分类/分钟
# A question is no rating: "垃圾分类几点可以扔" (垃圾 and 分 are in the rating words).
_ASKS = ("?", "？", "吗", "几", "怎么", "多少", "哪", "什么", "能不能", "可不可以")
# "很满意 但是停车场太乱了", "满意 建议…": more than a rating, read as what it says.
_MORE_THAN_RATING = ("但", "不过", "可是", "只是", "就是", "希望", "建议", "要是", "如果", "分钟")
MAX_RATING = 14  # characters of words: longer, it says something more (praise of someone, a suggestion)


def rating(text: str | None) -> int | None:
    """The score (1–5) a short message gives, when it is only a rating; None otherwise."""
    if not text:
        return None
    s = plain(text)
    if (not s or len(s) > MAX_RATING or not (any(w in s for w in _RATING_CUES) or _SCORE.search(s))
            or any(w in s for w in _MORE_THAN_RATING) or any(w in text for w in _ASKS)):
        return None
    counted = re.search(r"([1-5一二两三四五])\s*(?:颗|个)?\s*(?:星|分)", s)
    if counted:  # "服务态度好 五颗星": the count said, not the words around it
        return int(counted.group(1)) if counted.group(1).isdigit() else "一二三四五".find(counted.group(1).replace("两", "二")) + 1
    return read_stars(text)
