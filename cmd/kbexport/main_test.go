package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/content"
	"github.com/zhangmiao/communitybot/storage/storagetest"
)

func TestExportMergesLearnedEntries(t *testing.T) {
	store := storagetest.New(t)
	ctx := context.Background()
	kb, _ := content.Default()
	if _, err := store.SeedProjects(ctx, kb.Projects); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AddProject(ctx, communitybot.Project{Name: "口袋公园", Summary: "在路口建口袋公园。", Status: communitybot.StatusPlanning, Progress: -1, UpdatedBy: "王"}); err != nil {
		t.Fatal(err)
	}
	tk, _, err := store.CreateTicket(ctx, communitybot.Ticket{UserID: 1, ChatID: 1, Question: "食堂几点开门", Normalized: "食堂几点开门"}, 3, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.AnswerTicket(ctx, tk.No, "10点开门。", "王", 9, "s"); err != nil {
		t.Fatal(err)
	}
	if err := store.Learn(ctx, communitybot.LearnedEntry{ID: "learned-q1", Kind: communitybot.LearnTopic, Title: "食堂营业时间", Answer: "10点开门。", Question: "食堂几点开门", Ticket: tk.No}); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		return map[string]string{"REDIS_URL": storagetest.URL(), "REDIS_PREFIX": store.Prefix()}[k]
	}
	out := filepath.Join(t.TempDir(), "knowledge.yaml")
	var stderr bytes.Buffer
	if err := run(ctx, getenv, out, nil, &stderr); err != nil {
		t.Fatalf("run: %v (%s)", err, stderr.String())
	}
	back, err := content.LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if topic, ok := back.Topic("learned-q1"); !ok || topic.Answer != "10点开门。" {
		t.Errorf("learned topic not exported: %+v", topic)
	}
	if p, ok := back.Project("project-8"); !ok || p.Name != "口袋公园" || p.Number != 8 {
		t.Errorf("added project not exported: %+v", p)
	}
	if !strings.Contains(stderr.String(), "1 learned entries, 1 added projects") {
		t.Errorf("stderr = %s", stderr.String())
	}
	if err := run(ctx, func(string) string { return "" }, "-", nil, &stderr); err == nil || !strings.Contains(err.Error(), "REDIS_URL") {
		t.Errorf("without REDIS_URL: %v", err)
	}
}
