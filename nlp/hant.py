"""A small traditional → simplified character table.

Owners from Hong Kong, Taiwan and Macau, and older owners whose phones default
to traditional input, write 電梯/漏水/沒人管. The rules are written in
simplified characters, so we fold traditional characters before matching.

Why a hand table and not OpenCC: we only need the few hundred characters that
appear in help-desk messages, the fold is one-to-one per character (no phrase
conversion needed for keyword matching), and a runtime dependency with native
code or large dictionaries is not worth it for that. Characters that are also
valid simplified characters with another meaning (著, 乾 in 乾坤, 藉, 餘 in
names) are left out on purpose or handled as phrases in ``normalize.py``.

Each line below is "traditional simplified" pairs written as two strings of
equal length; ``TABLE`` zips them. Add a pair by appending a character to both
strings of one line.
"""

_PAIRS = (
    # building, lift, rooms, places
    ("電樓層門鎖壞燈廳臥衛陽臺檯颱牆壁縫頂窗廁廚爐櫃櫥閘線擋礎磚塊",
     "电楼层门锁坏灯厅卧卫阳台台台墙壁缝顶窗厕厨炉柜橱闸线挡础砖块"),
    ("區戶樑樁梯棟幢園場館廈廠廣處間閣鄰單車輛軌橋樹葉綠蟲鼠螞蟻蚊蠅",
     "区户梁桩梯栋幢园场馆厦厂广处间阁邻单车辆轨桥树叶绿虫鼠蚂蚁蚊蝇"),
    # water, fire, gas, electricity
    ("漏滲濕淹漲滿溢灑澆滅災燒煙氣熱溫暖濃聞閥錶鐵銹鏽鋼鑰匙鈴機電網訊視話",
     "漏渗湿淹涨满溢洒浇灭灾烧烟气热温暖浓闻阀表铁锈锈钢钥匙铃机电网讯视话"),
    ("龍頭滴緊關開閉啟動轉響聲噴嘩爆裂斷鬆脫掉墜險護傷醫暈倒吐糞髒潔淨掃",
     "龙头滴紧关开闭启动转响声喷哗爆裂断松脱掉坠险护伤医晕倒吐粪脏洁净扫"),
    # people, verbs, function words
    ("們這還邊過進遠運連達遲將對時問題說請謝讓個樣無沒應來會麼為於與從後",
     "们这还边过进远运连达迟将对时问题说请谢让个样无没应来会么为于与从后"),
    # the desk's own words: intents, the FAQ's subjects (报修, 投诉, 咨询, 物业, 缴纳, 车库, 宠物, 驿站)
    ("報訴諮業納庫寵驛兒漬飯棄殺",
     "报诉咨业纳库宠驿儿渍饭弃杀"),
    ("裡裏幾點動區現發當實寫學覺見視親觀規記許設試認誤誰課調談證識議讀變",
     "里里几点动区现发当实写学觉见视亲观规记许设试认误谁课调谈证识议读变"),
    ("貓負財貨買賣費貼資賠質購趕辦農週適選邊醫釋針鋪錄鍋鏡閃隊階隨隱雙雜",
     "猫负财货买卖费贴资赔质购赶办农周适选边医释针铺录锅镜闪队阶随隐双杂"),
    ("雞難須額類顯風飄養餘驚麵黨齡烏煩營爺獎獲療癢盞盡睜礦碼稅窩簽簾籠緻",
     "鸡难须额类显风飘养余惊面党龄乌烦营爷奖获疗痒盏尽睁矿码税窝签帘笼致"),
    ("縱織繳罵羅膠與興舉莊華萬蓋蔥蘋虛衆眾襪誇誠語諒講謊謎讚貝責貸貿賃賴",
     "纵织缴骂罗胶与兴举庄华万盖葱苹虚众众袜夸诚语谅讲谎谜赞贝责贷贸赁赖"),
    ("贊贏躍軍輩轎辭醜釘鈕鉤銅鋸錢鍵鎮鐘鍾長陣陸陳雖霧靜韓頁項順預頓領頸",
     "赞赢跃军辈轿辞丑钉钮钩铜锯钱键镇钟钟长阵陆陈虽雾静韩页项顺预顿领颈"),
    ("頻顆顧颳飼餅餓餵駐騎騙驅髮鬧鬥魚鳥鳴麥黃齊齒龜團圍圖圓塗塵墊壓壯壺",
     "频颗顾刮饲饼饿喂驻骑骗驱发闹斗鱼鸟鸣麦黄齐齿龟团围图圆涂尘垫压壮壶"),
    ("壽夠夢夾奪奮媽嬰孫寧審寬寶專尋導屆屜屬島嶺幣師帳帶幫廢彈彎復徹憂懷",
     "寿够梦夹夺奋妈婴孙宁审宽宝专寻导届屉属岛岭币师帐带帮废弹弯复彻忧怀"),
    ("態懶懸戀戰戲拋掛採換揚損搖搶撐撥擁擇擊擔據擠擴擺擾攔攝攤敗數斷晝暫",
     "态懒悬恋战戏抛挂采换扬损摇抢撑拨拥择击担据挤扩摆扰拦摄摊败数断昼暂"),
    ("曆歷曬書東條楊極榮構槍樂標樣橫檔檢權欄歡歲歸殘殼毀決沖況涼淚淺減測",
     "历历晒书东条杨极荣构枪乐标样横档检权栏欢岁归残壳毁决冲况凉泪浅减测"),
    ("湧湯準溝滯漢潑潛潤澤濁濟濤濫瀉灣灘爛爾猶獅獵產異疊瘋癒盃盧稱積窪節",
     "涌汤准沟滞汉泼潜润泽浊济涛滥泻湾滩烂尔犹狮猎产异叠疯愈杯卢称积洼节"),
    ("範築篩籌紀紡純紗級紛紮給絞綜綿緒編緩縛繃繞繪繡纏纖罷聰職脈膽臟艦蘇",
     "范筑筛筹纪纺纯纱级纷扎给绞综绵绪编缓缚绷绕绘绣缠纤罢聪职脉胆脏舰苏"),
    ("虧補褲襯詐詢該誘謙譜貞賊賬賺輝輯轟辯遞郵釀鈍鉗銘鑒閒閩闡陰陽際靈鞏",
     "亏补裤衬诈询该诱谦谱贞贼账赚辉辑轰辩递邮酿钝钳铭鉴闲闽阐阴阳际灵巩",),
    ("韌頌顛顫飢飾餃饑馳駁駛騷驕驢鬱鴨鵝鹹點齋嚇嚴囑嘆嗎啟喚喪嗚嘔噁噸嚨",
     "韧颂颠颤饥饰饺饥驰驳驶骚骄驴郁鸭鹅咸点斋吓严嘱叹吗启唤丧呜呕恶吨咙",),
    ("劃劇劉劑勞勢勵勸協卻參叢員倆倫偉側偵偽傘備傢傭傳傾僅價儀億儘優償儲",
     "划剧刘剂劳势励劝协却参丛员俩伦伟侧侦伪伞备家佣传倾仅价仪亿尽优偿储",),
    ("兇兩冊凍凱別剛剝劍務勝勻匯彙擰攜撈撲撫攬幹絕給統絲經綁維網練緣縮總",
     "凶两册冻凯别刚剥剑务胜匀汇汇拧携捞扑抚揽干绝给统丝经绑维网练缘缩总",),
    ("績繩繼續纜罰義習聖聯聽肅腳腦膚臉臨舊藝藥蘭號術衝裝製複見覽觸計訂討",
     "绩绳继续缆罚义习圣联听肃脚脑肤脸临旧艺药兰号术冲装制复见览触计订讨",),
    ("訓診評詞詳誌請諸護豐貴賀賓賽贈趙跡踐蹤軟較載輔輕輪輸違遙遷遺鄉醬銷",
     "训诊评词详志请诸护丰贵贺宾赛赠赵迹践踪软较载辅轻轮输违遥迁遗乡酱销",),
    ("鋁鑽閱闆雲頑頒頗餐館驗體鬍魯鮮鯨鳳鶴鹽麗黴齣倉們舖佈併並嘗擡夥係繫",
     "铝钻阅板云顽颁颇餐馆验体胡鲁鲜鲸凤鹤盐丽霉出仓们铺布并并尝抬伙系系",),
    ("僱纔妳祕牠週準勁問間悶閑闖闊闢陝隸雛霸靂韋頰頹駝髏鬨鯉鴉鴿鷹繳擬竊",
     "雇才你秘它周准劲问间闷闲闯阔辟陕隶雏霸雳韦颊颓驼髅哄鲤鸦鸽鹰缴拟窃",),
    ("盜監盤確礙禮禍種穩競筆簡籃糧糾紅約紙紋細終組結狀獨環畫瓊璃瑣甦畝疇",
     "盗监盘确碍礼祸种稳竞笔简篮粮纠红约纸纹细终组结状独环画琼璃琐苏亩畴",),
    ("鑄閃鏈鏟鎖鍍錘錦銳鋒鉀鈣鈔釣邁軀躉賦賜貶譴謠謹譏讒貪貫賄賤趨裊蝕",
     "铸闪链铲锁镀锤锦锐锋钾钙钞钓迈躯趸赋赐贬谴谣谨讥谗贪贯贿贱趋袅蚀",),
    ("蠻蛻蝦螢蠶蘆蒼蘊臘舉艱羨緝緯縷籬壟壩壘墳隴擻擷攬瞼滷鹵閥睏穫窮竄筍",
     "蛮蜕虾萤蚕芦苍蕴腊举艰羡缉纬缕篱垄坝垒坟陇擞撷揽睑卤卤阀困获穷窜笋",),
    ("箏簍糰絃絡綻瀏瀝煉煥烴滄滬澀渦洶浹犢猡瑪皺皚礫禪離醞鐮鎊錫郵顆",
     "筝篓团弦络绽浏沥炼焕烃沧沪涩涡汹浃犊猡玛皱皑砾禅离酝镰镑锡邮颗",),
)


def _build() -> dict[int, int]:
    table: dict[int, int] = {}
    for trad, simp in _PAIRS:
        if len(trad) != len(simp):  # pragma: no cover - guarded by a test
            raise ValueError(f"unequal line in hant table: {trad[:6]}…")
        for t, s in zip(trad, simp):
            if t != s:
                table[ord(t)] = ord(s)
    return table


#: ``str.translate`` table: traditional code point → simplified code point.
TABLE: dict[int, int] = _build()

#: Phrases whose traditional characters are also ordinary simplified
#: characters with another meaning, so they are folded only in context.
PHRASES: dict[str, str] = {
    "著火": "着火",
    "困著": "困着",
    "關著": "关着",
    "開著": "开着",
    "亮著": "亮着",
    "乾淨": "干净",
    "乾燥": "干燥",
}
