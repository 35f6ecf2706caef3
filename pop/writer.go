package pop

import (
	"encoding/json"
	"sync"

	"github.com/sirupsen/logrus"
)

// writer puts container records into the store behind the operations that
// change them. Ops on one record coalesce (the latest wins), and one
// flusher commits everything pending in a single transaction, so
// concurrent launches share an fsync. A caller either waits for its write
// (the answer it gives depends on it) or does not, when recovery can tell
// the same from Docker's labels should the process die first (see the
// comments at each call).
type writer struct {
	st   store
	log  logrus.FieldLogger
	hook func(point commitPoint, n int) // tests only: crash points

	mu      sync.Mutex
	pending map[string]storeOp // by record ID
	next    *flush             // the commit the pending ops land in
	closed  bool
	commits int // commits so far, for the hook

	kick    chan struct{}
	stopped chan struct{}
}

// storeOp writes one container record (data) or deletes it (data nil).
type storeOp struct {
	id   string
	data []byte
}

// commitPoint tells a test hook where in a commit the writer is.
type commitPoint int

const (
	beforeCommit commitPoint = iota + 1
	afterCommit
)

// flush is one commit; done closes when it is on disk (or failed).
type flush struct {
	done chan struct{}
	err  error
}

func (f *flush) wait() error {
	<-f.done
	return f.err
}

func newFlush() *flush { return &flush{done: make(chan struct{})} }

func failedFlush(err error) *flush {
	f := newFlush()
	f.err = err
	close(f.done)
	return f
}

func newWriter(st store, log logrus.FieldLogger, hook func(commitPoint, int)) *writer {
	w := &writer{st: st, log: log, hook: hook, pending: map[string]storeOp{}, next: newFlush(),
		kick: make(chan struct{}, 1), stopped: make(chan struct{})}
	go w.run()
	return w
}

// put queues c's record; the returned flush says when it is on disk.
func (w *writer) put(c Container) *flush {
	data, err := json.Marshal(c)
	if err != nil {
		return failedFlush(Wrap(ErrInternal, err, "encode record %s", c.ID))
	}
	return w.enqueue(storeOp{id: c.ID, data: data})
}

// del queues the deletion of record id.
func (w *writer) del(id string) *flush { return w.enqueue(storeOp{id: id}) }

func (w *writer) enqueue(op storeOp) *flush {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return failedFlush(Errorf(ErrUnavailable, "store closed"))
	}
	w.pending[op.id] = op
	f := w.next
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default: // a commit is already due; it takes this op too
	}
	return f
}

func (w *writer) run() {
	defer close(w.stopped)
	for range w.kick {
		w.mu.Lock()
		if len(w.pending) == 0 {
			closed := w.closed
			w.mu.Unlock()
			if closed {
				return
			}
			continue
		}
		ops := make([]storeOp, 0, len(w.pending))
		for _, op := range w.pending {
			ops = append(ops, op)
		}
		f := w.next
		w.pending, w.next = map[string]storeOp{}, newFlush()
		w.commits++
		n := w.commits
		closed := w.closed
		w.mu.Unlock()

		if w.hook != nil {
			w.hook(beforeCommit, n)
		}
		f.err = w.st.commit(ops)
		if f.err != nil {
			// Waiters get the error; a write nobody waits for only gets this
			// line, and the next write of the record carries its latest state.
			w.log.WithError(f.err).WithField("records", len(ops)).Warn("store commit failed")
		}
		if w.hook != nil {
			w.hook(afterCommit, n)
		}
		close(f.done)
		if closed {
			return
		}
	}
}

// close commits what is pending and stops the flusher; later writes fail.
func (w *writer) close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.stopped
		return
	}
	w.closed = true
	w.mu.Unlock()
	// The flusher sees closed at its next wake-up, after one last commit.
	select {
	case w.kick <- struct{}{}:
	default:
	}
	<-w.stopped
}
