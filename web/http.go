package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

//go:embed assets
var assetsFS embed.FS

// csp allows the page's own files only: no inline script or style, no
// request anywhere but this server, no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Handler serves the page and its API:
//
//	GET  /                    the page (and /app.js, /app.css, /icon.svg)
//	GET  /api/session         the visitor's conversation; sets the cookie for a new visitor
//	GET  /api/messages?after= messages after a seq (the page's fallback when events fail)
//	POST /api/messages        {"id": client id, "text": …, "after": seq} or {"id", "press": data, "label", "on": seq, "after"}
//	GET  /api/events?after=   Server-Sent Events: each new message as it comes
//	GET  /api/announcements   公告: announcements and reminders, newest first
//	GET  /api/projects        项目: every project with status, progress and history
//
// A POST from another origin gets 403 (Sec-Fetch-Site / Origin, besides
// the SameSite cookie), one that is not JSON 415, one over 8 KB 413.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assetsFS, "assets")
	files := http.FileServerFS(static)
	mux.Handle("GET /{$}", files)
	for _, f := range []string{"app.js", "app.css", "icon.svg"} {
		mux.Handle("GET /"+f, files)
	}
	mux.HandleFunc("GET /api/session", s.session)
	mux.HandleFunc("GET /api/messages", s.messagesAfter)
	mux.HandleFunc("POST /api/messages", s.post)
	mux.HandleFunc("GET /api/events", s.events)
	mux.HandleFunc("GET /api/announcements", s.announcements)
	mux.HandleFunc("GET /api/projects", s.projects)

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("web: cross-origin request refused", "origin", r.Header.Get("Origin"), "path", r.URL.Path)
		writeError(w, http.StatusForbidden, "请求来源不正确，已被拒绝。请直接打开本页面使用。")
	}))
	return securityHeaders(cop.Handler(mux))
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			hd.Set("Cache-Control", "no-store")
		} else {
			hd.Set("Cache-Control", "no-cache")
		}
		h.ServeHTTP(w, r)
	})
}

// apiError is every error the page shows: a Chinese sentence.
type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || (s.cfg.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

// clientIP is the address flood limits count by.
func (s *Server) clientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// visitor returns the visitor number of the request's cookie, 0 if none.
func (s *Server) visitor(r *http.Request) int64 {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return 0
	}
	return s.sign.verify(c.Value)
}

const errExpired = "页面已过期，请刷新页面后再试。"
const errBusy = "抱歉，系统暂时繁忙，请稍后再试。"

// view is a message as the page receives it.
type view struct {
	Seq   int64    `json:"seq"`
	From  string   `json:"from"`
	Press bool     `json:"press,omitempty"`
	Nodes []Node   `json:"nodes"`
	Chips [][]Chip `json:"chips,omitempty"`
	Edit  int64    `json:"edit,omitempty"`
	At    string   `json:"at"` // 2006-01-02 15:04 in Location
}

func (s *Server) views(recs []storage.WebRecord) []view {
	out := make([]view, 0, len(recs))
	for _, r := range recs {
		var m message
		if err := json.Unmarshal(r.Data, &m); err != nil {
			continue
		}
		v := view{Seq: r.Seq, From: m.From, Press: m.Press, Edit: m.Edit, At: time.UnixMilli(m.At).In(s.cfg.Location).Format("2006-01-02 15:04")}
		if m.From == fromMe {
			v.Nodes = []Node{{Text: m.Text}} // as typed: text, whatever it holds
		} else {
			v.Nodes = Render(m.Text)
			v.Chips = chips(m.Buttons)
		}
		out = append(out, v)
	}
	return out
}

type sessionResponse struct {
	Visitor  string `json:"visitor"` // W-12, to quote to staff
	Messages []view `json:"messages"`
}

// session returns the conversation, making a new visitor (with the
// welcome message) when the request has no valid cookie.
func (s *Server) session(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := s.visitor(r)
	if v == 0 {
		n, err := s.store.NewWebVisitor(ctx)
		if err != nil {
			s.log.Error("web: new visitor not stored", "err", err)
			writeError(w, http.StatusServiceUnavailable, errBusy)
			return
		}
		welcome := s.a.Welcome("")
		m := message{From: fromBot, Text: welcome.Text, Buttons: welcome.Buttons, At: s.cfg.Now().UnixMilli()}
		if _, err := s.store.WebAppend(ctx, n, m.encode()); err != nil {
			s.log.Error("web: welcome not stored", "err", err)
			writeError(w, http.StatusServiceUnavailable, errBusy)
			return
		}
		v = n
		http.SetCookie(w, s.sign.cookie(v, s.secure(r)))
	}
	recs, err := s.store.WebHistory(ctx, v, historyShown)
	if err != nil {
		s.log.Error("web: history unreadable", "visitor", v, "err", err)
		writeError(w, http.StatusServiceUnavailable, errBusy)
		return
	}
	writeJSON(w, http.StatusOK, sessionResponse{Visitor: "W-" + strconv.FormatInt(v, 10), Messages: s.views(recs)})
}

func (s *Server) messagesAfter(w http.ResponseWriter, r *http.Request) {
	v := s.visitor(r)
	if v == 0 {
		writeError(w, http.StatusUnauthorized, errExpired)
		return
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	recs, err := s.store.WebMessagesAfter(r.Context(), v, after, historyShown)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, errBusy)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": s.views(recs)})
}

// postRequest is a question or a chip press.
type postRequest struct {
	ID    string `json:"id"`
	Text  string `json:"text"`
	Press string `json:"press"`
	Label string `json:"label"`
	On    int64  `json:"on"`
	After int64  `json:"after"`
}

type postResponse struct {
	Seq      int64  `json:"seq"`
	Done     bool   `json:"done"` // false: received, the answer comes by the event stream
	Messages []view `json:"messages"`
}

var clientIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)

// post stores a question or a press durably, then handles the visitor's
// queue and returns what came after the page's last message: 200 with
// the answer, or 202 when it is not ready yet (it then comes by the event
// stream).
func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "请求格式不正确。")
		return
	}
	v := s.visitor(r)
	if v == 0 {
		writeError(w, http.StatusUnauthorized, errExpired)
		return
	}
	var req postRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "内容太长了，请精简到 500 字以内再发送。")
			return
		}
		writeError(w, http.StatusBadRequest, "请求格式不正确，请刷新页面后再试。")
		return
	}
	if !clientIDRE.MatchString(req.ID) {
		writeError(w, http.StatusBadRequest, "请求格式不正确，请刷新页面后再试。")
		return
	}
	var in input
	var shown message
	now := s.cfg.Now().UnixMilli()
	lim := storage.WebLimit{Window: time.Minute, IP: s.cfg.PerAddressPerMinute}
	switch {
	case req.Press != "":
		if len(req.Press) > 64 || !utf8.ValidString(req.Press) {
			writeError(w, http.StatusBadRequest, "这个按钮已失效，请直接输入您的问题。")
			return
		}
		in = input{Kind: kindPress, Data: req.Press, On: req.On}
		label := strings.TrimSpace(req.Label)
		if label == "" || !utf8.ValidString(label) {
			label = "（按钮）"
		}
		shown = message{From: fromMe, Text: truncate(label, 40), Press: true, At: now}
		lim.Kind, lim.Visitor = kindPress, s.cfg.PressesPerMinute
	default:
		text := strings.TrimSpace(req.Text)
		if !utf8.ValidString(text) {
			writeError(w, http.StatusBadRequest, "内容无法识别，请重新输入。")
			return
		}
		if text == "" {
			writeError(w, http.StatusBadRequest, "请输入您的问题再发送。")
			return
		}
		if n := utf8.RuneCountInString(text); n > MaxInputRunes {
			writeError(w, http.StatusRequestEntityTooLarge, "您的问题太长了（"+strconv.Itoa(n)+" 字），请精简到 "+strconv.Itoa(MaxInputRunes)+" 字以内再发送。")
			return
		}
		in = input{Kind: kindText, Text: text}
		shown = message{From: fromMe, Text: text, At: now}
		lim.Kind, lim.Visitor = kindText, s.cfg.TextsPerMinute
	}
	queued, _ := json.Marshal(in)
	seq, _, err := s.store.WebSubmit(r.Context(), v, storage.WebInput{ClientID: req.ID, IP: s.clientIP(r), Log: shown.encode(), Queue: queued}, lim)
	switch {
	case errors.Is(err, storage.ErrWebVisitorFlood):
		writeError(w, http.StatusTooManyRequests, "您发送得太快了，请稍等一分钟再发。")
		return
	case errors.Is(err, storage.ErrWebIPFlood):
		writeError(w, http.StatusTooManyRequests, "您所在网络发送的消息太多了，请稍等一分钟再试。")
		return
	case err != nil:
		s.log.Error("web: input not stored", "visitor", v, "err", err)
		writeError(w, http.StatusServiceUnavailable, "抱歉，系统暂时无法接收消息，请稍后再发一次。")
		return
	}
	// Stored: from here on the input is answered even if this request
	// dies (the sweeper), so the work does not stop with the browser.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), handleWait)
	defer cancel()
	drainErr := s.drain(ctx, v)
	if drainErr != nil {
		s.log.Warn("web: input stored, answer deferred to the sweeper", "visitor", v, "err", drainErr)
	}
	recs, err := s.newMessages(ctx, v, req.After)
	if err != nil {
		writeJSON(w, http.StatusAccepted, postResponse{Seq: seq})
		return
	}
	views := s.views(recs)
	done := false
	for _, m := range views {
		if m.Seq > seq && m.From != fromMe {
			done = true // an answer after the input (inputs are answered in order)
		}
	}
	status := http.StatusOK
	if !done {
		status = http.StatusAccepted
	}
	writeJSON(w, status, postResponse{Seq: seq, Done: done, Messages: views})
}

// newMessages returns the messages after the page's last one; a page
// that is far behind (or sent no position) gets the latest historyShown,
// so the answer it waits for is always among them.
func (s *Server) newMessages(ctx context.Context, v, after int64) ([]storage.WebRecord, error) {
	recs, err := s.store.WebMessagesAfter(ctx, v, after, historyShown)
	if err != nil || len(recs) < historyShown {
		return recs, err
	}
	latest, err := s.store.WebHistory(ctx, v, historyShown)
	if err != nil {
		return nil, err
	}
	return latest, nil
}

// announcementView is one item of the 公告 tab.
type announcementView struct {
	Kind  string `json:"kind"` // 公告 or 提醒
	At    string `json:"at"`
	Nodes []Node `json:"nodes"`
}

// announcementsShown bounds the 公告 tab.
const announcementsShown = 50

func (s *Server) announcements(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.RecentBroadcasts(r.Context(), 200)
	if err != nil {
		s.log.Error("web: broadcasts unreadable", "err", err)
		writeError(w, http.StatusServiceUnavailable, "公告暂时无法读取，请稍后再试。")
		return
	}
	items := []announcementView{}
	for _, b := range list {
		if b.Kind != communitybot.KindAnnouncement && b.Kind != communitybot.KindReminder {
			continue
		}
		if len(items) == announcementsShown {
			break
		}
		items = append(items, announcementView{
			Kind: communitybot.KindLabel(b.Kind), At: b.CreatedAt.In(s.cfg.Location).Format("2006-01-02 15:04"), Nodes: Render(b.Reply.Text),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

type projectView struct {
	Number    int           `json:"number"`
	Name      string        `json:"name"`
	Status    string        `json:"status"`
	Progress  *int          `json:"progress,omitempty"`
	Note      string        `json:"note,omitempty"`
	Summary   string        `json:"summary,omitempty"`
	UpdatedAt string        `json:"updatedAt,omitempty"` // empty: only the 2021 newsletter
	History   []historyView `json:"history"`
}

type historyView struct {
	At   string `json:"at"` // empty for the newsletter's entry
	Text string `json:"text"`
}

// historyPerProject bounds the history the 项目 tab shows per project.
const historyPerProject = 10

func (s *Server) projects(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	list, err := s.store.Projects(ctx)
	if err != nil {
		s.log.Error("web: projects unreadable", "err", err)
		writeError(w, http.StatusServiceUnavailable, "项目进展暂时无法读取，请稍后再试。")
		return
	}
	items := make([]projectView, 0, len(list))
	for _, p := range list {
		pv := projectView{Number: p.Number, Name: p.Name, Status: string(p.Status), Summary: p.Summary, History: []historyView{}}
		if p.HasProgress() {
			pv.Progress = &p.Progress
		}
		if p.UpdatedBy != communitybot.SeedAuthor {
			pv.Note = p.Note
			if !p.UpdatedAt.IsZero() {
				pv.UpdatedAt = p.UpdatedAt.In(s.cfg.Location).Format("2006-01-02 15:04")
			}
		}
		hist, err := s.store.ProjectHistory(ctx, p.ID, historyPerProject)
		if err != nil {
			s.log.Warn("web: project history unreadable", "project", p.ID, "err", err)
		}
		for i := len(hist) - 1; i >= 0; i-- { // newest first
			pv.History = append(pv.History, s.historyView(hist[i]))
		}
		items = append(items, pv)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) historyView(e communitybot.ProjectEvent) historyView {
	var parts []string
	if e.Status != "" {
		parts = append(parts, string(e.Status))
	}
	if e.Progress != communitybot.NoProgress {
		parts = append(parts, strconv.Itoa(e.Progress)+"%")
	}
	if e.Note != "" {
		parts = append(parts, e.Note)
	}
	if e.By == communitybot.SeedAuthor {
		return historyView{At: "2021年街道简报", Text: strings.Join(parts, "，")}
	}
	return historyView{At: e.At.In(s.cfg.Location).Format("2006-01-02 15:04"), Text: strings.Join(parts, "，")}
}
