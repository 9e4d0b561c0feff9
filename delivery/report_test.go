package delivery_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/delivery"
)

// slowProgress makes posting and editing the "正在发送…" message slow, as
// a slow Bot API would, so the start report, progress edits and the
// summary overlap if nothing keeps them apart.
type slowProgress struct {
	delivery.Poster
}

func (p slowProgress) wait(r communitybot.Reply) {
	if strings.Contains(r.Text, "正在发送") {
		time.Sleep(30 * time.Millisecond)
	}
}

func (p slowProgress) Post(ctx context.Context, chatID int64, r communitybot.Reply) (int, error) {
	p.wait(r)
	return p.Poster.Post(ctx, chatID, r)
}

func (p slowProgress) Edit(ctx context.Context, chatID int64, messageID int, r communitybot.Reply) error {
	p.wait(r)
	return p.Poster.Edit(ctx, chatID, messageID, r)
}

// Whatever order the workers take the reports in, the admin sees one
// message, and it ends as the summary.
func TestAdminSeesOneMessageThatEndsAsTheSummary(t *testing.T) {
	f := newFixture(t, func(c *delivery.Config) { c.Workers = 4; c.ChunkSize = 1; c.ProgressEvery = time.Millisecond })
	ctx := context.Background()
	const n = 30
	admins := ids(910001, n)
	var bcs []communitybot.Broadcast
	for i, admin := range admins {
		// No recipients (the start and the end are queued at once), one
		// (one chunk), two (a progress edit between the chunks).
		audience := ids(920001+10*i, i%3)
		b, err := f.engine.Enqueue(ctx, communitybot.Broadcast{
			Kind: communitybot.KindAnnouncement, ChatIDs: audience, Reply: communitybot.Reply{Text: "通知"}, ReportTo: admin,
		})
		if err != nil {
			t.Fatal(err)
		}
		bcs = append(bcs, b)
	}
	f.engine = delivery.New(f.store, slowProgress{f.poster}, f.cfg)
	stop := run(t, f.engine)
	for _, b := range bcs {
		f.wait(b.ID)
	}
	f.drained()
	stop() // lets edits in flight land

	for i, admin := range admins {
		msgs := f.api.Sent(admin)
		want := "发送完成"
		if i%3 == 0 {
			want = "目前没有订阅者"
		}
		if len(msgs) != 1 || !strings.Contains(msgs[0].PlainText, want) {
			var texts []string
			for _, m := range msgs {
				texts = append(texts, m.PlainText)
			}
			t.Errorf("admin of broadcast %s (%d recipients) sees %d messages %q; want one, ending as the summary", bcs[i].ID, i%3, len(msgs), texts)
		}
	}
}

// drained waits until no delivery task (chunk or report) is left.
func (f *fixture) drained() {
	f.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := f.store.DeliveryBacklog(context.Background())
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("delivery tasks still queued: %d, %v", n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
