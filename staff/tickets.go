package staff

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/qa"
	"github.com/zhangmiao/communitybot/storage"
)

// Escalate turns a question the bot could not answer into a ticket and
// returns its number for the fallback reply (assistant.Hooks.Escalate).
// The same resident asking the same question again gets the same ticket.
// The ticket is posted to the staff chat in the background (Run), so a
// slow Telegram never delays the resident's reply, and a ticket that could
// not be posted is posted later.
func (s *Service) Escalate(ctx context.Context, q communitybot.Question) (string, error) {
	t := communitybot.Ticket{ChatID: q.ChatID, UserID: q.UserID, Question: q.Text, Normalized: q.Normalized, CreatedAt: s.cfg.Now(), Kind: q.Kind}
	t, reused, err := s.d.Store.CreateTicket(ctx, t, s.cfg.MaxOpenPerUser, s.posting())
	if errors.Is(err, storage.ErrTooManyOpen) {
		return "", communitybot.Errorf(communitybot.ErrConflict,
			"您已有 %d 个问题在等待工作人员答复，这个问题暂未登记。请等答复后再提新问题；发送 /ticket 可查看您的问题。", s.cfg.MaxOpenPerUser)
	}
	if err != nil {
		return "", err
	}
	if !reused {
		s.obs.ObserveTicket("created")
		s.log.Info("ticket created", "ticket", communitybot.TicketNo(t.No), "chat_id", t.ChatID)
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return communitybot.TicketNo(t.No), nil
}

// MaxAskRunes bounds a question handed to staff with /ask, as the
// assistant bounds the questions it matches.
const MaxAskRunes = 500

// UsageAsk explains /ask.
const UsageAsk = "请在 /ask 后面写上您的问题，例如：/ask 小区门口的路灯坏了，请问找谁修？\n问题会直接转交街道工作人员，答复后我会在这里告诉您。"

// Ask hands a question to staff as a ticket at once (/ask), without
// trying the Q&A first: for a resident who wants a person to answer. It
// is the same ticket flow, with the same per-user cap, as a question the
// bot could not answer; asking the same again gives the same ticket.
func (s *Service) Ask(ctx context.Context, chatID, userID int64, text string) (communitybot.Reply, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "%s", UsageAsk)
	}
	if n := utf8.RuneCountInString(text); n > MaxAskRunes {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "问题太长了（%d 字），请精简到 %d 字以内再发送 /ask。", n, MaxAskRunes)
	}
	q := communitybot.Question{ChatID: chatID, UserID: userID, Text: text, Normalized: qa.Normalize(text), At: s.cfg.Now()}
	if c, ok := s.d.QA.(Classifier); ok {
		switch offTopic, request := c.Classify(text); {
		case offTopic:
			// Staff handle the subdistrict's affairs; a question about
			// the weather would only use up the resident's open tickets.
			return communitybot.Reply{Text: askOffTopic}, nil
		case request:
			q.Kind = communitybot.TicketRequest
		}
	}
	no, err := s.Escalate(ctx, q)
	if err != nil {
		return communitybot.Reply{}, err
	}
	return communitybot.Reply{Text: fmt.Sprintf(
		"好的，您的问题已转交街道工作人员，问题编号 <b>%s</b>。工作人员答复后，我会在这里转告您；也可以随时发送 /ticket %s 查看进度。", no, no)}, nil
}

// askOffTopic answers /ask with a question outside the subdistrict's
// affairs: no ticket is made.
const askOffTopic = "抱歉，这个问题不属于街道工作人员答复的范围（街道工作人员负责张庙街道的工作、活动、项目和社区事务），所以没有登记。有张庙街道方面的问题或需要反映的事，欢迎再发送 /ask 加上您的问题。"

// Classifier tells what kind of message a text is. The assistant
// implements it; /ask uses it, when Deps.QA has it, so that an off-topic
// question makes no ticket and a complaint is marked as a request.
type Classifier interface {
	Classify(text string) (offTopic, request bool)
}

func (s *Service) posting() bool { return s.cfg.StaffChatID != 0 && s.d.Poster != nil }

// postLease is how long a ticket claimed for posting is this replica's: it
// outlasts one post with all the Sender's retries (HandlerTimeout/2, 1 min
// by default), so another replica takes a ticket over only from a replica
// that died. Tickets are claimed one at a time for that reason.
const postLease = 3 * time.Minute

// postPending posts the tickets waiting for the staff chat, oldest first.
// A ticket leaves the queue only when its post is recorded; at the first
// failure (the staff chat is unreachable) the ticket is handed back and
// the next tick tries again, not a tight loop.
func (s *Service) postPending(ctx context.Context) {
	if !s.posting() {
		return
	}
	for ctx.Err() == nil {
		nos, err := s.d.Store.ClaimUnposted(ctx, 1, postLease)
		if err != nil {
			s.obs.Fault("redis")
			s.log.Error("cannot read the tickets waiting for the staff chat; will retry", "err", err)
			return
		}
		if len(nos) == 0 {
			return
		}
		no := nos[0]
		if err := s.postTicket(ctx, no); err != nil {
			s.obs.Fault("staff_chat")
			s.log.Error("ticket not posted to the staff chat; will retry", "ticket", communitybot.TicketNo(no), "staff_chat_id", s.cfg.StaffChatID, "err", err)
			releaseCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			if err := s.d.Store.ReleaseUnposted(releaseCtx, no); err != nil {
				// Still queued: it is posted once the lease runs out.
				s.log.Warn("unposted ticket not released; retried after its lease", "ticket", communitybot.TicketNo(no), "err", err)
			}
			cancel()
			return
		}
	}
}

func (s *Service) postTicket(ctx context.Context, no int64) error {
	t, err := s.d.Store.Ticket(ctx, no)
	if errors.Is(err, communitybot.ErrNotFound) {
		return s.d.Store.DropUnposted(ctx, no)
	}
	if err != nil {
		return err
	}
	if t.Status != communitybot.TicketOpen {
		return s.d.Store.DropUnposted(ctx, no) // answered with /answer before it was posted
	}
	msgID, err := s.d.Poster.Post(ctx, s.cfg.StaffChatID, s.ticketPost(t))
	if err != nil {
		return err
	}
	if err := s.d.Store.SetTicketPost(ctx, no, s.cfg.StaffChatID, msgID); err != nil {
		// Still queued: it is posted again rather than left without a
		// post that staff replies can find.
		return err
	}
	s.obs.ObserveTicket("posted")
	return nil
}

// ticketPost is the staff-chat message for a ticket.
func (s *Service) ticketPost(t communitybot.Ticket) communitybot.Reply {
	from := fmt.Sprintf("私聊（用户 %d）", t.UserID)
	switch {
	case communitybot.ChannelOf(t.ChatID) == communitybot.ChannelWeb:
		from = fmt.Sprintf("网页版（%s）", communitybot.WebVisitorLabel(t.UserID))
	case t.ChatID < 0:
		from = fmt.Sprintf("群聊（用户 %d）", t.UserID)
	}
	no := communitybot.TicketNo(t.No)
	icon, mark := "🆕", ""
	if t.Kind == communitybot.TicketRequest {
		// A complaint or service request: someone has to act, not only
		// reply.
		icon, mark = "🛠", " 【诉求：需要处理】"
	}
	return communitybot.Reply{Text: fmt.Sprintf(
		"%s <b>居民提问 %s</b>%s\n来自%s，%s\n\n%s\n\n直接<b>回复本条消息</b>即可答复，答复会转告提问的居民；也可以发送 /answer %s 答复内容。",
		icon, no, mark, from, s.fmtTime(t.CreatedAt), html.EscapeString(t.Question), no)}
}

// PostInFlight reports whether ticket no's staff-chat post is being made
// right now (sent, or about to be, but not recorded yet): a staff reply
// to it in that instant is to be handled again shortly, when the post is
// recorded, rather than refused.
func (s *Service) PostInFlight(ctx context.Context, no int64) (bool, error) {
	return s.d.Store.TicketPostInFlight(ctx, no)
}

// TicketForStaffMessage returns the ticket posted as message msgID in the
// staff chat; ok is false when the message is not a ticket post.
func (s *Service) TicketForStaffMessage(ctx context.Context, chatID int64, msgID int) (no int64, ok bool, err error) {
	if chatID != s.cfg.StaffChatID || s.cfg.StaffChatID == 0 {
		return 0, false, nil
	}
	no, err = s.d.Store.TicketByStaffMessage(ctx, chatID, msgID)
	if errors.Is(err, communitybot.ErrNotFound) {
		return 0, false, nil
	}
	return no, err == nil, err
}

// Answer closes ticket no with a staff answer and relays it to the
// resident. source identifies the staff message (chat:message), so the same
// message handled twice relays once more at most and is not refused. It
// returns the confirmation for the staff member.
func (s *Service) Answer(ctx context.Context, a Actor, no int64, answer, source string) (communitybot.Reply, error) {
	answer = strings.TrimSpace(answer)
	if answer == "" {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "答复内容不能为空。")
	}
	if n := utf8.RuneCountInString(answer); n > communitybot.MaxStaffAnswerRunes {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "答复太长了（%d 字），请控制在 %d 字以内。", n, communitybot.MaxStaffAnswerRunes)
	}
	t, err := s.d.Store.Ticket(ctx, no)
	if errors.Is(err, communitybot.ErrNotFound) {
		return communitybot.Reply{}, ticketNotFound(no)
	}
	if err != nil {
		return communitybot.Reply{}, err
	}
	noText := communitybot.TicketNo(no)
	first, err := s.d.Store.AnswerTicket(ctx, no, answer, a.Name, a.UserID, source)
	if errors.Is(err, storage.ErrTicketDone) {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrConflict, "%s 已由 %s 于 %s 答复过了，无需重复答复。",
			noText, t.AnsweredBy, s.fmtTime(t.AnsweredAt))
	}
	if err != nil {
		return communitybot.Reply{}, err
	}
	if first {
		s.obs.ObserveTicket("answered")
		s.audit(ctx, a, "answer", noText, answer)
	} else if t.Relayed {
		return communitybot.Reply{Text: fmt.Sprintf("已转告居民（%s），工单已关闭。", noText)}, nil
	}
	if s.d.Poster == nil {
		return communitybot.Reply{Text: fmt.Sprintf("已记录 %s 的答复，但系统暂时无法发消息给居民。", noText)}, nil
	}
	t.Answer, t.AnsweredBy, t.Status = answer, a.Name, communitybot.TicketAnswered
	if _, err := s.d.Poster.Post(ctx, t.ChatID, RelayMessage(t)); err != nil {
		if errors.Is(err, ErrUndeliverable) {
			s.log.Warn("answer not relayed: the resident's chat cannot be reached", "ticket", noText, "chat_id", t.ChatID, "err", err)
			return communitybot.Reply{Text: fmt.Sprintf("已记录 %s 的答复，工单已关闭；但无法送达居民（对方可能已停用机器人或退出了群）。", noText)}, nil
		}
		// Temporary: the caller leaves the update to be handled again,
		// which relays without answering twice (same source).
		return communitybot.Reply{}, err
	}
	s.obs.ObserveTicket("relayed")
	if err := s.d.Store.MarkTicketRelayed(ctx, no); err != nil {
		s.log.Warn("relay not recorded", "ticket", noText, "err", err)
	}
	return communitybot.Reply{Text: fmt.Sprintf("已转告居民（%s），工单已关闭。", noText)}, nil
}

// Rating buttons carry "rate:<no>:g" or "rate:<no>:b".
const RatePrefix = "rate"

// RelayMessage is what the resident receives: the staff answer, marked as
// coming from staff, with rating buttons.
func RelayMessage(t communitybot.Ticket) communitybot.Reply {
	return communitybot.Reply{
		Text: relayText(t),
		Buttons: [][]communitybot.Button{{
			{Text: "👍 满意", Data: fmt.Sprintf("%s:%d:g", RatePrefix, t.No)},
			{Text: "👎 不满意", Data: fmt.Sprintf("%s:%d:b", RatePrefix, t.No)},
		}},
	}
}

func relayText(t communitybot.Ticket) string {
	return fmt.Sprintf("💬 <b>街道工作人员答复</b>（问题编号 %s）\n您的问题：%s\n\n%s",
		communitybot.TicketNo(t.No), html.EscapeString(truncate(t.Question, 200)), html.EscapeString(t.Answer))
}

// Rate records the asker's rating and returns the relayed message without
// its buttons, to replace the rated one.
func (s *Service) Rate(ctx context.Context, userID, no int64, r communitybot.Rating) (communitybot.Reply, error) {
	err := s.d.Store.RateTicket(ctx, no, userID, r)
	switch {
	case errors.Is(err, communitybot.ErrForbidden):
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrForbidden, "只有提问的居民本人可以评价这个答复。")
	case errors.Is(err, storage.ErrTicketDone):
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrConflict, "您已经评价过了，谢谢！")
	case errors.Is(err, storage.ErrTicketNotAnswered):
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrConflict, "这个问题还没有答复，暂时不能评价。")
	case errors.Is(err, communitybot.ErrNotFound):
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrNotFound, "这个按钮已失效。")
	case err != nil:
		return communitybot.Reply{}, err
	}
	s.obs.ObserveTicket("rated_" + string(r))
	t, err := s.d.Store.Ticket(ctx, no)
	if err != nil {
		return communitybot.Reply{}, err
	}
	return communitybot.Reply{Text: relayText(t) + fmt.Sprintf("\n\n您的评价：%s。感谢您的反馈！", r.Label())}, nil
}

// ReportRating tells the staff chat how an answer was rated. It is best
// effort and meant to run after the resident has been answered, so a slow
// staff chat never delays them.
func (s *Service) ReportRating(ctx context.Context, no int64, r communitybot.Rating) {
	if !s.posting() {
		return
	}
	note := communitybot.Reply{Text: fmt.Sprintf("居民对 %s 的答复评价：<b>%s</b>。", communitybot.TicketNo(no), r.Label())}
	if _, err := s.d.Poster.Post(ctx, s.cfg.StaffChatID, note); err != nil {
		s.obs.Fault("staff_chat")
		s.log.Warn("rating not reported to the staff chat", "ticket", communitybot.TicketNo(no), "err", err)
	}
}

func ticketNotFound(no int64) error {
	return communitybot.Errorf(communitybot.ErrNotFound, "没有编号为 %s 的问题。发送 /tickets 查看待答复的问题。", communitybot.TicketNo(no))
}

// MyTicket renders ticket ref for the user who asked it (/ticket Q-0042).
// Anyone else gets the same answer as for a ticket that does not exist,
// so numbers cannot be probed; admins may see any ticket. An empty ref
// lists the user's latest tickets.
func (s *Service) MyTicket(ctx context.Context, userID int64, admin bool, ref string) (communitybot.Reply, error) {
	if strings.TrimSpace(ref) == "" {
		return s.myTickets(ctx, userID)
	}
	no, err := communitybot.ParseTicketNo(ref)
	if err != nil {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrInvalid, "%s只发送 /ticket 可查看您的问题列表。", mustMessage(err))
	}
	t, err := s.d.Store.Ticket(ctx, no)
	if err != nil && !errors.Is(err, communitybot.ErrNotFound) {
		return communitybot.Reply{}, err
	}
	if err != nil || (t.UserID != userID && !admin) {
		return communitybot.Reply{}, communitybot.Errorf(communitybot.ErrNotFound,
			"没有找到您提交的问题 %s。请核对编号；发送 /ticket 可查看您最近提交的问题。", communitybot.TicketNo(no))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<b>问题 %s</b>\n状态：%s\n提问时间：%s\n问题：%s", communitybot.TicketNo(t.No), t.Status.Label(), s.fmtTime(t.CreatedAt), html.EscapeString(t.Question))
	if t.Status == communitybot.TicketAnswered {
		fmt.Fprintf(&b, "\n\n<b>工作人员答复</b>（%s）：\n%s\n\n评价：%s", s.fmtTime(t.AnsweredAt), html.EscapeString(t.Answer), t.Rating.Label())
	} else {
		b.WriteString("\n\n工作人员答复后，我会第一时间转告您。")
	}
	return communitybot.Reply{Text: b.String()}, nil
}

func (s *Service) myTickets(ctx context.Context, userID int64) (communitybot.Reply, error) {
	list, err := s.d.Store.UserTickets(ctx, userID, 5)
	if err != nil {
		return communitybot.Reply{}, err
	}
	if len(list) == 0 {
		return communitybot.Reply{Text: "您还没有转交给工作人员的问题。我回答不了的问题会自动登记并转交，届时会告诉您问题编号；想直接请工作人员答复，可以发送 /ask 您的问题。"}, nil
	}
	var b strings.Builder
	b.WriteString("<b>您最近提交的问题</b>")
	for _, t := range list {
		fmt.Fprintf(&b, "\n• %s（%s）%s", communitybot.TicketNo(t.No), t.Status.Label(), html.EscapeString(truncate(t.Question, 40)))
	}
	b.WriteString("\n\n发送 /ticket 编号 查看详情，例如 /ticket " + communitybot.TicketNo(list[0].No) + "；有新问题想请工作人员答复，可以发送 /ask 您的问题。")
	return communitybot.Reply{Text: b.String()}, nil
}

// maxListed bounds /tickets so the list stays one message.
const maxListed = 20

// OpenTickets renders the open tickets for staff (/tickets).
func (s *Service) OpenTickets(ctx context.Context) (communitybot.Reply, error) {
	list, total, err := s.d.Store.OpenTickets(ctx, maxListed)
	if err != nil {
		return communitybot.Reply{}, err
	}
	if total == 0 {
		return communitybot.Reply{Text: "目前没有待答复的问题。"}, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<b>待答复的问题</b>（共 %d 个，最早的在前）", total)
	now := s.cfg.Now()
	for _, t := range list {
		mark := ""
		if t.Kind == communitybot.TicketRequest {
			mark = " 【诉求】"
		}
		fmt.Fprintf(&b, "\n\n<b>%s</b>%s · %s前\n%s", communitybot.TicketNo(t.No), mark, age(now.Sub(t.CreatedAt)), html.EscapeString(truncate(t.Question, 120)))
	}
	if total > int64(len(list)) {
		fmt.Fprintf(&b, "\n\n……另有 %d 个未列出。", total-int64(len(list)))
	}
	b.WriteString("\n\n答复方法：在员工群里回复对应的提问消息，或发送 /answer 编号 答复内容。")
	if s.cfg.StaffChatID == 0 {
		b.WriteString("\n（未设置 STAFF_CHAT_ID：问题不会自动发到员工群，请用 /answer 答复。）")
	}
	return communitybot.Reply{Text: b.String()}, nil
}

// age renders a duration the way people say it: 5 分钟, 3 小时, 2 天.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "不到 1 分钟"
	case d < time.Hour:
		return fmt.Sprintf("%d 分钟", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d 小时", int(d.Hours()))
	}
	return fmt.Sprintf("%d 天", int(d.Hours()/24))
}
