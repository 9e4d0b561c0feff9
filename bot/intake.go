package bot

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/intake"
)

// allowedUpdates are the update kinds the bot asks Telegram for.
// my_chat_member tells us when a user blocks the bot or a group removes it.
var allowedUpdates = []string{"message", "callback_query", "my_chat_member"}

// updateHead is the part of an update the intake needs: its id and the chat
// that decides its order and its inbox partition. The rest stays raw JSON, so no field
// Telegram adds is lost between intake and handler.
type updateHead struct {
	ID      int64 `json:"update_id"`
	Message *struct {
		Chat struct{ ID int64 } `json:"chat"`
	} `json:"message"`
	EditedMessage *struct {
		Chat struct{ ID int64 } `json:"chat"`
	} `json:"edited_message"`
	CallbackQuery *struct {
		From    struct{ ID int64 } `json:"from"`
		Message *struct {
			Chat struct{ ID int64 } `json:"chat"`
		} `json:"message"`
	} `json:"callback_query"`
	MyChatMember *struct {
		Chat struct{ ID int64 } `json:"chat"`
	} `json:"my_chat_member"`
}

func (h updateHead) chatID() int64 {
	switch {
	case h.Message != nil:
		return h.Message.Chat.ID
	case h.EditedMessage != nil:
		return h.EditedMessage.Chat.ID
	case h.CallbackQuery != nil && h.CallbackQuery.Message != nil:
		return h.CallbackQuery.Message.Chat.ID
	case h.CallbackQuery != nil:
		return h.CallbackQuery.From.ID
	case h.MyChatMember != nil:
		return h.MyChatMember.Chat.ID
	}
	return 0
}

// updateOf parses one raw update into what the intake stores: its id and
// the chat whose order it belongs to.
func updateOf(raw []byte) (intake.Update, error) {
	var h updateHead
	if err := json.Unmarshal(raw, &h); err != nil {
		return intake.Update{}, fmt.Errorf("malformed update: %w", err)
	}
	if h.ID <= 0 {
		return intake.Update{}, errors.New("update without update_id")
	}
	return intake.Update{ID: h.ID, Chat: h.chatID(), Payload: raw}, nil
}

// chatOf returns the chat of a stored update (for entries an older release
// stored without it).
func chatOf(raw []byte) (int64, error) {
	u, err := updateOf(raw)
	return u.Chat, err
}

// poll runs for the life of the bot. Only one replica may call getUpdates
// (Telegram answers 409 to a second), so replicas elect a leader through a
// lease in Redis; the others wait and take over when the leader's lease
// lapses.
func (b *Bot) poll(ctx context.Context) {
	log := b.log.With("component", "poller")
	for ctx.Err() == nil {
		asked := time.Now()
		ok, err := b.store.AcquireLease(ctx, "poller", b.cfg.ReplicaID, b.cfg.LeaseTTL)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("cannot reach redis for the poller lease", "err", err)
		case ok:
			log.Info("this replica now polls telegram")
			b.lead(ctx, newHeldLease("poller", b.cfg.LeaseTTL, asked), log)
			continue
		}
		sleep(ctx, jitter(b.cfg.LeaseTTL/8))
	}
}

// lead polls while this replica holds the poller lease.
func (b *Bot) lead(ctx context.Context, l *heldLease, log *slog.Logger) {
	leadCtx, stop := context.WithCancel(ctx)
	defer stop()
	go b.keep(leadCtx, stop, l, true, log)
	defer func() {
		// Hand over at once on shutdown instead of after the TTL.
		relCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = b.store.ReleaseLease(relCtx, "poller", b.cfg.ReplicaID)
	}()

	// A webhook left over from an earlier deployment makes getUpdates fail.
	if err := b.sender.call(leadCtx, "deleteWebhook", func(ctx context.Context) error {
		_, err := b.api.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
		return err
	}); err != nil && leadCtx.Err() == nil {
		log.Warn("deleteWebhook failed", "err", err)
	}

	offset, err := b.store.PollerOffset(leadCtx)
	if err != nil {
		log.Warn("cannot read the poll offset", "err", err)
		return
	}
	backoff := time.Duration(0)
	var savedAt time.Time
	for leadCtx.Err() == nil {
		if backoff > 0 {
			sleep(leadCtx, backoff)
		}
		b.in.Room(leadCtx) // fetch no more than the replicas can handle soon
		raws, retryAfter, err := b.getUpdates(leadCtx, offset)
		if err != nil {
			if leadCtx.Err() != nil {
				return
			}
			if errors.Is(err, errPollConflict) && l.unsure.Load() {
				// Another poller runs while we cannot reach Redis: most
				// likely another replica took the lease that we could not
				// renew. Step down rather than fight it.
				log.Warn("another poller is running and our lease is unconfirmed; stepping down")
				return
			}
			if retryAfter > 0 { // Telegram said how long; doubling would only delay updates
				backoff = retryAfter
			} else {
				backoff = min(max(backoff*2, 250*time.Millisecond), 5*time.Second)
			}
			b.fault("telegram_poll")
			log.Warn("getUpdates failed", "err", err, "retry_in", backoff)
			continue
		}
		backoff = 0
		if len(raws) == 0 {
			continue
		}
		items := make([]intake.Update, 0, len(raws))
		next := offset
		for _, raw := range raws {
			it, err := updateOf(raw)
			if err != nil {
				// Still step past it, or it would block the queue forever.
				var head struct {
					ID int64 `json:"update_id"`
				}
				_ = json.Unmarshal(raw, &head)
				next = max(next, head.ID+1)
				log.Error("dropping an update we cannot parse", "update_id", head.ID, "err", err)
				continue
			}
			items = append(items, it)
			next = max(next, it.ID+1)
		}
		// Store before confirming: the next getUpdates with the new offset
		// is what tells Telegram to forget these updates.
		added, err := b.in.Append(leadCtx, items)
		switch {
		case err == nil && time.Since(savedAt) >= offsetSaveEvery:
			// A hint for the next leader; a stale one only refetches.
			if err := b.store.SavePollerOffset(leadCtx, next); err == nil {
				savedAt = time.Now()
			}
		case err != nil:
			if leadCtx.Err() != nil {
				return
			}
			b.fault("redis_inbox")
			// Redis is unreachable. Rather than leave residents
			// unanswered, handle the batch here, in order, and confirm it
			// only afterwards; handlers answer what they can without Redis.
			log.Error("cannot store updates; handling them directly until redis is back", "err", err, "count", len(items))
			b.handleDirectly(leadCtx, items)
		}
		if dup := len(items) - added; err == nil && dup > 0 {
			log.Info("dropped updates telegram sent again", "count", dup)
			for range dup {
				b.fault("duplicate_update")
			}
		}
		offset = next
	}
}

// offsetSaveEvery spaces the poll offset's writes: it is only a hint for
// the next leader (see storage.SavePollerOffset), not worth a round trip
// per batch.
const offsetSaveEvery = 5 * time.Second

// errPollConflict is Telegram's 409 to getUpdates: another poller runs, or
// a webhook is set.
var errPollConflict = errors.New("getUpdates: 409 conflict")

type getUpdatesResponse struct {
	OK          bool              `json:"ok"`
	Result      []json.RawMessage `json:"result"`
	ErrorCode   int               `json:"error_code"`
	Description string            `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// getUpdates calls the Bot API's getUpdates. We call it ourselves rather
// than through go-telegram/bot's Start, which confirms an update to Telegram
// as soon as it is queued in memory, before any handler has seen it.
// Errors never contain the URL, which holds the token.
func (b *Bot) getUpdates(ctx context.Context, offset int64) ([]json.RawMessage, time.Duration, error) {
	body, _ := json.Marshal(map[string]any{
		"offset":          offset,
		"limit":           100,
		"timeout":         int(b.cfg.PollTimeout.Seconds()),
		"allowed_updates": allowedUpdates,
	})
	reqCtx, cancel := context.WithTimeout(ctx, b.cfg.PollTimeout+15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, b.cfg.APIURL+"/bot"+b.cfg.Token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, 0, errors.New("getUpdates: cannot build request (check TELEGRAM_API_URL)")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.poller.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error would print the URL, token included
		}
		return nil, 0, fmt.Errorf("getUpdates: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("getUpdates: read: %w", err)
	}
	var r getUpdatesResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, 0, fmt.Errorf("getUpdates: HTTP %d, not a Bot API answer", resp.StatusCode)
	}
	if !r.OK {
		err := fmt.Errorf("getUpdates: %d %s", r.ErrorCode, r.Description)
		if r.ErrorCode == http.StatusConflict {
			err = fmt.Errorf("%w: %s", errPollConflict, r.Description)
		}
		return nil, time.Duration(r.Parameters.RetryAfter) * time.Second, err
	}
	return r.Result, 0, nil
}

// setWebhook registers our URL and secret with Telegram. Every replica
// calls it at start; the call is idempotent.
func (b *Bot) setWebhook(ctx context.Context) error {
	err := b.sender.call(ctx, "setWebhook", func(ctx context.Context) error {
		_, err := b.api.SetWebhook(ctx, &tgbot.SetWebhookParams{
			URL: b.cfg.WebhookURL, SecretToken: b.cfg.WebhookSecret, AllowedUpdates: allowedUpdates,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("setWebhook: %w", err)
	}
	return nil
}

func webhookPath(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Path == "" {
		return "/"
	}
	return u.Path
}

func (b *Bot) webhookServer() *http.Server {
	mux := http.NewServeMux()
	mux.Handle("POST "+webhookPath(b.cfg.WebhookURL), b.WebhookHandler())
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		ErrorLog:          slog.NewLogLogger(b.log.Handler(), slog.LevelWarn),
	}
}

// WebhookHandler accepts updates posted by Telegram. It answers 401 to a
// request without the right secret token (go-telegram/bot's own handler
// answers 200 even then), and 200 only after the update is stored in the
// inbox: on a storage failure it answers 503 and Telegram sends the update
// again later. A second copy of an update id is acknowledged and dropped.
func (b *Bot) WebhookHandler() http.Handler {
	secret := []byte(b.cfg.WebhookSecret)
	log := b.log.With("component", "webhook")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		if subtle.ConstantTimeCompare(got, secret) != 1 {
			b.rejectedWebhook(log, r.RemoteAddr)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		raw, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		it, err := updateOf(raw)
		if err != nil {
			log.Error("rejecting a malformed update", "err", err)
			http.Error(w, "malformed update", http.StatusBadRequest)
			return
		}
		added, err := b.in.Append(r.Context(), []intake.Update{it})
		if err == nil && added == 0 {
			log.Info("dropped an update telegram sent again", "update_id", it.ID)
			b.fault("duplicate_update")
		}
		if err != nil {
			// Redis is unreachable: answer what we can now, and let
			// Telegram resend the update if even that fails.
			b.fault("redis_inbox")
			log.Error("cannot store update; handling it directly", "update_id", it.ID, "err", err)
			b.handleDirectly(r.Context(), []intake.Update{it})
		}
		w.WriteHeader(http.StatusOK)
	})
}

// handleDirectly handles updates in order without the inbox, for when
// Redis is down. An update whose handler cannot finish without Redis (a
// subscription, a member's command) gets an apology asking to try again
// later: it cannot be kept anywhere, and holding the whole poll back for it
// would leave every other resident unanswered too.
func (b *Bot) handleDirectly(ctx context.Context, items []intake.Update) {
	for _, it := range items {
		b.fault("degraded")
		batch, err := b.process(ctx, it)
		if err != nil {
			b.log.Warn("update could not be handled while redis is down; the user was asked to try again", "update_id", it.ID, "err", err)
			b.apologize(ctx, it.Payload)
			continue
		}
		if batch != nil {
			if err := b.store.Flush(ctx, batch); err != nil {
				b.log.Warn("deferred writes lost while redis is down", "update_id", it.ID, "err", err)
			}
		}
	}
}

// apologize tells the sender of an update that it could not be handled.
func (b *Bot) apologize(ctx context.Context, payload []byte) {
	var u models.Update
	if json.Unmarshal(payload, &u) != nil {
		return
	}
	r := newRequest(&u, b.Username(), b.sender)
	if r == nil {
		return
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if r.IsCallback() {
		_ = r.Toast(actx, Apology, true)
		return
	}
	_ = r.Reply(actx, communitybot.Reply{Text: Apology})
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d)
}
