package tgtest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// DefaultToken is the bot token a Server accepts unless WithToken says
// otherwise.
const DefaultToken = "123456:TEST-TOKEN"

// DefaultBotUsername is the bot's username unless WithBotUser says otherwise.
const DefaultBotUsername = "zhangmiao_test_bot"

// Server is a fake Telegram Bot API server. Create it with New and stop it
// with Close. All methods are safe for concurrent use.
type Server struct {
	srv    *httptest.Server
	token  string
	bot    models.User
	clock  func() time.Time
	log    *slog.Logger
	flood  *FloodLimits
	webCfg webhookTiming

	closeOnce sync.Once
	done      chan struct{} // closed by Close
	wg        sync.WaitGroup

	mu     sync.Mutex
	closed bool

	// Updates.
	nextUpdateID int64
	maxUpdateID  int64           // highest update_id ever queued
	queue        []*queuedUpdate // pending (unconfirmed) updates by update_id
	confirmed    int64
	updCh        chan struct{} // closed and replaced whenever updates or the webhook change
	allowed      []string      // allowed_updates, nil for the default set
	poll         *pollWaiter   // the getUpdates request in flight, if any
	webhook      webhookState

	// Chats, messages and users.
	users     map[int64]models.User
	chats     map[int64]*chatState
	sent      []*storedMessage // every message the bot sent, in order
	stateCh   chan struct{}    // closed and replaced whenever the bot sends, edits, deletes or answers
	callbacks map[string]*callbackState
	nextCBID  int64
	answers   []CallbackAnswer
	commands  map[string][]models.BotCommand // by scope key + "|" + language
	calls     map[string]int
	floodLog  floodLog

	// Fault injection.
	faults         Faults
	faultRNG       *rand.Rand
	faultMethods   map[string]bool
	faultsInjected int

	// Subscribers.
	subs   map[int]*subscriber
	nextSu int
}

// Option configures a Server.
type Option func(*Server)

// WithToken sets the bot token the server accepts (default DefaultToken).
// The bot's user id is the number before the colon, unless WithBotUser sets
// one.
func WithToken(token string) Option {
	return func(s *Server) { s.token = token }
}

// WithBotUser sets the bot's user id and username, as returned by getMe and
// used as the sender of the bot's messages. A zero id keeps the id taken
// from the token; an empty username keeps DefaultBotUsername.
func WithBotUser(id int64, username string) Option {
	return func(s *Server) {
		if id != 0 {
			s.bot.ID = id
		}
		if username != "" {
			s.bot.Username = username
		}
	}
}

// WithClock sets the clock used for message dates, callback queries and
// flood control windows (default time.Now). Tests of flood control use a
// fixed or stepped clock so that they do not depend on timing.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.clock = now }
}

// WithLogger sets the logger for the server's own diagnostics, such as
// failed webhook deliveries (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) { s.log = l }
}

// WithWebhookRetry sets the backoff between webhook delivery attempts
// (first wait, doubled after each failure up to maxWait) and the timeout of
// one delivery request. Defaults: 20 ms, 1 s and 10 s; the real Telegram
// waits much longer, but tests should not.
func WithWebhookRetry(first, maxWait, timeout time.Duration) Option {
	return func(s *Server) {
		if first > 0 {
			s.webCfg.first = first
		}
		if maxWait > 0 {
			s.webCfg.max = maxWait
		}
		if timeout > 0 {
			s.webCfg.timeout = timeout
		}
	}
}

// New starts a fake Bot API server on a local port.
func New(opts ...Option) *Server {
	s := &Server{
		token:        DefaultToken,
		clock:        time.Now,
		log:          slog.New(slog.DiscardHandler),
		webCfg:       webhookTiming{first: 20 * time.Millisecond, max: time.Second, timeout: 10 * time.Second},
		done:         make(chan struct{}),
		nextUpdateID: 1,
		updCh:        make(chan struct{}),
		users:        map[int64]models.User{},
		chats:        map[int64]*chatState{},
		stateCh:      make(chan struct{}),
		callbacks:    map[string]*callbackState{},
		commands:     map[string][]models.BotCommand{},
		calls:        map[string]int{},
		subs:         map[int]*subscriber{},
	}
	s.bot = models.User{IsBot: true, FirstName: "Test Bot", Username: DefaultBotUsername, CanJoinGroups: true}
	for _, o := range opts {
		o(s)
	}
	if s.bot.ID == 0 {
		id, _ := strconv.ParseInt(strings.SplitN(s.token, ":", 2)[0], 10, 64)
		if id == 0 {
			id = 123456
		}
		s.bot.ID = id
	}
	s.users[s.bot.ID] = s.bot
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.wg.Add(1)
	go s.webhookLoop()
	return s
}

// URL returns the server's base URL, e.g. "http://127.0.0.1:43210", for
// bot.WithServerURL. The Bot API endpoint of a method is
// URL()+"/bot"+Token()+"/"+method.
func (s *Server) URL() string { return s.srv.URL }

// Token returns the bot token the server accepts.
func (s *Server) Token() string { return s.token }

// Bot returns the bot's own user, as getMe returns it.
func (s *Server) Bot() models.User { return s.bot }

// Close stops the server. Long polls in flight return an empty result, held
// requests are dropped, webhook delivery stops and subscriber channels are
// closed. Close is idempotent. It waits for requests in flight, which all end
// at once, and cuts any connection still open after two seconds (a client
// stuck sending its body), so it never hangs.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.done)
		s.notifyUpdatesLocked()
		subs := s.subs
		s.subs = map[int]*subscriber{}
		s.mu.Unlock()
		for _, sub := range subs {
			sub.close()
		}
		// httptest.Server.Close waits for requests in flight. Ours all end
		// once done is closed, but a client stuck half-way through sending
		// a body would hold Close forever, so cut connections after a grace
		// period.
		stopped := make(chan struct{})
		go func() {
			s.srv.Close()
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-time.After(2 * time.Second):
			s.srv.CloseClientConnections()
			<-stopped
		}
		s.wg.Wait()
	})
}

// now returns the server clock's current time.
func (s *Server) now() time.Time { return s.clock() }

// apiError is a Bot API error answer.
type apiError struct {
	Code        int
	Description string
	RetryAfter  int
	MigrateTo   int64
}

func badRequest(desc string) *apiError {
	return &apiError{Code: http.StatusBadRequest, Description: "Bad Request: " + desc}
}

func forbidden(desc string) *apiError {
	return &apiError{Code: http.StatusForbidden, Description: "Forbidden: " + desc}
}

func tooManyRequests(retryAfter int) *apiError {
	return &apiError{
		Code:        http.StatusTooManyRequests,
		Description: "Too Many Requests: retry after " + strconv.Itoa(retryAfter),
		RetryAfter:  retryAfter,
	}
}

var (
	errUnauthorized = &apiError{Code: http.StatusUnauthorized, Description: "Unauthorized"}
	errNotFound     = &apiError{Code: http.StatusNotFound, Description: "Not Found"}
	errInternal     = &apiError{Code: http.StatusInternalServerError, Description: "Internal Server Error"}
)

// response is the Bot API's answer envelope.
type response struct {
	OK          bool            `json:"ok"`
	Result      any             `json:"result,omitempty"`
	ErrorCode   int             `json:"error_code,omitempty"`
	Description string          `json:"description,omitempty"`
	Parameters  *responseParams `json:"parameters,omitempty"`
}

type responseParams struct {
	RetryAfter      int   `json:"retry_after,omitempty"`
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
}

// encodeJSON marshals v without escaping <, > and &, which keeps message
// texts readable in logs and console output.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func writeResult(w http.ResponseWriter, result any) {
	body, err := encodeJSON(response{OK: true, Result: result})
	if err != nil {
		writeError(w, errInternal)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, e *apiError) {
	r := response{ErrorCode: e.Code, Description: e.Description}
	if e.RetryAfter != 0 || e.MigrateTo != 0 {
		r.Parameters = &responseParams{RetryAfter: e.RetryAfter, MigrateToChatID: e.MigrateTo}
	}
	body, _ := encodeJSON(r)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Code)
	_, _ = w.Write(body)
}

// serveHTTP routes /bot<token>/<method> requests.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		writeError(w, errNotFound)
		return
	}
	token, method, ok := strings.Cut(rest, "/")
	if !ok {
		writeError(w, errNotFound)
		return
	}
	if token != s.token {
		writeError(w, errUnauthorized)
		return
	}
	// The go-telegram client's test environment puts "test/" before the
	// method name; it addresses the same bot here.
	method = strings.TrimPrefix(method, "test/")
	p, perr := parseParams(r)
	if perr != nil {
		s.countCall(method)
		writeError(w, perr)
		return
	}
	result, aerr := s.call(r.Context(), method, p)
	if aerr == errAbort {
		// Drop the connection without an answer, as a timed-out proxy
		// would. net/http recognises this panic and does not log it.
		panic(http.ErrAbortHandler)
	}
	if aerr != nil {
		if isHTMLError(aerr) {
			writeHTMLError(w, aerr)
			return
		}
		writeError(w, aerr)
		return
	}
	writeResult(w, result)
}

// errAbort tells serveHTTP to drop the connection without answering.
var errAbort = &apiError{Code: 0, Description: "connection dropped"}

// countCall records a call of method and returns its canonical name.
func (s *Server) countCall(method string) string {
	name := canonicalMethod(method)
	s.mu.Lock()
	s.calls[name]++
	s.mu.Unlock()
	return name
}

// canonicalMethod returns the method table's spelling of method, or the
// lower-cased name for unknown methods.
func canonicalMethod(method string) string {
	if m, ok := methodTable[strings.ToLower(method)]; ok {
		return m.name
	}
	return strings.ToLower(method)
}

// call runs one Bot API method: it counts the call, applies fault injection
// and dispatches to the method's handler.
func (s *Server) call(ctx context.Context, method string, p params) (any, *apiError) {
	name := s.countCall(method)
	m, ok := methodTable[strings.ToLower(method)]
	if !ok {
		return nil, errNotFound
	}
	if aerr := s.injectFault(ctx, name, p); aerr != nil {
		return nil, aerr
	}
	return m.fn(s, ctx, p)
}

// Calls returns how many requests for method the server has received,
// including failed and fault-injected ones. The name is case-insensitive.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[canonicalMethod(method)]
}

// broadcast closes ch and returns a fresh channel: the idiom used to wake
// every goroutine waiting on the old one.
func broadcast(ch chan struct{}) chan struct{} {
	close(ch)
	return make(chan struct{})
}

func (s *Server) notifyUpdatesLocked() { s.updCh = broadcast(s.updCh) }
func (s *Server) notifyStateLocked()   { s.stateCh = broadcast(s.stateCh) }
