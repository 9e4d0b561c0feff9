package staff

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/zhangmiao/communitybot"
)

// answerUsage is /answer's usage, shown with every refusal of its form.
const answerUsage = "用法：/answer Q-0042 答复内容\n也可以在员工群里直接回复该问题的消息。发送 /tickets 查看待答复的问题。"

// ParseAnswer reads /answer's arguments, "Q-0042 答复内容", into the
// ticket and the answer. Its errors carry the usage.
func ParseAnswer(args string) (no int64, text string, err error) {
	args = strings.TrimSpace(args)
	ref := args
	if i := strings.IndexFunc(args, unicode.IsSpace); i >= 0 {
		ref, text = args[:i], args[i:]
	}
	if ref == "" {
		return 0, "", communitybot.Errorf(communitybot.ErrInvalid, "%s", answerUsage)
	}
	no, err = communitybot.ParseTicketNo(ref)
	if err != nil {
		msg, _ := communitybot.UserMessage(err)
		return 0, "", communitybot.Errorf(communitybot.ErrInvalid, "%s\n%s", msg, answerUsage)
	}
	if strings.TrimSpace(text) == "" {
		return 0, "", communitybot.Errorf(communitybot.ErrInvalid, "请在编号后面写上答复内容。\n%s", answerUsage)
	}
	return no, text, nil
}

// AnswerCommand answers /answer Q-0042 <text>: source identifies the
// staff message, as for Answer.
func (s *Service) AnswerCommand(ctx context.Context, a Actor, args, source string) (communitybot.Reply, error) {
	no, text, err := ParseAnswer(args)
	if err != nil {
		return communitybot.Reply{}, err
	}
	return s.Answer(ctx, a, no, text, source)
}

// ParseRating reads a rating button's data, "rate:<no>:g" or
// "rate:<no>:b" (never trusted: Rate checks the asker and the ticket).
func ParseRating(data string) (no int64, r communitybot.Rating, ok bool) {
	parts := strings.Split(data, ":")
	if len(parts) != 3 || parts[0] != RatePrefix {
		return 0, communitybot.RatingNone, false
	}
	no, err := strconv.ParseInt(parts[1], 10, 64)
	r = map[string]communitybot.Rating{"g": communitybot.RatingGood, "b": communitybot.RatingBad}[parts[2]]
	if err != nil || no <= 0 || r == communitybot.RatingNone {
		return 0, communitybot.RatingNone, false
	}
	return no, r, true
}

// RateNotice is the short notice a rating press gets.
const RateNotice = "感谢您的评价！"

// NotATicketPost is the hint for a reply in the staff chat to a bot
// message that is not a ticket post: nothing was relayed.
var NotATicketPost = communitybot.Reply{Text: "⚠️ 这条回复没有转告任何居民：您回复的不是问题工单消息。\n答复居民请直接回复「🆕 居民提问 Q-xxxx」那条工单消息，或发送 /answer 编号 答复内容（/tickets 查看待答复的问题）。"}

// ticketPostHeader is how a ticket post starts (ticketPost, as a channel
// returns it without markup): "🆕 居民提问 Q-0042" for a question, "🛠
// 居民提问 Q-0042 【诉求：需要处理】" for a request.
var ticketPostHeader = regexp.MustCompile(`^(?:🆕|🛠) 居民提问 (Q-\d+)[ \n]`)

// TicketOfPost returns the ticket number a message's plain text shows as
// a ticket post's header. Only the recorded post id decides whether a
// reply answers a ticket (TicketForStaffMessage); this tells a reply to
// a post not recorded yet (PostInFlight) from a reply to anything else.
func TicketOfPost(text string) (int64, bool) {
	m := ticketPostHeader.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	no, err := communitybot.ParseTicketNo(m[1])
	return no, err == nil
}
