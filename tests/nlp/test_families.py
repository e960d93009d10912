"""One test group per rule family, on messages that are NOT in the dev set.

Most cases come in pairs: the same situation with and without the cue the
family is about, so the test fails if the family's rules stop working (see
also ``test_ablation.py``, which deletes rule groups and checks these
messages change).
"""

from __future__ import annotations

import pytest

from nlp import classify

# (message, expected fields) — checked field by field.
NEGATION_AND_HEDGES = [
    # 不是投诉 removes the complaint cue; what is left is a report.
    ("不是投诉啊，就是说一下车库B3那几盏灯不亮了", dict(kind="report", category="electrical")),
    ("我要投诉，车库B3那几盏灯不亮了半个月了", dict(kind="complaint")),
    # 不急 lowers urgent to normal …
    ("家里一点电都没了，不急，明天白天来看就行", dict(urgency="normal", category="electrical")),
    ("家里一点电都没了，冰箱都停了", dict(urgency="urgent", category="electrical")),
    # … but never an emergency.
    ("不急啊，就是厨房好像有点煤气味", dict(urgency="emergency")),
    # A denied cue does not count: no smoke, nobody trapped.
    ("电梯停在5楼不动了，里面没有人被困", dict(urgency="urgent", category="elevator")),
    ("电梯停在5楼不动了，有人被困在里面", dict(urgency="emergency", category="elevator")),
    # Someone still inside a stopped lift, said while complaining; a lift that keeps people from going out is not that.
    ("你们这电梯怎么回事 又停了 我现在就在里面出不去 手机快没电了", dict(urgency="emergency")),
    ("电梯坏了，我妈还在里面", dict(urgency="emergency", category="elevator")),
    ("电梯坏了 老人下不了楼 出不去", dict(urgency="urgent")),
    # 是不是 asks, it does not deny.
    ("楼道里是不是有人家着火了，一股烟", dict(urgency="emergency")),
    ("Not urgent at all, the bathroom tap drips a little, whenever you have time.",
     dict(kind="report", urgency="normal", category="plumbing")),
]

PROTEST_TO_COMPLAINT = [
    ("车库入口的道闸坏了，车进不来", dict(kind="report", category="facility")),
    ("车库入口的道闸坏了一个礼拜了，天天排队，你们到底修不修", dict(kind="complaint", category="equipment")),
    ("卧室空调插座没电", dict(kind="report", category="electrical")),
    ("卧室插座没电，报修三天了都没人上门", dict(kind="complaint", category="common")),
    ("楼顶的防水坏了，一下雨顶楼就漏", dict(kind="report", category="building")),
    ("楼顶漏雨说了半年了，物业一直拖着不修", dict(kind="complaint", category="housing")),
    ("垃圾站那边堆满了，味道很大", dict(kind="report", category="environment")),
    ("垃圾站堆满了好几天没人清，保洁都干什么去了", dict(kind="complaint", category="environment")),
    ("保安在门口玩手机，外面的人随便进来也不管", dict(kind="complaint", category="order")),
    ("物业前台的人对我爱答不理，问什么都说不知道", dict(kind="complaint", category="general")),
    ("楼上那家每天半夜打麻将，吵得我们睡不着，上去说了也不听", dict(kind="complaint", category="neighbor")),
    ("开发商交房时承诺的地下车位到现在也没兑现", dict(kind="complaint", category="developer")),
    ("小区旁边的工地天天晚上施工，吵死了", dict(kind="complaint", category="other")),
    ("12345那边已经把我反映的电梯问题转给你们了，什么时候处理", dict(kind="complaint", category="government")),
    # a threat to call 12345 is not a referral
    ("电梯天天坏，再不修好我就打12345投诉", dict(kind="complaint", category="equipment")),
]

EMERGENCY_CUES = [
    ("地下室有股很重的天然气味道", dict(urgency="emergency", category="security")),
    ("5号楼18楼有人家窗户往外冒黑烟", dict(urgency="emergency", category="security")),
    ("我被关在电梯里了，2号楼，门打不开", dict(urgency="emergency", category="elevator")),
    ("卫生间角阀爆了，水一直喷，关不住", dict(urgency="emergency", category="plumbing")),
    ("客厅插座一插电就冒火花，有股焦味", dict(urgency="emergency", category="electrical")),
    ("花园里一个小孩从滑梯上摔下来，头在流血", dict(urgency="emergency", category="security")),
    ("有两个人在撬地库的车门", dict(urgency="emergency", category="security")),
    ("整栋楼都停电了，电梯也停了", dict(urgency="emergency", category="electrical")),
    ("阳台上面那块空调外机架子松了，随时会掉下来，下面是人行道", dict(urgency="emergency")),
    ("There is a strong smell of gas in my kitchen, flat 4-2-301", dict(urgency="emergency", category="security")),
    # and their calm neighbours: no emergency without a cue
    ("地下室的灯坏了", dict(urgency="normal")),
    ("卫生间角阀有点渗水", dict(urgency="normal", category="plumbing")),
    ("燃气灶打不着火了", dict(urgency="normal")),
    ("楼下天天有人抽烟，烟头扔得到处都是", dict()),  # must not be an emergency, checked below
]

TRADITIONAL = [
    ("廚房水管爆了，水噴得到處都是", dict(kind="report", urgency="emergency", category="plumbing", area="home")),
    ("電梯壞了，停在十樓不動", dict(kind="report", urgency="urgent", category="elevator")),
    ("樓道燈一直不亮，麻煩派人來修", dict(kind="report", category="electrical", area="public")),
    ("物業費一年多少錢？可以刷卡嗎", dict(kind="inquiry")),
    ("樓上天天半夜吵，說了也不聽，你們管不管", dict(kind="complaint", category="neighbor")),
]

TYPOS = [
    ("点梯卡在3楼了里面有人", dict(urgency="emergency", category="elevator")),
    ("阳台顶上露水，一直往下滴", dict(category="plumbing")),
    ("马桶赌了冲不下去", dict(kind="report", urgency="urgent", category="plumbing")),
    ("家里跳匝了推不上去", dict(category="electrical", urgency="urgent")),
    ("屋里好大一股燃汽味", dict(urgency="emergency", category="security")),
    ("水笼头坏了关不上", dict(category="plumbing")),
]

ENGLISH = [
    ("The lift in block 3 has stopped between floors and my son is stuck inside!",
     dict(kind="report", urgency="emergency", category="elevator")),
    ("Our toilet is blocked and about to overflow.", dict(kind="report", urgency="urgent", category="plumbing")),
    ("What time does the management office open on Saturdays?", dict(kind="inquiry")),
    ("Could you book a cleaner for a deep clean of my flat next week?",
     dict(kind="service", category="housekeeping")),
    ("I reported the broken corridor light three weeks ago and nobody came. Unacceptable.",
     dict(kind="complaint")),
    ("Thanks to the repair team for the quick fix yesterday, great job!", dict(kind="suggestion")),
    ("The light in the stairwell is flickering.", dict(kind="report", category="electrical", area="public")),
]

AREA = [
    ("卧室的吸顶灯不亮了，换了灯泡也不行", dict(kind="report", category="electrical", area="home")),
    ("3栋楼道的声控灯不亮了", dict(kind="report", category="electrical", area="public")),
    ("我家卫生间地漏堵了", dict(kind="report", category="plumbing", area="home")),
    ("小区花园的排水沟堵了，积了一大片水", dict(kind="report", area="public")),
    ("厨房墙上的瓷砖掉了两块", dict(kind="report", category="building", area="home")),
    ("地库的墙面裂了一条大缝", dict(kind="report", category="building", area="public")),
]

SERVICE_VS_INQUIRY = [
    ("装修申请怎么办理？需要什么材料", dict(kind="inquiry")),
    ("帮我办一下装修申请，下周开工", dict(kind="service", category="renovation")),
    ("月卡怎么办？多少钱一个月", dict(kind="inquiry")),
    ("帮我办一张停车月卡，车牌浙B5K321", dict(kind="service", category="parking")),
    ("搬家需要提前申请吗？", dict(kind="inquiry")),
    ("周日搬家，帮我开一下放行条", dict(kind="service", category="moving")),
    ("请问家政服务怎么收费", dict(kind="inquiry")),
    ("帮我约个家政阿姨周五来打扫卫生", dict(kind="service", category="housekeeping")),
    ("门禁卡坏了，想再补办一张", dict(kind="service", category="access")),
    ("家里的旧家具想找人上门回收", dict(kind="service", category="recycling")),
    ("房子想委托你们出租", dict(kind="service", category="rental")),
    ("院子里的花草能请人定期来养护吗", dict(kind="service", category="plant_care")),
    ("新买了个浴霸，约个师傅上门装一下", dict(kind="service", category="home_repair")),
]

SUGGESTIONS = [
    ("建议在地库入口加个反光镜，拐弯看不到对面的车", dict(kind="suggestion")),
    ("要是小区能多种点树就好了", dict(kind="suggestion")),
    ("谢谢工程部的张师傅，灯修得又快又好", dict(kind="suggestion")),
]

COLLOQUIAL = [
    # Everyday phrasings written after the dev set was learned, to keep the
    # vocabulary honest (没动静, 多久了？, 收不收, 关着个老太太 …).
    ("早上起来发现家里没热水也没冷水，水龙头拧开啥都没有",
     dict(kind="report", urgency="urgent", category="plumbing", area="home")),
    ("小区健身器材那个单杠松了，晃得厉害",
     dict(kind="report", urgency="normal", category="facility", area="public")),
    ("地库有个人躺在地上一动不动，叫他也不答应",
     dict(kind="report", urgency="emergency", category="security", area="public")),
    ("单元门口的灯一到晚上就不亮",
     dict(kind="report", urgency="normal", category="electrical", area="public")),
    ("两部电梯都坏了，我们28楼的怎么下去",
     dict(kind="report", urgency="urgent", category="elevator", area="public")),
    ("物业发的停水通知时间写错了，害我白等一上午",
     dict(kind="complaint", urgency="normal", category="general")),
    ("晚上小区里有人开车飙得飞快，保安也不拦一下",
     dict(kind="complaint", urgency="normal", category="order")),
    ("楼道里的垃圾好几天没收了，臭得要命",
     dict(kind="complaint", urgency="normal", category="environment")),
    ("小区外面那个KTV每天晚上吵到两点",
     dict(kind="complaint", urgency="normal", category="other")),
    ("我们的车库面积和合同上写的对不上，少了好几平",
     dict(kind="complaint", urgency="normal", category="developer")),
    ("上周约好周六来修热水器，结果人没来也没打个电话",
     dict(kind="complaint", urgency="normal", category="common")),
    ("楼下邻居把电动车停在楼梯口，过都过不去，说他还不听",
     dict(kind="complaint", urgency="normal", category="neighbor")),
    ("月底搬走，需要办什么手续？帮我先登记一下",
     dict(kind="service", urgency="normal", category="moving")),
    ("想给我老婆的车也办个月卡",
     dict(kind="service", urgency="normal", category="parking")),
    ("年底想约个保洁把家里彻底打扫一遍",
     dict(kind="service", urgency="normal", category="housekeeping")),
    ("能不能派个师傅帮我把洗衣机的进水管换一下",
     dict(kind="service", urgency="normal", category="home_repair")),
    ("房子想卖，物业能帮忙介绍买家吗",
     dict(kind="service", urgency="normal", category="rental")),
    ("小区的快递几点送到楼下",
     dict(kind="inquiry", urgency="normal")),
    ("今年物业费涨价了吗",
     dict(kind="inquiry", urgency="normal")),
    ("业委会选举什么时候开始",
     dict(kind="inquiry", urgency="normal")),
    ("What's the phone number of the management office?",
     dict(kind="inquiry", urgency="normal")),
    ("希望晚上路灯能多亮一会儿",
     dict(kind="suggestion", urgency="normal")),
    ("感谢物业这次停水提前通知，准备得很充分",
     dict(kind="suggestion", urgency="normal")),
    ("The management keeps sending notices only in Chinese, I can't read them. Very frustrating.",
     dict(kind="complaint", urgency="normal", category="general")),
    ("The barrier at the car park exit isn't lifting for residents' cars.",
     dict(kind="report", urgency="normal", category="facility", area="public")),
    ("快来人啊电梯里关着个老太太，按铃没人理",
     dict(kind="report", urgency="emergency", category="elevator", area="public")),
    ("突然全屋断电了，总闸推不上去",
     dict(kind="report", urgency="urgent", category="electrical", area="home")),
    ("单元楼梯的扶手有颗螺丝掉了，有点晃",
     dict(kind="report", urgency="normal", category="building", area="public")),
    ("小区里流浪猫太多了，到处拉屎",
     dict(kind="report", urgency="normal", category="environment", area="public")),
    ("地库的排水泵好像一直在转，声音很大",
     dict(kind="report", urgency="normal", category="facility", area="public")),
    ("楼顶水箱的管子裂了，水顺着楼梯往下流，已经流到电梯口了",
     dict(kind="report", urgency="emergency", category="plumbing", area="public")),
    ("小区的监控坏了多久了？上次车被划了想查都查不了",
     dict(kind="complaint", urgency="normal", category="equipment")),
    ("你们物业说好这周补楼道墙面，现在都月底了还没动静",
     dict(kind="complaint", urgency="normal", category="housing")),
    ("家里停水一上午了，打电话给客服三次都说在查，到底什么情况",
     dict(kind="complaint", urgency="urgent", category="common")),
    # An unanswered phone is "common" by the taxonomy's boundary rule (it was
    # "general" before the butler-not-answering family; attitude stays general).
    ("收物业费的时候态度还挺好，出了问题就找不到人，管家电话也不接",
     dict(kind="complaint", urgency="normal", category="common")),
    ("我女儿下周回来住，能给她开通一下门禁吗",
     dict(kind="service", urgency="normal", category="access")),
    ("家里的旧空调拆下来了，你们收不收",
     dict(kind="service", urgency="normal", category="recycling")),
    ("帮我家阳台的花修剪一下，顺便施点肥",
     dict(kind="service", urgency="normal", category="plant_care")),
    ("小区可以养几只狗？有没有体重限制",
     dict(kind="inquiry", urgency="normal")),
    ("物业费可以用信用卡交吗",
     dict(kind="inquiry", urgency="normal")),
    ("小区门口的减速带建议再加高一点，车开得太快了",
     dict(kind="suggestion", urgency="normal")),
    ("点赞新来的保安队长，晚上巡逻很认真",
     dict(kind="suggestion", urgency="normal")),
]

DANGER_AND_LOOKALIKES = [
    # Danger about to happen (taxonomy) next to its calm neighbour.
    ("10栋外墙有几块砖松了，底下就是小区主路", dict(kind="report", urgency="emergency", category="building")),
    ("单元门口台阶的石板松了一块，踩着会晃", dict(kind="report", urgency="normal", category="building")),
    ("东门的井盖被车压翻了，露出个大洞", dict(urgency="emergency", category="facility", area="public")),
    ("东门的井盖有点响，车压过去咣当咣当", dict(urgency="normal", category="facility")),
    ("楼上阳台有个小孩翻过了护栏，坐在外沿上", dict(urgency="emergency", category="security")),
    ("小孩在阳台上玩，护栏有点矮，建议物业提醒一下", dict(kind="suggestion", urgency="normal")),
    ("配电房地上进水了，水快漫到配电柜", dict(urgency="emergency", category="electrical", area="public")),
    ("配电房门口的地砖有点积水，不多", dict(urgency="normal")),
    ("燃气报警器一直在叫", dict(urgency="emergency", category="security")),
    ("燃气报警器的指示灯是绿色的，正常吧", dict(kind="inquiry", urgency="normal")),
    ("楼顶水箱的溢流管在流水", dict(urgency="normal", category="plumbing")),
    ("楼顶水箱的管子爆了，水哗哗往下流", dict(urgency="emergency", category="plumbing")),
    ("客厅一个插座没电了", dict(urgency="normal", category="electrical")),
    ("客厅突然全没电了", dict(urgency="urgent", category="electrical")),
    ("The balcony glass of flat 1203 is hanging loose over the car park entrance.",
     dict(urgency="emergency", category="building")),
    ("The balcony glass has a small crack, no rush.", dict(urgency="normal", category="building")),
]

COMPLAINT_BOUNDARIES = [
    # Taxonomy boundary rules for complaint categories, in owners' words.
    ("管家的消息永远已读不回，事情一拖再拖", dict(kind="complaint", category="common")),
    ("管家说话阴阳怪气，还嫌我事多", dict(kind="complaint", category="general")),
    ("门岗保安对来访的亲戚大呼小叫", dict(kind="complaint", category="order")),
    ("楼上那家的狗整夜叫，跟他说了好几次", dict(kind="complaint", category="neighbor")),
    ("楼下饭店的排烟管正对我家窗户，熏得受不了", dict(kind="complaint", category="other")),
    ("开发商交房时说送地暖，结果什么都没有", dict(kind="complaint", category="developer")),
    ("我已经打过12345了，他们说转给你们处理", dict(kind="complaint", category="government")),
    ("你们再不修我就打12345", dict(kind="complaint")),
    ("The cleaners have not been to our corridor for two weeks and it stinks.",
     dict(kind="complaint", category="environment")),
    ("Security let a delivery driver ride through the pedestrian gate again.",
     dict(kind="complaint", category="order")),
    # weak request words and quoted questions do not decide the kind
    ("麻烦帮忙调一下监控，我的电动车被偷了", dict(kind="report", category="security")),
    ("我就问了一句车位怎么租，前台就不耐烦了", dict(kind="complaint", category="general")),
    # protest words that are really device behaviour
    ("门禁要刷好几次才开", dict(kind="report", category="facility")),
    ("配电房的变压器吵得很", dict(kind="report")),
]

FAMILIES = {
    "negation_hedges": NEGATION_AND_HEDGES,
    "protest_to_complaint": PROTEST_TO_COMPLAINT,
    "emergency": EMERGENCY_CUES,
    "traditional": TRADITIONAL,
    "typos": TYPOS,
    "english": ENGLISH,
    "area": AREA,
    "service_vs_inquiry": SERVICE_VS_INQUIRY,
    "suggestion": SUGGESTIONS,
    "colloquial": COLLOQUIAL,
    "danger_and_lookalikes": DANGER_AND_LOOKALIKES,
    "complaint_boundaries": COMPLAINT_BOUNDARIES,
}
#: Cases the classifier gets wrong on purpose-known grounds (strict: a fix shows).
KNOWN_LIMITS = {
    "小区里流浪猫太多了，到处拉屎": (
        "since round 4 the learned words read a grumble with 太多了 as a complaint; holding "
        "learned complaints back where no rule saw a protest costs 1.4 points of kind "
        "accuracy on the independently written sets"),
}
CASES = [(family, text, want) for family, cases in FAMILIES.items() for text, want in cases]
PARAMS = [pytest.param(*case, id=f"{case[0]}-{i}",
                       marks=[pytest.mark.xfail(strict=True, reason=KNOWN_LIMITS[case[1]])]
                       if case[1] in KNOWN_LIMITS else [])
          for i, case in enumerate(CASES)]


@pytest.mark.parametrize(("family", "text", "want"), PARAMS)
def test_family(family, text, want):
    got = classify(text)
    for field, value in want.items():
        assert getattr(got, field) == value, f"{family}: {text!r} → {got}"
    assert got.keywords or got.low_confidence, "a confident answer must show its keywords"


def test_cigarette_smoke_is_not_fire():
    # 烟头/抽烟 are whole words, so the one-character cue 烟 must not fire.
    assert classify("楼下天天有人抽烟，烟头扔得到处都是").urgency != "emergency"


def test_traffic_jam_is_not_a_blockage():
    # 堵 fires as a word (马桶堵了), not inside 堵车.
    r = classify("小区门口早上堵车堵得厉害")
    assert r.category != "plumbing" and r.urgency == "normal"


def test_test_messages_are_not_from_dev(dev_texts):
    overlap = [text for _, text, _ in CASES if text in dev_texts]
    assert not overlap
