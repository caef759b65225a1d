package correlate

import (
	"container/heap"
	"hash/fnv"
)

// Past max_groups, which processes are kept must not depend on the order
// events and partial rows arrive in, nor on how they are spread over
// indexers: both phases keep the max_groups smallest processes by key, a
// hash of (host, guid), both lower case (guid without braces), then the
// key itself. The hash makes the kept processes a fixed sample spread
// over every host, not the hosts whose names sort first (review finding:
// on a fleet past the cap, hosts late in the alphabet were never judged). A process evicted for a smaller one gives up what it held, and
// its later records are dropped too (the largest kept key only falls).
// Every indexer's map then keeps each process that is among the
// max_groups smallest overall (fewer smaller keys exist on one indexer
// than in all), with all of its events, and the reduce keeps exactly
// those: the same rows for any order and any spread.

// lessKey is the total order on processes.
func lessKey(host1, guid1, host2, guid2 string) bool {
	if r1, r2 := rank(host1, guid1), rank(host2, guid2); r1 != r2 {
		return r1 < r2
	}
	return host1 < host2 || host1 == host2 && guid1 < guid2
}

// rank is a process's place in the order: FNV-64a of host, NUL, guid.
func rank(host, guid string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(host))
	h.Write([]byte{0})
	h.Write([]byte(guid))
	return h.Sum64()
}

// kept is a max-heap of the kept groups by key: its top is the one to
// evict when a smaller process arrives.
type kept []*group

func (h kept) Len() int           { return len(h) }
func (h kept) Less(i, j int) bool { return lessKey(h[j].host, h[j].guid, h[i].host, h[i].guid) }
func (h kept) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *kept) Push(x any)        { *h = append(*h, x.(*group)) }
func (h *kept) Pop() any {
	old := *h
	g := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return g
}

// add records a new kept group.
func (h *kept) add(g *group) { heap.Push(h, g) }

// admit says whether a process not yet kept may be, with max groups
// already kept: it returns the group to evict for it (nil: no room is
// needed), or ok false when its key is larger than every kept one.
func (h *kept) admit(host, guid string, max int) (evict *group, ok bool) {
	if len(*h) < max {
		return nil, true
	}
	if len(*h) == 0 || !lessKey(host, guid, (*h)[0].host, (*h)[0].guid) {
		return nil, false
	}
	return heap.Pop(h).(*group), true
}
