package intake

import (
	"fmt"
	"slices"
	"testing"
)

func TestAssign(t *testing.T) {
	for n := 1; n <= 5; n++ {
		t.Run(fmt.Sprint(n, " members"), func(t *testing.T) {
			var members []string
			for i := range n {
				members = append(members, fmt.Sprintf("host-%d-%x", 100+i, i*7919))
			}
			got := assign(members, Partitions)
			owner := map[int]string{}
			share := (Partitions + n - 1) / n
			for m, ps := range got {
				if len(ps) > share || len(ps) < Partitions/n-1 {
					t.Errorf("assign(%d members): %s got %d partitions, want about %d", n, m, len(ps), Partitions/n)
				}
				for _, p := range ps {
					if prev, dup := owner[p]; dup {
						t.Errorf("partition %d assigned to %s and %s", p, prev, m)
					}
					owner[p] = m
				}
			}
			if len(owner) != Partitions {
				t.Errorf("assign(%d members) covers %d partitions, want %d", n, len(owner), Partitions)
			}
			// Every replica computes the same split, whatever order it
			// sees the members in.
			rev := slices.Clone(members)
			slices.Reverse(rev)
			if again := assign(rev, Partitions); fmt.Sprint(again) != fmt.Sprint(got) {
				t.Errorf("assign depends on the members' order: %v vs %v", again, got)
			}
		})
	}
	if got := assign(nil, Partitions); len(got) != 0 {
		t.Errorf("assign(no members) = %v", got)
	}
}

func TestPartitionOf(t *testing.T) {
	for _, id := range []int64{0, 1, -1, 123456789, -1001234567890, 1<<62 + 5} {
		p := PartitionOf(id)
		if p < 0 || p >= Partitions || PartitionOf(id) != p {
			t.Errorf("PartitionOf(%d) = %d", id, p)
		}
	}
}
