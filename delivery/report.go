package delivery

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

// The admin who started a broadcast sees one message that fills in: it is
// posted when delivery starts, edited at most every ProgressEvery while it
// runs, and turned into the summary at the end.

// report handles a start or final report task and reports whether it is
// done. Reports are best effort beyond a few retries: an admin who blocked
// the bot must not hold up the queue.
func (w *worker) report(ctx context.Context, t *storage.DeliveryTask) bool {
	st, err := w.e.store.BroadcastStatus(ctx, t.BroadcastID)
	if errors.Is(err, communitybot.ErrNotFound) {
		return true
	}
	if err != nil {
		sleep(ctx, time.Second)
		return false
	}
	if st.ReportTo == 0 {
		return true
	}
	msgID, err := w.e.store.ProgressMessage(ctx, st.ID)
	if err != nil {
		sleep(ctx, time.Second)
		return false
	}
	final := t.Type == storage.TaskFinal
	if !final && msgID != 0 {
		return true // posted before a restart
	}
	text := w.e.progressText(st)
	if final {
		text = w.e.summaryText(st)
	}
	reply := communitybot.Reply{Text: text}
	for attempt := 1; ; attempt++ {
		if !w.acquire(ctx, st.ReportTo) {
			return false
		}
		sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		if final && msgID != 0 {
			err = w.poster.Edit(sendCtx, st.ReportTo, msgID, reply)
			if errors.Is(err, communitybot.ErrRejected) {
				msgID = 0 // the progress message is gone: post the summary anew
				cancel()
				continue
			}
		} else {
			var id int
			id, err = w.poster.Post(sendCtx, st.ReportTo, reply)
			if err == nil && !final {
				err = w.e.store.SetProgressMessage(sendCtx, st.ID, id)
			}
		}
		cancel()
		var tooMany *communitybot.RetryAfterError
		switch {
		case err == nil:
			return true
		case errors.As(err, &tooMany):
			sleep(ctx, tooMany.After)
		case errors.Is(err, communitybot.ErrChatGone), errors.Is(err, communitybot.ErrRejected), attempt >= 5:
			w.log.Warn("broadcast report not delivered", "broadcast", st.ID, "chat_id", st.ReportTo, "err", err)
			return true
		default:
			sleep(ctx, time.Duration(attempt)*time.Second)
		}
		if ctx.Err() != nil {
			return false
		}
	}
}

// progress edits the progress message if it is time to.
func (w *worker) progress(ctx context.Context, id string) {
	st, err := w.e.store.BroadcastStatus(ctx, id)
	if err != nil || st.ReportTo == 0 || st.Finished() {
		return
	}
	msgID, err := w.e.store.ProgressMessage(ctx, id)
	if err != nil || msgID == 0 {
		return
	}
	if ok, err := w.e.store.ProgressSlot(ctx, id, w.e.cfg.ProgressEvery); err != nil || !ok {
		return
	}
	if err := w.poster.Edit(ctx, st.ReportTo, msgID, communitybot.Reply{Text: w.e.progressText(st)}); err != nil {
		w.log.Debug("progress edit failed", "broadcast", id, "err", err)
	}
}

func (e *Engine) title(st communitybot.BroadcastStatus) string {
	return fmt.Sprintf("%s #%s", html.EscapeString(communitybot.KindLabel(st.Kind)), st.ID)
}

func (e *Engine) progressText(st communitybot.BroadcastStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "📤 <b>%s</b> 正在发送…\n", e.title(st))
	fmt.Fprintf(&b, "进度：%d / %d", st.Done(), st.Total)
	if st.Total > 0 {
		fmt.Fprintf(&b, "（%d%%）", st.Done()*100/st.Total)
	}
	fmt.Fprintf(&b, "\n送达 %d，已屏蔽 %d，失败 %d", st.Delivered, st.Blocked, st.Failed)
	fmt.Fprintf(&b, "\n开始于 %s。完成后这条消息会更新为结果。", st.CreatedAt.In(e.cfg.Location).Format("15:04:05"))
	return b.String()
}

func (e *Engine) summaryText(st communitybot.BroadcastStatus) string {
	var b strings.Builder
	if st.Total == 0 {
		fmt.Fprintf(&b, "ℹ️ <b>%s</b>：目前没有订阅者，没有发送任何消息。", e.title(st))
		return b.String()
	}
	fmt.Fprintf(&b, "✅ <b>%s</b> 发送完成\n", e.title(st))
	fmt.Fprintf(&b, "共 %d 位接收者：送达 %d", st.Total, st.Delivered)
	if st.Blocked > 0 {
		fmt.Fprintf(&b, "，%d 位已屏蔽或移除机器人（已自动退订）", st.Blocked)
	}
	if st.Failed > 0 {
		fmt.Fprintf(&b, "，%d 位发送失败", st.Failed)
	}
	if st.Skipped > 0 {
		fmt.Fprintf(&b, "，%d 位已跳过", st.Skipped)
	}
	b.WriteString("。")
	if st.Migrated > 0 {
		fmt.Fprintf(&b, "\n其中 %d 个群已升级为超级群，订阅已随之迁移。", st.Migrated)
	}
	end := st.FinishedAt
	if end.IsZero() {
		end = time.Now()
	}
	fmt.Fprintf(&b, "\n用时 %s。", humanDuration(end.Sub(st.CreatedAt)))
	return b.String()
}

// humanDuration renders a duration in Chinese: 3 秒, 2 分 5 秒, 1 小时 3 分.
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Second {
		return "不到 1 秒"
	}
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%d 小时 %d 分", h, m)
	case m > 0:
		return fmt.Sprintf("%d 分 %d 秒", m, s)
	}
	return fmt.Sprintf("%d 秒", s)
}
