// Package assistant answers residents: it resolves a question with the qa
// engine, reads projects' live status from storage, remembers what the
// conversation is about, and renders the reply. It knows nothing of
// Telegram; package bot turns its Replies into messages.
//
// Where Redis is unreachable the assistant still answers from the content
// (topics, and projects' descriptions without live status) and says plainly
// what it could not read.
package assistant

import (
	"context"
	"fmt"
	"html"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/qa"
)

// store is what the assistant needs from storage.
type store interface {
	Conversation(ctx context.Context, chatID, userID int64) (communitybot.Conversation, error)
	SaveConversation(ctx context.Context, chatID, userID int64, c communitybot.Conversation, ttl time.Duration) error
	Projects(ctx context.Context) ([]communitybot.Project, error)
	Project(ctx context.Context, id string) (communitybot.Project, error)
	ProjectHistory(ctx context.Context, id string, n int) ([]communitybot.ProjectEvent, error)
	RecordQuestion(ctx context.Context, q communitybot.Question) error
}

// Options tune an Assistant.
type Options struct {
	// ConversationTTL is how long a conversation's context is kept after
	// the last message; default 30 minutes.
	ConversationTTL time.Duration
	// Location is where project update times are shown; default Asia/Shanghai.
	Location *time.Location
	Logger   *slog.Logger
}

// knowledge pairs a knowledge base with the engine built from it, so a
// reload swaps both at once.
type knowledge struct {
	kb     *content.KnowledgeBase
	engine *qa.Engine
}

// Assistant answers questions. It is safe for concurrent use.
type Assistant struct {
	know    atomic.Pointer[knowledge]
	hooks   atomic.Pointer[Hooks]
	store   store
	convTTL time.Duration
	loc     *time.Location
	log     *slog.Logger
}

// New returns an Assistant over kb and st.
func New(kb *content.KnowledgeBase, st store, o Options) (*Assistant, error) {
	if o.ConversationTTL <= 0 {
		o.ConversationTTL = 30 * time.Minute
	}
	if o.Location == nil {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			return nil, err
		}
		o.Location = loc
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Assistant{store: st, convTTL: o.ConversationTTL, loc: o.Location, log: o.Logger}
	if err := a.Reload(kb); err != nil {
		return nil, err
	}
	return a, nil
}

// Reload replaces the knowledge base; questions already being answered
// finish with the old one.
func (a *Assistant) Reload(kb *content.KnowledgeBase) error {
	e, err := qa.New(kb)
	if err != nil {
		return fmt.Errorf("assistant: %w", err)
	}
	a.know.Store(&knowledge{kb: kb, engine: e})
	return nil
}

// Hooks let other features act on questions without the assistant knowing
// them. Both are optional.
type Hooks struct {
	// Escalate hands a question the bot could not answer to staff and
	// returns the ticket number to tell the resident ("Q-0042"). An error
	// with a user-safe message is shown to the resident instead.
	Escalate func(ctx context.Context, q communitybot.Question) (string, error)
	// Observe is told how each question ended (metrics).
	Observe func(o Outcome)
}

// Outcome is how a question ended, for Hooks.Observe.
type Outcome string

func (a Answer) outcome() Outcome {
	switch {
	case a.Answered:
		return OutcomeAnswered
	case a.OffTopic:
		return OutcomeOffTopic
	}
	return OutcomeFallback
}

const (
	OutcomeAnswered Outcome = "answered"
	OutcomeFallback Outcome = "fallback"  // not answered: handed to staff
	OutcomeOffTopic Outcome = "off_topic" // outside what the bot covers: told so, no ticket
)

// SetHooks installs h; questions asked from then on use it.
func (a *Assistant) SetHooks(h Hooks) { a.hooks.Store(&h) }

// Knowledge returns the knowledge base in use.
func (a *Assistant) Knowledge() *content.KnowledgeBase { return a.know.Load().kb }

// MaxQuestionRunes bounds what is matched and stored of one question; the
// longest real questions are far shorter, and a pasted essay must not cost
// more than a question.
const MaxQuestionRunes = 500

// Answer is the outcome of Ask.
type Answer struct {
	Reply     communitybot.Reply
	Answered  bool   // false: the fallback was given and the question recorded
	TopicID   string // what matched, if anything
	ProjectID string
	FollowUp  bool   // understood through the conversation's context
	Ticket    string // the unanswered question's ticket number, if one was made (Hooks.Escalate)
	OffTopic  bool   // outside what the bot covers: told so, no ticket
}

// NotHandedToStaff ends the fallback when the question could not be handed
// to staff (no ticket could be stored): the resident is told so and asked
// to send it again, rather than left waiting for an answer that will not
// come.
const NotHandedToStaff = "抱歉，系统暂时无法把您的问题转交给街道工作人员，这个问题没有登记。请稍后再发送一次，我会为您转交。给您带来不便，敬请谅解！"

// Ask answers a free-text question from a user in a chat.
func (a *Assistant) Ask(ctx context.Context, chatID, userID int64, text string) (Answer, error) {
	k := a.know.Load()
	text = truncateRunes(strings.TrimSpace(text), MaxQuestionRunes)

	conv, err := a.store.Conversation(ctx, chatID, userID)
	if err != nil {
		// Without context the question may still be answerable.
		a.log.Warn("conversation unavailable", "chat_id", chatID, "err", err)
	}
	res := k.engine.Match(text, qa.Context{Topic: conv.Topic, Project: conv.Project, Intent: qa.Intent(conv.Intent)})
	normalized := qa.Normalize(text)
	if utf8.RuneCountInString(normalized) < 2 && !res.Found() {
		// 嗯, 🙏, a sticker's emoji: nothing to answer and nothing for staff.
		return Answer{Reply: a.prompt(k), Answered: true}, nil
	}

	ans, kind, err := a.answer(ctx, k, res)
	if err != nil {
		return Answer{}, err
	}
	forStaff := !ans.Answered && !ans.OffTopic
	if parts := questionParts(text); len(parts) > 1 {
		ans, kind, forStaff = a.answerParts(ctx, k, parts, qa.Context{Topic: conv.Topic, Project: conv.Project, Intent: qa.Intent(conv.Intent)}, res, ans, kind)
	}

	// A detail question keeps its subject as the conversation's context,
	// though it was not answered.
	if (ans.TopicID != "" || ans.ProjectID != "") && !a.isSmallTalk(k, ans.TopicID) && !res.Request {
		next := communitybot.Conversation{Topic: ans.TopicID, Project: ans.ProjectID, Intent: int(res.Intent)}
		if t, ok := k.kb.Topic(ans.TopicID); ok && t.About != "" {
			// A staff answer continues the conversation about its entry.
			next = communitybot.Conversation{Intent: int(res.Intent)}
			if _, isProject := k.kb.Project(t.About); isProject {
				next.Project = t.About
			} else {
				next.Topic = t.About
			}
		}
		if err := a.store.SaveConversation(ctx, chatID, userID, next, a.convTTL); err != nil {
			a.log.Warn("conversation not saved", "chat_id", chatID, "err", err)
		}
	}
	q := communitybot.Question{ChatID: chatID, UserID: userID, Text: text, Normalized: normalized, Answered: ans.Answered, OffTopic: ans.OffTopic, Kind: kind}
	recordErr := a.store.RecordQuestion(ctx, q)
	if recordErr != nil {
		a.log.Warn("question not recorded", "chat_id", chatID, "answered", ans.Answered, "err", recordErr)
	}
	h := a.hooks.Load()
	if h != nil && h.Observe != nil {
		h.Observe(ans.outcome())
	}
	if !forStaff {
		// Off-topic questions are recorded for the statistics but never
		// become tickets: they would only use up the resident's quota of
		// open tickets.
		return ans, nil
	}
	escalated := false
	if h != nil && h.Escalate != nil {
		no, err := h.Escalate(ctx, q)
		ticketLine := phraseTicket
		if kind == communitybot.TicketRequest {
			ticketLine = phraseRequestTicket
		}
		switch msg, safe := communitybot.UserMessage(err); {
		case err == nil:
			escalated = true
			ans.Ticket = no
			ans.Reply.Text += "\n\n" + fmt.Sprintf(ticketLine, html.EscapeString(no), html.EscapeString(no))
		case safe:
			escalated = true
			ans.Reply.Text += "\n\n" + html.EscapeString(msg)
		default:
			// Redis is down (or the ticket could not be stored): nothing
			// keeps the question for staff, so the resident must know, and
			// keeps it by sending it again. The question's record is
			// deferred and may not be written either.
			a.log.Error("question not handed to staff; the resident was asked to send it again", "chat_id", chatID, "err", err)
			ans.Reply.Text += "\n\n" + NotHandedToStaff
			return ans, nil
		}
	}
	switch {
	case recordErr != nil && !escalated:
		ans.Reply.Text += "\n\n" + phraseNotRecorded
	case !escalated && (h == nil || h.Escalate == nil):
		ans.Reply.Text += "\n\n" + phraseRecorded
	}
	return ans, nil
}

// answer renders the engine's result: the reply, and the kind of ticket an
// unanswered question becomes.
func (a *Assistant) answer(ctx context.Context, k *knowledge, res qa.Result) (Answer, communitybot.TicketKind, error) {
	var ans Answer
	kind := communitybot.TicketQuestion
	switch {
	case res.Request:
		// 楼道里有人堆东西: acknowledged and handed to staff as a
		// request, whatever campaign words it contains.
		kind = communitybot.TicketRequest
		ans = Answer{Reply: communitybot.Reply{Text: phraseRequest}}
	case res.OffTopic:
		ans = Answer{Reply: communitybot.Reply{Text: phraseOffTopic}, OffTopic: true}
	case res.Unknown:
		// About the subdistrict, but no source says (an office's phone
		// number): unknown, and a ticket for staff.
		ans = Answer{Reply: communitybot.Reply{Text: phraseUnknown, Buttons: a.menuButtons(k)}}
	case res.NeedSubject:
		ans = Answer{Reply: a.whichProject(ctx, k, "", res.Intent), Answered: true}
	case res.Missing != qa.QAny && (res.Quote != nil || res.ProjectID != "" || a.isSubstantive(k, res.TopicID)):
		// 具体哪天印发的 when the page only says 日前, 是哪个部门评的:
		// the kind of fact asked is not given; say so, show what is, and
		// hand the question to staff.
		ans = Answer{Reply: a.missingReply(k, res), TopicID: res.TopicID, ProjectID: res.ProjectID}
	case res.Quote != nil:
		ans = Answer{Reply: a.quoteReply(k, res), Answered: true, TopicID: res.TopicID, ProjectID: res.ProjectID, FollowUp: res.FollowUp}
	case res.TopicID != "" && a.isStaffAnswer(k, res.TopicID):
		t, _ := k.kb.Topic(res.TopicID)
		ans = Answer{Reply: a.topicReply(k, t), Answered: true, TopicID: t.ID, FollowUp: res.FollowUp}
	case res.Detail != "" && (res.ProjectID != "" || a.isSubstantive(k, res.TopicID) && topicDetails[res.Detail]):
		// Projects are where residents need facts the newsletter lacks
		// (costs, places, procedures). A campaign topic asked "在哪里" or
		// "流程" is still best answered with the topic; a phone number,
		// a price or a person's age is never in it.
		// A price, a procedure, a place… the newsletter never gives:
		// say so rather than answer with a general description, and hand
		// the question to staff.
		ans = Answer{Reply: a.detailReply(k, res), TopicID: res.TopicID, ProjectID: res.ProjectID, FollowUp: res.FollowUp}
	case res.ProjectID != "":
		ans = Answer{Reply: a.projectAnswer(ctx, k, res.ProjectID, res.Intent), Answered: true, ProjectID: res.ProjectID, FollowUp: res.FollowUp}
	case res.TopicID != "" && res.FollowUp && res.Intent != qa.IntentAbout:
		// 什么时候完成 after 五个张庙: a topic has no schedule or progress.
		t, _ := k.kb.Topic(res.TopicID)
		ans = Answer{Reply: a.whichProject(ctx, k, t.Title, res.Intent), Answered: true, TopicID: res.TopicID, FollowUp: true}
	case res.TopicID != "":
		t, ok := k.kb.Topic(res.TopicID)
		if !ok {
			return Answer{}, kind, fmt.Errorf("engine matched unknown topic %q", res.TopicID)
		}
		ans = Answer{Reply: a.topicReply(k, t), Answered: true, TopicID: t.ID, FollowUp: res.FollowUp}
	default:
		ans = Answer{Reply: communitybot.Reply{Text: phraseUnknown, Buttons: a.menuButtons(k)}}
	}
	return ans, kind, nil
}

// questionParts is qa.Parts without the pieces too short to be a question
// of their own; nil when the message is one question.
func questionParts(text string) []string {
	var parts []string
	for _, p := range qa.Parts(text) {
		if utf8.RuneCountInString(qa.Normalize(p)) >= minPartRunes {
			parts = append(parts, p)
		}
	}
	if len(parts) < 2 {
		return nil
	}
	return parts
}

// minPartCoverage is how much of a part a quote must have to be added to
// the answer of the whole question: a part that leans on the others (第二
// 个和第三个有什么区别) is answered by the whole.
const minPartCoverage = 0.5

// minQuotedPartCoverage is how much of a part without a question word a
// quote must have for the part to count as asked: all but a word of it.
const minQuotedPartCoverage = 0.8

// minPartRunes is the shortest part: 书记 or 说了啥 cut off by a space is
// no question of its own.
const minPartRunes = 4

// rest is what the parts of a question asked as several left unanswered,
// the most demanding kind last.
type rest int

const (
	restNone     rest = iota
	restOffTopic      // 明天下雨吗: a line, no ticket
	restUnknown       // 社区食堂几点开门, 电梯加装要多少钱: for staff
	restRequest       // 楼道堆物没人管: for staff, as a request
)

// answerParts answers a question asked as several (六大板块是哪六个？最后一
// 个是什么？), whose whole was answered as ans, often about one part only
// or none: each part that stands on its own is answered before the whole's
// answer, each line once, and what no part answers decides the rest — an
// unknown part or a complaint goes to staff even when the others were
// answered, an off-topic one gets a line. A whole that answers nothing is
// said of the rest (您问的其他内容…); the ticket holds the whole message.
//
// It returns the answer, the kind of ticket and whether the message goes
// to staff, which an answered one may now do too.
func (a *Assistant) answerParts(ctx context.Context, k *knowledge, parts []string, c qa.Context, res qa.Result, ans Answer,
	kind communitybot.TicketKind) (Answer, communitybot.TicketKind, bool) {
	forStaff := !ans.Answered && !ans.OffTopic
	texts, buttons, left := a.partAnswers(ctx, k, parts, c, res, ans.Reply.Text)
	if len(texts) == 0 && (left < restUnknown || forStaff) {
		return ans, kind, forStaff
	}
	if len(texts) == 0 && ans.OffTopic {
		// 股票怎么买？居委会电话多少？: nothing answered, and not all of
		// it is off-topic: for staff.
		ans.OffTopic, ans.Reply = false, communitybot.Reply{Text: phraseUnknown, Buttons: a.menuButtons(k)}
		if left == restRequest {
			kind, ans.Reply.Text = communitybot.TicketRequest, phraseRequest
		}
		return ans, kind, true
	}
	if !ans.Answered {
		// The whole's own line becomes one about the rest.
		ans.Reply.Text = strings.Replace(ans.Reply.Text, phraseUnknown, phraseUnknownRest, 1)
		if ans.OffTopic {
			switch {
			case left >= restUnknown:
				ans.Reply.Text = phraseUnknownRest
			case left == restOffTopic:
				ans.Reply.Text = phraseOffTopicRest
			default:
				// Off-topic only for what it told (天气预报说要降温。):
				// nothing of it was asked.
				ans.Reply.Text = ""
			}
		}
	}
	switch {
	case left == restRequest && kind != communitybot.TicketRequest:
		kind, forStaff = communitybot.TicketRequest, true
		ans.Reply.Text += "\n\n" + phraseRequest
	case left == restUnknown:
		if ans.Answered {
			ans.Reply.Text += "\n\n" + phraseUnknownRest
		}
		forStaff = true
	case left == restOffTopic && ans.Answered:
		ans.Reply.Text += "\n\n" + phraseOffTopicRest
	}
	if len(texts) > 0 && ans.OffTopic {
		ans.Answered, ans.OffTopic = true, false
	}
	ans.Reply.Text = sayOnce(append(texts, ans.Reply.Text))
	if len(ans.Reply.Buttons) == 0 {
		ans.Reply.Buttons = buttons
	}
	return ans, kind, forStaff
}

// partAnswers answers each part that stands on its own and is not already
// in whole (the whole question's reply), and tells what the other parts
// left: the most demanding rest.
//
// res is the whole's result: a part about its project is left to the
// whole's answer when it asks the same (四塘一村老房子改造 啥辰光弄好 is one
// question about when), without reading the project again.
func (a *Assistant) partAnswers(ctx context.Context, k *knowledge, parts []string, c qa.Context, res qa.Result, whole string) (texts []string, buttons [][]communitybot.Button, left rest) {
	inner := false
	for _, p := range parts {
		pr := k.engine.Match(p, c)
		ok, r := a.partStands(k, p, pr, inner)
		if !ok {
			left = max(left, r)
			continue
		}
		// The next part may follow up on this one (电梯加装进展怎么样？
		// 架空线入地呢？).
		c, inner = qa.Context{Topic: pr.TopicID, Project: pr.ProjectID, Intent: pr.Intent}, true
		if res.ProjectID != "" && pr.ProjectID == res.ProjectID && (pr.Intent == res.Intent || pr.Intent == qa.IntentAbout) {
			continue
		}
		pa, _, err := a.answer(ctx, k, pr)
		if err != nil || !pa.Answered || strings.Contains(whole, pa.Reply.Text) {
			continue
		}
		texts = append(texts, pa.Reply.Text)
		if len(buttons) == 0 {
			buttons = pa.Reply.Buttons
		}
	}
	return texts, buttons, left
}

// partStands reports whether part p, matched as pr, stands on its own
// (it asks or names a subject, is answered with a quote that covers it or
// an entry of substance, and needs no other part), and, when it does not,
// what it leaves. A part may follow up only on the part before it (inner),
// not on the conversation: the whole question's answer already does that.
func (a *Assistant) partStands(k *knowledge, p string, pr qa.Result, inner bool) (bool, rest) {
	asked := asks(p, pr)
	stands := (asked || namesSubject(p)) && pr.Answered() && (!pr.FollowUp || inner) && !pr.NeedSubject &&
		pr.Missing == qa.QAny && pr.Detail == ""
	if stands && pr.Quote != nil {
		stands = pr.Quote.Coverage >= minPartCoverage && pr.Quote.Ordinal == 0
	} else if stands {
		stands = pr.ProjectID != "" || a.isSubstantive(k, pr.TopicID)
	}
	switch {
	case stands:
		return true, restNone
	case pr.Request:
		return false, restRequest
	case !asked:
		return false, restNone // a statement (我家住泗塘一村) asks nothing
	case pr.OffTopic:
		return false, restOffTopic
	case !pr.Answered() && !pr.NeedSubject || pr.Detail != "" || pr.Missing != qa.QAny:
		return false, restUnknown
	}
	return false, restNone
}

// sayOnce joins replies into one, each line once: a project's description
// is its own paragraph in one reply and under its name in another, and a
// heading left over what was said goes too.
func sayOnce(texts []string) string {
	var blocks []string
	said := map[string]bool{}
	for _, text := range texts {
		for _, b := range strings.Split(text, "\n\n") {
			lines := strings.Split(b, "\n")
			var kept []string
			for _, l := range lines {
				if !said[l] {
					kept = append(kept, l)
				}
			}
			if len(kept) == 0 || len(kept) == 1 && (kept[0] == "" || len(lines) > 1 && kept[0] == lines[0]) {
				continue
			}
			for _, l := range kept {
				said[l] = true
			}
			blocks = append(blocks, strings.Join(kept, "\n"))
		}
	}
	return strings.Join(blocks, "\n\n")
}

// namesSubject reports whether part p, though it asks nothing, names what
// the next part asks about (那两个搞科技的园区 打算弄成什么样子; 征途漫漫
// 后面那句是啥): short, and not the resident telling about themselves
// (我家住泗塘一村, 我是老党员).
func namesSubject(p string) bool {
	return utf8.RuneCountInString(qa.Normalize(p)) <= maxSubjectPartRunes && !strings.ContainsAny(p, "我俺侬")
}

const maxSubjectPartRunes = 12

// questionWords make a part of a message a question: 我家住泗塘一村 tells,
// 老房子什么时候改造 asks.
var questionWords = []string{"？", "?", "吗", "呢", "啥", "什么", "怎么", "怎样", "咋", "哪", "谁", "几", "多少", "为何",
	"如何", "是否", "有没有", "是不是", "能不能", "伐"}

// asks reports whether part p of a message asks something: a question
// word, or a status or schedule the engine read in it (进展怎么样 has one;
// 下一句, 落款 are cues of their own kinds of question).
func asks(p string, r qa.Result) bool {
	if r.Intent != qa.IntentAbout || r.QType == qa.QNext || r.QType == qa.QPrev || r.QType == qa.QEnd || r.QType == qa.QStart {
		return true
	}
	if r.Quote != nil && r.Quote.Coverage >= minQuotedPartCoverage {
		return true // 征途漫漫: the page's words, half remembered
	}
	for _, w := range questionWords {
		if strings.Contains(p, w) {
			return true
		}
	}
	return false
}

// topicDetails are the details a campaign topic is never the answer to.
var topicDetails = map[qa.Detail]bool{
	qa.DetailContact: true, qa.DetailCost: true, qa.DetailPersonal: true, qa.DetailImpact: true,
	qa.DetailQuantity: true, qa.DetailLocation: true, qa.DetailHours: true,
}

// isStaffAnswer reports whether id is an entry whose answer staff wrote.
func (a *Assistant) isStaffAnswer(k *knowledge, id string) bool {
	t, ok := k.kb.Topic(id)
	return ok && t.StaffAnswered != ""
}

// missingLabels name the kind of fact a question asked for.
var missingLabels = map[qa.QType]string{
	qa.QWho:   "具体是谁（哪位、哪个部门）",
	qa.QWhen:  "具体的日期",
	qa.QCount: "具体的数字",
	qa.QWhich: "具体包括哪些",
}

// missingReply says that the sources do not give the kind of fact asked
// for, then what they do say: the quote, the topic or the project's
// description.
func (a *Assistant) missingReply(k *knowledge, res qa.Result) communitybot.Reply {
	text := fmt.Sprintf(phraseMissing, missingLabels[res.Missing])
	var buttons [][]communitybot.Button
	switch t, isTopic := k.kb.Topic(res.TopicID); {
	case res.Quote != nil:
		text += "\n\n" + fmt.Sprintf(phraseQuote, html.EscapeString(res.Quote.Source), html.EscapeString(res.Quote.Text))
		if res.ProjectID != "" {
			buttons = a.relatedButtons(k, []string{res.ProjectID})
		} else if isTopic && !t.SmallTalk {
			buttons = a.relatedButtons(k, []string{t.ID})
		}
	case isTopic:
		text += "\n\n" + a.topicReply(k, t).Text
		buttons = a.relatedButtons(k, t.Related)
	default:
		if p, ok := k.kb.Project(res.ProjectID); ok {
			text += "\n\n" + fmt.Sprintf(phraseDetailIntro, html.EscapeString(p.Summary))
			buttons = a.relatedButtons(k, []string{p.ID})
		}
	}
	return communitybot.Reply{Text: text, Buttons: buttons}
}

// quoteReply answers with words of a source, attributed: the newsletter
// (简报原文) or a staff answer with its date.
func (a *Assistant) quoteReply(k *knowledge, res qa.Result) communitybot.Reply {
	q := res.Quote
	var b strings.Builder
	switch {
	case q.Answer != "" && res.QType == qa.QNext:
		b.WriteString(fmt.Sprintf(phraseQuoteNext, html.EscapeString(q.Answer)) + "\n\n")
	case q.Answer != "" && res.QType == qa.QPrev:
		b.WriteString(fmt.Sprintf(phraseQuotePrev, html.EscapeString(q.Answer)) + "\n\n")
	}
	switch {
	case q.Ordinal == qa.OrdinalAll:
		b.WriteString(fmt.Sprintf(phraseOrdinalAll, html.EscapeString(q.Source)))
		for i, it := range q.Items {
			b.WriteString("\n" + fmt.Sprintf(phraseOrdinalItem, cnNumeral(i+1), html.EscapeString(it)))
		}
	case q.Ordinal > 0:
		b.WriteString(fmt.Sprintf(phraseOrdinal, cnNumeral(q.Ordinal), html.EscapeString(q.Answer), html.EscapeString(q.Source)))
	default:
		b.WriteString(fmt.Sprintf(phraseQuote, html.EscapeString(q.Source), html.EscapeString(q.Text)))
	}
	var buttons [][]communitybot.Button
	switch {
	case res.ProjectID != "":
		buttons = a.relatedButtons(k, []string{res.ProjectID})
	case res.TopicID != "" && !a.isSmallTalk(k, res.TopicID):
		buttons = a.relatedButtons(k, []string{res.TopicID})
	}
	return communitybot.Reply{Text: b.String(), Buttons: buttons}
}

// isSubstantive reports whether id is a topic about the campaign or the
// subdistrict (not small talk).
func (a *Assistant) isSubstantive(k *knowledge, id string) bool {
	t, ok := k.kb.Topic(id)
	return ok && !t.SmallTalk
}

// detailLabels name what a detail question asked for, as a resident would.
var detailLabels = map[qa.Detail]string{
	qa.DetailCost:      "费用和补贴",
	qa.DetailProcedure: "申请和办理方式",
	qa.DetailLocation:  "具体地点",
	qa.DetailContact:   "联系电话和负责人",
	qa.DetailQuantity:  "具体数字",
	qa.DetailRule:      "具体条件和规定",
	qa.DetailPersonal:  "个人情况（年龄、籍贯、现在的职务等）",
	qa.DetailImpact:    "施工影响（停电、停水、封路等）",
	qa.DetailHours:     "开放和办公时间",
}

// detailReply says that a specific fact about a known subject is not in
// the source, and offers the subject's general information.
func (a *Assistant) detailReply(k *knowledge, res qa.Result) communitybot.Reply {
	name, data := "", ""
	if p, ok := k.kb.Project(res.ProjectID); ok {
		name, data = p.Name, "p:"+p.ID
	} else if t, ok := k.kb.Topic(res.TopicID); ok {
		name, data = t.Title, "t:"+t.ID
	}
	text := fmt.Sprintf(phraseDetail, html.EscapeString(name), detailLabels[res.Detail])
	if p, ok := k.kb.Project(res.ProjectID); ok && p.Summary != "" {
		// What the newsletter does say may still help (智慧湾 is by the
		// 蕰藻浜).
		text += "\n\n" + fmt.Sprintf(phraseDetailIntro, html.EscapeString(p.Summary))
	}
	var buttons [][]communitybot.Button
	if data != "" {
		buttons = [][]communitybot.Button{{{Text: "查看「" + truncateRunes(name, 20) + "」的介绍", Data: data}}}
	}
	return communitybot.Reply{Text: text, Buttons: buttons}
}

// whichProject answers a status or schedule question that has no project
// to refer to: asked out of the blue, or after a topic (五个张庙 has no
// completion date). It offers the projects as buttons.
func (a *Assistant) whichProject(ctx context.Context, k *knowledge, topicTitle string, intent qa.Intent) communitybot.Reply {
	what := "进展"
	if intent == qa.IntentSchedule {
		what = "完成时间"
	}
	var text string
	if topicTitle != "" {
		text = fmt.Sprintf(phraseWhichProjectTopic, html.EscapeString(topicTitle), what)
	}
	text += fmt.Sprintf(phraseWhichProject, what, map[bool]string{true: "什么时候完成", false: "进展怎么样"}[intent == qa.IntentSchedule])
	list, err := a.store.Projects(ctx)
	if err != nil || len(list) == 0 {
		list = k.kb.Projects
	}
	var rows [][]communitybot.Button
	for _, p := range list {
		rows = append(rows, []communitybot.Button{{Text: fmt.Sprintf("%d. %s", p.Number, p.Name), Data: "p:" + p.ID}})
	}
	return communitybot.Reply{Text: text, Buttons: rows}
}

// prompt answers a message with nothing to answer (嗯, an emoji).
func (a *Assistant) prompt(k *knowledge) communitybot.Reply {
	return communitybot.Reply{
		Text:    phrasePrompt,
		Buttons: a.menuButtons(k),
	}
}

func (a *Assistant) isSmallTalk(k *knowledge, topicID string) bool {
	t, ok := k.kb.Topic(topicID)
	return ok && t.SmallTalk
}

// Topic renders a topic by id (a menu button) and makes it the
// conversation's context.
func (a *Assistant) Topic(ctx context.Context, chatID, userID int64, id string) (communitybot.Reply, error) {
	k := a.know.Load()
	t, ok := k.kb.Topic(id)
	if !ok {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrNotFound, "这个内容已经下线了，请发送 /start 重新打开菜单。")
	}
	if !t.SmallTalk {
		if err := a.store.SaveConversation(ctx, chatID, userID, communitybot.Conversation{Topic: t.ID}, a.convTTL); err != nil {
			a.log.Warn("conversation not saved", "chat_id", chatID, "err", err)
		}
	}
	return a.topicReply(k, t), nil
}

func (a *Assistant) topicReply(k *knowledge, t content.Topic) communitybot.Reply {
	if t.StaffAnswered != "" {
		// Staff's words, said to be theirs: 街道工作人员答复（日期）.
		title, related := t.Title, t.Related
		if t.About != "" {
			if p, ok := k.kb.Project(t.About); ok {
				title = p.Name
			} else if about, ok := k.kb.Topic(t.About); ok {
				title = about.Title
			}
			related = append([]string{t.About}, related...)
		}
		text := fmt.Sprintf(phraseStaffTitle, html.EscapeString(title), html.EscapeString(qa.StaffLabel(t.StaffAnswered)), html.EscapeString(t.Answer))
		return communitybot.Reply{Text: text, Buttons: a.relatedButtons(k, related)}
	}
	if t.SmallTalk {
		// 你好 is answered like a person would, without a heading.
		return communitybot.Reply{Text: html.EscapeString(t.Answer), Buttons: a.relatedButtons(k, t.Related)}
	}
	text := fmt.Sprintf("<b>%s</b>\n\n%s", html.EscapeString(t.Title), html.EscapeString(t.Answer))
	return communitybot.Reply{Text: text, Buttons: a.relatedButtons(k, t.Related)}
}

// relatedButtons offers up to three related topics or projects.
func (a *Assistant) relatedButtons(k *knowledge, ids []string) [][]communitybot.Button {
	var rows [][]communitybot.Button
	for _, id := range ids {
		if len(rows) == 3 {
			break
		}
		if t, ok := k.kb.Topic(id); ok {
			rows = append(rows, []communitybot.Button{{Text: "相关：" + t.Title, Data: "t:" + t.ID}})
		} else if p, ok := k.kb.Project(id); ok {
			rows = append(rows, []communitybot.Button{{Text: "相关：" + p.Name, Data: "p:" + p.ID}})
		}
	}
	return rows
}

// Welcome is the /start message.
func (a *Assistant) Welcome(firstName string) communitybot.Reply {
	k := a.know.Load()
	greet := "您好！"
	if firstName != "" {
		greet = fmt.Sprintf("%s，您好！", html.EscapeString(truncateRunes(firstName, 32)))
	}
	text := greet + "我是<b>张庙街道社区助手</b>。\n\n" +
		"您可以直接用文字问我，例如：\n" +
		"• “比学赶超”活动的目标是什么？\n" +
		"• 张庙的四个定位是什么？\n" +
		"• 电梯加装现在进展怎么样？\n" +
		"• 架空线入地现在怎么样了？\n\n" +
		"也可以点下面的按钮，或发送 /help 查看全部命令。"
	return communitybot.Reply{Text: text, Buttons: a.menuButtons(k)}
}

// Help is the /help message; commands is the rendered command list.
func (a *Assistant) Help(commands string) communitybot.Reply {
	text := "<b>使用帮助</b>\n\n" +
		"直接发送您的问题即可，我会根据张庙街道的资料回答。可以接着追问，比如先问“电梯加装进展怎么样”，再问“那架空线呢？”或“什么时候完成？”。\n\n" +
		"<b>常用命令</b>\n" + commands + "\n\n" +
		"我暂时回答不了的问题会记录下来，转交街道工作人员。"
	return communitybot.Reply{Text: text}
}

// Goals is the /goals overview.
func (a *Assistant) Goals(ctx context.Context, chatID, userID int64) (communitybot.Reply, error) {
	return a.Topic(ctx, chatID, userID, content.GoalsTopicID)
}

// menuButtons lays the content's menu out two buttons a row.
func (a *Assistant) menuButtons(k *knowledge) [][]communitybot.Button {
	var rows [][]communitybot.Button
	var row []communitybot.Button
	for _, m := range k.kb.Menu {
		data := "t:" + m.Topic
		if m.Project != "" {
			data = "p:" + m.Project
		}
		row = append(row, communitybot.Button{Text: m.Label, Data: data})
		if len(row) == 2 {
			rows = append(rows, row)
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// cnNumeral writes 1..99 as a Chinese numeral (第四项).
func cnNumeral(n int) string {
	digits := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n <= 0 || n >= 100:
		return fmt.Sprint(n)
	case n < 10:
		return digits[n]
	case n == 10:
		return "十"
	case n < 20:
		return "十" + digits[n%10]
	}
	return digits[n/10] + "十" + digits[n%10]
}

func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// Classify tells whether a text is clearly off-topic (a subject the bot
// and staff do not cover: the weather, another city) or a complaint or
// service request, as Ask would take it without context. staff.Service
// uses it for /ask.
func (a *Assistant) Classify(text string) (offTopic, request bool) {
	e := a.know.Load().engine
	text = truncateRunes(strings.TrimSpace(text), MaxQuestionRunes)
	r := e.Match(text, qa.Context{})
	return r.OffTopic && e.ClearlyOffTopic(text), r.Request
}
