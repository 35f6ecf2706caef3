package orchestrator

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// ErrStaleVersion is the stand-in's OptimisticLockingFailureException: a
// record came back with another hbVersion than the last one saved.
var ErrStaleVersion = errors.New("optimistic locking failure: stale hbVersion")

// VNFR statuses in the NFVO's enum order (spec §4 step 8).
var statusOrder = map[string]int{"ERROR": 0, "NULL": 1, "INITIALIZED": 2, "INACTIVE": 3, "SCALING": 4, "ACTIVE": 5, "TERMINATED": 6, "RESUMING": 7}

// history appends a lifecycle history entry, as tasks do.
func history(rec obj, event, description string) {
	h, _ := rec["lifecycle_event_history"].([]any)
	h = append(h, obj{"event": event, "description": description, "executedAt": time.Now().UTC().Format("2006.01.02-15:04:05:000-MST")})
	rec["lifecycle_event_history"] = h
}

// addLocked persists a new VNFR (GRANT): ids everywhere, hbVersion 0.
func (o *Orchestrator) addLocked(nsr *NSR, incoming obj) obj {
	rec := clone(incoming)
	rec["id"] = uuid.NewString()
	rec["hbVersion"] = json.Number("0")
	rec["createdAt"] = time.Now().UTC().Format("2006.01.02 at 15:04:05 MST")
	assignIDs(rec, true)
	o.vnfrs[str(rec, "id")] = &vnfrEntry{nsr: nsr, record: rec}
	return clone(rec)
}

// saveLocked is the JPA merge: the incoming record must carry the stored
// hbVersion; the saved one has it bumped, new entities get ids. status ""
// keeps the incoming status.
func (o *Orchestrator) saveLocked(incoming obj, status, task string) (obj, *vnfrEntry, error) {
	id := str(incoming, "id")
	e := o.vnfrs[id]
	if e == nil {
		return nil, nil, fmt.Errorf("VNFR %q (%s) is not persisted", id, str(incoming, "name"))
	}
	if version(incoming) != version(e.record) {
		return nil, e, fmt.Errorf("VNFR %s: got hbVersion %d, stored %d: %w", str(incoming, "name"), version(incoming), version(e.record), ErrStaleVersion)
	}
	rec := clone(incoming)
	assignIDs(rec, true)
	if status != "" {
		rec["status"] = status
	}
	if task != "" {
		rec["task"] = task
	}
	rec["hbVersion"] = json.Number(fmt.Sprint(version(e.record) + 1))
	rec["updatedAt"] = time.Now().UTC().Format("2006.01.02 at 15:04:05 MST")
	e.record = rec
	o.noteStatusLocked(e.nsr, rec)
	return clone(rec), e, nil
}

// forceStatusLocked sets a stored VNFR's status without a version check
// (ERROR and the NFVO's own failure handling).
func (o *Orchestrator) forceStatusLocked(id, status, task string) (obj, *vnfrEntry) {
	e := o.vnfrs[id]
	if e == nil {
		return nil, nil
	}
	e.record["status"] = status
	if task != "" {
		e.record["task"] = task
	}
	e.record["hbVersion"] = json.Number(fmt.Sprint(version(e.record) + 1))
	o.noteStatusLocked(e.nsr, e.record)
	return clone(e.record), e
}

// noteStatusLocked records a VNFR's status and recomputes the NSR's: the
// lowest VNFR status once every VNFD has a VNFR.
func (o *Orchestrator) noteStatusLocked(nsr *NSR, rec obj) {
	name, st := str(rec, "name"), str(rec, "status")
	if nsr.status[name] != st {
		nsr.status[name] = st
		o.pending = append(o.pending, Event{NSR: nsr.ID, VNFR: name, Status: st, Task: str(rec, "task")})
	}
	if len(nsr.status) < len(nsr.vnfds) {
		o.changedLocked()
		return
	}
	lowest, terminated := "", false
	for _, s := range nsr.status {
		if s == "TERMINATED" {
			terminated = true
		}
		if lowest == "" || statusOrder[s] < statusOrder[lowest] {
			lowest = s
		}
	}
	if terminated {
		lowest = "TERMINATED"
	}
	if lowest != nsr.Status {
		nsr.Status = lowest
		o.pending = append(o.pending, Event{NSR: nsr.ID, Status: lowest})
	}
	o.changedLocked()
}

// unlockEmit releases o.mu and emits the events noted under it, in order.
func (o *Orchestrator) unlockEmit() {
	ev := o.pending
	o.pending = nil
	o.mu.Unlock()
	for _, e := range ev {
		o.emit(e)
	}
}

func vnfcInstances(rec obj) []obj {
	var out []obj
	for _, vdu := range list(rec, "vdu") {
		out = append(out, list(vdu, "vnfc_instance")...)
	}
	return out
}
