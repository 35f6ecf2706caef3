package pop

import (
	"sort"
	"sync"
	"sync/atomic"
)

// entry is one Pop container. mu serialises operations on it (and is held
// across its Docker calls); snap is a copy readers take without waiting, so
// a slow start never blocks a listing.
type entry struct {
	mu   sync.Mutex
	c    Container // guarded by mu
	snap atomic.Pointer[Container]
	// stopDone is non-nil while a background stop runs; closed when the
	// final state is recorded.
	stopDone chan struct{}
	deleted  bool
	// gen is the registry's change counter, once the entry is in it.
	gen *atomic.Uint64
}

func newEntry(c Container) *entry {
	e := &entry{}
	e.set(c)
	return e
}

// set replaces the record and publishes a snapshot. Caller holds mu (or owns e).
func (e *entry) set(c Container) {
	e.c = c
	s := c.clone()
	e.snap.Store(&s)
	if e.gen != nil {
		e.gen.Add(1)
	}
}

// publish republishes e.c after in-place edits. Caller holds mu.
func (e *entry) publish() { e.set(e.c) }

func (e *entry) view() Container { return e.snap.Load().clone() }

// registry maps IDs and names to entries. Its lock is never held across I/O
// or while waiting for an entry's lock.
type registry struct {
	mu     sync.RWMutex
	byID   map[string]*entry
	byName map[string]string
	// gen changes whenever an entry is added, removed or republished.
	gen atomic.Uint64
}

func newRegistry() *registry {
	return &registry{byID: map[string]*entry{}, byName: map[string]string{}}
}

// insert adds e unless its name is taken.
func (r *registry) insert(e *entry) error {
	c := e.snap.Load()
	r.mu.Lock()
	defer r.mu.Unlock()
	if id, ok := r.byName[c.Name]; ok {
		return Errorf(ErrAlreadyExists, "container name %q is already used by container %s", c.Name, id)
	}
	r.byID[c.ID] = e
	r.byName[c.Name] = c.ID
	e.gen = &r.gen
	r.gen.Add(1)
	return nil
}

func (r *registry) remove(id, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byID, id)
	if r.byName[name] == id {
		delete(r.byName, name)
	}
	r.gen.Add(1)
}

func (r *registry) get(id string) *entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byID[id]
}

// find resolves a single-container filter.
func (r *registry) find(f Filter) (*entry, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	switch {
	case f.ID != "":
		if e, ok := r.byID[f.ID]; ok {
			return e, nil
		}
		return nil, Errorf(ErrNotFound, "container %s not found", f.ID)
	case f.Name != "":
		if id, ok := r.byName[f.Name]; ok {
			return r.byID[id], nil
		}
		return nil, Errorf(ErrNotFound, "container %q not found", f.Name)
	}
	return nil, Errorf(ErrInvalidArgument, "a container ID or name is required")
}

func (r *registry) all() []*entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*entry, 0, len(r.byID))
	for _, e := range r.byID {
		out = append(out, e)
	}
	return out
}

func sortContainers(cs []Container) {
	sort.Slice(cs, func(i, j int) bool {
		if !cs[i].Created.Equal(cs[j].Created) {
			return cs[i].Created.Before(cs[j].Created)
		}
		return cs[i].Name < cs[j].Name
	})
}
