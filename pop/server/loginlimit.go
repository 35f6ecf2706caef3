package server

import (
	"fmt"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// loginLimiter limits failed logins per (client address, user name). Every
// VIM instance reaches docker-popd from the plugin's one address, so a
// limit per address alone would let one project's wrong password lock all
// the others out; per user alone would let anyone lock a user out.
// Unknown names are limited like known ones, so the limit tells nothing
// about which exist.
type loginLimiter struct {
	// maxFailures in a row block the pair for block, doubled by each
	// further failure up to maxBlock. At most maxFailures attempts of one
	// pair run at once, so a burst cannot outrun the count.
	maxFailures     int
	block, maxBlock time.Duration
	// forget: a pair without a failure for this long, and not blocked, is
	// dropped. At most maxEntries pairs are kept: beyond, the one idle the
	// longest goes.
	forget     time.Duration
	maxEntries int

	mu        sync.Mutex
	entries   map[loginKey]*loginEntry
	lastSweep time.Time
}

type loginKey struct{ addr, user string }

type loginEntry struct {
	failures, inflight int
	last, until        time.Time
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{
		maxFailures: 5,
		block:       time.Second,
		maxBlock:    5 * time.Minute,
		forget:      15 * time.Minute,
		maxEntries:  10_000,
		entries:     map[loginKey]*loginEntry{},
	}
}

// begin admits one login attempt of k, or refuses it with a
// ResourceExhausted status that says when to retry.
func (l *loginLimiter) begin(k loginKey, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= l.forget/4 || len(l.entries) >= l.maxEntries {
		l.sweep(now)
	}
	e := l.entries[k]
	switch {
	case e != nil && now.Before(e.until):
		return tooMany(e.until.Sub(now))
	case e != nil && e.inflight >= l.maxFailures:
		return tooMany(l.block)
	case e == nil:
		if len(l.entries) >= l.maxEntries {
			l.evictIdlest()
		}
		e = &loginEntry{}
		l.entries[k] = e
	}
	e.inflight++
	e.last = now
	return nil
}

// end records how an admitted attempt of k went.
func (l *loginLimiter) end(k loginKey, ok bool, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[k]
	if e == nil { // evicted meanwhile
		return
	}
	e.inflight--
	if ok {
		e.failures, e.until = 0, time.Time{}
		if e.inflight == 0 {
			delete(l.entries, k)
		}
		return
	}
	e.failures++
	e.last = now
	if n := e.failures - l.maxFailures; n >= 0 {
		d := l.maxBlock
		if n < 32 && l.block<<n < l.maxBlock {
			d = l.block << n
		}
		e.until = now.Add(d)
	}
}

// sweep drops the pairs that are idle, unblocked and past forget.
func (l *loginLimiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, e := range l.entries {
		if e.inflight == 0 && !now.Before(e.until) && now.Sub(e.last) >= l.forget {
			delete(l.entries, k)
		}
	}
}

// evictIdlest drops the idle pair whose last attempt is the oldest.
func (l *loginLimiter) evictIdlest() {
	var oldest loginKey
	var at time.Time
	found := false
	for k, e := range l.entries {
		if e.inflight == 0 && (!found || e.last.Before(at)) {
			oldest, at, found = k, e.last, true
		}
	}
	if found {
		delete(l.entries, oldest)
	}
}

func (l *loginLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// tooMany is the refusal of a limited login: distinct from a wrong
// password (Unauthenticated), with the wait in the message and as
// RetryInfo.
func tooMany(retry time.Duration) error {
	retry = max(retry.Round(time.Second), time.Second)
	st := status.New(codes.ResourceExhausted, fmt.Sprintf("too many failed logins for this user from this address; retry in %s", retry))
	if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(retry)}); err == nil {
		st = d
	}
	return st.Err()
}
