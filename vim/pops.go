package vim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/pop"
)

// Pops keeps one Pop per Docker endpoint, keyed by the normalised authUrl
// (not the VIM instance id: the first refresh of a VIM has none). Each Pop
// is opened once (concurrent first calls share the open) and closed by Close.
type Pops struct {
	open, openRemote PopFactory
	// verify checks a second set of credentials against the engine itself
	// before it is handed an open Pop; nil: such callers are refused.
	verify EndpointVerifier
	log    logrus.FieldLogger

	// root outlives every request: Pops are opened under it (a caller that
	// gives up must not cancel an open others wait for) and it ends at Close.
	root   context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	entries map[string]*popEntry
	closed  bool
}

type popEntry struct {
	key  EndpointKey
	done chan struct{} // closed when the open finished
	p    pop.Pop
	err  error
	// verified holds, per credential hash, until when a set of credentials
	// other than key's is known good for this engine; checks are the
	// checks in flight (both guarded by Pops.mu).
	verified map[string]time.Time
	checks   map[string]*verifyCall
}

// verdictTTL is how long a verified credential set is trusted without
// asking the engine again: a revoked or expired certificate is refused
// within this time.
const verdictTTL = 5 * time.Minute

// NewPops makes a registry over the given factories (nil: not configured)
// and credential verifier (nil: a second set of credentials for an open
// engine is refused).
func NewPops(open, openRemote PopFactory, verify EndpointVerifier, log logrus.FieldLogger) *Pops {
	ctx, cancel := context.WithCancel(context.Background())
	return &Pops{open: open, openRemote: openRemote, verify: verify, log: log, root: ctx, cancel: cancel, entries: map[string]*popEntry{}}
}

// Get returns the Pop of key.URL, opening it on first use. A failed open is
// not remembered: the next call tries again.
func (r *Pops) Get(ctx context.Context, key EndpointKey) (pop.Pop, error) {
	// A caller that waited on an open made with other credentials does not
	// inherit its failure (one project's forged material must not fail
	// another's calls): it tries its own. Bounded: each round is a new open.
	for range 3 {
		p, othersFailed, err := r.get(ctx, key)
		if !othersFailed || ctx.Err() != nil {
			return p, err
		}
	}
	return nil, pop.Errorf(pop.ErrUnavailable, "open pop %s: opens with other credentials kept failing; try again", key.URL)
}

// get is one attempt of Get. othersFailed: the open it waited on was made
// with other credentials than key's, and failed.
func (r *Pops) get(ctx context.Context, key EndpointKey) (p pop.Pop, othersFailed bool, err error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, false, pop.Errorf(pop.ErrUnavailable, "driver is shutting down")
	}
	e, ok := r.entries[key.poolKey()]
	if !ok {
		e = &popEntry{key: key, done: make(chan struct{})}
		r.entries[key.poolKey()] = e
		go r.openEntry(e)
	}
	r.mu.Unlock()

	select {
	case <-e.done:
	case <-ctx.Done():
		return nil, false, fmt.Errorf("open pop %s: %w", key.URL, ctx.Err())
	}
	if e.err != nil {
		return nil, e.key.credentialHash() != key.credentialHash(), e.err
	}
	if err := r.admit(ctx, e, key); err != nil {
		return nil, false, err
	}
	return e.p, false, nil
}

// admit lets a caller use an open Pop only if its credentials are the ones
// that opened it, or the engine itself accepts them. One Pop per engine is
// kept (two IPAMs over one engine would hand out the same addresses), but
// the Pop must not lend one VIM instance's certificates to another.
func (r *Pops) admit(ctx context.Context, e *popEntry, key EndpointKey) error {
	if key.Scheme() == SchemeUnix {
		return nil // no credentials: the socket allowlist decides (Driver.target)
	}
	h := key.credentialHash()
	if h == e.key.credentialHash() {
		return nil
	}
	r.mu.Lock()
	if until, ok := e.verified[h]; ok && time.Now().Before(until) {
		r.mu.Unlock()
		return nil
	}
	if r.verify == nil {
		r.mu.Unlock()
		return pop.Errorf(pop.ErrUnauthenticated, "authUrl %s: the engine is open with other credentials and this driver cannot verify yours", key.URL)
	}
	// Callers with the same credentials share one check: the NFVO launches
	// VNFCs in parallel, and a login per call could trip docker-popd's
	// limit on concurrent logins.
	c, running := e.checks[h]
	if !running {
		c = &verifyCall{done: make(chan struct{})}
		if e.checks == nil {
			e.checks = map[string]*verifyCall{}
		}
		e.checks[h] = c
		go r.runCheck(e, key, h, c)
	}
	r.mu.Unlock()

	select {
	case <-c.done:
	case <-ctx.Done():
		return fmt.Errorf("authUrl %s: check your credentials: %w", key.URL, ctx.Err())
	}
	if c.err == nil {
		return nil
	}
	if errors.Is(c.err, pop.ErrUnauthenticated) {
		return pop.Wrap(pop.ErrUnauthenticated, c.err, "authUrl %s: your credentials (ca, cert, dockerKey) do not open this engine", key.URL)
	}
	// Down, slow or busy: not a verdict on the credentials.
	return pop.Wrap(pop.Class(c.err), c.err, "authUrl %s: could not check your credentials against the engine", key.URL)
}

// verifyCall is one check of a credential set, shared by its callers.
type verifyCall struct {
	done chan struct{}
	err  error
}

// checkTimeout bounds one check; it runs under the registry's context so a
// caller that gives up does not fail the others waiting on it.
const checkTimeout = 30 * time.Second

func (r *Pops) runCheck(e *popEntry, key EndpointKey, h string, c *verifyCall) {
	ctx, cancel := context.WithTimeout(r.root, checkTimeout)
	defer cancel()
	err := r.verify(ctx, key)
	log := r.log.WithField("endpoint", key.URL)
	r.mu.Lock()
	delete(e.checks, h)
	if err == nil {
		if e.verified == nil {
			e.verified = map[string]time.Time{}
		}
		now := time.Now()
		for k, t := range e.verified { // few entries: one per credential set in use
			if now.After(t) {
				delete(e.verified, k)
			}
		}
		e.verified[h] = now.Add(verdictTTL)
	}
	c.err = err
	r.mu.Unlock()
	close(c.done)
	switch {
	case err == nil:
		log.Info("vim instance with other credentials verified against the engine; sharing its Pop")
	case errors.Is(err, pop.ErrUnauthenticated):
		log.WithError(err).Warn("vim instance brings credentials the engine refuses; access denied")
	default:
		log.WithError(err).Warn("could not check a vim instance's credentials against the engine")
	}
}

func (r *Pops) openEntry(e *popEntry) {
	defer close(e.done)
	f := r.open
	if e.key.Scheme() == SchemePop {
		f = r.openRemote
		if f == nil {
			e.err = pop.Errorf(pop.ErrUnavailable, "authUrl %s: remote Pops (docker-popd) are not supported yet by this driver", e.key.URL)
		}
	} else if f == nil {
		e.err = pop.Errorf(pop.ErrUnavailable, "authUrl %s: no Pop factory configured for Docker endpoints", e.key.URL)
	}
	if e.err == nil {
		p, err := f(r.root, e.key)
		switch {
		case err != nil:
			e.err = fmt.Errorf("open pop %s: %w", e.key.URL, err)
		case p == nil:
			e.err = pop.Errorf(pop.ErrInternal, "open pop %s: factory returned no Pop", e.key.URL)
		default:
			e.p = p
			r.log.WithField("endpoint", e.key.URL).Info("pop opened")
		}
	}
	if e.err == nil {
		return
	}
	r.log.WithField("endpoint", e.key.URL).WithError(e.err).Warn("pop open failed")
	r.mu.Lock()
	if r.entries[e.key.poolKey()] == e {
		delete(r.entries, e.key.poolKey())
	}
	r.mu.Unlock()
}

// Close closes every open Pop that has a Close method and refuses new
// calls. It waits for opens in flight.
func (r *Pops) Close() error {
	r.mu.Lock()
	r.closed = true
	entries := r.entries
	r.entries = map[string]*popEntry{}
	r.mu.Unlock()
	r.cancel()
	var errs []error
	for url, e := range entries {
		<-e.done
		if c, ok := e.p.(io.Closer); ok && e.err == nil {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close pop %s: %w", url, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Each calls fn for every Pop open right now (metrics count their
// containers); opens in flight and failed ones are skipped.
func (r *Pops) Each(fn func(endpoint string, p pop.Pop)) {
	r.mu.Lock()
	var open []*popEntry
	for _, e := range r.entries {
		select {
		case <-e.done:
			if e.err == nil {
				open = append(open, e)
			}
		default:
		}
	}
	r.mu.Unlock()
	for _, e := range open {
		fn(e.key.URL, e.p)
	}
}
