package intake

import (
	"hash/fnv"
	"slices"
	"strconv"
)

// assign splits partitions between live members: each partition goes to
// the member that ranks it highest (rendezvous hashing, so a member
// joining or leaving moves few partitions) among those that hold fewer
// than their share (the ceiling of partitions/members, so the split is
// even). Every replica computes the same split from the same members.
func assign(members []string, partitions int) map[string][]int {
	out := map[string][]int{}
	if len(members) == 0 {
		return out
	}
	members = slices.Clone(members)
	slices.Sort(members)
	members = slices.Compact(members)
	share := (partitions + len(members) - 1) / len(members)
	count := map[string]int{}
	ranked := make([]string, len(members))
	for p := range partitions {
		copy(ranked, members)
		slices.SortStableFunc(ranked, func(a, b string) int {
			sa, sb := score(a, p), score(b, p)
			switch {
			case sa > sb:
				return -1
			case sa < sb:
				return 1
			}
			return 0
		})
		for _, m := range ranked {
			if count[m] < share {
				count[m]++
				out[m] = append(out[m], p)
				break
			}
		}
	}
	return out
}

func score(member string, partition int) uint64 {
	h := fnv.New64a()
	h.Write([]byte(member))
	h.Write([]byte{0})
	h.Write([]byte(strconv.Itoa(partition)))
	return mix(h.Sum64())
}

// mix spreads fnv's output (similar inputs give similar hashes).
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb93fe34e1a85
	x ^= x >> 33
	return x
}
