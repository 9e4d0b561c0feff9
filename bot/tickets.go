package bot

import (
	"context"
	"fmt"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/staff"
)

// RegisterTickets registers the questions-to-staff flow: /ask and /ticket
// for residents, /tickets, /answer, /learn and /unlearn for admins, the rating buttons,
// and the staff chat's replies to ticket posts (a middleware, so a reply
// that is an answer never reaches the Q&A).
//
// /answer, /learn and a reply to a post answer once per update (replies,
// see replyOnce): handled again, they repeat the reply, not the relay.
func RegisterTickets(rt *Router, svc *staff.Service, replies ReplyStore) {
	rt.Command(Command{Name: "ticket", Description: "查看我转交工作人员的问题：/ticket 编号", Handle: func(ctx context.Context, r *Request) error {
		role, err := rt.UserRole(ctx, r)
		if err != nil {
			role = communitybot.RoleResident // only the asker's own tickets then
		}
		reply, err := svc.MyTicket(ctx, r.UserID, role.Allows(communitybot.RoleAdmin), r.Args)
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})
	rt.Command(Command{Name: "ask", Description: "直接请工作人员答复：/ask 您的问题", Handle: func(ctx context.Context, r *Request) error {
		// Handled again, the same question gives the same ticket: no
		// second ticket, the same reply.
		reply, err := svc.Ask(ctx, r.ChatID, r.UserID, r.Args)
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})
	rt.Command(Command{Name: "tickets", Description: "待答复的居民问题", Role: communitybot.RoleAdmin, Handle: func(ctx context.Context, r *Request) error {
		reply, err := svc.OpenTickets(ctx)
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})
	rt.Command(Command{Name: "answer", Description: "答复居民问题：/answer 编号 答复内容", Role: communitybot.RoleAdmin, Handle: func(ctx context.Context, r *Request) error {
		return replyOnce(ctx, replies, r, func(ctx context.Context) (communitybot.Reply, error) {
			return svc.AnswerCommand(ctx, actorOf(r), r.Args, messageSource(r))
		})
	}})
	rt.Command(Command{Name: "learn", Description: "把已答复的问题加入问答库：/learn 编号 话题标识|new 标题", Role: communitybot.RoleAdmin, Handle: func(ctx context.Context, r *Request) error {
		return replyOnce(ctx, replies, r, func(ctx context.Context) (communitybot.Reply, error) {
			return svc.Learn(ctx, actorOf(r), r.Args)
		})
	}})
	rt.Command(Command{Name: "unlearn", Description: "从问答库移出学到的条目：/unlearn 条目标识", Role: communitybot.RoleAdmin, Handle: func(ctx context.Context, r *Request) error {
		return replyOnce(ctx, replies, r, func(ctx context.Context) (communitybot.Reply, error) {
			return svc.Unlearn(ctx, actorOf(r), r.Args)
		})
	}})
	rt.Callback(staff.RatePrefix, communitybot.RoleResident, func(ctx context.Context, r *Request) error { // rate:<no>:g|b
		no, rating, ok := staff.ParseRating(r.Data)
		if !ok {
			return errStaleButton
		}
		reply, err := svc.Rate(ctx, r.UserID, no, rating)
		if err != nil {
			return err
		}
		_ = r.Toast(ctx, staff.RateNotice, false)
		if err := r.Edit(ctx, reply); err != nil {
			return err
		}
		svc.ReportRating(ctx, no, rating)
		return nil
	})
	rt.Use(staffReplies(rt, svc, replies))
}

// staffReplies answers a ticket when a staff member replies to its post in
// the staff chat: only a reply to a recorded ticket post (the message id the
// desk recorded when it posted the ticket) relays and closes the ticket. A
// reply to any other bot message there (the /tickets list, an echo that
// happens to contain Q-0003, a confirmation) gets a short hint and changes
// nothing. Other messages pass through untouched.
func staffReplies(rt *Router, svc *staff.Service, replies ReplyStore) Middleware {
	return func(next HandlerFunc) HandlerFunc {
		return func(ctx context.Context, r *Request) error {
			if r.ReplyTo == nil || r.Command != "" || r.IsCallback() || r.ChatID != svc.StaffChatID() {
				return next(ctx, r)
			}
			no, ok, err := svc.TicketForStaffMessage(ctx, r.ChatID, r.ReplyTo.MessageID)
			if err != nil {
				return fmt.Errorf("ticket of staff message: %w: %w", ErrTemporary, err)
			}
			if !ok && !r.ReplyTo.FromBot {
				return next(ctx, r) // staff talking among themselves
			}
			if !ok {
				// The desk records a post just after Telegram accepts it: a
				// reply in that instant is to a post not recorded yet. It is
				// handled again shortly, when the record decides; a text that
				// only looks like a post decides nothing.
				if n, ok := staff.TicketOfPost(r.ReplyTo.Text); ok {
					inFlight, err := svc.PostInFlight(ctx, n)
					if err != nil {
						return fmt.Errorf("ticket post in flight: %w: %w", ErrTemporary, err)
					}
					if inFlight {
						return fmt.Errorf("reply to %s before its post is recorded: %w", communitybot.TicketNo(n), ErrTemporary)
					}
				}
				return r.Reply(ctx, staff.NotATicketPost)
			}
			if err := rt.authorize(ctx, r, communitybot.RoleAdmin); err != nil {
				return err
			}
			return replyOnce(ctx, replies, r, func(ctx context.Context) (communitybot.Reply, error) {
				return svc.Answer(ctx, actorOf(r), no, r.Text, messageSource(r))
			})
		}
	}
}

// messageSource identifies the staff message carrying an answer.
func messageSource(r *Request) string { return fmt.Sprintf("%d:%d", r.ChatID, r.MessageID) }
