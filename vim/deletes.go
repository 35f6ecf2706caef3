package vim

import (
	"context"
	"sync"
	"time"
)

// deleteTracker knows the deleteServerByIdAndWait calls in flight, so that
// deleteNetwork, which the NFVO sends right after deletes it does not wait
// for, can wait for them first. A delete is "resolving" until it knows its
// container's networks, then counts on each of them.
type deleteTracker struct {
	mu        sync.Mutex
	resolving map[string]int // endpoint URL → deletes not yet resolved
	nets      map[netKey]int
	changed   chan struct{} // closed and replaced at every change
}

type netKey struct{ endpoint, netID string }

func newDeleteTracker() *deleteTracker {
	return &deleteTracker{resolving: map[string]int{}, nets: map[netKey]int{}, changed: make(chan struct{})}
}

// pendingDelete is one tracked delete.
type pendingDelete struct {
	t        *deleteTracker
	endpoint string
	nets     []string
	resolved bool
	ended    bool
}

func (t *deleteTracker) notifyLocked() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// begin tracks a delete on endpoint whose networks are not known yet.
func (t *deleteTracker) begin(endpoint string) *pendingDelete {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.resolving[endpoint]++
	t.notifyLocked()
	return &pendingDelete{t: t, endpoint: endpoint}
}

// resolve says which networks the delete frees.
func (pd *pendingDelete) resolve(netIDs []string) {
	t := pd.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if pd.resolved || pd.ended {
		return
	}
	pd.resolved = true
	pd.nets = netIDs
	t.decResolvingLocked(pd.endpoint)
	for _, n := range netIDs {
		t.nets[netKey{pd.endpoint, n}]++
	}
	t.notifyLocked()
}

// end untracks the delete.
func (pd *pendingDelete) end() {
	t := pd.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if pd.ended {
		return
	}
	pd.ended = true
	if !pd.resolved {
		t.decResolvingLocked(pd.endpoint)
	}
	for _, n := range pd.nets {
		k := netKey{pd.endpoint, n}
		if t.nets[k]--; t.nets[k] <= 0 {
			delete(t.nets, k)
		}
	}
	t.notifyLocked()
}

func (t *deleteTracker) decResolvingLocked(endpoint string) {
	if t.resolving[endpoint]--; t.resolving[endpoint] <= 0 {
		delete(t.resolving, endpoint)
	}
}

// pending reports whether a delete may still free netID, and a channel
// closed at the next change.
func (t *deleteTracker) pending(endpoint, netID string) (bool, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.resolving[endpoint] > 0 || t.nets[netKey{endpoint, netID}] > 0, t.changed
}

// wait waits until no delete may free netID, or until deadline; false when
// the deadline came first.
func (t *deleteTracker) wait(ctx context.Context, endpoint, netID string, deadline time.Time) (bool, error) {
	for {
		busy, changed := t.pending(endpoint, netID)
		if !busy {
			return true, nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false, nil
		}
		timer := time.NewTimer(left)
		select {
		case <-changed:
			timer.Stop()
		case <-timer.C:
			return false, nil
		case <-ctx.Done():
			timer.Stop()
			return false, ctx.Err()
		}
	}
}
