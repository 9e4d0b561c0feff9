package delivery

import (
	"context"
	"errors"
	"fmt"
	"html"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

// The admin who started a broadcast sees one message that fills in: it is
// posted when delivery starts, edited at most every ProgressEvery while it
// runs, and turned into the summary at the end. The start report and the
// summary are separate tasks that different workers may run at the same
// time (a broadcast's last chunk can be done before its start report is),
// and a progress edit can be in flight when the summary is written: so all
// three run under the broadcast's report lock, and each reads there what
// the others did.

// reportLockTTL bounds how long a dead worker holds a broadcast's report
// lock: a holder makes one Bot API call (at most sendTimeout) under it.
const reportLockTTL = sendTimeout + 15*time.Second

// report handles a start or final report task and reports whether it is
// done. Reports are best effort beyond the policy's retries: an admin who
// blocked the bot must not hold up the queue.
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
	final := t.Type == storage.TaskFinal
	// The Poster retries under the outbound policy; what it gives up on
	// (the admin blocked the bot, Telegram down past the budget) is
	// dropped: a report must not hold up the queue.
	err = w.reportOnce(ctx, st, final)
	switch {
	case err == nil:
		return true
	case ctx.Err() != nil:
		return false
	}
	w.log.Warn("broadcast report not delivered", "broadcast", st.ID, "chat_id", st.ReportTo, "err", err)
	return true
}

// reportOnce makes one attempt at the start report (post the progress
// message) or the summary (edit the progress message into it, or post it
// if there is none), under the report lock.
func (w *worker) reportOnce(ctx context.Context, st communitybot.BroadcastStatus, final bool) error {
	unlock, ok := w.lockReport(ctx, st.ID, true)
	if !ok {
		return ctx.Err()
	}
	defer unlock()
	rs, err := w.e.store.ReportState(ctx, st.ID)
	if err != nil {
		return err
	}
	if rs.Final || (!final && rs.MessageID != 0) {
		// Done already: by a worker that died before acknowledging, or,
		// for a start report, the summary went out first.
		return nil
	}
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	if !final {
		id, err := w.poster.Post(sendCtx, st.ReportTo, communitybot.Reply{Text: w.e.progressText(st)})
		if err != nil {
			return err
		}
		w.recorded(st.ID, w.e.store.SetProgressMessage(sendCtx, st.ID, id))
		return nil
	}
	summary := communitybot.Reply{Text: w.e.summaryText(st)}
	if rs.MessageID != 0 {
		err := w.poster.Edit(sendCtx, st.ReportTo, rs.MessageID, summary)
		if !errors.Is(err, communitybot.ErrRejected) {
			if err == nil {
				w.recorded(st.ID, w.e.store.SetFinalReported(sendCtx, st.ID))
			}
			return err
		}
		// The progress message is gone (the admin deleted it): post the
		// summary anew.
	}
	if _, err := w.poster.Post(sendCtx, st.ReportTo, summary); err != nil {
		return err
	}
	w.recorded(st.ID, w.e.store.SetFinalReported(sendCtx, st.ID))
	return nil
}

// recorded logs a report that went out but could not be recorded. It is
// not retried: that would send it again.
func (w *worker) recorded(id string, err error) {
	if err != nil {
		w.log.Warn("broadcast report sent but not recorded", "broadcast", id, "err", err)
	}
}

// lockReport takes the broadcast's report lock, waiting for its holder if
// wait is set; ok is false if it was not taken (not free, or the worker is
// stopping). unlock releases it.
func (w *worker) lockReport(ctx context.Context, id string, wait bool) (unlock func(), ok bool) {
	for {
		got, err := w.e.store.LockReport(ctx, id, w.consumer, reportLockTTL)
		if err == nil && got {
			return func() {
				bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				if err := w.e.store.UnlockReport(bg, id, w.consumer); err != nil {
					w.log.Warn("cannot release a report lock; it expires", "broadcast", id, "err", err)
				}
			}, true
		}
		if err != nil && ctx.Err() == nil {
			w.log.Warn("cannot take a report lock", "broadcast", id, "err", err)
		}
		if !wait || ctx.Err() != nil {
			return nil, false
		}
		sleep(ctx, 50*time.Millisecond+rand.N(50*time.Millisecond))
	}
}

// progress edits the progress message if it is time to. It is best
// effort: if a report holds the lock, this edit is skipped.
func (w *worker) progress(ctx context.Context, id string) {
	st, err := w.e.store.BroadcastStatus(ctx, id)
	if err != nil || st.ReportTo == 0 || st.Finished() {
		return
	}
	if ok, err := w.e.store.ProgressSlot(ctx, id, w.e.cfg.ProgressEvery); err != nil || !ok {
		return
	}
	unlock, ok := w.lockReport(ctx, id, false)
	if !ok {
		return
	}
	defer unlock()
	// The summary may have gone out since the status was read.
	rs, err := w.e.store.ReportState(ctx, id)
	if err != nil || rs.Final || rs.MessageID == 0 {
		return
	}
	if err := w.poster.Edit(ctx, st.ReportTo, rs.MessageID, communitybot.Reply{Text: w.e.progressText(st)}); err != nil {
		w.log.Debug("progress edit failed", "broadcast", id, "err", err)
	}
}

func (e *Engine) title(st communitybot.BroadcastStatus) string {
	return html.EscapeString(st.Label())
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
