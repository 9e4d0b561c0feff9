package qa

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
)

// detailMasks contain a detail cue but ask something else: 放在哪个园区
// asks which park, not where it is.
var detailMasks = []string{"在哪个", "在哪一个", "在哪些", "在哪几个"}

// detailCues name each kind's cues, in Normalize form.
var detailCues = map[Detail][]string{
	DetailCost:      {"多少钱", "要钱", "收钱", "收费", "费用", "价格", "补贴", "补助", "花多少", "出多少", "出钱", "自费", "免费吗", "贵不贵"},
	DetailProcedure: {"怎么申请", "如何申请", "申请", "怎么办理", "如何办理", "办理", "手续", "流程", "材料", "怎么报名", "报名", "怎么买", "怎么领", "领取", "预约"},
	DetailLocation:  {"在哪", "在哪里", "在哪儿", "地址", "位置", "怎么去", "怎么走", "哪条路", "什么地方", "啥地方"},
	DetailContact:   {"电话", "号码", "联系方式", "手机号", "微信", "邮箱", "热线", "谁负责", "负责人是谁", "找谁", "联系谁"},
	DetailQuantity:  {"多少户", "几户", "多少人", "几栋", "多少栋", "多少幢", "几幢", "多少家", "几家", "多少台", "几台", "多少部", "几部", "多少个小区", "几个小区"},
	DetailRule:      {"什么条件", "条件", "资格", "符合", "同意", "签字", "规定"},
}
