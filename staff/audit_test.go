package staff_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/staff"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

// TestDeniedAttemptsCannotEvictAdminActions: 20,000 refused attempts (one
// resident at 15 a minute for 22 hours) are written after two admin
// actions; /audit still lists both admin actions, with the admin's role,
// and summarises the refusals below them.
func TestDeniedAttemptsCannotEvictAdminActions(t *testing.T) {
	ctx := context.Background()
	store := storagetest.New(t)
	kb, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := staff.New(staff.Deps{Store: store, Base: kb, QA: noReload{}, Poster: newLatePoster()}, staff.Config{})
	if err != nil {
		t.Fatal(err)
	}
	admin := communitybot.AuditEntry{UserID: 7, Name: "王主任", Role: communitybot.RoleAdmin}
	for _, a := range []string{"announce", "grant"} {
		e := admin
		e.Action, e.Target = a, "目标"+a
		svc.Record(ctx, e)
	}
	const denied, writers = 20000, 8
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < denied-1; i += writers {
				svc.Record(ctx, communitybot.AuditEntry{UserID: 99, Name: "捣乱者", Role: communitybot.RoleResident,
					Action: communitybot.AuditDenied, Target: fmt.Sprintf("/announce%d", i), Detail: "没有管理员权限，未执行"})
			}
		})
	}
	wg.Wait()
	svc.Record(ctx, communitybot.AuditEntry{UserID: 99, Name: "捣乱者", Role: communitybot.RoleResident,
		Action: communitybot.AuditDenied, Target: "/announce19999", Detail: "没有管理员权限，未执行"})
	list, err := store.Audit(ctx, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Action != "grant" || list[1].Action != "announce" {
		t.Fatalf("after %d denied attempts the log keeps %d admin actions (want grant, announce); newest: %+v", denied, len(list), list[:min(len(list), 2)])
	}
	reply, err := svc.Audit(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"最近 2 条管理操作", "管理员 王主任（ID 7）授予身份 目标grant", "管理员 王主任（ID 7）发布公告 目标announce",
		"被拒绝的尝试", "居民 捣乱者（ID 99）被拒绝 /announce19999", "/audit 拒绝"} {
		if !strings.Contains(reply.Text, want) {
			t.Errorf("/audit lacks %q:\n%s", want, reply.Text)
		}
	}
	if n := strings.Count(reply.Text, "捣乱者"); n != 3 {
		t.Errorf("/audit shows %d denied attempts, want the latest 3:\n%s", n, reply.Text)
	}
	more, err := svc.Audit(ctx, "拒绝 10")
	if err != nil || strings.Count(more.Text, "捣乱者") != 10 || strings.Contains(more.Text, "王主任") {
		t.Fatalf("/audit 拒绝 10 = %q, %v", more.Text, err)
	}
}
