package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
)

// jsonAPI posts the Bot API calls every reply makes (sendMessage,
// editMessageText, answerCallbackQuery) as one JSON body through the pooled
// client. go-telegram/bot sends every call as multipart/form-data streamed
// from a goroutine through a pipe, with chunked transfer encoding: a
// goroutine, a pipe and a write system call per form field, which was a
// third of the bot's CPU under load (profiled with PPROF=on). The errors
// are go-telegram/bot's own (ErrorForbidden, *TooManyRequestsError,
// *MigrateError…), so classify treats both paths alike.
//
// At most callSlots calls are in flight, which the transport's idle pool
// (maxConns) covers, so a burst of replies (hundreds of chats woken by one
// Redis round trip) reuses connections instead of opening and dropping
// hundreds. A call still running after slowCall gives its slot up: it is
// most likely hanging until RequestTimeout, and must not hold the others
// (the transport does not cap connections for the same reason).
type jsonAPI struct {
	base   string // <APIURL>/bot<token>/ — never in an error
	client *http.Client
	slots  chan struct{}
}

const (
	callSlots = maxConns
	slowCall  = time.Second
)

func newJSONAPI(apiURL, token string, client *http.Client) *jsonAPI {
	return &jsonAPI{base: strings.TrimRight(apiURL, "/") + "/bot" + token + "/", client: client, slots: make(chan struct{}, callSlots)}
}

// slot waits for a call slot and returns its release, which may be called
// more than once.
func (a *jsonAPI) slot(ctx context.Context) (func(), error) {
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	release := func() { once.Do(func() { <-a.slots }) }
	t := time.AfterFunc(slowCall, release)
	return func() { t.Stop(); release() }, nil
}

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// apiResponse is the Bot API's answer envelope; Result is decoded in the
// same pass into the caller's dest.
type apiResponse struct {
	OK          bool   `json:"ok"`
	Result      any    `json:"result"`
	Description string `json:"description"`
	ErrorCode   int    `json:"error_code"`
	Parameters  struct {
		RetryAfter      int `json:"retry_after"`
		MigrateToChatID int `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// call posts params (JSON-encoded) to method and decodes the result into
// dest (nil: ignored). Errors never contain the URL, which holds the token.
func (a *jsonAPI) call(ctx context.Context, method string, params, dest any) error {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bodyPool.Put(buf)
	if err := json.NewEncoder(buf).Encode(params); err != nil {
		return fmt.Errorf("%s: encode: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+method, bytes.NewReader(buf.Bytes()))
	if err != nil {
		return fmt.Errorf("%s: cannot build request (check TELEGRAM_API_URL)", method)
	}
	req.Header = http.Header{"Content-Type": jsonContentType}
	release, err := a.slot(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	defer release()
	resp, err := a.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error would print the URL, token included
		}
		return fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, 16<<20)); err != nil {
		return fmt.Errorf("%s: read: %w", method, err)
	}
	r := apiResponse{Result: dest}
	if dest == nil {
		r.Result = &ignored{}
	}
	if err := json.Unmarshal(buf.Bytes(), &r); err != nil {
		if json.Valid(buf.Bytes()) {
			return fmt.Errorf("%s: decode result: %w", method, err)
		}
		return fmt.Errorf("%s: HTTP %d, not a Bot API answer", method, resp.StatusCode)
	}
	if !r.OK {
		return apiError(method, r)
	}
	return nil
}

// ignored takes a result nobody reads (true, an object) without keeping it.
type ignored struct{}

func (*ignored) UnmarshalJSON([]byte) error { return nil }

// jsonContentType is shared by every request's header (never modified).
var jsonContentType = []string{"application/json"}

// apiError builds the error go-telegram/bot returns for the same answer.
func apiError(method string, r apiResponse) error {
	switch r.ErrorCode {
	case http.StatusForbidden:
		return fmt.Errorf("%w, %s", tgbot.ErrorForbidden, r.Description)
	case http.StatusBadRequest:
		if r.Parameters.MigrateToChatID != 0 {
			return &tgbot.MigrateError{Message: fmt.Sprintf("%s: %s", tgbot.ErrorBadRequest, r.Description),
				MigrateToChatID: r.Parameters.MigrateToChatID}
		}
		return fmt.Errorf("%w, %s", tgbot.ErrorBadRequest, r.Description)
	case http.StatusUnauthorized:
		return fmt.Errorf("%w, %s", tgbot.ErrorUnauthorized, r.Description)
	case http.StatusNotFound:
		return fmt.Errorf("%w, %s", tgbot.ErrorNotFound, r.Description)
	case http.StatusConflict:
		return fmt.Errorf("%w, %s", tgbot.ErrorConflict, r.Description)
	case http.StatusTooManyRequests:
		return &tgbot.TooManyRequestsError{Message: fmt.Sprintf("%s, %s", tgbot.ErrorTooManyRequests, r.Description),
			RetryAfter: r.Parameters.RetryAfter}
	}
	return fmt.Errorf("error response from telegram for method %s, %d %s", method, r.ErrorCode, r.Description)
}

// sentMessage is the part of a sent message the bot uses.
type sentMessage struct {
	ID   int `json:"message_id"`
	Chat struct {
		ID int64 `json:"id"`
	} `json:"chat"`
}
