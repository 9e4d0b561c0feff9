package bot

import (
	"context"
	"fmt"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/outbound"
	"github.com/zhangmiao/communitybot/subscriptions"
)

// RegisterSubscriptions registers /subscribe, /unsubscribe, /mysubs and
// the topic buttons (package subscriptions decides and words them), and
// hands Telegram's notices that a chat blocked or removed the bot, or
// became a supergroup, to fate: the same ChatFate the Sender's policy
// uses (outbound.ChatSubscriptions), so the chat's subscriptions end or
// move.
func RegisterSubscriptions(rt *Router, svc *subscriptions.Service, fate outbound.ChatFate) {
	rt.Command(Command{Name: "subscribe", Description: "订阅公告、提醒或项目进展", Handle: func(ctx context.Context, r *Request) error {
		reply, err := svc.Subscribe(ctx, asker(r), r.Args)
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})
	rt.Command(Command{Name: "unsubscribe", Description: "取消订阅：/unsubscribe 内容 或 all", Handle: func(ctx context.Context, r *Request) error {
		reply, err := svc.Unsubscribe(ctx, asker(r), r.Args)
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})
	rt.Command(Command{Name: "mysubs", Description: "查看当前的订阅", Handle: func(ctx context.Context, r *Request) error {
		reply, err := svc.Mine(ctx, asker(r))
		if err != nil {
			return err
		}
		return r.Reply(ctx, reply)
	}})
	rt.Callback(subscriptions.Prefix, communitybot.RoleResident, func(ctx context.Context, r *Request) error { // sub:<topic>
		menu, notice, err := svc.Toggle(ctx, asker(r), r.Data)
		if err != nil {
			return err
		}
		_ = r.Toast(ctx, notice, false)
		return r.Edit(ctx, menu)
	})
	rt.OnChatEvent(func(ctx context.Context, ev ChatEvent) error {
		var err error
		switch ev.Kind {
		case ChatGone:
			err = fate.Gone(ctx, ev.ChatID)
		case ChatMigrated:
			err = fate.Moved(ctx, ev.ChatID, ev.NewChatID)
		}
		if err != nil {
			return fmt.Errorf("chat event: %w: %w", ErrTemporary, err)
		}
		return nil
	})
}

// asker is the request's caller, with Telegram's group-admin check.
func asker(r *Request) subscriptions.Asker {
	return subscriptions.Asker{Caller: callerOf(r), ChatAdmin: r.IsChatAdmin}
}

// callerOf is who sent the request and where, as features take it.
func callerOf(r *Request) communitybot.Caller {
	kind := communitybot.ChatPrivate
	switch {
	case r.IsGroup():
		kind = communitybot.ChatGroup
	case r.ChatType != "private":
		kind = communitybot.ChatChannel
	}
	return communitybot.Caller{Actor: actorOf(r), ChatID: r.ChatID, Chat: kind}
}
