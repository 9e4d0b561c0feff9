package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf16"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

const (
	readBatch = 16
	readBlock = 2 * time.Second
)

// work consumes one inbox partition whenever this replica holds its lease.
func (b *Bot) work(ctx context.Context, p int) {
	name := fmt.Sprintf("inbox:%d", p)
	for ctx.Err() == nil {
		asked := time.Now()
		ok, err := b.store.AcquireLease(ctx, name, b.cfg.ReplicaID, b.cfg.LeaseTTL)
		if err == nil && ok {
			b.redisDown.Store(false)
			b.own(ctx, p, newHeldLease(name, b.cfg.LeaseTTL, asked))
			continue
		}
		// One line per outage, not one per partition every second.
		if err != nil && ctx.Err() == nil && !b.redisDown.Swap(true) {
			b.log.Warn("cannot reach redis for the partition leases", "err", err)
		}
		sleep(ctx, jitter(b.cfg.LeaseTTL/8))
	}
}

// adoptOrphans moves updates left in partitions beyond Partitions (an
// older release used more) into the current ones, so none is stranded.
// Replicas that do it at once are harmless: the target partition's
// update-id marks drop the second copy. Run it before intake starts, so
// the moved (older) updates come before new ones.
func (b *Bot) adoptOrphans(ctx context.Context) {
	orphans, err := b.store.InboxOrphans(ctx, Partitions)
	if err != nil {
		b.log.Warn("cannot look for stranded updates", "err", err)
		return
	}
	for _, p := range orphans {
		entries, err := b.store.InboxEntries(ctx, p)
		if err != nil {
			b.log.Warn("cannot read stranded updates", "partition", p, "err", err)
			continue
		}
		items := make([]storage.InboxItem, 0, len(entries))
		ids := make([]string, 0, len(entries))
		for _, e := range entries {
			ids = append(ids, e.ID)
			if it, err := inboxItem(e.Payload, Partitions); err == nil {
				items = append(items, it)
			}
		}
		if _, err := b.store.InboxAppend(ctx, items); err != nil {
			b.log.Warn("cannot move stranded updates", "partition", p, "err", err)
			continue
		}
		if err := b.store.InboxRemove(ctx, p, ids...); err != nil {
			b.log.Warn("stranded updates moved but not removed; they may be handled twice", "partition", p, "err", err)
		}
		b.log.Info("moved updates from an old partition", "partition", p, "count", len(items))
	}
}

// retry tracks an update whose handling failed for a reason that should
// clear up.
type retry struct {
	attempts int
	since    time.Time
}

// errAckFailed reports an update that was handled but whose
// acknowledgement Redis did not take.
var errAckFailed = errors.New("acknowledgement not written")

// own handles a partition's updates in order while the lease is held. It
// first finishes what a previous owner read but did not acknowledge.
//
// An update whose handling fails for a reason that should clear up
// (Telegram or Redis unreachable) is retried with a growing pause, the
// partition waiting so that the chat's order holds. One that still fails
// after GiveUpAfter is moved to the dead-letter stream, counted and logged,
// so that one broken update cannot hold its partition for ever.
func (b *Bot) own(ctx context.Context, p int, l *heldLease) {
	log := b.log.With("component", "worker", "partition", p)
	ownCtx, lost := context.WithCancel(ctx)
	defer lost()
	go b.keep(ownCtx, lost, l, false, log)
	defer func() {
		relCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = b.store.ReleaseLease(relCtx, l.name, b.cfg.ReplicaID)
	}()
	if err := b.store.InboxPrepare(ownCtx, p); err != nil {
		log.Warn("cannot prepare the inbox", "err", err)
		sleep(ownCtx, time.Second)
		return
	}

	pending := true
	retries := map[string]*retry{}
	failing := false // log an outage once, not every second
	for ownCtx.Err() == nil {
		entries, err := b.store.InboxRead(ownCtx, p, readBatch, readBlock, pending)
		if err != nil {
			if ownCtx.Err() == nil {
				if !failing {
					log.Warn("cannot read the inbox; retrying every second", "err", err)
					b.fault("redis_inbox")
				}
				failing = true
				sleep(ownCtx, time.Second)
			}
			continue
		}
		if failing {
			log.Info("inbox readable again")
			failing = false
		}
		if pending && len(entries) == 0 {
			pending = false
			continue
		}
		for _, e := range entries {
			// After shutdown, a lost lease or one we cannot be sure of,
			// start nothing new: the entry stays pending for the next
			// owner.
			if ownCtx.Err() != nil || !l.valid(time.Now()) {
				return
			}
			r := retries[e.ID]
			attempt := 1
			if r != nil {
				attempt = r.attempts + 1
			}
			err := b.handleEntry(ctx, ownCtx, p, e, attempt)
			if err == nil {
				delete(retries, e.ID)
				continue
			}
			pending = true // re-read from this entry, keeping order
			if errors.Is(err, errAckFailed) {
				break
			}
			if r == nil {
				r = &retry{since: time.Now()}
				retries[e.ID] = r
			}
			r.attempts++
			if time.Since(r.since) >= b.cfg.GiveUpAfter {
				delete(retries, e.ID)
				b.deadLetter(ctx, p, e, r, err)
				continue
			}
			log.Warn("update not handled, will retry", "update_id", e.UpdateID, "attempt", r.attempts, "err", err)
			// The pause is taken without a worker slot, so a stuck
			// partition does not slow the others.
			sleep(ownCtx, min(time.Duration(r.attempts)*time.Second, time.Minute))
			break
		}
	}
}

// handleEntry handles one inbox entry and acknowledges it, holding one of
// the replica's Workers slots throughout (so at most Workers updates are
// answered but not yet acknowledged when a process dies). It returns the
// handler's error when handling failed for a reason that should clear up,
// or errAckFailed when Redis did not take the acknowledgement.
func (b *Bot) handleEntry(ctx, ownCtx context.Context, p int, e storage.InboxEntry, attempt int) error {
	select {
	case b.slots <- struct{}{}:
	case <-ownCtx.Done():
		return ownCtx.Err()
	}
	defer func() { <-b.slots }()

	batch, err := b.process(withAttempt(ctx, attempt), e)
	if err != nil {
		return err
	}
	// The handler's deferred writes and the acknowledgement go in one
	// round trip. If Redis does not take them, try for a while before
	// reading the entry again: handling it again would repeat its reply.
	for wait := 100 * time.Millisecond; ; wait = min(wait*2, 5*time.Second) {
		ackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err := b.store.InboxAck(ackCtx, p, batch, e.ID)
		cancel()
		if err == nil {
			return nil
		}
		if ownCtx.Err() != nil || wait >= 5*time.Second {
			b.log.Warn("cannot acknowledge an update; it will be handled again", "partition", p, "update_id", e.UpdateID, "err", err)
			b.fault("redis_inbox")
			return errAckFailed
		}
		sleep(ownCtx, wait)
	}
}

// deadLetter gives an update up: it is moved to the dead-letter stream
// (kept for staff to look at) and acknowledged.
func (b *Bot) deadLetter(ctx context.Context, p int, e storage.InboxEntry, r *retry, cause error) {
	b.log.Error("giving up on an update; moved to the dead-letter stream", "partition", p, "update_id", e.UpdateID,
		"attempts", r.attempts, "since", r.since, "err", cause)
	b.fault("update_dropped")
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := b.store.InboxDeadLetter(dctx, p, e, cause.Error()); err != nil {
		b.log.Warn("cannot move an update to the dead-letter stream; it will be tried again", "update_id", e.UpdateID, "err", err)
	}
}

type attemptKey struct{}

// withAttempt records which attempt at an update a handling is.
func withAttempt(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, attemptKey{}, n)
}

// retrying reports whether this handling repeats an earlier attempt.
func retrying(ctx context.Context) bool {
	n, _ := ctx.Value(attemptKey{}).(int)
	return n > 1
}

// outcome carries a handler's result back through go-telegram/bot's
// ProcessUpdate, whose handlers return nothing.
type outcome struct{ err error }

type outcomeKey struct{}

// process runs one stored update through go-telegram/bot's router and our
// handlers. The handler's context survives shutdown (it has its own
// deadline), so an update in hand is finished, not abandoned half-way. The
// writes the handler deferred are returned in a Batch for the caller to
// flush with the acknowledgement.
func (b *Bot) process(ctx context.Context, e storage.InboxEntry) (*storage.Batch, error) {
	var u models.Update
	if err := json.Unmarshal(e.Payload, &u); err != nil {
		b.log.Error("dropping an unreadable stored update", "update_id", e.UpdateID, "err", err)
		return nil, nil
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.HandlerTimeout)
	defer cancel()
	hctx, batch := storage.WithBatch(hctx)
	return batch, b.handle(hctx, &u)
}

// handle runs an update through go-telegram/bot's ProcessUpdate (its
// middlewares, then our Router) and returns the handler's error.
func (b *Bot) handle(ctx context.Context, u *models.Update) error {
	out := &outcome{}
	b.api.ProcessUpdate(context.WithValue(ctx, outcomeKey{}, out), u)
	return out.err
}

// handleUpdate is go-telegram/bot's default handler: every update reaches
// our Router through it.
func (b *Bot) handleUpdate(ctx context.Context, _ *tgbot.Bot, u *models.Update) {
	if ev, ok := chatEventOf(u); ok {
		err := b.router.chatEvent(ctx, ev)
		if out, ok := ctx.Value(outcomeKey{}).(*outcome); ok && errors.Is(err, ErrTemporary) {
			out.err = err
		}
		return
	}
	r := newRequest(u, b.Username(), b.sender)
	if r == nil {
		return
	}
	if r.IsGroup() && !r.IsCallback() && r.Command == "" {
		// In a group the bot answers plain text only when spoken to: a
		// mention of its exact username or a reply to one of its messages.
		// A command addressed to another bot is that bot's, even when the
		// text also mentions us.
		text, mentioned, otherBot := addressed(u.Message, b.Username())
		switch {
		case otherBot:
			return
		case mentioned:
			r.Text = text
		case r.ReplyTo != nil && r.ReplyTo.FromBot:
		default:
			return
		}
	}
	var err error
	if b.allow(ctx, r) {
		err = b.router.serve(ctx, r)
	}
	if out, ok := ctx.Value(outcomeKey{}).(*outcome); ok {
		out.err = err
	}
}

// FloodNotice is what a user who sends too much too fast is told, once per
// window. It must not promise answers to the messages it skips.
const FloodNotice = "您发送得有点快，这一分钟里接下来的消息我先不处理了。请稍等一分钟再继续提问，谢谢理解！"

// allow applies flood control: past the limit a user's messages are not
// handled, so one user cannot keep a worker busy for others.
func (b *Bot) allow(ctx context.Context, r *Request) bool {
	if retrying(ctx) {
		return true // counted when it was first handled
	}
	guard := b.flood
	if r.IsCallback() {
		// Button presses come in runs (toggling subscriptions), so they
		// have a limit of their own, three times the messages'.
		guard = b.floodButtons
	}
	verdict := guard.check(r.UserID)
	if verdict != floodAllow {
		// Staff at work (answering tickets, updating projects) may go
		// faster than residents; the role costs a lookup only here.
		if role, err := b.router.UserRole(ctx, r); err == nil && role == communitybot.RoleAdmin {
			return true
		}
	}
	switch verdict {
	case floodNotify:
		b.fault("flood")
		b.log.Warn("flood control: slowing a user down", "user_id", r.UserID, "chat_id", r.ChatID, "limit", b.cfg.FloodLimit, "window", b.cfg.FloodWindow)
		if r.IsCallback() {
			_ = r.Toast(ctx, FloodNotice, true)
		} else {
			_ = r.Reply(ctx, communitybot.Reply{Text: FloodNotice})
		}
		return false
	case floodDrop:
		if r.IsCallback() {
			_ = r.Toast(ctx, "", false) // stop the button's spinner
		}
		return false
	}
	return true
}

// recoverMiddleware turns a handler panic into a log line and an apology:
// one bad update must not take the process, or its partition, down.
func (b *Bot) recoverMiddleware(next tgbot.HandlerFunc) tgbot.HandlerFunc {
	return func(ctx context.Context, api *tgbot.Bot, u *models.Update) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			b.log.Error("handler panicked", "update_id", u.ID, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			b.fault("panic")
			if r := newRequest(u, b.Username(), b.sender); r != nil {
				if r.IsCallback() {
					_ = r.Toast(ctx, Apology, true)
				} else {
					_ = r.Reply(ctx, communitybot.Reply{Text: Apology})
				}
			}
		}()
		start := time.Now()
		next(ctx, api, u)
		b.log.Debug("update handled", "update_id", u.ID, "duration", time.Since(start))
	}
}

// addressed reads a group message's entities, as Telegram marked them: it
// reports whether the message mentions the bot by its exact username (a
// mention entity "@ourname", or a text_mention of the bot), and returns the
// text with those mentions removed; otherBot reports a message starting
// with a command addressed to another bot ("/help@ournameHelper"). A
// username that merely starts with ours ("@ournameHelper") is someone else.
// Entity offsets count UTF-16 code units.
func addressed(m *models.Message, username string) (text string, mentioned, otherBot bool) {
	if m == nil || username == "" {
		return "", false, false
	}
	text, ents := m.Text, m.Entities
	if text == "" {
		text, ents = m.Caption, m.CaptionEntities
	}
	units := utf16.Encode([]rune(text))
	span := func(e models.MessageEntity) (string, bool) {
		if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > len(units) {
			return "", false
		}
		return string(utf16.Decode(units[e.Offset : e.Offset+e.Length])), true
	}
	var ours []models.MessageEntity
	for _, e := range ents {
		switch e.Type {
		case models.MessageEntityTypeBotCommand:
			cmd, ok := span(e)
			_, bot, named := strings.Cut(cmd, "@")
			if ok && e.Offset == 0 && named && !strings.EqualFold(bot, username) {
				return text, false, true
			}
		case models.MessageEntityTypeMention:
			if s, ok := span(e); ok && strings.EqualFold(s, "@"+username) {
				ours = append(ours, e)
			}
		case models.MessageEntityTypeTextMention:
			if e.User != nil && e.User.IsBot && strings.EqualFold(e.User.Username, username) {
				if _, ok := span(e); ok {
					ours = append(ours, e)
				}
			}
		}
	}
	if len(ours) == 0 {
		return text, false, false
	}
	// Cut the mentions out, last first so earlier offsets stay valid. A
	// text_mention is a name in the sentence ("王助手，…"): it goes too, as
	// an @mention would.
	for i := len(ours) - 1; i >= 0; i-- {
		e := ours[i]
		units = append(units[:e.Offset:e.Offset], append([]uint16{' '}, units[e.Offset+e.Length:]...)...)
	}
	return strings.TrimSpace(strings.Trim(string(utf16.Decode(units)), " ，,：:")), true, false
}
