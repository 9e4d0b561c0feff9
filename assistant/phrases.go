package assistant

// The sentences the assistant writes itself, as opposed to the words it
// passes on from the knowledge file, the newsletter, staff answers and
// project records. They are kept in one place so that TestRepliesAreTraceable
// can check that a reply holds nothing else: each of these either states no
// fact (an apology, what the bot can do, how to reach staff) or frames a
// value (%s) that must itself come from a source.
const (
	phraseOffTopic = "抱歉，这个问题不在我能回答的范围内。我是张庙街道社区助手，只回答张庙街道的工作、活动和项目方面的问题。需要街道工作人员帮忙的事，可以发送 /ask 加上您的问题。"
	phraseUnknown  = "抱歉，这个问题我手上的资料（2021年张庙街道简报）里没有写，我不能随意回答。"
	// The rest of a question asked as several, when some parts were
	// answered and the rest is unknown or off-topic.
	phraseUnknownRest  = "您问的其他内容，我手上的资料（2021年张庙街道简报）里没有写，我不能随意回答。"
	phraseOffTopicRest = "您问的其他内容不在我能回答的范围内：我只回答张庙街道的工作、活动和项目方面的问题。需要街道工作人员帮忙的事，可以发送 /ask 加上您的问题。"
	phraseRequest      = "收到，感谢您的反映！这件事需要街道工作人员来处理，我已经帮您登记并转交。"

	phraseTicket        = "您的问题已转交街道工作人员，问题编号 <b>%s</b>。工作人员答复后，我会在这里转告您；也可以随时发送 /ticket %s 查看进度。"
	phraseRequestTicket = "登记编号 <b>%s</b>。工作人员处理或答复后，我会在这里转告您；也可以随时发送 /ticket %s 查看进度。"
	phraseNotRecorded   = "（系统暂时无法记录您的问题，请稍后再发一次，谢谢！）"
	phraseRecorded      = "您的问题已记录，街道工作人员会看到。"

	phraseDetail      = "抱歉，关于「%s」的%s，我手上的资料（2021年街道简报）里没有写，不能随意回答。"
	phraseDetailIntro = "简报里的介绍：%s"
	phraseMissing     = "抱歉，简报里没有写明%s，我不能随意回答。简报里相关的内容是："

	phraseQuoteNext   = "下一句是：<b>%s</b>"
	phraseQuotePrev   = "前一句是：<b>%s</b>"
	phraseQuote       = "<b>%s</b>：「%s」"
	phraseOrdinal     = "第%s项是：<b>%s</b>（%s）"
	phraseOrdinalAll  = "%s里分别是："
	phraseOrdinalItem = "第%s项：<b>%s</b>"
	phraseStaffTitle  = "<b>%s</b>\n%s：\n%s"

	phraseWhichProjectTopic = "简报里没有「%s」的%s。"
	phraseWhichProject      = "您想了解哪个项目的%s？请点下面的项目，或直接说项目名称，例如“电梯加装%s”。"
	phrasePrompt            = "您好！请问有什么可以帮您？可以直接用文字提问，例如“电梯加装进展怎么样”，也可以点下面的按钮。"

	phraseStaleStatus   = "抱歉，「%s」的实时进展暂时无法读取，请稍后再问。"
	phraseSeedStatus    = "根据2021年的街道简报，「%s」的登记状态为<b>%s</b>；此后工作人员还没有在这里发布新的进展，也没有公布具体进度数字。"
	phraseStatus        = "「%s」目前的状态是：<b>%s</b>。%s"
	phraseProgress      = "已公布的进度约为 %d%%。"
	phraseNoProgress    = "街道目前还没有公布具体的进度数字。"
	phraseDone          = "「%s」已经完工。"
	phrasePaused        = "「%s」目前处于暂停状态，还没有公布恢复和完成的时间。"
	phrasePlanning      = "「%s」还在规划中，目前没有公布开工和完成的时间。"
	phraseSchedule      = "关于「%s」什么时候完成：目前<b>还没有公布</b>预计完成时间，项目状态是%s。%s有新进展时，工作人员会在这里更新。"
	phraseCardStatus    = "状态：%s"
	phraseCardProgress  = "进度：约 %d%%"
	phraseCardNoProg    = "进度：暂未公布具体数字"
	phraseCardSeed      = "信息来源：2021年张庙街道简报（工作人员尚未发布新的进展）"
	phraseCardUpdated   = "最近更新：%s（街道工作人员）"
	phraseCardNote      = "最新说明：%s"
	phraseCardStale     = "（实时进度暂时无法读取，以下为资料中的介绍）"
	phraseProjectUnread = "抱歉，暂时读取不到这个项目的信息，请稍后再试。"
)

// phrases lists every phrase above, for TestRepliesAreTraceable.
var phrases = []string{
	phraseOffTopic, phraseUnknown, phraseUnknownRest, phraseOffTopicRest, phraseRequest, phraseTicket, phraseRequestTicket, phraseNotRecorded,
	phraseRecorded, phraseDetail, phraseDetailIntro, phraseMissing, phraseQuoteNext, phraseQuotePrev,
	phraseQuote, phraseOrdinal, phraseOrdinalAll, phraseOrdinalItem, phraseStaffTitle, phraseWhichProjectTopic, phraseWhichProject, phrasePrompt,
	phraseStaleStatus, phraseSeedStatus, phraseStatus, phraseProgress, phraseNoProgress, phraseDone,
	phrasePaused, phrasePlanning, phraseSchedule, phraseCardStatus, phraseCardProgress, phraseCardNoProg,
	phraseCardSeed, phraseCardUpdated, phraseCardNote, phraseCardStale, phraseProjectUnread,
}
