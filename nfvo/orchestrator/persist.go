package orchestrator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// The stand-in daemon (cmd/nfvo-standin) keeps its records in a file, as
// the NFVO keeps them in its database: a restarted stand-in still knows its
// VIM instances, NSRs and VNFRs, and can delete what it deployed before.

// savedState is the file's content.
type savedState struct {
	VIMs map[string]obj `json:"vims"`
	NSRs []savedNSR     `json:"nsrs"`
}

type savedNSR struct {
	ID       string              `json:"id"`
	Name     string              `json:"name"`
	Status   string              `json:"status"`
	VIM      obj                 `json:"vim"`
	NSD      obj                 `json:"nsd"`
	VNFDs    map[string]obj      `json:"vnfds"`
	VLRs     []obj               `json:"vlrs"`
	Deps     map[string]savedDep `json:"deps"`
	VNFRIDs  map[string]string   `json:"vnfrIds"`
	VNFRs    map[string]obj      `json:"vnfrs"` // by id
	Statuses map[string]string   `json:"statuses"`
	Nets     map[string]obj      `json:"nets"`
	Released map[string]bool     `json:"released"`
	Waiting  map[string]bool     `json:"waiting"`
	Errors   []string            `json:"errors"`
	Counters map[string]int      `json:"counters"`
}

type savedDep struct {
	Sources map[string][]string `json:"sources"`
	Record  obj                 `json:"record"`
}

// exportLocked copies the records; o.mu is held. Networks are copied by
// the caller under each NSR's netMu (held across plugin calls, so never
// taken with o.mu).
func (o *Orchestrator) exportLocked() (savedState, []*NSR) {
	st := savedState{VIMs: map[string]obj{}}
	for k, v := range o.vims {
		st.VIMs[k] = clone(v)
	}
	var order []*NSR
	for _, id := range sortedKeys(o.nsrs) {
		n := o.nsrs[id]
		s := savedNSR{
			ID: n.ID, Name: n.Name, Status: n.Status, VIM: clone(n.vim), NSD: clone(n.nsd),
			VNFDs: map[string]obj{}, Deps: map[string]savedDep{}, VNFRIDs: map[string]string{},
			VNFRs: map[string]obj{}, Statuses: map[string]string{}, Released: map[string]bool{},
			Waiting: map[string]bool{}, Errors: append([]string(nil), n.errors...),
			Counters: map[string]int{"duplicates": n.Duplicates, "staleSaves": n.StaleSaves},
		}
		for k, v := range n.vnfds {
			s.VNFDs[k] = clone(v)
		}
		for _, v := range n.vlrs {
			s.VLRs = append(s.VLRs, clone(v))
		}
		for k, d := range n.deps {
			src := map[string][]string{}
			for sk, sv := range d.sources {
				src[sk] = append([]string(nil), sv...)
			}
			s.Deps[k] = savedDep{Sources: src, Record: clone(d.record)}
		}
		for k, v := range n.vnfrIDs {
			s.VNFRIDs[k] = v
			if e := o.vnfrs[v]; e != nil {
				s.VNFRs[v] = clone(e.record)
			}
		}
		for k, v := range n.status {
			s.Statuses[k] = v
		}
		for k, v := range n.released {
			s.Released[k] = v
		}
		for k, v := range n.waiting {
			s.Waiting[k] = v
		}
		st.NSRs = append(st.NSRs, s)
		order = append(order, n)
	}
	return st, order
}

// snapshot is the records as the file holds them.
func (o *Orchestrator) snapshot() savedState {
	o.mu.Lock()
	st, nsrs := o.exportLocked()
	o.mu.Unlock()
	for i, n := range nsrs {
		n.netMu.Lock()
		nets := map[string]obj{}
		for k, v := range n.nets {
			nets[k] = clone(v)
		}
		n.netMu.Unlock()
		st.NSRs[i].Nets = nets
	}
	return st
}

// restore puts saved records in place of the (empty) ones.
func (o *Orchestrator) restore(st savedState) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, v := range st.VIMs {
		o.vims[k] = v
	}
	for _, s := range st.NSRs {
		n := &NSR{
			ID: s.ID, Name: s.Name, Status: s.Status, vim: s.VIM, nsd: s.NSD,
			vnfds: nonNil(s.VNFDs), vlrs: s.VLRs, deps: map[string]*dependency{},
			vnfrIDs: nonNil(s.VNFRIDs), status: nonNil(s.Statuses), nets: nonNil(s.Nets),
			released: nonNil(s.Released), waiting: nonNil(s.Waiting), errors: s.Errors,
			Duplicates: s.Counters["duplicates"], StaleSaves: s.Counters["staleSaves"],
		}
		for k, d := range s.Deps {
			n.deps[k] = &dependency{target: k, sources: nonNil(d.Sources), record: d.Record}
		}
		o.nsrs[n.ID] = n
		for id, rec := range s.VNFRs {
			o.vnfrs[id] = &vnfrEntry{nsr: n, record: rec}
		}
	}
}

func nonNil[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return m
}

// loadState reads the records file; a missing file is an empty state.
func loadState(path string) (savedState, error) {
	var st savedState
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("orchestrator: records %s: %w", path, err)
	}
	// Numbers stay json.Number, as the records' trees hold them
	// (hbVersion above all).
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&st); err != nil {
		return st, fmt.Errorf("orchestrator: records %s: %w (move the file away to start empty)", path, err)
	}
	return st, nil
}

// saveState writes the records file whole: a temporary file renamed over
// the old one, so a crash leaves either.
func saveState(path string, st savedState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("orchestrator: encode records: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".records-*")
	if err != nil {
		return fmt.Errorf("orchestrator: save records: %w", err)
	}
	if _, err := tmp.Write(b); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("orchestrator: save records to %s: %w", path, err)
	}
	return nil
}
