package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/staff"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
	"github.com/zhangmiao/communitybot/web"
)

// relay lets the staff desk post to the web server built after it.
type relay struct{ srv atomic.Pointer[web.Server] }

func (r *relay) Post(ctx context.Context, chatID int64, rep communitybot.Reply) (int, error) {
	return r.srv.Load().Post(ctx, chatID, rep)
}

type harness struct {
	t     testing.TB
	srv   *web.Server
	ts    *httptest.Server
	store *storage.Store
	desk  *staff.Service
	c     *http.Client
}

func newHarness(t testing.TB, cfg web.Config) *harness {
	t.Helper()
	store := storagetest.New(t)
	kb, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := store.SeedProjects(ctx, kb.Projects); err != nil {
		t.Fatal(err)
	}
	asst, err := assistant.New(kb, store, assistant.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rl := &relay{}
	desk, err := staff.New(staff.Deps{Store: store, Base: kb, QA: asst, Poster: rl}, staff.Config{})
	if err != nil {
		t.Fatal(err)
	}
	asst.SetHooks(assistant.Hooks{Escalate: desk.Escalate})
	cfg.Secret = []byte("0123456789abcdef0123456789abcdef")
	cfg.Logger = slog.New(slog.DiscardHandler)
	srv, err := web.New(asst, desk, store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rl.srv.Store(srv)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { srv.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	h := &harness{t: t, srv: srv, ts: ts, store: store, desk: desk}
	h.c = h.newClient()
	return h
}

func (h *harness) newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

type msgView struct {
	Seq   int64  `json:"seq"`
	From  string `json:"from"`
	Press bool   `json:"press"`
	Nodes []struct {
		Tag, Text string
		Kids      []struct{ Text string }
	} `json:"nodes"`
	Chips [][]struct{ Label, Data string } `json:"chips"`
	Edit  int64                            `json:"edit"`
}

func (m msgView) text() string {
	var b strings.Builder
	for _, n := range m.Nodes {
		b.WriteString(n.Text)
		for _, k := range n.Kids {
			b.WriteString(k.Text)
		}
	}
	return b.String()
}

type pageResp struct {
	Status   int
	Error    string    `json:"error"`
	Visitor  string    `json:"visitor"`
	Seq      int64     `json:"seq"`
	Done     bool      `json:"done"`
	Messages []msgView `json:"messages"`
}

func (h *harness) do(c *http.Client, method, path string, body any, hdr ...string) pageResp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, h.ts.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out pageResp
	_ = json.NewDecoder(resp.Body).Decode(&out)
	out.Status = resp.StatusCode
	return out
}

var idSeq atomic.Int64

func newID() string { return fmt.Sprintf("test-%08d", idSeq.Add(1)) }

// ask posts a question and returns the response.
func (h *harness) ask(c *http.Client, text string) pageResp {
	h.t.Helper()
	return h.do(c, "POST", "/api/messages", map[string]any{"id": newID(), "text": text})
}

func (h *harness) history(c *http.Client) []msgView {
	h.t.Helper()
	r := h.do(c, "GET", "/api/session", nil)
	if r.Status != 200 {
		h.t.Fatalf("session = %d %s", r.Status, r.Error)
	}
	return r.Messages
}

func TestPageAndSecurityHeaders(t *testing.T) {
	h := newHarness(t, web.Config{})
	resp, err := http.Get(h.ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "张庙街道社区助手") {
		t.Fatalf("GET / = %d %.200s", resp.StatusCode, body)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %s", csp)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") == "" {
		t.Errorf("headers = %v", resp.Header)
	}
	// Everything the page loads is its own: no inline script, no other host.
	if strings.Contains(string(body), "<script>") || strings.Contains(string(body), "http://") || strings.Contains(string(body), "https://") {
		t.Errorf("index.html has an inline script or an outside URL:\n%s", body)
	}
	for _, f := range []string{"/app.js", "/app.css", "/icon.svg"} {
		resp, err := http.Get(h.ts.URL + f)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Contains(string(b), "innerHTML") || strings.Contains(string(b), "://") && f != "/icon.svg" {
			t.Errorf("%s = %d, or uses innerHTML or an outside URL", f, resp.StatusCode)
		}
	}
}

func TestSessionCookie(t *testing.T) {
	h := newHarness(t, web.Config{})
	resp, err := h.c.Get(h.ts.URL + "/api/session")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var c *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == web.CookieName {
			c = k
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Fatalf("cookie = %+v; want HttpOnly, SameSite=Lax, not Secure over plain HTTP", c)
	}
	// The same visitor on the next visit, with the welcome once.
	first := h.history(h.c)
	if again := h.history(h.c); len(again) != len(first) || len(first) != 1 || !strings.Contains(first[0].text(), "张庙街道社区助手") {
		t.Fatalf("history = %+v then %+v; want the welcome once", first, again)
	}
	// A forged cookie is not that visitor.
	forged := h.newClient()
	u, _ := url.Parse(h.ts.URL)
	forged.Jar.SetCookies(u, []*http.Cookie{{Name: web.CookieName, Value: strings.Replace(c.Value, "v1.1.", "v1.2.", 1)}})
	if r := h.ask(forged, "电梯加装进展怎么样"); r.Status != http.StatusUnauthorized || !strings.Contains(r.Error, "刷新") {
		t.Fatalf("forged cookie: %d %q, want 401 with a Chinese message", r.Status, r.Error)
	}
	// Behind a TLS proxy the cookie is Secure.
	hp := newHarness(t, web.Config{TrustProxy: true})
	req, _ := http.NewRequest("GET", hp.ts.URL+"/api/session", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cs := resp.Cookies(); len(cs) != 1 || !cs[0].Secure {
		t.Fatalf("cookies behind HTTPS = %+v, want Secure", cs)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	h := newHarness(t, web.Config{})
	before := len(h.history(h.c))
	for _, hdr := range [][]string{
		{"Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site", "Origin", "https://sub." + strings.TrimPrefix(h.ts.URL, "http://")},
	} {
		r := h.do(h.c, "POST", "/api/messages", map[string]any{"id": newID(), "text": "你好"}, hdr...)
		if r.Status != http.StatusForbidden || !strings.Contains(r.Error, "拒绝") {
			t.Errorf("POST with %v = %d %q, want 403 with a Chinese message", hdr, r.Status, r.Error)
		}
	}
	if after := len(h.history(h.c)); after != before {
		t.Fatalf("a refused POST changed the conversation: %d → %d messages", before, after)
	}
	// The page's own POST passes.
	if r := h.do(h.c, "POST", "/api/messages", map[string]any{"id": newID(), "text": "你好"}, "Origin", h.ts.URL, "Sec-Fetch-Site", "same-origin"); r.Status != 200 {
		t.Fatalf("same-origin POST = %d %q", r.Status, r.Error)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	h := newHarness(t, web.Config{})
	before := len(h.history(h.c))
	tests := []struct {
		name   string
		body   any
		ctype  string
		status int
		msg    string
	}{
		{"not JSON", "id=1&text=x", "application/x-www-form-urlencoded", 415, "格式"},
		{"malformed JSON", "{", "application/json", 400, "格式"},
		{"empty", map[string]any{"id": newID(), "text": "   "}, "", 400, "请输入"},
		{"too long", map[string]any{"id": newID(), "text": strings.Repeat("长", web.MaxInputRunes+1)}, "", 413, "太长"},
		{"over the body cap", map[string]any{"id": newID(), "text": strings.Repeat("x", 9000)}, "", 413, "太长"},
		{"bad client id", map[string]any{"id": "<x>", "text": "你好"}, "", 400, "格式"},
		{"long press data", map[string]any{"id": newID(), "press": strings.Repeat("p", 65)}, "", 400, "失效"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r pageResp
			if tc.ctype != "" && tc.ctype != "application/json" {
				req, _ := http.NewRequest("POST", h.ts.URL+"/api/messages", strings.NewReader(tc.body.(string)))
				req.Header.Set("Content-Type", tc.ctype)
				resp, err := h.c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_ = json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				r.Status = resp.StatusCode
			} else {
				r = h.do(h.c, "POST", "/api/messages", tc.body)
			}
			if r.Status != tc.status || !strings.Contains(r.Error, tc.msg) {
				t.Errorf("= %d %q, want %d with %q", r.Status, r.Error, tc.status, tc.msg)
			}
		})
	}
	if after := len(h.history(h.c)); after != before {
		t.Fatalf("bad input changed the conversation: %d → %d messages", before, after)
	}
}

// TestRetriedPostAnsweredOnce: a browser that did not hear back sends the
// same POST again; the question is stored and answered once.
func TestRetriedPostAnsweredOnce(t *testing.T) {
	h := newHarness(t, web.Config{})
	h.history(h.c)
	body := map[string]any{"id": newID(), "text": "小区门口的路灯坏了找谁修"}
	first := h.do(h.c, "POST", "/api/messages", body)
	second := h.do(h.c, "POST", "/api/messages", body)
	if first.Status != 200 || !first.Done || second.Seq != first.Seq {
		t.Fatalf("first = %+v, second = %+v; want one seq", first, second)
	}
	hist := h.history(h.c)
	if len(hist) != 3 { // welcome, question, answer
		t.Fatalf("history has %d messages, want 3: %+v", len(hist), hist)
	}
	if list, _, err := h.store.OpenTickets(context.Background(), 10); err != nil || len(list) != 1 {
		t.Fatalf("open tickets = %d, %v; want 1", len(list), err)
	}
}

// TestAnswersInOrder: questions sent at once by one visitor are answered
// in the order they were stored, each after its own question.
func TestAnswersInOrder(t *testing.T) {
	h := newHarness(t, web.Config{})
	h.history(h.c)
	var wg sync.WaitGroup
	for n := 1; n <= 6; n++ {
		wg.Go(func() {
			if r := h.ask(h.c, fmt.Sprintf("/project %d", n)); r.Status != 200 && r.Status != 202 {
				t.Errorf("/project %d = %d %s", n, r.Status, r.Error)
			}
		})
	}
	wg.Wait()
	kb, _ := content.Default()
	deadline := time.Now().Add(20 * time.Second)
	for {
		hist := h.history(h.c)[1:]
		var asked []string
		var answers []string
		for _, m := range hist {
			if m.From == "me" {
				asked = append(asked, m.text())
			} else {
				answers = append(answers, m.text())
			}
		}
		if len(answers) == 6 {
			for i, q := range asked {
				var n int
				fmt.Sscanf(q, "/project %d", &n)
				if !strings.Contains(answers[i], kb.Projects[n-1].Name) {
					t.Errorf("answer %d to %q is about something else: %.60s", i+1, q, answers[i])
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 6 answered", len(answers))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestFloodControl(t *testing.T) {
	h := newHarness(t, web.Config{TextsPerMinute: 3, PerAddressPerMinute: 5})
	h.history(h.c)
	for i := range 3 {
		if r := h.ask(h.c, "你好"); r.Status != 200 {
			t.Fatalf("question %d = %d %s", i+1, r.Status, r.Error)
		}
	}
	r := h.ask(h.c, "你好")
	if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Error, "太快") {
		t.Fatalf("4th question = %d %q, want 429 asking to slow down", r.Status, r.Error)
	}
	if n := len(h.history(h.c)); n != 7 {
		t.Fatalf("history has %d messages, want 7 (the refused one not stored)", n)
	}
	// Per address: another visitor from the same address.
	other := h.newClient()
	h.history(other)
	h.ask(other, "你好")
	h.ask(other, "你好")
	if r := h.ask(other, "你好"); r.Status != http.StatusTooManyRequests || !strings.Contains(r.Error, "网络") {
		t.Fatalf("6th question from the address = %d %q, want 429 for the address", r.Status, r.Error)
	}
}

func TestCommandsOnTheWebPage(t *testing.T) {
	roles := map[string]communitybot.Role{"announce": communitybot.RoleAdmin, "study": communitybot.RoleMember, "subscribe": communitybot.RoleResident}
	h := newHarness(t, web.Config{TelegramCommand: func(n string) (communitybot.Role, bool) { r, ok := roles[n]; return r, ok }})
	h.history(h.c)
	tests := []struct{ in, want string }{
		{"/announce 明天停水", "管理员的命令，请在 Telegram 中使用"},
		{"/study", "党员学习功能，请在 Telegram 中使用"},
		{"/subscribe 公告", "需要在 Telegram 中使用"},
		{"/nosuch", "没有 /nosuch 这个命令"},
		{"/help", "/ticket"},
		{"/project 电梯加装", "电梯加装"},
		{"/project 99", "没有编号为 99 的项目"},
		{"/ticket", "还没有转交给工作人员的问题"},
		{"/ask", "请在 /ask 后面写上您的问题"},
	}
	for _, tc := range tests {
		r := h.ask(h.c, tc.in)
		if r.Status != 200 || len(r.Messages) == 0 || !strings.Contains(r.Messages[len(r.Messages)-1].text(), tc.want) {
			t.Errorf("%s = %d %+v, want %q", tc.in, r.Status, r.Messages, tc.want)
		}
	}
}

// TestStaffAnswerRatedOnce: the staff answer reaches an open event stream;
// only the asker rates it, once, and the rated message loses its buttons.
func TestStaffAnswerRatedOnce(t *testing.T) {
	h := newHarness(t, web.Config{})
	h.history(h.c)
	r := h.ask(h.c, "小区门口的路灯坏了找谁修")
	last := r.Messages[len(r.Messages)-1]
	if !strings.Contains(last.text(), "编号 Q-0001") {
		t.Fatalf("no ticket: %s", last.text())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/events?after=%d", h.ts.URL, last.Seq), nil)
	resp, err := h.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("events content type %q", ct)
	}
	events := make(chan msgView, 4)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m msgView
				if json.Unmarshal([]byte(d), &m) == nil {
					events <- m
				}
			}
		}
	}()
	if _, err := h.desk.Answer(ctx, staff.Actor{UserID: 1, Name: "值班员"}, 1, "已报修 <b>明天</b> 修好", "staff:1"); err != nil {
		t.Fatal(err)
	}
	var answer msgView
	select {
	case answer = <-events:
	case <-ctx.Done():
		t.Fatal("the staff answer never reached the open event stream")
	}
	if answer.From != "staff" || !strings.Contains(answer.text(), "已报修 <b>明天</b> 修好") || len(answer.Chips) != 1 || len(answer.Chips[0]) != 2 {
		t.Fatalf("pushed answer = %+v", answer)
	}
	good := answer.Chips[0][0]

	// Another visitor cannot rate it.
	other := h.newClient()
	h.history(other)
	o := h.do(other, "POST", "/api/messages", map[string]any{"id": newID(), "press": good.Data, "label": good.Label, "on": answer.Seq})
	if got := o.Messages[len(o.Messages)-1].text(); !strings.Contains(got, "只有提问的居民本人") {
		t.Fatalf("another visitor's rating: %s", got)
	}
	p := h.do(h.c, "POST", "/api/messages", map[string]any{"id": newID(), "press": good.Data, "label": good.Label, "on": answer.Seq})
	edit := p.Messages[len(p.Messages)-1]
	if edit.Edit != answer.Seq || !strings.Contains(edit.text(), "您的评价：满意") || len(edit.Chips) != 0 {
		t.Fatalf("rating reply = %+v; want an edit of the answer without buttons", edit)
	}
	again := h.do(h.c, "POST", "/api/messages", map[string]any{"id": newID(), "press": good.Data, "label": good.Label, "on": answer.Seq})
	if got := again.Messages[len(again.Messages)-1].text(); !strings.Contains(got, "已经评价过了") {
		t.Fatalf("second rating: %s", got)
	}
	if tk, _ := h.store.Ticket(ctx, 1); tk.Rating != communitybot.RatingGood {
		t.Fatalf("ticket rating = %q", tk.Rating)
	}
	if _, err := h.srv.Post(ctx, 42, communitybot.Reply{Text: "x"}); err == nil {
		t.Fatal("Post to a Telegram chat id succeeded")
	}
}

// TestSweeperAnswersOrphanedInput: an input stored by a request that died
// before handling it is answered by the background sweeper.
func TestSweeperAnswersOrphanedInput(t *testing.T) {
	h := newHarness(t, web.Config{})
	r := h.do(h.c, "GET", "/api/session", nil)
	var n int64
	fmt.Sscanf(r.Visitor, "W-%d", &n)
	ctx := context.Background()
	if _, _, err := h.store.WebSubmit(ctx, n, storage.WebInput{ClientID: "orphan-1", IP: "x",
		Log: []byte(`{"f":"me","t":"五个张庙是什么","at":1}`), Queue: []byte(`{"k":"text","t":"五个张庙是什么"}`)}, storage.WebLimit{Kind: "text"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		hist := h.history(h.c)
		if len(hist) == 3 && strings.Contains(hist[2].text(), "美丽张庙") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("orphaned input not answered: %+v", hist)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestAnnouncementsAndProjects(t *testing.T) {
	h := newHarness(t, web.Config{})
	ctx := context.Background()
	for _, b := range []communitybot.Broadcast{
		{Kind: communitybot.KindAnnouncement, Reply: communitybot.Reply{Text: "📢 <b>张庙街道公告</b>\n\n旧公告"}},
		{Kind: communitybot.KindProjectUpdate, Reply: communitybot.Reply{Text: "项目推送"}},
		{Kind: communitybot.KindReminder, Reply: communitybot.Reply{Text: "明天开会"}},
	} {
		if _, _, err := h.store.CreateBroadcast(ctx, b, nil, 50); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // distinct creation times: newest first is checked
	}
	resp, err := http.Get(h.ts.URL + "/api/announcements")
	if err != nil {
		t.Fatal(err)
	}
	var news struct {
		Items []struct {
			Kind  string
			Nodes []json.RawMessage
		}
	}
	_ = json.NewDecoder(resp.Body).Decode(&news)
	resp.Body.Close()
	if len(news.Items) != 2 || news.Items[0].Kind != "提醒" || news.Items[1].Kind != "公告" {
		t.Fatalf("announcements = %+v; want the reminder, then the announcement, no project push", news.Items)
	}

	if err := h.store.UpdateProject(ctx, "elevator", communitybot.ProjectEvent{Status: communitybot.StatusInProgress, Progress: 60, Note: "首批开工", By: "值班员"}); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(h.ts.URL + "/api/projects")
	if err != nil {
		t.Fatal(err)
	}
	var projects struct {
		Items []struct {
			Name, Status, Note, UpdatedAt string
			Progress                      *int
			History                       []struct{ At, Text string }
		}
	}
	_ = json.NewDecoder(resp.Body).Decode(&projects)
	resp.Body.Close()
	kb, _ := content.Default()
	if len(projects.Items) != len(kb.Projects) {
		t.Fatalf("%d projects, want %d", len(projects.Items), len(kb.Projects))
	}
	for _, p := range projects.Items {
		if p.Name != "电梯加装" {
			if p.Progress != nil || p.UpdatedAt != "" {
				t.Errorf("%s shows progress or an update it never had: %+v", p.Name, p)
			}
			continue
		}
		if p.Progress == nil || *p.Progress != 60 || p.Note != "首批开工" || len(p.History) != 2 || !strings.Contains(p.History[0].Text, "首批开工") {
			t.Errorf("电梯加装 = %+v; want 60%%, the note, the newest history first", p)
		}
	}
}
