package qa

import (
	"strings"
	"unicode/utf8"
)

// The word lists below are about how residents ask, not about what the
// newsletter says, so they live in code rather than in the knowledge file.
// All entries are already in Normalize form (simplified, no punctuation).

// scheduleCues ask when something happens or ends.
var scheduleCues = []string{
	"什么时候", "啥时候", "啥时", "何时", "几时", "哪天", "哪一天", "多久", "多长时间",
	"多少时间", "什么时间", "哪年", "哪一年", "哪个月", "几月", "几月份", "几号", "时间表",
	"时间安排", "工期", "完成时间", "完工时间", "竣工", "完工", "交付", "截止", "预计",
	"等多久", "要等多久", "还要多久", "多少天", "多少年", "年底前",
	// Shanghainese: 啥辰光 = 什么时候.
	"啥辰光", "几辰光", "啥个辰光",
}

// statusCues ask how far along something is. The "…了吗" forms ask whether
// it is done: that is a status question even though 完工 alone asks for a
// date, and longest-match scanning lets 完工了吗 win over 完工.
var statusCues = []string{
	"进展", "进度", "怎么样了", "咋样了", "如何了", "怎样了", "到哪一步", "到哪步", "哪一步",
	"到什么程度", "什么程度", "什么阶段", "哪个阶段", "情况如何", "情况怎么样", "现状",
	"推进得", "有动静", "动静", "完成了吗", "完成了没", "完成没", "完工了吗", "完工了没",
	"完工没", "建好了吗", "建好了没", "装好了吗", "装好了没", "弄好了吗", "好了吗", "好了没",
	"建成了吗", "改好了吗", "做完了吗", "结束了吗", "开工了吗", "开工没", "开始了吗",
	"落实了吗", "搞好了吗", "顺利吗", "到位了吗", "收官了吗",
}

// weakStatusCues ("怎么样") ask for status only when the subject is a
// project: 电梯加装怎么样 asks how it is going, 这个活动怎么样 does not.
var weakStatusCues = []string{"怎么样", "咋样", "如何", "怎样", "好不好"}

// moreCues ask to go on about the current subject.
var moreCues = []string{
	"详细说说", "详细讲讲", "详细介绍", "详细点", "详细一点", "详细些", "详细", "详情",
	"具体说说", "具体讲讲", "具体点", "具体一点", "具体些", "具体", "展开说说", "展开讲讲",
	"展开", "多说点", "多说一点", "多讲点", "多讲一点", "再说说", "再讲讲", "还有呢", "还有吗",
	"还有什么", "还有哪些", "还有别的", "还有别的吗", "然后呢", "接着说", "继续说", "继续", "更多", "细节", "讲讲",
	"说说", "后来呢", "怎么说",
}

// ellipsisPrefixes and ellipsisSuffixes mark an elliptical follow-up such as
// 那架空线呢: a new subject, the old question.
var (
	ellipsisPrefixes = []string{"那么", "那", "还有", "另外", "再问", "再问问", "顺便问", "那个"}
	ellipsisSuffixes = []string{"呢"}
)

// fillers carry no subject of their own. A question made only of fillers
// and cues (那它什么时候能完工) must be about the conversation's subject.
var fillers = []string{
	"那", "那么", "它", "它们", "这", "这个", "那个", "这事", "这件事", "这项", "该", "工程",
	"项目", "事", "事情", "情况", "现在", "目前", "眼下", "能", "能够", "会", "可以", "要",
	"还要", "还", "又", "再", "就", "都", "才", "也", "大概", "估计", "到底", "究竟", "请问",
	"我想问", "想问", "问一下", "问下", "一下", "完成", "弄好", "做好", "搞好", "建好", "装好",
	"建成", "做完", "搞完", "弄完", "结束", "开始", "开工", "动工", "好", "我", "我们", "你",
	"您", "进行", "推进", "搞", "做", "弄", "办", "得", "到", "样", "所以", "呢", "啊", "呀",
	"吗", "吧", "嘛", "啦", "哦", "哈", "呗", "了", "的", "嗯", "么", "是", "有", "没有", "没",
	"什么", "怎么", "如何", "啥",
}

// stopPhrases are question words and chat filler. They split a question
// into segments before character bigrams are taken, in questions and in
// knowledge entries alike, so 什么/怎么/哪些 never count as shared content.
// The intent cues are added to them in init.
var stopPhrases = []string{
	"什么", "怎么", "怎样", "怎么样", "咋样", "如何", "哪些", "哪个", "哪里", "哪儿", "哪几个",
	"哪几项", "哪几", "多少", "几个", "是不是", "有没有", "是否", "能不能", "可不可以", "会不会",
	"请问", "问一下", "问下", "想问", "我想", "想知道", "知道", "告诉我", "一下", "介绍",
	"说说", "讲讲", "聊聊", "谈谈", "看看", "这个", "那个", "这些", "那些", "这样", "那样",
	"一些", "一点", "还是", "或者", "可以", "能够", "应该", "需要", "就是", "到底", "究竟",
	"具体", "主要", "分别", "都是", "都有", "是啥", "干啥", "干嘛", "怎么回事", "回事", "现在",
	"目前", "最近", "已经", "一直", "大概", "大约", "左右", "一共", "总共", "我们", "你们",
	"咱们", "请", "麻烦",
	// Where we are. Nearly every question could name the place, so the
	// place says nothing about which entry is meant, yet it made
	// questions like 宝山区有什么好玩的 look like ours. Terms that contain
	// a place (宝山区委, 科创宝山, 五个张庙) still match as terms.
	"张庙街道", "张庙", "街道", "宝山区", "宝山", "上海市", "上海",
}

// particles are single characters that glue words together without
// meaning; they split segments like stop phrases. Characters that also
// start content words (和 in 和谐, 要 in 要求, 能 in 能力) are left out.
const particles = "的了吗呢啊呀吧嘛啦哦哈呗么哪啥谁是有在嗯"

// keepWords contain a particle or stop character but are content words;
// the segmenter keeps them whole (目的 must not lose its 的).
var keepWords = []string{"目的", "了解", "有序", "所有", "有关", "在于", "实在", "是非", "有效"}

// aboutCues ask what something is or does. Without a subject of their own
// (它是干嘛的, 具体内容是什么) they are about the conversation's subject.
var aboutCues = []string{
	"干嘛的", "干什么的", "做什么的", "干啥的", "是干嘛", "是干什么", "是做什么", "是什么", "是啥",
	"什么意思", "啥意思", "具体内容", "什么内容", "内容是什么", "有什么用", "有啥用", "为什么", "为啥",
	"什么作用", "啥作用", "目的是什么", "谁负责", "谁管", "归谁管", "找谁", "是什么意思", "是啥意思",
}

// demonstratives point back at what was just discussed. With a generic
// noun they are no subject of their own: 这个项目 is the project just
// named, not the list of projects.
var demonstratives = append(append([]string{}, demonstrativeNouns...), "它", "它们", "这个", "那个")

// demonstrativeNouns name what they point at: with nothing discussed yet,
// 这个活动是什么 is still about an activity.
var demonstrativeNouns = []string{
	"这个项目", "这项工程", "这个工程", "该项目", "该工程", "这项目", "那个项目", "那个工程",
	"这个活动", "这项活动", "该活动", "这件事", "这事儿", "这项工作",
}

// secondPerson addresses the bot: a question about "you" with no other
// subject (你们是做什么的) is about the bot.
var secondPerson = []string{"你们", "你", "您"}

// corrections introduce what the resident meant after a wrong answer:
// 不是电梯，我问的是养老. Only the text after the marker is the question.
var corrections = []string{"我问的是", "我说的是", "我想问的是", "我要问的是", "我是问", "我是说", "问的是"}

// Detail kinds: specific facts the source never gives. A question asking
// for one is not answered with the subject's general description.
const (
	DetailCost      Detail = "cost"      // 多少钱, 补贴
	DetailProcedure Detail = "procedure" // 怎么申请, 手续
	DetailLocation  Detail = "location"  // 在哪里, 怎么去
	DetailContact   Detail = "contact"   // 电话, 找谁
	DetailQuantity  Detail = "quantity"  // 多少户, 几栋
	DetailRule      Detail = "rule"      // 什么条件, 多少户同意
	DetailPersonal  Detail = "personal"  // 多大岁数, 老家, 现在在哪当官
	DetailImpact    Detail = "impact"    // 停电多久, 要不要封路
	DetailHours     Detail = "hours"     // 几点开门, 办公时间
)

// numberCues ask for a number or an address to reach someone by.
var numberCues = []string{"电话", "号码", "手机号", "微信", "邮箱", "热线", "联系方式", "地址"}

// detailMasks contain a detail cue but ask something else: 放在哪个园区
// asks which park, not where it is.
// 我家住在河边 tells where the resident lives, it does not ask.
var detailMasks = []string{"在哪个", "在哪一个", "在哪些", "在哪几个", "我家住", "我们家住", "俺家住", "阿拉屋里住"}

// detailCues name each kind's cues, in Normalize form.
var detailCues = map[Detail][]string{
	DetailCost: {"多少钱", "要钱", "收钱", "收费", "费用", "价格", "补贴", "补助", "花多少", "出多少", "出钱", "自费", "免费吗", "贵不贵",
		"预算", "经费", "资金", "拨款", "投资多少", "投入多少", "花了多少", "成本"},
	DetailProcedure: {"怎么申请", "如何申请", "申请", "怎么办理", "如何办理", "办理", "手续", "流程", "材料", "怎么报名", "报名", "怎么买", "怎么领", "领取", "预约"},
	DetailLocation:  {"在哪", "在哪里", "在哪儿", "地址", "位置", "怎么去", "怎么走", "哪条路", "什么地方", "啥地方"},
	DetailContact: {"电话", "号码", "联系方式", "手机号", "微信", "邮箱", "热线", "谁负责", "负责人是谁", "找谁", "联系谁",
		"负责人叫", "负责人姓", "负责人名字", "负责人的名字"},
	DetailQuantity: {"多少平方", "平方米", "多少面积", "面积多大", "面积多少", "面积增加", "面积能", "几期", "多少期", "多少户", "几户", "多少人", "人口", "多少居民", "多少个居民区", "几个居民区", "几栋", "多少栋", "多少幢", "几幢", "多少家", "几家", "多少台", "几台", "多少部", "几部", "多少个小区", "几个小区"},
	DetailRule:     {"什么条件", "条件", "资格", "符合", "同意", "签字", "规定"},
	DetailPersonal: {"多大岁数", "岁数", "多大年纪", "年纪", "年龄", "几岁", "老家", "籍贯", "哪里人", "哪儿人", "出生", "生日", "现任", "现在在哪", "在哪当官", "当官", "升职", "调到哪", "家住", "工资", "收入"},
	DetailImpact:   {"停电", "停水", "断电", "断水", "停气", "封路", "施工噪音", "影响出行", "绕行"},
	DetailHours:    {"几点开门", "几点关门", "几点上班", "几点下班", "开放时间", "营业时间", "办公时间", "上班时间", "几点到几点"},
}

// ourPlaces are the names of where the bot serves. A question naming one is
// about our domain even when no topic answers it (张庙街道在哪里 is a
// question for staff, not small talk); their near-homophones (章庙, 张苗,
// 四塘) are corrected.
var ourPlaces = []string{"张庙", "宝山", "泗塘", "蕰藻浜", "宝山区", "张庙街道"}

// localWords show a question is about life in the subdistrict, though no
// entry covers it: it goes to staff as a ticket rather than being turned
// away as off-topic.
var localWords = []string{
	"街道", "居委", "居委会", "居民区", "社区", "小区", "楼道", "楼里", "楼下", "楼上", "办事处", "党工委",
	"书记", "党员", "简报", "工作人员", "村委", "物业", "业委会", "弄堂", "新村", "一村", "二村",
	// The page's own texts.
	"新年信", "这封信", "那封信", "新年致辞", "贺信", "实施方案",
}

// foreignPlaces name other cities and districts: a question about one of
// them (杭州的加装电梯补贴) is not ours even when it names one of our terms.
var foreignPlaces = []string{
	"北京", "天津", "重庆", "杭州", "南京", "苏州", "无锡", "宁波", "广州", "深圳", "成都", "武汉", "西安",
	"长沙", "郑州", "青岛", "厦门", "合肥", "昆明", "沈阳", "大连", "哈尔滨", "济南", "福州", "香港", "澳门",
	"台湾", "美国", "日本", "韩国", "英国", "法国", "德国", "浦东", "闵行", "徐汇", "静安", "黄浦", "长宁",
	"普陀", "虹口", "杨浦", "嘉定", "松江", "青浦", "奉贤", "金山", "崇明", "大场", "庙行", "淞南", "高境",
	"吴淞", "杨行", "月浦", "罗店", "顾村", "罗泾", "友谊路", "海南", "云南", "浙江", "江苏", "安徽",
}

// offTopicCues mark subjects the bot does not cover at all, even said in
// our subdistrict (张庙明天会下雨吗).
var offTopicCues = []string{
	"天气", "下雨", "下雪", "气温", "温度", "带伞", "台风", "电影", "电视剧", "综艺", "明星", "歌手", "新歌",
	"唱歌", "演唱会", "写诗", "一首诗", "首诗", "作诗", "诗歌", "笑话", "故事", "小说", "股票", "股市",
	"基金", "彩票", "汇率", "房价", "房贷", "游戏", "编程", "代码", "程序", "python", "java", "excel",
	"翻译", "英语", "英文", "世界杯", "足球", "篮球", "奥运", "比分", "高铁票", "火车票", "机票", "门票",
	"外卖", "快递", "网购", "淘宝", "京东", "拼多多", "手机", "电脑", "减肥", "菜谱", "红烧", "做饭",
	"蛋糕", "宠物", "猫", "狗", "等于几", "等于多少", "乘以", "除以", "加几", "减几", "星期几", "几点了",
	"几号了", "今天是几号", "weather", "movie",
	// Shopping, money, leisure: consumer questions nobody here answers.
	"双十一", "双11", "哪款", "买哪", "划算", "性价比", "值得买", "值不值得买", "打折", "优惠券", "折扣", "秒杀", "购物",
	"带货", "扫地机", "空气炸锅", "理财", "收益率", "旅游", "景点", "攻略", "追剧", "动漫", "八卦",
}

// offTopicSubjects are the off-topic cues that name the subject of the
// whole question (a film, the weather, a purchase): a question with one is
// off-topic even when its other words match an entry, as in 推荐一部关于
// 中国共产党成立100周年的电影. The other cues (故事, 程序, 手机) also occur
// in questions about us and only decide when nothing answers.
var offTopicSubjects = []string{
	"天气", "下雨", "下雪", "气温", "带伞", "台风", "电影", "电视剧", "综艺", "明星", "歌手", "演唱会", "新歌",
	"股票", "股市", "彩票", "汇率", "房价", "房贷", "游戏", "世界杯", "足球", "篮球", "比分", "外卖", "淘宝",
	"京东", "拼多多", "菜谱", "红烧", "减肥", "旅游", "景点", "追剧", "动漫", "机票", "火车票", "高铁票",
	"空气炸锅", "扫地机", "双十一", "双11", "理财", "weather", "movie",
	// Writing for the resident: the bot answers, it does not compose.
	"写一首", "写首", "作一首", "编一首", "写一篇", "写篇", "写作文", "帮我写", "编个段子",
}

// requestCues mark a complaint or a service request: something in the
// neighbourhood is wrong and someone should act. Such a message is
// acknowledged and handed to staff as a request, whatever else it names.
var requestCues = []string{
	"投诉", "反映一下", "我要反映", "想反映", "我想反映", "举报", "堆物", "堆东西", "堆放", "乱堆", "乱放",
	"占道", "噪音", "噪声", "扰民", "太吵", "很吵", "吵得", "漏水", "渗水", "水管漏", "管子漏", "漏了",
	"堵了", "堵塞", "没人管", "没人修", "请派人", "派人来", "来修", "修一下", "修修", "坏了", "坏掉",
	"不亮", "违建", "违章搭建", "臭味", "异味", "积水", "乱停", "乱扔", "飞线充电", "私拉电线",
	"没人清理", "没人处理", "没人打扫", "太臭", "好臭", "臭死", "一直不动工", "也不管", "不管不问",
}

// privateWords make a broken thing someone's own business (家里电视坏了),
// not a request for the subdistrict.
var privateWords = []string{"电视", "电脑", "手机", "冰箱", "洗衣机", "空调", "汽车", "自行车", "电动车", "热水器"}

// quoteCues are how a resident asks for the words of the source itself:
// what comes next, the words before, the exact wording. They are no
// content of their own.
var (
	nextCues = []string{
		"下一句", "下句", "后一句", "后半句", "后面一句", "后面是", "后面跟", "后面接",
		"后头接", "后头跟", "后头还跟着", "后面还跟着", "后面还有", "后头", "后面", "接下来是", "接着是",
		"跟着的", "接的", "跟的", "然后是",
	}
	explicitNextCues = []string{"下一句", "下句", "后半句", "后面一句", "后面是", "后面跟", "后面接", "接下来是"}
	prevCues         = []string{"上一句", "上句", "前一句", "前半句", "前面一句", "前面是", "前头"}
	completeCues     = []string{"后半截", "后半部分", "补全", "补上", "补完", "补齐", "原话", "原文", "怎么说的", "咋讲的", "怎么讲的", "咋说的", "记不全", "记不清"}
)

// positionCues ask for where a part of the source begins or ends (信的末尾
// 落款是谁); sectionCues name the letter.
var (
	endCues = []string{"末尾", "结尾", "最后一句", "最后两句", "最后几句", "最后那几句", "最后落款", "落款", "署名", "签名", "结束语", "最后署", "最后一段", "最后那段", "最后那句", "最后一行", "收尾"}
	// signatureCues ask for the signature line itself, which is no
	// sentence of the letter's text: 最后一句 is the last sentence, 落款 the
	// signature.
	signatureCues = []string{"落款", "署名", "签名", "最后署", "署的名", "名义"}
	startCues     = []string{"开头", "第一句", "开篇", "称呼"}
	titleCues     = []string{"标题", "大标题", "主标题", "题目", "标题是", "头版标题", "通栏标题"}
	// otherTextCues name a text of the page other than the page: 通知的标题
	// is the notice's name, not the page's title.
	otherTextCues = []string{"通知", "方案", "信", "文件"}
	// authorCues ask who wrote a text, addresseeCues whom it is written to.
	authorCues    = []string{"写的", "谁写", "发的", "谁发", "出的", "署的名", "署名", "落款", "以谁的名义", "名义"}
	addresseeCues = []string{"写给谁", "给谁写", "写给", "致谁", "对谁说", "给谁的"}
	letterCues    = []string{"新年信", "信里", "信中", "信的", "这封信", "那封信", "信末", "致辞", "新年致辞", "贺信", "一封信", "公开信", "信开头", "信"}
	articleCues   = []string{"简报里", "简报上", "文章里", "通知里", "文章", "这篇文章", "报道", "这篇报道", "新闻稿"}
)

// englishGlossary folds English words residents mix into a question, or
// write a whole question in. Keys are lower case; a key of several words
// is written with spaces and matches them typed with or without spaces.
// Plurals (-s, -es, -ies) are derived (glossary); an empty reading drops
// the word (the, of). Numbers with the domain's counters are their own
// entries (four positionings → 四个定位) because the counter differs.
var englishGlossary = map[string]string{
	// Question words and the verbs around them.
	"what": "什么", "whats": "什么", "which": "哪些", "who": "谁", "whom": "谁", "whose": "谁的",
	"when": "什么时候", "what time": "什么时候", "what date": "哪天", "which day": "哪天", "what day": "哪天",
	"where": "哪里", "why": "为什么", "how": "怎么", "how many": "多少", "how much": "多少钱",
	"how long": "多久", "how is": "怎么样", "how are": "怎么样", "hows": "怎么样", "how about": "怎么样",
	"is": "是", "are": "是", "was": "是", "were": "是", "be": "是", "am": "是", "been": "",
	"do": "", "does": "", "did": "", "has": "有", "have": "有", "had": "", "there": "", "there is": "有", "there are": "有",
	"can": "", "could": "", "will": "", "would": "", "should": "", "shall": "", "may": "",
	"tell": "", "me": "", "us": "", "please": "", "give": "", "list": "", "show": "", "explain": "",
	"mean": "意思", "means": "意思", "meaning": "意思", "called": "叫", "named": "叫", "name": "名称",
	"say": "说", "says": "说", "said": "说", "mention": "提到", "mentioned": "提到", "mentions": "提到",
	"going": "", "doing": "", "go": "", "get": "", "got": "", "use": "", "used": "", "using": "",
	"make": "", "made": "", "put": "", "know": "", "want": "", "like": "", "about": "", "regarding": "",
	"signed by": "落款", "signed": "落款", "signature": "落款", "sign": "落款", "signer": "落款",
	"write": "写", "wrote": "写", "written": "写", "writer": "写", "author": "落款",
	"passed": "通过", "pass": "通过", "adopted": "通过", "approved": "通过", "adopt": "通过",
	"issued": "印发", "issue": "印发", "released": "印发", "published": "印发", "publish": "印发",
	"start": "开头", "beginning": "开头", "begin": "开头", "begins": "开头", "opening": "开头", "salutation": "称呼",
	"end": "末尾", "ending": "末尾", "ends": "末尾", "finish": "完成", "finished": "完成", "complete": "完成", "completed": "完成", "done": "完成",
	"next": "下一句", "next sentence": "下一句", "next line": "下一句", "previous sentence": "上一句",
	"first": "第一", "second": "第二", "third": "第三", "fourth": "第四", "fifth": "第五", "sixth": "第六", "last": "最后",
	"one": "一", "two": "两", "three": "三", "four": "四", "five": "五", "six": "六", "seven": "七", "eight": "八", "nine": "九", "ten": "十",
	"purpose": "目的", "reason": "原因", "aim": "目标", "goal": "目标", "target": "目标", "objective": "目标",
	// Function words.
	"the": "", "a": "", "an": "", "of": "", "in": "", "on": "", "at": "", "for": "", "to": "", "by": "", "with": "",
	"from": "", "into": "", "and": "和", "or": "或者", "this": "这个", "that": "那个", "these": "这些", "those": "那些",
	"it": "它", "its": "它的", "they": "", "them": "", "their": "", "our": "", "we": "", "you": "", "your": "", "i": "",
	"my": "", "so": "", "now": "现在", "currently": "现在", "current": "现在", "then": "", "also": "", "all": "都",
	"each": "", "any": "", "some": "", "any news": "进展", "update": "进展", "latest": "最新", "new": "新",
	// The domain.
	"progress": "进展", "status": "进展", "situation": "进展", "state": "进展",
	"five actions": "五大行动", "action": "行动", "actions": "行动", "training": "培训", "study": "学习", "learning": "学习",
	"strategy": "战略", "strategic": "战略", "layout": "格局", "pattern": "格局", "strategic layout": "战略格局",
	"new year letter": "新年信", "new year": "新年", "letter": "信", "new years letter": "新年信",
	// A person's titles are posts (what are his titles); the page's is one.
	"titles": "职务", "his title": "职务", "her title": "职务", "job title": "职务", "job": "职务", "post": "职务",
	"title": "标题", "headline": "标题", "heading": "标题", "big title": "大标题", "main title": "大标题",
	"party": "党", "party secretary": "党工委书记", "secretary": "书记", "party working committee": "党工委",
	"working committee": "工委", "party committee": "党工委", "district committee": "区委", "committee": "委员会",
	"district": "区", "subdistrict": "街道", "sub district": "街道", "street": "街道", "office": "办事处",
	"subdistrict office": "街道办事处", "director": "主任", "chairman": "主任", "congress": "人大",
	"member": "党员", "party member": "党员", "cadre": "干部", "official": "干部", "leader": "领导", "leadership": "领导",
	"resident": "居民", "neighbourhood": "居民区", "neighborhood": "居民区", "community": "社区", "village": "村",
	"slogan": "口号", "motto": "口号", "project": "项目", "campaign": "活动", "activity": "活动", "activities": "活动",
	"meeting": "会", "study meeting": "学习讨论会", "discussion": "讨论", "discussion meeting": "学习讨论会",
	"plan": "方案", "implementation plan": "实施方案", "notice": "通知", "circular": "通知", "requirement": "要求",
	"positioning": "定位", "position": "定位", "role": "定位", "four positionings": "四个定位", "four positions": "四个定位", "four roles": "四个定位",
	"park": "园区", "science park": "科创园", "tech park": "科创园", "innovation park": "科创园", "industrial park": "科创园",
	"main line": "主线", "work line": "工作主线", "main line of work": "工作主线", "main work line": "工作主线",
	"theme": "主题", "three themes": "三大主题", "topic": "主题", "transformation": "大转变", "shift": "大转变",
	"section": "板块", "sector": "板块", "block": "板块", "six sections": "六大板块", "six sectors": "六大板块",
	"elevator": "电梯", "lift": "电梯", "installation": "加装", "install": "加装", "installing": "加装", "installed": "加装",
	"elevator installation": "电梯加装", "lift installation": "电梯加装", "adding elevators": "电梯加装",
	"renovation": "改造", "renovate": "改造", "retrofit": "改造", "refurbishment": "改造", "upgrade": "改造",
	"elderly care": "养老", "elderly": "养老", "aged care": "养老", "old age care": "养老", "senior care": "养老", "care": "",
	"cable": "线", "wire": "线", "line": "线", "overhead": "架空", "overhead cables": "架空线", "overhead lines": "架空线",
	"overhead wires": "架空线", "underground": "入地", "buried": "入地", "burying": "入地", "cables underground": "架空线入地",
	"overhead cables underground": "架空线入地", "overhead lines underground": "架空线入地", "underground cables": "架空线入地",
	"burying overhead cables": "架空线入地", "cable burying": "架空线入地",
	"garbage": "垃圾", "waste": "垃圾", "trash": "垃圾", "sorting": "分类", "classification": "分类", "garbage sorting": "垃圾分类",
	"epidemic": "疫情", "pandemic": "疫情", "covid": "新冠", "coronavirus": "新冠",
	"innovation": "创新", "science": "科创", "technology": "科创", "tech": "科创", "hub": "主阵地", "center": "中心", "centre": "中心",
	"peoples community": "人民社区", "people community": "人民社区", "new era": "新时代", "people": "人民",
	"newsletter": "简报", "bulletin": "简报", "page": "简报", "issue of the newsletter": "这期简报",
	"smart": "智慧", "beautiful": "美丽", "harmonious": "和谐", "livable": "宜居", "liveable": "宜居", "vitality": "活力", "vibrant": "活力",
	"five zhangmiaos": "五个张庙", "five zhangmiao": "五个张庙", "point": "点", "points": "点", "three points": "三点",
	"industry": "产业", "industries": "产业", "ai": "人工智能", "artificial intelligence": "人工智能",
	"launched": "开展", "launch": "开展", "atmosphere": "氛围", "creek": "蕰藻浜", "riverside": "滨江", "waterfront": "滨江",
	"whole city": "全市", "city": "市", "full name": "全称", "january": "1月", "coordinate": "对接", "along": "沿线",
	"describe": "", "described": "", "describes": "",
	"compare": "比", "catch up": "赶", "surpass": "超", "year": "年", "review": "回顾", "achievement": "成效", "result": "成效",
	"thank": "感谢", "thanks to": "感谢", "thanked": "感谢", "everyone": "大家", "everybody": "大家", "all of you": "大家",
	"thank residents": "感谢大家", "thank the residents": "感谢大家", "thank people": "感谢大家", "thank the people": "感谢大家",
	"highlight": "突出", "highlighted": "突出", "highlights": "突出", "focus on": "聚焦", "focus": "聚焦",
	"key": "重点", "priority": "重点", "priorities": "重点", "sectors": "板块",
	"comes after": "后面是", "come after": "后面是", "follows": "后面是", "after": "之后", "comes before": "前面是", "before": "之前", "respect": "敬意", "work": "工作", "goals": "目标",
	"happen": "", "happened": "", "happens": "", "achieve": "", "achieved": "", "accomplished": "", "ask for": "要求",
	"asked for": "要求", "asked": "要求", "propose": "提出", "proposed": "提出", "put forward": "提出", "raise": "提出",
	"raised": "提出", "plan to": "", "planned": "", "going to": "", "will be": "", "held": "召开", "hold": "召开",
	"organize": "组织", "organized": "组织", "organise": "组织", "organised": "组织", "build": "建设", "built": "建设",
	"building": "建设", "construction": "建设", "develop": "发展", "development": "开发建设", "promote": "推进",
	"people's livelihood": "民心工程", "peoples livelihood": "民心工程", "livelihood": "民心工程", "livelihood projects": "民心工程",
	"mission": "使命", "spirit": "精神", "meaning of": "意思", "introduce": "介绍", "introduction": "介绍", "overview": "介绍",
}

// glossary returns englishGlossary with spaces removed from the keys and
// plurals derived: positionings, parks, activities.
func glossary() map[string]string {
	out := make(map[string]string, 2*len(englishGlossary))
	for k, v := range englishGlossary {
		out[strings.ReplaceAll(k, " ", "")] = v
	}
	for k, v := range englishGlossary {
		k = strings.ReplaceAll(k, " ", "")
		if len(k) < 3 || v == "" {
			continue
		}
		var plurals []string
		switch {
		case strings.HasSuffix(k, "y") && !strings.ContainsRune("aeiou", rune(k[len(k)-2])):
			plurals = []string{k[:len(k)-1] + "ies"}
		case strings.HasSuffix(k, "s"), strings.HasSuffix(k, "x"), strings.HasSuffix(k, "ch"), strings.HasSuffix(k, "sh"):
			plurals = []string{k + "es"}
		default:
			plurals = []string{k + "s"}
		}
		for _, p := range plurals {
			if _, taken := out[p]; !taken {
				out[p] = v
			}
		}
	}
	return out
}

// pinyinParticles read the one-syllable words residents type in pinyin.
var pinyinParticles = map[string]string{
	"de": "的", "le": "了", "shi": "是", "you": "有", "zai": "在", "he": "和", "ma": "吗", "ne": "呢", "sha": "啥",
	"shui": "谁", "shei": "谁", "na": "哪", "nei": "哪", "ji": "几", "ge": "个", "yao": "要", "hui": "会", "ba": "吧",
	"a": "啊", "wo": "我", "ni": "你", "ta": "它", "zhe": "这", "jiu": "就", "dou": "都", "ye": "也", "hai": "还",
	"wei": "为", "yu": "与", "duo": "多", "da": "大", "xin": "新", "nian": "年", "ri": "日", "yue": "月",
	"hao": "号", "tian": "天", "xie": "些", "li": "里", "zen": "怎", "me": "么", "yi": "一", "er": "二", "san": "三",
	"si": "四", "wu": "五", "liu": "六", "qi": "七", "di": "第", "tiao": "条", "dian": "点",
	"xiang": "项", "ju": "句",
}

// pinyinQuestionWords are the Chinese words a pinyin question is read
// into before the corpus's own words: how residents ask (the cue lists)
// and what marks a question as ours or not (places, off-topic subjects).
func pinyinQuestionWords() []string {
	var out []string
	for _, l := range [][]string{
		whoCues, whenCues, countCues, whichCues, whyCues, whatCues, scheduleCues, statusCues, weakStatusCues,
		aboutCues, moreCues, stopPhrases, nextCues, prevCues, completeCues, endCues, startCues, letterCues,
		titleCues, offTopicCues, foreignPlaces, localWords, requestCues, privateWords,
		{"是谁", "是什么", "有哪些", "有几个", "有多少", "为什么", "怎么样", "什么时候", "哪一天", "第几", "分别", "都是"},
	} {
		for _, w := range l {
			if utf8.RuneCountInString(w) >= 2 && allHan(w) {
				out = append(out, w)
			}
		}
	}
	return out
}

// colloquialFolds rewrite Shanghainese and Northern colloquial words into
// the standard words the cue lists and the sources use (Normalize form,
// the longest match first): 施书记讲的第三条是啥物事 asks 是什么. A word
// mapped to itself is a guard (阿拉伯 is no 我们).
var colloquialFolds = map[string]string{
	"啥物事": "什么", "啥事体": "什么", "啥物什": "什么", "啥个辰光": "什么时候", "啥辰光": "什么时候",
	"几辰光": "什么时候", "辰光": "时候", "啥子": "什么", "啥个": "什么", "晓得": "知道", "阿拉伯": "阿拉伯",
	"迭个": "这个", "迭只": "这个", "迭搭": "这里", "伊拉": "他们", "发个通知": "发的通知", "开始个": "开始的",
	"阿拉": "我们", "侬": "你", "咋个": "怎么", "咋": "怎么", "哪能": "怎么", "事体": "事情", "物事": "东西",
	"做啥": "干什么", "搞啥": "干什么", "为啥子": "为什么",
	"扮演": "是", // 扮演啥角色: 是什么角色
	// The party's founding, as the page says it.
	"建党一百周年": "中国共产党成立100周年", "建党百年": "中国共产党成立100周年", "建党100周年": "中国共产党成立100周年",
	"建党": "中国共产党成立", "党建党": "党建党", // 党建党员活动 is no founding
	// 我老公房子 is her husband's house, not 老公房 (everydayWords).
	"我老公房": "我老公房", "她老公房": "她老公房", "你老公房": "你老公房", "老公房子": "老公房子",
	// What makes it special: its significance.
	"为啥特别": "有什么意义", "为什么特别": "有什么意义", "有啥特别": "有什么意义", "有什么特别": "有什么意义",
	"特别在哪": "有什么意义", "特殊在哪": "有什么意义", "有啥特殊": "有什么意义", "为啥特殊": "有什么意义",
	// 区里 is the district's party committee (区里为啥要搞这个活动), but
	// not inside 小区里, 园区里 ….
	"区里": "区委", "小区里": "小区里", "社区里": "社区里", "园区里": "园区里", "城区里": "城区里", "景区里": "景区里",
	"校区里": "校区里", "辖区里": "辖区里", "片区里": "片区里", "民区里": "民区里", "区里面": "区里面", "区里头": "区里头",
}

// faAfter are the characters after which 伐 ends a yes-no question
// (是伐, 好伐, 有伐: 吗). Elsewhere 伐 is a word of its own (步伐).
const faAfter = "是好对有了要能会得啥过呢"

// activityWords turn a preceding 搞 into 开展 (搞这个活动 is 开展这个活
// 动, the sources' word); 搞好, 搞完 stay what they are.
var activityWords = []string{"活动", "比学赶超", "行动", "讨论会", "大讨论"}

// Question types: what kind of fact a question asks for. A reply should
// carry that kind of fact; see QType.
var (
	whoCues   = []string{"谁", "哪位", "哪家", "哪个公司", "哪家公司", "哪家单位", "什么单位", "哪个施工单位", "哪些人", "什么人", "啥人", "哪个部门", "哪个单位", "哪个领导", "哪位领导", "由谁", "什么职务", "啥职务", "什么身份"}
	whenCues  = []string{"哪天", "哪一天", "几月几号", "几月几日", "几号", "几月", "哪年", "哪一年", "什么时候", "啥时候", "何时", "什么日子", "日期", "什么时间"}
	countCues = []string{"多少", "几个", "几项", "几条", "几大", "几点", "几种", "几位"}
	whichCues = []string{"哪些", "哪几", "哪两", "哪三", "哪四", "哪五", "哪六", "哪个", "哪项", "哪条", "哪一项", "哪一条", "哪方面", "哪块", "那块"}
	whyCues   = []string{"为什么", "为啥", "为何", "原因", "目的", "图什么", "图啥", "图个啥", "为了啥", "为了什么", "是为了", "干什么用", "有什么用意", "用意",
		"意义", "想干嘛", "想干什么", "想达到", "要达到", "初衷", "出发点", "宗旨", "起因", "缘由", "为的是"}
	whatCues = []string{"是什么", "是啥", "叫什么", "叫啥", "什么意思", "啥意思", "指什么", "指的是"}
)

// speechCues ask who said something (谁说的, 谁提出的, 哪位领导讲的): the
// answer is the speaker, not whoever the words are about.
var speechCues = []string{"说", "讲", "提出", "提的", "谈", "强调", "指出", "要求", "的话", "出自"}

// agentWords mark a sentence that names who did or said something.
var agentWords = []string{
	"书记", "主任", "区委", "区政府", "党工委", "办事处", "负责人", "成员", "干部", "部门", "党员", "领导",
	"李强", "施永根", "班子",
}

// questionParticles end or glue a question and never belong to a quote.
const questionParticles = "吗呢啊呀吧嘛啦哦哈呗么啥谁哪"

// passageFillers are chat around a quote: 我记得, 你能帮我…, 来着.
var passageFillers = []string{
	"来着", "我记得", "记得", "听说", "好像", "你能", "能不能", "帮我", "给我", "麻烦", "告诉我", "谢谢",
	"谢谢啦", "请问", "一下", "什么什么", "那个", "这个", "那些", "这些", "咱说", "说具体点", "具体点", "呗",
	"里头", "里面", "给大家", "大家", "提到", "说的", "讲的", "写的", "咋", "都有", "还有", "都", "要求", "提出",
	"当时", "担任", "职务", "身份", "什么官", "形容", "描述", "评价", "怎么说", "咋说", "咋讲",
	"之后", "以后", "然后", "接着",
	// What kind of year: 2021是啥年份.
	"年份", "什么样的一年", "怎样的一年",
	// Someone higher up, unnamed: 上头组织这个活动想干嘛.
	"上头", "上面", "上级",
	// An anchor on a point of a list: 按下快进键那条说….
	"那条", "那一条", "这条", "这一条", "那点", "那一点", "这一点", "那项", "那一项", "那段", "这段", "那句话", "那一句",
}

// frameWords frame what is asked rather than name it (养老上有啥打算,
// 跟建党有啥关系, 做成了哪些事情). Only the lenient second look drops
// them: the first keeps them, so that a question about arrangements the
// page never gives is not answered by a sentence that merely shares its
// subject.
var frameWords = []string{
	"打算", "计划", "安排", "举措", "措施", "情况", "事情", "事儿", "内容", "关系", "意思", "方面", "东西",
	"规划", "那边", "这边", "这块", "那块", "一块", "这一块", "那一块", "特殊", "厉害", "想法",
	// What it is to become: 弄成什么样子, 要建成啥样.
	"样子", "弄成", "变成", "做成", "建成", "搞成", "那段时间", "那时候", "那阵子",
	// Of what kind, first: 主要有哪些类型, 最早是谁提出来的.
	"类型", "种类", "最早", "最先", "起初", "一开始", "提出来",
}

// functionChars glue words together; a question bigram with one of them
// (感谢完, 之后又) is mostly the resident's own phrasing and weighs half.
const functionChars = "的了在是有和与及也都还就才又把被给跟对向从让之其而些这那完后着过说要"
