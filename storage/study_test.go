package storage_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zhangmiao/communitybot"
	"github.com/zhangmiao/communitybot/storage"
)

func TestAssignStudyItemRotation(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		bank := []string{"a", "b", "c", "d"}
		var got []string
		for d := range 10 {
			day := fmt.Sprintf("202601%02d", d+1)
			id, err := s.AssignStudyItem(ctx, 1, day, bank)
			if err != nil {
				t.Fatal(err)
			}
			// The same day gives the same item.
			if again, _ := s.AssignStudyItem(ctx, 1, day, bank); again != id {
				t.Fatalf("day %s: %q then %q", day, id, again)
			}
			if cur, _ := s.StudyAssignment(ctx, 1, day); cur != id {
				t.Fatalf("StudyAssignment(%s) = %q, want %q", day, cur, id)
			}
			got = append(got, id)
		}
		// No repeat within a pass over the bank; then it starts over.
		want := []string{"a", "b", "c", "d", "a", "b", "c", "d", "a", "b"}
		if !slices.Equal(got, want) {
			t.Fatalf("items over 10 days = %v, want %v", got, want)
		}

		// An item added mid-pass comes before the pass restarts; a removed
		// assignment is replaced.
		id, _ := s.AssignStudyItem(ctx, 1, "20260111", []string{"a", "b", "c", "d", "e"})
		if id != "c" {
			t.Fatalf("day 11 = %q, want c", id)
		}
		id, _ = s.AssignStudyItem(ctx, 1, "20260111", []string{"a", "b", "d", "e"})
		if id != "d" {
			t.Fatalf("after c left the bank: %q, want d", id)
		}
		if id, _ := s.AssignStudyItem(ctx, 2, "20260111", nil); id != "" {
			t.Fatalf("empty bank gave %q", id)
		}
	})
}

func TestRecordStudy(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		ev := func(day, prev string, correct bool) communitybot.StudyEvent {
			return communitybot.StudyEvent{UserID: 1, Branch: "一支部", Day: day, PrevDay: prev, Week: "20260126",
				Option: 2, Correct: correct, ReadPoints: 1, CorrectPoints: 2}
		}
		// Day 1: read, then a correct answer: 1 + 2 points.
		r, err := s.RecordStudyRead(ctx, ev("20260126", "20260125", false))
		if err != nil || !r.Scored || r.Points != 1 {
			t.Fatalf("read = %+v, %v", r, err)
		}
		if r, _ := s.RecordStudyRead(ctx, ev("20260126", "20260125", false)); r.Points != 0 {
			t.Fatalf("second read awarded %d", r.Points)
		}
		r, err = s.RecordStudyAnswer(ctx, ev("20260126", "20260125", true))
		if err != nil || !r.Scored || r.Points != 2 || r.Streak != 1 {
			t.Fatalf("answer = %+v, %v", r, err)
		}
		r, _ = s.RecordStudyAnswer(ctx, ev("20260126", "20260125", true))
		if r.Scored || r.Points != 0 || r.PrevOption != 2 {
			t.Fatalf("second answer = %+v, want not scored with the first option", r)
		}
		// Day 2 without /study: the answer counts as reading; wrong answer.
		r, _ = s.RecordStudyAnswer(ctx, ev("20260127", "20260126", false))
		if !r.Scored || r.Points != 1 || r.Streak != 2 {
			t.Fatalf("day 2 = %+v, want 1 point, streak 2", r)
		}
		// Day 4 after a gap: the streak starts over.
		r, _ = s.RecordStudyAnswer(ctx, ev("20260129", "20260128", true))
		if r.Streak != 1 || r.Points != 3 {
			t.Fatalf("day 4 = %+v, want streak 1, 3 points", r)
		}

		st, err := s.StudyStats(ctx, 1, "20260126")
		if err != nil {
			t.Fatal(err)
		}
		want := communitybot.StudyStats{Points: 7, WeekPoints: 7, Answered: 3, Correct: 2, Streak: 1, BestStreak: 2, LastDay: "20260129"}
		if st != want {
			t.Fatalf("StudyStats() = %+v, want %+v", st, want)
		}
		if st.Accuracy() != 67 {
			t.Errorf("Accuracy() = %d, want 67", st.Accuracy())
		}
		if other, _ := s.StudyStats(ctx, 1, "20260202"); other.WeekPoints != 0 || other.Points != 7 {
			t.Errorf("next week's stats = %+v", other)
		}
		day, err := s.StudyDay(ctx, "20260126")
		if err != nil || day != (communitybot.StudyDay{Read: 1, Answered: 1, Correct: 1}) {
			t.Fatalf("StudyDay() = %+v, %v", day, err)
		}
		b, ok, err := s.StudyPlace(ctx, "", true, "一支部")
		if err != nil || !ok || b.Points != 7 || b.Place != 1 {
			t.Fatalf("branch standing = %+v, %v, %v", b, ok, err)
		}
	})
}

// TestOneScoredAnswerUnderConcurrency presses the answer from many
// goroutines at once: exactly one scores.
func TestOneScoredAnswerUnderConcurrency(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		var scored atomic.Int64
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				r, err := s.RecordStudyAnswer(ctx, communitybot.StudyEvent{UserID: 3, Day: "20260126", PrevDay: "20260125", Week: "20260126", Correct: true, ReadPoints: 1, CorrectPoints: 2})
				if err != nil {
					t.Error(err)
				}
				if r.Scored {
					scored.Add(1)
				}
			})
		}
		wg.Wait()
		if scored.Load() != 1 {
			t.Fatalf("%d answers scored, want 1", scored.Load())
		}
		if st, _ := s.StudyStats(ctx, 3, "20260126"); st.Points != 3 || st.Answered != 1 {
			t.Fatalf("stats = %+v, want 3 points from one answer", st)
		}
	})
}

func TestStudyBoards(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		points := map[int64]int64{1: 3, 2: 5, 3: 3, 4: 1}
		for uid, p := range points {
			branch := "甲"
			if uid%2 == 0 {
				branch = "乙"
			}
			if _, err := s.RecordStudyRead(ctx, communitybot.StudyEvent{UserID: uid, Branch: branch, Day: "20260126", Week: "20260126", ReadPoints: p}); err != nil {
				t.Fatal(err)
			}
		}
		top, err := s.StudyTop(ctx, "20260126", false, 3)
		if err != nil {
			t.Fatal(err)
		}
		// 5, then two members tied on 3 sharing place 2.
		if len(top) != 3 || top[0].ID != "2" || top[0].Place != 1 || top[1].Place != 2 || top[2].Place != 2 || top[2].Points != 3 {
			t.Fatalf("StudyTop() = %+v", top)
		}
		if st, ok, _ := s.StudyPlace(ctx, "20260126", false, "4"); !ok || st.Place != 4 || st.Points != 1 {
			t.Fatalf("StudyPlace(4) = %+v, %v", st, ok)
		}
		if st, ok, _ := s.StudyPlace(ctx, "20260126", false, "3"); !ok || st.Place != 2 {
			t.Fatalf("StudyPlace(3) = %+v, %v, want the shared place 2", st, ok)
		}
		if _, ok, _ := s.StudyPlace(ctx, "20260126", false, "99"); ok {
			t.Fatal("a member without points has a place")
		}
		branches, _ := s.StudyBoard(ctx, "", true)
		if len(branches) != 2 || branches[0].ID != "甲" || branches[0].Points != 6 || branches[1].Points != 6 || branches[1].Place != 1 {
			t.Fatalf("branch board = %+v", branches)
		}
		if none, _ := s.StudyBoard(ctx, "20260202", false); len(none) != 0 {
			t.Fatalf("next week's board = %+v", none)
		}
	})
}

func TestStudyItemsAddedInTheBot(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		item := communitybot.StudyItem{Title: "标题", Text: "正文", Questions: []communitybot.StudyQuestion{{Prompt: "问", Options: []string{"甲", "乙"}, Answer: 1, Explanation: "解析"}}}
		var ids []string
		for range 11 {
			it, err := s.AddStudyItem(ctx, item)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, it.ID)
		}
		items, err := s.StudyItems(ctx)
		if err != nil || len(items) != 11 {
			t.Fatalf("StudyItems() = %d items, %v", len(items), err)
		}
		for i, it := range items {
			if it.ID != ids[i] { // add-10 after add-9, not after add-1
				t.Fatalf("item %d is %s, want %s (order added)", i, it.ID, ids[i])
			}
		}
		item.ID = ids[0]
		if got := items[0]; got.Title != item.Title || got.Questions[0].Answer != 1 || !slices.Equal(got.Questions[0].Options, item.Questions[0].Options) {
			t.Fatalf("stored item = %+v", got)
		}
		if ok, _ := s.DeleteStudyItem(ctx, ids[0]); !ok {
			t.Fatal("DeleteStudyItem() = false")
		}
		if ok, _ := s.DeleteStudyItem(ctx, ids[0]); ok {
			t.Fatal("second DeleteStudyItem() = true")
		}
		if items, _ := s.StudyItems(ctx); len(items) != 10 {
			t.Fatalf("%d items after delete", len(items))
		}
	})
}

// TestStudyItemsOncePerUpdate: adding or deleting under a once key (an
// admin's update handled again) changes the bank once and answers the
// same both times; without one, every call counts.
func TestStudyItemsOncePerUpdate(t *testing.T) {
	backends(t, func(t *testing.T, s *storage.Store) {
		ctx := context.Background()
		it := communitybot.StudyItem{Title: "五大行动", Text: "学习大讨论……", Questions: []communitybot.StudyQuestion{{Prompt: "哪一项？", Options: []string{"甲", "乙"}, Answer: 1}}}
		upd := communitybot.WithOnceKey(ctx, "update:41")
		a, err := s.AddStudyItem(upd, it)
		if err != nil || a.ID != "add-1" {
			t.Fatalf("AddStudyItem = %+v, %v", a, err)
		}
		if again, err := s.AddStudyItem(upd, it); err != nil || again.ID != "add-1" {
			t.Fatalf("AddStudyItem handled again = %q, %v; want add-1", again.ID, err)
		}
		if other, err := s.AddStudyItem(ctx, it); err != nil || other.ID != "add-2" {
			t.Fatalf("AddStudyItem without a once key = %q, %v; want add-2", other.ID, err)
		}
		if items, _ := s.StudyItems(ctx); len(items) != 2 {
			t.Fatalf("%d items, want 2", len(items))
		}
		del := communitybot.WithOnceKey(ctx, "update:42")
		for i := range 2 {
			if ok, err := s.DeleteStudyItem(del, "add-1"); err != nil || !ok {
				t.Fatalf("DeleteStudyItem, handling %d = %v, %v; want true both times", i+1, ok, err)
			}
		}
		if ok, err := s.DeleteStudyItem(ctx, "add-1"); err != nil || ok {
			t.Fatalf("DeleteStudyItem of a deleted item = %v, %v", ok, err)
		}
		if items, _ := s.StudyItems(ctx); len(items) != 1 || items[0].ID != "add-2" {
			t.Fatalf("items = %+v, want add-2 only", items)
		}
	})
}
