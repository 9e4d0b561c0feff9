package tgtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

// queuedUpdate is an update waiting to be confirmed.
type queuedUpdate struct {
	id   int64
	kind string // the update's field name: "message", "callback_query", …
	raw  []byte // the update as JSON

	// redelivery marks an update injected with an update_id that was
	// already used: it stands for Telegram handing out an update again
	// (after a lost confirmation), so it is delivered once even if the
	// poller's offset is past its id.
	redelivery bool
	delivered  bool
}

// pollWaiter is a getUpdates request in flight. A newer request terminates
// it, as Telegram does when two bot instances poll.
type pollWaiter struct {
	terminated chan struct{}
}

// webhookState is the webhook set by setWebhook.
type webhookState struct {
	url            string
	secret         string
	maxConnections int
	allowed        []string
	generation     int // bumped on every set/delete, to discard stale results
	lastErrorDate  int
	lastErrorMsg   string
}

// webhookTiming is the webhook delivery backoff and request timeout.
type webhookTiming struct {
	first, max, timeout time.Duration
}

// defaultExcluded are the update types Telegram leaves out unless
// allowed_updates asks for them.
var defaultExcluded = []string{"chat_member", "message_reaction", "message_reaction_count"}

// wantedLocked reports whether an update of this kind passes the current
// allowed_updates filter. Telegram applies the filter when it creates an
// update, so a filtered update is never queued.
func (s *Server) wantedLocked(kind string) bool {
	allowed := s.allowed
	if s.webhook.url != "" {
		allowed = s.webhook.allowed
	}
	if len(allowed) == 0 {
		return !slices.Contains(defaultExcluded, kind)
	}
	return slices.Contains(allowed, kind)
}

// updateKind returns the name of the first field of an update other than
// update_id.
func updateKind(obj map[string]json.RawMessage) string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if k != "update_id" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// enqueueLocked queues an update. id 0 means "assign the next update_id".
// It returns the id used, or 0 if the update was filtered out.
func (s *Server) enqueueLocked(id int64, kind string, build func(id int64) ([]byte, error)) (int64, error) {
	if s.closed {
		return 0, errors.New("tgtest: server closed")
	}
	redelivery := false
	if id == 0 {
		id = s.nextUpdateID
	} else if id <= s.maxUpdateID {
		redelivery = true
	}
	if !s.wantedLocked(kind) {
		return 0, nil
	}
	raw, err := build(id)
	if err != nil {
		return 0, err
	}
	if id >= s.nextUpdateID {
		s.nextUpdateID = id + 1
	}
	s.maxUpdateID = max(s.maxUpdateID, id)
	q := &queuedUpdate{id: id, kind: kind, raw: raw, redelivery: redelivery}
	// Keep the queue sorted by update_id (stable for equal ids), the order
	// in which Telegram hands updates out.
	i := sort.Search(len(s.queue), func(i int) bool { return s.queue[i].id > id })
	s.queue = slices.Insert(s.queue, i, q)
	s.notifyUpdatesLocked()
	return id, nil
}

// InjectUpdate queues u as if Telegram had received it. A zero u.ID gets the
// next update_id; a non-zero one is kept. Re-using an update_id that was
// already handed out simulates Telegram delivering the same update again,
// as after a lost confirmation: the copy is delivered once more whatever the
// poller's offset, so a test can check that the bot drops duplicates. It
// returns the update with its update_id; an update whose type the bot's
// allowed_updates excludes is dropped, as Telegram does, and returned with
// ID 0.
//
// A message in u (message, edited_message, channel_post) is recorded in its
// chat, so that the bot can reply to it, and a callback query's id becomes
// one the bot may answer.
func (s *Server) InjectUpdate(u models.Update) models.Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range []*models.Message{u.Message, u.EditedMessage, u.ChannelPost} {
		if m != nil {
			s.recordMessageLocked(*m)
		}
	}
	if q := u.CallbackQuery; q != nil && q.ID != "" {
		if _, ok := s.callbacks[q.ID]; !ok {
			s.callbacks[q.ID] = &callbackState{query: *q}
		}
	}
	return s.injectUpdateLocked(u)
}

// recordMessageLocked stores a user message given in an injected update,
// unless its chat already has a message with that id.
func (s *Server) recordMessageLocked(m models.Message) {
	if m.Chat.ID == 0 {
		return
	}
	c := s.ensureChatLocked(m.Chat.ID)
	if m.From != nil {
		if _, ok := s.users[m.From.ID]; !ok {
			s.users[m.From.ID] = *m.From
		}
		c.members[m.From.ID] = true
	}
	if _, ok := c.msgs[m.ID]; ok || m.ID <= 0 {
		return
	}
	c.msgs[m.ID] = &storedMessage{msg: cloneMessage(m), rawText: m.Text}
	c.nextMsgID = max(c.nextMsgID, m.ID+1)
}

func (s *Server) injectUpdateLocked(u models.Update) models.Update {
	kind := modelUpdateKind(&u)
	id, err := s.enqueueLocked(u.ID, kind, func(id int64) ([]byte, error) {
		u.ID = id
		return encodeJSON(&u)
	})
	if err != nil {
		s.log.Error("tgtest: inject update", "err", err)
		u.ID = 0
		return u
	}
	u.ID = id
	return u
}

// modelUpdateKind returns the JSON name of the field set in u.
func modelUpdateKind(u *models.Update) string {
	data, err := json.Marshal(u)
	if err != nil {
		return ""
	}
	var obj map[string]json.RawMessage
	_ = json.Unmarshal(data, &obj)
	return updateKind(obj)
}

// InjectRaw queues an update given as JSON, for update types the models
// package lacks or malformed-but-parseable input. A missing or zero
// update_id is replaced by the next one; a present one is kept, as in
// InjectUpdate. It returns the update_id used (0 if filtered out by
// allowed_updates) or an error if data is not a JSON object.
func (s *Server) InjectRaw(data []byte) (int64, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return 0, fmt.Errorf("tgtest: InjectRaw: %w", err)
	}
	var id int64
	if raw, ok := obj["update_id"]; ok {
		if err := json.Unmarshal(raw, &id); err != nil {
			return 0, fmt.Errorf("tgtest: InjectRaw: update_id: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enqueueLocked(id, updateKind(obj), func(id int64) ([]byte, error) {
		obj["update_id"] = json.RawMessage(strconv.FormatInt(id, 10))
		return encodeJSON(obj)
	})
}

// Pending returns the number of updates not yet confirmed by the bot.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Confirmed returns the highest update_id the bot has confirmed, by calling
// getUpdates with a higher offset or by answering a webhook delivery with a
// 2xx status; 0 if none.
func (s *Server) Confirmed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.confirmed
}

// WaitConfirmed waits until the bot has confirmed update id (Confirmed() >=
// id), for tests that must know an update was consumed. It returns ctx's
// error if ctx ends first, or an error if the server is closed.
func (s *Server) WaitConfirmed(ctx context.Context, id int64) error {
	for {
		s.mu.Lock()
		if s.confirmed >= id {
			s.mu.Unlock()
			return nil
		}
		ch := s.updCh
		confirmed := s.confirmed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-s.done:
			return errors.New("tgtest: server closed")
		case <-ctx.Done():
			return fmt.Errorf("tgtest: waiting for update %d to be confirmed (confirmed %d): %w", id, confirmed, ctx.Err())
		}
	}
}

// confirmLocked forgets the updates the offset confirms. A positive offset
// confirms every update with a lower id; a negative one keeps only the last
// -offset updates.
func (s *Server) confirmLocked(offset int64) {
	if offset == 0 || len(s.queue) == 0 {
		return
	}
	var kept []*queuedUpdate
	if offset > 0 {
		for _, q := range s.queue {
			if q.id < offset && !(q.redelivery && !q.delivered) {
				s.confirmed = max(s.confirmed, q.id)
				continue
			}
			kept = append(kept, q)
		}
	} else {
		keep := int(min(-offset, int64(len(s.queue))))
		for _, q := range s.queue[:len(s.queue)-keep] {
			s.confirmed = max(s.confirmed, q.id)
		}
		kept = slices.Clone(s.queue[len(s.queue)-keep:])
	}
	if len(kept) != len(s.queue) {
		s.queue = kept
		s.notifyUpdatesLocked()
	}
}

var (
	errWebhookActive = &apiError{Code: http.StatusConflict, Description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	errTerminated    = &apiError{Code: http.StatusConflict, Description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
)

// getUpdates implements long polling with Telegram's offset semantics.
func getUpdates(s *Server, ctx context.Context, p params) (any, *apiError) {
	offset, _, err := p.int64("offset")
	if err != nil {
		return nil, err
	}
	limit, hasLimit, err := p.int64("limit")
	if err != nil {
		return nil, err
	}
	if !hasLimit || limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _, err := p.int64("timeout")
	if err != nil {
		return nil, err
	}
	var allowed []string
	hasAllowed := p.has("allowed_updates")
	if hasAllowed {
		if _, jerr := p.object("allowed_updates", &allowed); jerr != nil {
			return nil, badRequest("can't parse allowed updates")
		}
	}

	s.mu.Lock()
	if s.webhook.url != "" {
		s.mu.Unlock()
		return nil, errWebhookActive
	}
	if hasAllowed {
		s.allowed = allowed
	}
	me := &pollWaiter{terminated: make(chan struct{})}
	if s.poll != nil {
		close(s.poll.terminated)
	}
	s.poll = me
	s.confirmLocked(offset)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.poll == me {
			s.poll = nil
		}
		s.mu.Unlock()
	}()

	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(time.Duration(timeout) * time.Second)
		defer t.Stop()
		deadline = t.C
	}
	for {
		s.mu.Lock()
		if s.webhook.url != "" {
			s.mu.Unlock()
			return nil, errWebhookActive
		}
		if s.closed {
			s.mu.Unlock()
			return []json.RawMessage{}, nil
		}
		select {
		case <-me.terminated:
			s.mu.Unlock()
			return nil, errTerminated
		default:
		}
		if len(s.queue) > 0 {
			n := min(int(limit), len(s.queue))
			out := make([]json.RawMessage, n)
			for i, q := range s.queue[:n] {
				q.delivered = true
				out[i] = q.raw
			}
			s.mu.Unlock()
			return out, nil
		}
		ch := s.updCh
		s.mu.Unlock()
		if deadline == nil {
			return []json.RawMessage{}, nil
		}
		select {
		case <-ch:
		case <-me.terminated:
		case <-deadline:
			return []json.RawMessage{}, nil
		case <-ctx.Done():
			// The client is gone; nobody reads this answer.
			return []json.RawMessage{}, nil
		case <-s.done:
		}
	}
}

var secretTokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// setWebhook sets (or, with an empty url, removes) the webhook.
func setWebhook(s *Server, _ context.Context, p params) (any, *apiError) {
	url := p.str("url")
	secret := p.str("secret_token")
	if secret != "" && !secretTokenRE.MatchString(secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	maxConn, _, err := p.int64("max_connections")
	if err != nil {
		return nil, err
	}
	if maxConn <= 0 {
		maxConn = 40
	}
	var allowed []string
	hasAllowed := p.has("allowed_updates")
	if hasAllowed {
		if _, jerr := p.object("allowed_updates", &allowed); jerr != nil {
			return nil, badRequest("can't parse allowed updates")
		}
	}
	if url != "" {
		if _, perr := parseWebhookURL(url); perr != nil {
			return nil, badRequest("bad webhook: " + perr.Error())
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.boolean("drop_pending_updates") {
		s.dropPendingLocked()
	}
	gen := s.webhook.generation + 1
	if url == "" {
		s.webhook = webhookState{generation: gen}
	} else {
		prev := s.webhook
		s.webhook = webhookState{
			url:            url,
			secret:         secret,
			maxConnections: int(maxConn),
			allowed:        allowed,
			generation:     gen,
		}
		if !hasAllowed {
			// "If not specified, the previous setting will be used."
			s.webhook.allowed = prev.allowed
			if prev.url == "" {
				s.webhook.allowed = s.allowed
			}
		}
	}
	s.notifyUpdatesLocked()
	return true, nil
}

// parseWebhookURL checks a webhook URL. Unlike Telegram it accepts http://,
// since test webhooks run on httptest servers.
func parseWebhookURL(u string) (string, error) {
	req, err := http.NewRequest(http.MethodPost, u, nil)
	if err != nil || req.URL.Host == "" || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		return "", errors.New("invalid webhook URL specified")
	}
	return req.URL.String(), nil
}

// dropPendingLocked forgets every pending update, for drop_pending_updates.
func (s *Server) dropPendingLocked() {
	for _, q := range s.queue {
		s.confirmed = max(s.confirmed, q.id)
	}
	s.queue = nil
	s.notifyUpdatesLocked()
}

// deleteWebhook removes the webhook so that getUpdates works again.
func deleteWebhook(s *Server, _ context.Context, p params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.boolean("drop_pending_updates") {
		s.dropPendingLocked()
	}
	s.webhook = webhookState{generation: s.webhook.generation + 1}
	s.notifyUpdatesLocked()
	return true, nil
}

// getWebhookInfo reports the webhook and the pending update count.
func getWebhookInfo(s *Server, _ context.Context, _ params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := models.WebhookInfo{
		URL:                s.webhook.url,
		PendingUpdateCount: len(s.queue),
	}
	if s.webhook.url != "" {
		info.MaxConnections = s.webhook.maxConnections
		info.AllowedUpdates = s.webhook.allowed
		info.LastErrorDate = s.webhook.lastErrorDate
		info.LastErrorMessage = s.webhook.lastErrorMsg
	}
	return info, nil
}

// webhookLoop delivers queued updates to the webhook, one at a time and in
// update_id order, retrying each with exponential backoff until the
// receiver answers 2xx. It runs for the server's lifetime.
func (s *Server) webhookLoop() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.done
		cancel()
	}()
	client := &http.Client{Timeout: s.webCfg.timeout}
	backoff := time.Duration(0)
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		wh := s.webhook
		ch := s.updCh
		if wh.url == "" || len(s.queue) == 0 {
			s.mu.Unlock()
			backoff = 0
			select {
			case <-ch:
			case <-s.done:
				return
			}
			continue
		}
		item := s.queue[0]
		item.delivered = true
		s.mu.Unlock()

		reply, derr := s.deliver(ctx, client, wh, item)

		s.mu.Lock()
		stale := s.webhook.generation != wh.generation
		if derr == nil {
			// Acknowledged: the update is confirmed even if the webhook
			// changed meanwhile, as the receiver has it.
			if i := slices.Index(s.queue, item); i >= 0 {
				s.queue = slices.Delete(s.queue, i, i+1)
				s.confirmed = max(s.confirmed, item.id)
				s.notifyUpdatesLocked()
			}
		} else if !stale {
			s.webhook.lastErrorDate = int(s.now().Unix())
			s.webhook.lastErrorMsg = derr.Error()
		}
		ch = s.updCh
		s.mu.Unlock()

		if derr == nil {
			backoff = 0
			if reply != nil {
				s.runWebhookReply(ctx, reply)
			}
			continue
		}
		s.log.Warn("tgtest: webhook delivery failed", "update_id", item.id, "err", derr)
		if stale {
			backoff = 0
			continue
		}
		if backoff == 0 {
			backoff = s.webCfg.first
		} else {
			backoff = min(backoff*2, s.webCfg.max)
		}
		// Wait out the backoff. A new update only wakes us (the head of
		// the queue keeps its backoff); a webhook change retries at once.
		t := time.NewTimer(backoff)
	wait:
		for {
			select {
			case <-t.C:
				break wait
			case <-s.done:
				t.Stop()
				return
			case <-ch:
				s.mu.Lock()
				changed := s.webhook.generation != wh.generation
				ch = s.updCh
				s.mu.Unlock()
				if changed {
					t.Stop()
					backoff = 0
					break wait
				}
			}
		}
	}
}

// deliver POSTs one update to the webhook. On a 2xx answer it returns the
// answer body if it holds a method call (Telegram lets a webhook answer
// with one), else nil. Errors use Telegram's last_error_message wording.
func (s *Server) deliver(ctx context.Context, client *http.Client, wh webhookState, item *queuedUpdate) (map[string]json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wh.url, bytes.NewReader(item.raw))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if wh.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", wh.secret)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("Connection failed: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("Wrong response from the webhook: %s", resp.Status)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) == nil {
		if _, ok := obj["method"]; ok {
			return obj, nil
		}
	}
	return nil, nil
}

// runWebhookReply executes a method call given in a webhook's answer.
// Telegram gives no feedback on such calls, so errors are only logged.
func (s *Server) runWebhookReply(ctx context.Context, obj map[string]json.RawMessage) {
	var method string
	if err := json.Unmarshal(obj["method"], &method); err != nil {
		s.log.Warn("tgtest: webhook reply: bad method", "err", err)
		return
	}
	p := params{}
	for k, v := range obj {
		if k != "method" {
			p[k] = param{raw: v, json: true}
		}
	}
	// Fault injection is skipped: a held request would stall delivery.
	name := s.countCall(method)
	m, ok := methodTable[strings.ToLower(method)]
	if !ok {
		s.log.Warn("tgtest: webhook reply: unknown method", "method", name)
		return
	}
	if _, aerr := m.fn(s, ctx, p); aerr != nil {
		s.log.Warn("tgtest: webhook reply failed", "method", method, "err", aerr.Description)
	}
}
