package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot"
)

// SetChatCommands sets the command menu Telegram shows in one chat
// (BotCommandScopeChat). An empty list deletes the chat's own menu, so the
// chat shows the default (residents') menu again.
func (s *Sender) SetChatCommands(ctx context.Context, chatID int64, cmds []Command) error {
	scope := &models.BotCommandScopeChat{ChatID: chatID}
	if len(cmds) == 0 {
		return s.call(ctx, "deleteMyCommands", func(ctx context.Context) error {
			_, err := s.api.DeleteMyCommands(ctx, &tgbot.DeleteMyCommandsParams{Scope: scope})
			return err
		})
	}
	list := make([]models.BotCommand, len(cmds))
	for i, c := range cmds {
		list[i] = models.BotCommand{Command: c.Name, Description: c.Description}
	}
	return s.call(ctx, "setMyCommands", func(ctx context.Context) error {
		_, err := s.api.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: list, Scope: scope})
		return err
	})
}

// DirectoryStore is what a Directory keeps about the users who talk to the bot
// (storage.Store).
type DirectoryStore interface {
	RecordUser(ctx context.Context, u communitybot.User) error
	UserMenu(ctx context.Context, userID int64) (communitybot.Role, string, error)
	SetUserMenu(ctx context.Context, userID int64, digest string) error
}

// Directory records users' names (for leaderboards and @username lookups)
// and keeps each member's and admin's private-chat menu in line with
// their role. Both run on every request (RegisterMembership makes it
// observe them), so both are cached in memory: a user costs a Redis write
// only when their name changes, and a menu check once per process (which
// also refreshes menus after a release changed the commands). It is the
// membership commands' Menus: a role they change shows in the user's menu
// at once.
type Directory struct {
	rt     *Router
	store  DirectoryStore
	sender *Sender
	log    *slog.Logger

	mu      sync.Mutex
	names   map[int64]string // user id → "username\x00first name" last recorded
	checked map[int64]bool   // user ids whose menu was checked by this process
}

// NewDirectory returns a Directory over store that sets menus through
// sender, with the commands registered on rt.
func NewDirectory(rt *Router, store DirectoryStore, sender *Sender, log *slog.Logger) *Directory {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Directory{rt: rt, store: store, sender: sender, log: log, names: map[int64]string{}, checked: map[int64]bool{}}
}

// SetRoleMenu shows a user the commands of role in their private chat
// (membership.Menus).
func (d *Directory) SetRoleMenu(ctx context.Context, userID int64, role communitybot.Role) error {
	return d.setMenu(ctx, d.sender, userID, role)
}

// maxCached bounds the caches; past it they start afresh (a cache miss
// costs one Redis round trip, nothing more).
const maxCached = 100_000

// observeTimeout bounds the observer: a slow Redis or Telegram must not
// hold up the request it sees (the Sender would retry for a minute).
const observeTimeout = 5 * time.Second

// observe is a Router observer.
func (d *Directory) observe(ctx context.Context, r *Request) {
	if r.UserID == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, observeTimeout)
	defer cancel()
	name := r.Username + "\x00" + r.FirstName
	d.mu.Lock()
	if len(d.names) > maxCached {
		d.names = map[int64]string{}
	}
	if len(d.checked) > maxCached {
		d.checked = map[int64]bool{}
	}
	known := d.names[r.UserID] == name
	check := !d.checked[r.UserID] && r.ChatType == "private"
	d.mu.Unlock()

	if !known {
		if err := d.store.RecordUser(ctx, communitybot.User{ID: r.UserID, Username: r.Username, FirstName: r.FirstName}); err != nil {
			d.log.Warn("cannot record user", "user_id", r.UserID, "err", err)
		} else {
			d.mu.Lock()
			d.names[r.UserID] = name
			d.mu.Unlock()
		}
	}
	if check {
		role, digest, err := d.store.UserMenu(ctx, r.UserID)
		if err != nil {
			d.log.Warn("cannot check the user's menu", "user_id", r.UserID, "err", err)
			return
		}
		if digest != d.digest(role) {
			if err := d.setMenu(ctx, r.sender, r.UserID, role); err != nil {
				d.log.Warn("cannot set the user's menu", "user_id", r.UserID, "err", err)
				return
			}
		}
		d.mu.Lock()
		d.checked[r.UserID] = true
		d.mu.Unlock()
	}
}

// digest identifies the menu of a role; "" for residents, who see the
// default menu.
func (d *Directory) digest(role communitybot.Role) string {
	if role != communitybot.RoleMember && role != communitybot.RoleAdmin {
		return ""
	}
	h := sha256.New()
	for _, c := range d.rt.Commands(role) {
		h.Write([]byte(c.Name + "\x00" + c.Description + "\n"))
	}
	return string(role) + ":" + hex.EncodeToString(h.Sum(nil))[:16]
}

// setMenu shows a user the commands of their role in their private chat:
// members and admins get their own menu, residents the default one.
func (d *Directory) setMenu(ctx context.Context, s *Sender, userID int64, role communitybot.Role) error {
	var cmds []Command
	if d.digest(role) != "" {
		cmds = d.rt.Commands(role)
	}
	if err := s.SetChatCommands(ctx, userID, cmds); err != nil {
		if strings.Contains(err.Error(), "chat not found") {
			// The user never opened a chat with the bot; the menu is set
			// on their first private message instead.
			return nil
		}
		return err
	}
	if err := d.store.SetUserMenu(ctx, userID, d.digest(role)); err != nil {
		return err
	}
	d.mu.Lock()
	d.checked[userID] = true
	d.mu.Unlock()
	return nil
}
