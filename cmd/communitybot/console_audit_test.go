package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestConsoleAdminInAudit: the console user made an admin with ADMIN_IDS
// is shown in /audit as an admin with a name of its own, not as 「居民」.
func TestConsoleAdminInAudit(t *testing.T) {
	in := strings.NewReader("/addproject 口袋公园改造 | 在泗塘路口建设一处口袋公园\n/audit\n")
	var out, errOut syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := run(ctx, env("ADMIN_IDS", "10001"), in, &out, &errOut); err != nil {
		t.Fatalf("run: %v\nstderr: %s", err, errOut.String())
	}
	got := out.String()
	_, audit, ok := strings.Cut(got, "最近 1 条管理操作")
	if !ok {
		t.Fatalf("no /audit listing in the console output:\n%s", got)
	}
	if !strings.Contains(audit, "管理员 控制台用户（ID 10001）新增项目") {
		t.Errorf("/audit does not name the console admin as an admin:\n%s", audit)
	}
	if strings.Contains(audit, "居民") {
		t.Errorf("/audit calls the console admin 「居民」:\n%s", audit)
	}
}
