package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/assistant"
	"github.com/zhangmiao/communitybot/bot"
	"github.com/zhangmiao/communitybot/staff"
	"github.com/zhangmiao/communitybot/storage"
	"github.com/zhangmiao/communitybot/web"
)

// channelPoster is the staff desk's way out: a web visitor's chat (a
// relayed answer) goes to the web page, every other chat to Telegram. The
// desk itself never knows which channel a chat is on.
type channelPoster struct {
	telegram *bot.Sender
	web      atomic.Pointer[web.Server]
}

func (p *channelPoster) Post(ctx context.Context, chatID int64, r communitybot.Reply) (int, error) {
	if communitybot.ChannelOf(chatID) != communitybot.ChannelWeb {
		return p.telegram.Post(ctx, chatID, r)
	}
	w := p.web.Load()
	if w == nil {
		return 0, fmt.Errorf("web visitor %d: the web page is off (WEB_LISTEN): %w", communitybot.WebVisitorNo(chatID), staff.ErrUndeliverable)
	}
	return w.Post(ctx, chatID, r)
}

// telegramCommands tells the page which commands exist in Telegram and
// for whom, so it can point there rather than call them unknown.
func telegramCommands(router *bot.Router) func(string) (communitybot.Role, bool) {
	roles := map[string]communitybot.Role{}
	for _, r := range []communitybot.Role{communitybot.RoleAdmin, communitybot.RoleMember, communitybot.RoleResident} {
		for _, c := range router.Commands(r) {
			role := c.Role
			if role == "" {
				role = communitybot.RoleResident
			}
			roles[c.Name] = role
		}
	}
	return func(name string) (communitybot.Role, bool) {
		r, ok := roles[name]
		return r, ok
	}
}

// wireWeb starts the web chat page on WEB_LISTEN, if set, and returns its
// address. Call it after every command is registered. The page stops on
// closers: its event streams end, requests in flight finish.
func wireWeb(ctx context.Context, cfg Config, store *storage.Store, asst *assistant.Assistant, staffW *staffWiring,
	router *bot.Router, log *slog.Logger, closers *closeStack) (string, error) {
	if cfg.Web.Listen == "" {
		return "", nil
	}
	log = log.With("component", "web")
	srv, err := web.New(asst, staffW.svc, store, web.Config{
		Secret: cfg.Web.Secret, TrustProxy: cfg.Web.TrustProxy, TelegramCommand: telegramCommands(router),
		Location: cfg.Location, Logger: log,
	})
	if err != nil {
		return "", err
	}
	ln, err := net.Listen("tcp", cfg.Web.Listen)
	if err != nil {
		if cfg.Mode == ModeConsole && cfg.Web.Generated {
			// Console mode's default port may be another console's:
			// the terminal chat works without the page.
			log.Warn("web page not started: its address is taken (set WEB_LISTEN to another address)", "addr", cfg.Web.Listen, "err", err)
			return "", nil
		}
		return "", fmt.Errorf("WEB_LISTEN: %w", err)
	}
	// Requests' contexts end at shutdown, so open event streams return
	// and Shutdown does not wait for them.
	base, cancelBase := context.WithCancel(context.Background())
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second, // event streams lift it for themselves
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("web page stopped", "err", err)
		}
	}()
	runCtx, stopRun := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { srv.Run(runCtx) })
	staffW.routed.web.Store(srv)
	closers.push("web page", func() error {
		cancelBase()
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := hs.Shutdown(shutCtx)
		stopRun()
		wg.Wait()
		return err
	})
	addr := "http://" + ln.Addr().String() + "/"
	log.Info("web page listening", "addr", addr)
	return addr, nil
}
