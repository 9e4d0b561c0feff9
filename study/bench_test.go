package study_test

import (
	"context"
	"testing"
	"time"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/storage/storagetest"
	"github.com/zhangmiao/communitybot/study"
)

// benchMembers is the size of a large subdistrict's membership.
const benchMembers = 2000

func benchService(b *testing.B) (*study.Service, *clock) {
	kb, err := content.Default()
	if err != nil {
		b.Fatal(err)
	}
	store := storagetest.New(b)
	ctx := context.Background()
	for id := int64(1); id <= benchMembers; id++ {
		if err := store.SetAccount(ctx, communitybot.Account{UserID: id, Role: communitybot.RoleMember, Branch: "一支部"}); err != nil {
			b.Fatal(err)
		}
	}
	c := &clock{t: time.Date(2026, 1, 26, 8, 0, 0, 0, shanghai)}
	svc, err := study.New(store, kb.Study, study.Options{Location: shanghai, Now: c.Now})
	if err != nil {
		b.Fatal(err)
	}
	return svc, c
}

// BenchmarkRender is the 08:00 push's cost per member: role check, bank,
// and the day's assignment (always a fresh one: every member once a day).
func BenchmarkRender(b *testing.B) {
	svc, c := benchService(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		id := int64(i%benchMembers) + 1
		if id == 1 {
			c.Set(c.Now().AddDate(0, 0, 1))
		}
		if _, ok, err := svc.Render(ctx, id); err != nil || !ok {
			b.Fatal(ok, err)
		}
		i++
	}
}

// BenchmarkMemberDay is one member's whole day: the push, then the scored
// answer that updates stats, streak and four leaderboards.
func BenchmarkMemberDay(b *testing.B) {
	svc, c := benchService(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		id := int64(i%benchMembers) + 1
		if id == 1 {
			c.Set(c.Now().AddDate(0, 0, 1))
		}
		r, _, err := svc.Render(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := svc.Answer(ctx, id, r.Buttons[0][0].Data); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkRank is /rank with a full board.
func BenchmarkRank(b *testing.B) {
	svc, c := benchService(b)
	ctx := context.Background()
	for id := int64(1); id <= benchMembers; id++ {
		r, _, _ := svc.Render(ctx, id)
		if _, _, err := svc.Answer(ctx, id, r.Buttons[int(id)%len(r.Buttons)][0].Data); err != nil {
			b.Fatal(err)
		}
	}
	_ = c
	for b.Loop() {
		if _, err := svc.Rank(ctx, 77, false); err != nil {
			b.Fatal(err)
		}
	}
}
