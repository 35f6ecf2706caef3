package server

import (
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
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
	// dropped. A pair with no failure is dropped as soon as its last
	// attempt ends.
	//
	// At most maxEntries pairs are kept, and none is evicted early: an
	// attacker blocked on a user could otherwise fill the table with
	// throwaway names to get the block forgotten. The trade-off: while the
	// table is full, a pair not in it is refused, even with the right
	// password, until forget frees room. Names are at most maxUserLen
	// bytes, so the table stays within some tens of MB.
	forget     time.Duration
	maxEntries int
	log        logrus.FieldLogger

	mu        sync.Mutex
	entries   map[loginKey]*loginEntry
	lastSweep time.Time
	// lastFullWarn: a full table is warned about once a minute at most.
	lastFullWarn time.Time
}

type loginKey struct{ addr, user string }

type loginEntry struct {
	failures, inflight int
	last, until        time.Time
}

func newLoginLimiter(log logrus.FieldLogger) *loginLimiter {
	return &loginLimiter{
		maxFailures: 5,
		block:       time.Second,
		maxBlock:    5 * time.Minute,
		forget:      15 * time.Minute,
		maxEntries:  100_000,
		log:         log,
		entries:     map[loginKey]*loginEntry{},
	}
}

// fullRetry is the wait a login refused on a full table is told.
const fullRetry = time.Minute

// begin admits one login attempt of k, or refuses it with a
// ResourceExhausted status that says when to retry.
func (l *loginLimiter) begin(k loginKey, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	// On a full table, sweep at most once a second: a flood of new pairs
	// must not walk the whole table each.
	full := len(l.entries) >= l.maxEntries
	if now.Sub(l.lastSweep) >= l.forget/4 || (full && now.Sub(l.lastSweep) >= time.Second) {
		l.sweep(now)
	}
	e := l.entries[k]
	switch {
	case e != nil && now.Before(e.until):
		return refuse("too many failed logins for this user from this address", e.until.Sub(now))
	case e != nil && e.inflight >= l.maxFailures:
		// Not a failure: right passwords may be this many at once too.
		return refuse("too many concurrent logins for this user from this address", l.block)
	case e == nil:
		if len(l.entries) >= l.maxEntries {
			if now.Sub(l.lastFullWarn) >= time.Minute {
				l.lastFullWarn = now
				l.log.WithField("max_entries", l.maxEntries).
					Warn("login limiter full (failed logins from many addresses or names): refusing logins of new address and user pairs until older failures expire")
			}
			return refuse("the server is refusing new login sources for now", fullRetry)
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
	if e == nil { // not admitted by begin: nothing to record
		return
	}
	e.inflight--
	if ok {
		e.failures, e.until = 0, time.Time{}
		// Once idle, a pair without failures is not kept: every pair in
		// the table has failures or attempts in flight.
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

func (l *loginLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// refuse is the refusal of a limited login: distinct from a wrong
// password (Unauthenticated), with why, and the wait in the message and as
// RetryInfo.
func refuse(why string, retry time.Duration) error {
	retry = max(retry.Round(time.Second), time.Second)
	st := status.New(codes.ResourceExhausted, fmt.Sprintf("%s; retry in %s", why, retry))
	if d, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(retry)}); err == nil {
		st = d
	}
	return st.Err()
}
