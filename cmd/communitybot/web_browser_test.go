package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/bot/tgtest"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// The browser tests drive Debian's Chromium headless through chromedp
// against the whole program (run), the fake Bot API for the staff side
// and the real Redis. With CI=true a missing browser fails them; elsewhere
// they are skipped with a message saying how to install it.

// chromiumPath finds the browser.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	msg := "Chromium not found at /usr/bin/chromium (apt-get install -y chromium, or set CHROMIUM)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + ": the browser tests must run in CI")
	}
	t.Skip(msg + "; skipping the browser test")
	return ""
}

// webStack is the program with its web page, a staff chat and an admin.
type webStack struct {
	t         *testing.T
	api       *tgtest.Server
	base      string // the page's URL
	admin     tgtest.User
	staffChat tgtest.Chat
	seed      *storage.Store
	logs      *inProcess
}

func startWebStack(t *testing.T) *webStack {
	t.Helper()
	api := tgtest.New()
	t.Cleanup(api.Close)
	prefix := storagetest.Prefix(t)
	helper := storagetest.New(t)
	t.Cleanup(func() { storagetest.Cleanup(t, helper.Client(), prefix) })
	seed := storage.NewFromClient(helper.Client(), storage.Options{Prefix: prefix})
	admin := tgtest.User{ID: 4243, FirstName: "值班员"}
	if err := seed.SetAccount(context.Background(), communitybot.Account{UserID: admin.ID, Role: communitybot.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	staffChat := tgtest.SupergroupChat(-1005550002, "员工群")
	p := watchPrograms(t, 4*time.Minute)
	bot := p.start("bot", nil, nil,
		"TELEGRAM_BOT_TOKEN", api.Token(), "TELEGRAM_API_URL", api.URL(),
		"REDIS_URL", storagetest.URL(), "REDIS_PREFIX", prefix, "LOG_LEVEL", "info",
		"STAFF_CHAT_ID", fmt.Sprint(staffChat.ID),
		"WEB_LISTEN", "127.0.0.1:0", "WEB_SECRET", "test-secret-test-secret-test-secret-0123",
	)
	addrRE := regexp.MustCompile(`web page listening.*addr=(http://\S+)`)
	var base string
	p.waitFor("the web page's address in the log", func() bool {
		if m := addrRE.FindStringSubmatch(bot.Logs()); m != nil {
			base = m[1]
			return true
		}
		return false
	})
	return &webStack{t: t, api: api, base: base, admin: admin, staffChat: staffChat, seed: seed, logs: bot}
}

// adminSays sends an admin command in Telegram and waits for its reply.
func (s *webStack) adminSays(text string) string {
	s.t.Helper()
	chat := tgtest.PrivateChat(s.admin)
	before := len(s.api.Sent(chat.ID))
	s.api.SendText(chat, s.admin, text)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := s.api.WaitSent(ctx, chat.ID, before+1)
	if err != nil {
		s.t.Fatalf("%s: no reply in Telegram: %v\nlogs: %s", text, err, s.logs.Logs())
	}
	return msgs[before].PlainText
}

// staffAnswer waits for the n-th ticket post in the staff chat and
// replies to it as the admin, as staff do.
func (s *webStack) staffAnswer(n int, answer string) tgtest.Message {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	posts, err := s.api.WaitSent(ctx, s.staffChat.ID, n)
	if err != nil {
		s.t.Fatalf("no ticket post in the staff chat: %v\nlogs: %s", err, s.logs.Logs())
	}
	post := posts[n-1]
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := s.seed.TicketByStaffMessage(ctx, s.staffChat.ID, post.Model.ID); err == nil {
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatal("the staff post was never recorded as the ticket's")
		}
	}
	s.api.ReplyText(s.staffChat, s.admin, post.Model, answer)
	return post
}

// browser opens a headless Chromium with a phone-sized window.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(360, 740),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	return ctx
}

// page wraps the browser for the test's steps; every step fails the test
// with what the page showed.
type page struct {
	t    *testing.T
	ctx  context.Context
	shot string // screenshot directory
}

func newPage(t *testing.T, ctx context.Context) *page {
	dir := os.Getenv("WEB_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &page{t: t, ctx: ctx, shot: dir}
}

func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v\npage: %s", what, err, p.text("body"))
	}
}

// text is the visible text under a CSS selector.
func (p *page) text(sel string) string {
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText`, sel)))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return v
}

// js evaluates an expression to T.
func js[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitText waits until the text under sel contains want.
func (p *page) waitText(what, sel, want string) {
	p.t.Helper()
	expr := fmt.Sprintf(`(document.querySelector(%q) || {innerText: ""}).innerText.includes(%q)`, sel, want)
	_, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		p.t.Fatalf("%s: %q never appeared in %s: %v\n%s shows: %s", what, want, sel, err, sel, p.text(sel))
	}
}

const answersJS = `document.querySelectorAll('#messages .msg:not(.from-me)').length`

// ask types a question and sends it, as a resident does, and returns the
// answer once it is shown.
func (p *page) ask(text string) string {
	p.t.Helper()
	before := js[int](p, answersJS)
	p.do("ask "+text, chromedp.SendKeys(chromedp.CSS("#text"), text), chromedp.Click(chromedp.CSS("#send")))
	p.do("answer to "+text, chromedp.Poll[chromedp.Void](fmt.Sprintf("%s > %d", answersJS, before),
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	return p.lastBot()
}

// lastBot is the text of the latest message from the assistant or staff.
func (p *page) lastBot() string {
	return js[string](p, `(function(){var l=document.querySelectorAll('#messages .msg:not(.from-me) .bubble');return l.length?l[l.length-1].innerText:""})()`)
}

func (p *page) screenshot(name string) {
	p.t.Helper()
	buf, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.shot, name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// TestWebPageInBrowser is a resident's visit on a phone: questions,
// chips, a follow-up, a ticket answered by staff in Telegram while the page
// is open, the rating, the history after a reload, and the 公告 and 项目
// tabs with what staff did a moment before.
func TestWebPageInBrowser(t *testing.T) {
	ctx := browser(t)
	s := startWebStack(t)
	p := newPage(t, ctx)

	p.do("open the page", chromedp.Navigate(s.base), chromedp.WaitVisible(chromedp.CSS("#messages .msg.from-bot")))
	p.waitText("welcome", "#messages", "张庙街道社区助手")

	if a := p.ask("五个张庙是什么？"); !strings.Contains(a, "美丽张庙") {
		t.Fatalf("campaign question answered with: %s", a)
	}

	n := js[int](p, `document.querySelectorAll('#messages .msg').length`)
	label := js[string](p, `document.querySelector('#messages .msg.from-bot:last-child .chip').textContent`)
	p.do("press a chip", chromedp.Click(chromedp.CSS("#messages .msg.from-bot:last-child .chip")))
	p.do("chip answered", chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll('#messages .msg').length >= %d`, n+2)))
	p.waitText("the press is shown", "#messages .msg.from-me.press", label)
	t.Logf("pressed %q, answered: %.60s", label, p.lastBot())

	if a := p.ask("电梯加装进展怎么样"); !strings.Contains(a, "电梯加装") || !strings.Contains(a, "推进中") {
		t.Fatalf("project question answered with: %s", a)
	}
	if a := p.ask("那架空线呢？"); !strings.Contains(a, "架空线入地") || !strings.Contains(a, "状态") {
		t.Fatalf("follow-up answered with: %s", a)
	}
	p.screenshot("web-chat.png")

	a := p.ask("小区门口的路灯坏了，请问找谁修？")
	no := regexp.MustCompile(`编号 (Q-\d{4})`).FindStringSubmatch(a)
	if no == nil || !strings.Contains(a, "转交") {
		t.Fatalf("no ticket number in: %s", a)
	}

	// Staff answer in Telegram; the still-open page shows it (events).
	post := s.staffAnswer(1, "已通知物业，明天上午修好路灯。")
	if !strings.Contains(post.PlainText, "来自网页版") || !strings.Contains(post.PlainText, no[1]) {
		t.Errorf("staff post = %s; want %s marked as from the web page", post.PlainText, no[1])
	}
	p.waitText("staff answer pushed to the open page", "#messages .msg.from-staff", "已通知物业")
	p.screenshot("web-staff-answer.png")

	p.do("rate", chromedp.Click(chromedp.CSS("#messages .msg.from-staff .chip")))
	p.waitText("rated", "#messages .msg.from-staff", "您的评价：满意")
	if n := js[int](p, `document.querySelectorAll('#messages .msg.from-staff .chip').length`); n != 0 {
		t.Errorf("the rated answer still has %d buttons", n)
	}
	rctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.api.WaitUntil(rctx, func() bool {
		for _, m := range s.api.Sent(s.staffChat.ID) {
			if strings.Contains(m.PlainText, "评价") && strings.Contains(m.PlainText, no[1]) {
				return true
			}
		}
		return false
	}); err != nil {
		t.Errorf("the rating was not reported to the staff chat: %v", err)
	}

	p.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#messages .msg.from-staff")))
	for _, want := range []string{"五个张庙是什么？", "那架空线呢？", "已通知物业", "您的评价：满意", no[1]} {
		p.waitText("history after reload", "#messages", want)
	}
	if n := js[int](p, `document.querySelectorAll('#messages .msg.from-staff .chip').length`); n != 0 {
		t.Errorf("after a reload the rated answer offers %d buttons again", n)
	}

	reply := s.adminSays("/announce 本周六上午九点，社区活动中心举行义诊，欢迎居民参加。")
	if !strings.Contains(reply, "网页版") {
		t.Errorf("/announce reply = %s", reply)
	}
	p.do("open 公告", chromedp.Click(chromedp.CSS("#tab-news")))
	p.waitText("announcement on the page", "#news", "社区活动中心举行义诊")
	if first := p.text("#news .card"); !strings.Contains(first, "义诊") {
		t.Errorf("newest announcement not first: %s", first)
	}
	p.screenshot("web-news.png")

	s.adminSays("/setstatus 电梯加装 推进中 60% 首批12台电梯已开工")
	p.do("open 项目", chromedp.Click(chromedp.CSS("#tab-projects")))
	p.waitText("project status on the page", "#projects", "首批12台电梯已开工")
	p.waitText("progress", "#projects", "约 60%")
	js[bool](p, `(function(){var c=Array.prototype.find.call(document.querySelectorAll('#projects .card'),function(e){return e.innerText.includes('首批12台')});c.querySelector('details').open=true;c.scrollIntoView();return true})()`)
	p.screenshot("web-projects.png")

	p.do("large text", chromedp.Click(chromedp.CSS("#tab-chat")), chromedp.Click(chromedp.CSS("#bigtext")))
	if !js[bool](p, `document.documentElement.classList.contains('big') && localStorage.getItem('zm-big') === '1'`) {
		t.Error("the large-text switch did not take or was not kept")
	}
	p.do("reload with large text", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#messages .msg")))
	if !js[bool](p, `document.documentElement.classList.contains('big')`) {
		t.Error("large text not kept across a reload")
	}
	p.screenshot("web-large-text.png")
	if w := js[int](p, `document.documentElement.scrollWidth`); w > 360 {
		t.Errorf("the page is %d px wide on a 360 px screen", w)
	}
}

// TestWebPageKeepsInjectionAsText sends HTML and script through a
// question, a staff answer and an announcement: the page shows them as
// text and no element or script comes of them.
func TestWebPageKeepsInjectionAsText(t *testing.T) {
	ctx := browser(t)
	s := startWebStack(t)
	p := newPage(t, ctx)
	const evil = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>粗</b>`
	p.do("open the page", chromedp.Navigate(s.base), chromedp.WaitVisible(chromedp.CSS("#messages .msg.from-bot")))

	if a := p.ask("路灯坏了 " + evil); !regexp.MustCompile(`编号 Q-\d{4}`).MatchString(a) {
		t.Fatalf("no ticket for the question: %s", a)
	}
	p.waitText("question shown", "#messages .msg.from-me", `<img src=x onerror="window.__pwned=1">`)
	if n := js[int](p, `document.querySelectorAll('#messages .from-me .bubble *').length`); n != 0 {
		t.Errorf("the question became %d elements", n)
	}

	s.staffAnswer(1, "答复 "+evil)
	p.waitText("staff answer shown as text", "#messages .msg.from-staff", "<script>window.__pwned=2</script>")

	s.adminSays("/announce 通知 " + evil)
	p.do("open 公告", chromedp.Click(chromedp.CSS("#tab-news")))
	p.waitText("announcement shown as text", "#news", `<img src=x onerror="window.__pwned=1">`)

	if n := js[int](p, `document.querySelectorAll('#messages img, #messages script, #news img, #news script').length`); n != 0 {
		t.Errorf("%d img/script elements came from the injected text", n)
	}
	// The page's own markup (the relay's heading, the announcement's) is
	// bold; what staff typed is not.
	if n := js[int](p, `Array.prototype.filter.call(document.querySelectorAll('#messages b, #news b'), function(e){return e.textContent === '粗'}).length`); n != 0 {
		t.Errorf("%d <b> elements came from text typed by residents or staff", n)
	}
	if v := js[string](p, `String(window.__pwned)`); v != "undefined" {
		t.Errorf("injected script ran: window.__pwned = %s", v)
	}
}
