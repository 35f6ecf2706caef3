package vnfm

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// monitor watches the VNFCs the VNFM started. One that stops running
// without a STOP or RELEASE from the NFVO is reported as the spec gives a
// VNFM for failures: an ERROR message on vnfm.nfvo.actions (VNFR → ERROR).
// With the VNFD configuration parameter restart_policy set to "always"
// (any exit) or "on-failure" (a non-zero exit, OOM kill or vanished
// container: the plugin's status ERROR), it is started again (same IPs)
// and a HEAL message brings the VNFR back to ACTIVE. A VNFC waiting out its
// restart back-off keeps its entry, marked restarting, so that a STOP or
// RELEASE (unwatch) in the meantime cancels the restart. A VNFC that the
// driver no longer lists at all, in an answer that lists other watched
// VNFCs of that VIM, was deleted through it (the NFVO's scale-in) and is
// dropped silently; an answer that lists none of them is not trusted.
type monitor struct {
	v *VNFM

	mu    sync.Mutex
	items map[string]*watched // by container (extId)
	wg    sync.WaitGroup
}

type watched struct {
	ref    VNFCRef
	vnfr   string
	nsrID  string
	policy string

	// Guarded by monitor.mu.
	restarts   int
	restarting bool // dead, and died() will restart it while this entry is current

	// busy is held (a send) while a restart runs, from the start of the
	// container to the HEAL: unwatch waits for it, so that a STOP stops
	// the restarted container and its answer follows the HEAL.
	busy chan struct{}
}

func newMonitor(v *VNFM) *monitor { return &monitor{v: v, items: map[string]*watched{}} }

func (m *monitor) watch(vnfr Obj, refs []VNFCRef) {
	policy := restartPolicy(vnfr)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range refs {
		prev := m.items[r.ExtID()]
		w := &watched{ref: r, vnfr: Str(vnfr, "name"), nsrID: Str(vnfr, "parent_ns_id"), policy: policy, busy: make(chan struct{}, 1)}
		if prev != nil {
			// A HEAL or RESUME may re-watch while the old entry's restart
			// is starting the container: a later unwatch must still wait
			// for that start, so the slot is shared.
			w.restarts, w.busy = prev.restarts, prev.busy
		}
		m.items[r.ExtID()] = w
	}
}

// unwatch stops watching refs and cancels their pending restarts. It
// returns once no restart of theirs is under way (or ctx ends), so the
// caller's stop or removal comes after any restart.
func (m *monitor) unwatch(ctx context.Context, refs []VNFCRef) {
	var gone []*watched
	m.mu.Lock()
	for _, r := range refs {
		if w := m.items[r.ExtID()]; w != nil {
			gone = append(gone, w)
			delete(m.items, r.ExtID())
		}
	}
	m.mu.Unlock()
	for _, w := range gone {
		select {
		case w.busy <- struct{}{}:
			<-w.busy
		case <-ctx.Done():
			return
		}
	}
}

// Watched counts the VNFCs being watched.
func (v *VNFM) Watched() int {
	v.mon.mu.Lock()
	defer v.mon.mu.Unlock()
	return len(v.mon.items)
}

// run polls until ctx ends; the reports and restarts it started finish on
// hctx.
func (m *monitor) run(ctx, hctx context.Context) {
	defer m.wg.Wait()
	if m.v.cfg.MonitorInterval <= 0 {
		return
	}
	t := time.NewTicker(m.v.cfg.MonitorInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.check(ctx, hctx)
		}
	}
}

func (m *monitor) check(ctx, hctx context.Context) {
	m.mu.Lock()
	snap := make([]*watched, 0, len(m.items))
	for _, w := range m.items {
		if !w.restarting { // dead and handled already
			snap = append(snap, w)
		}
	}
	m.mu.Unlock()
	if len(snap) == 0 {
		return
	}
	// One listServer per VIM.
	type group struct {
		vim   Obj
		items []*watched
	}
	groups := map[string]*group{}
	for _, w := range snap {
		vim, err := m.v.vims.forRef(w.ref)
		if err != nil {
			continue
		}
		k := numberString(vim["id"]) + "\x00" + Str(vim, "name")
		if groups[k] == nil {
			groups[k] = &group{vim: vim}
		}
		groups[k].items = append(groups[k].items, w)
	}
	for _, g := range groups {
		servers, err := m.v.listServers(ctx, g.vim)
		if err != nil {
			m.v.log.WithError(err).Debug("monitor: listServer failed; next round retries")
			continue
		}
		byID := map[string]serverStatus{}
		for _, s := range servers {
			byID[s.ExtID] = s
			byID[s.HostName] = s
		}
		trusted := listsAnyOf(byID, g.items)
		if !trusted {
			m.v.log.WithFields(logrus.Fields{"vim": Str(g.vim, "name"), "watched": len(g.items)}).
				Warn("monitor: listServer lists none of the VNFCs watched on this VIM (another driver answered, or the Pop lost its state): reporting them as gone, not as deleted")
		}
		for _, w := range g.items {
			s, ok := lookupServer(byID, w)
			switch {
			case !ok && trusted:
				// No record at all, in an answer that lists our others:
				// the server was deleted through the driver, which on a
				// scale-in the NFVO does itself, with no message to this
				// VNFM. A container that died or vanished keeps its Pop
				// record (EXITED, FAILED) and is listed.
				m.removed(w)
				continue
			case !ok:
				s = serverStatus{Status: "ERROR", ExtendedStatus: "container gone"}
			}
			if s.Status == "ACTIVE" || s.Status == "BUILD" {
				continue
			}
			if strings.HasPrefix(s.ExtendedStatus, "STOPPING") {
				// Someone asked the Pop to stop or delete it (the NFVO's
				// scale-in deletes through the driver): not a death. The
				// next round sees it gone, or stopped.
				continue
			}
			// Claim it: a STOP or RELEASE may have raced this poll. One to
			// restart stays watched, marked, until the restart or unwatch.
			m.mu.Lock()
			cur := m.items[w.ref.ExtID()]
			if cur != w || w.restarting {
				m.mu.Unlock()
				continue
			}
			if w.restartsOn(s) {
				w.restarting = true
				w.restarts++
			} else {
				delete(m.items, w.ref.ExtID())
			}
			m.mu.Unlock()
			m.wg.Add(1)
			go func(w *watched, s serverStatus) {
				defer m.wg.Done()
				m.died(hctx, w, s)
			}(w, s)
		}
	}
}

// lookupServer finds w's server in a listing, by id or hostname.
func lookupServer(byID map[string]serverStatus, w *watched) (serverStatus, bool) {
	s, ok := byID[w.ref.ExtID()]
	if !ok {
		s, ok = byID[Str(w.ref.Instance, "hostname")]
	}
	return s, ok
}

// listsAnyOf reports whether a VIM's listing holds at least one of the
// VNFCs watched there. Only such an answer is trusted to mean "deleted"
// for the ones it lacks: the NFVO never scales a VNFR in below one VNFC,
// while an answer from another driver (a prefix match on the plugin
// queue while ours restarts) or from a Pop that lost its state lists none.
func listsAnyOf(byID map[string]serverStatus, items []*watched) bool {
	for _, w := range items {
		if _, ok := lookupServer(byID, w); ok {
			return true
		}
	}
	return false
}

// removed stops watching a VNFC whose server the NFVO deleted: neither a
// failure to report nor one to restart.
func (m *monitor) removed(w *watched) {
	m.mu.Lock()
	cur := m.items[w.ref.ExtID()] == w && !w.restarting
	if cur {
		delete(m.items, w.ref.ExtID())
	}
	m.mu.Unlock()
	if cur {
		m.v.log.WithFields(logrus.Fields{"vnfr": w.vnfr, "vnfc": Str(w.ref.Instance, "hostname")}).
			Info("VNFC deleted through the VIM driver (scale-in or release); no longer watched")
	}
}

// restartsOn tells whether the restart policy restarts a VNFC that ended
// with s.
func (w *watched) restartsOn(s serverStatus) bool {
	return w.policy == RestartAlways || w.policy == RestartOnFailure && s.Status == "ERROR"
}

// current tells whether w is still the entry of its VNFC: a STOP or
// RELEASE (unwatch) or a START (watch) since replaced or removed it.
func (m *monitor) current(w *watched) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.items[w.ref.ExtID()] == w
}

// died reports a dead VNFC and applies the restart policy. check has
// already marked w restarting and counted the restart when it restarts.
func (m *monitor) died(ctx context.Context, w *watched, s serverStatus) {
	v := m.v
	host := Str(w.ref.Instance, "hostname")
	log := v.log.WithFields(logrus.Fields{"vnfr": w.vnfr, "vnfc": host, "status": s.Status, "detail": s.ExtendedStatus})
	detail := fmt.Sprintf("VNFC %s of VNFR %s stopped running: %s (%s)", host, w.vnfr, s.Status, s.ExtendedStatus)
	log.Error("VNFC died; reporting ERROR to the NFVO")
	rec := v.recordByName(w.vnfr)
	if rec == nil {
		log.Warn("no record of the VNFR; cannot report")
		return
	}
	fresh := v.freshRecord(ctx, rec, w.ref, "ERROR", log)
	if err := v.notify(ctx, errorMessage(fresh, w.nsrID, detail)); err != nil {
		log.WithError(err).Error("could not report the failure")
	}
	if !w.restartsOn(s) {
		return
	}
	m.mu.Lock()
	n := w.restarts
	m.mu.Unlock()
	log = log.WithFields(logrus.Fields{"restart_policy": w.policy, "restart": n})
	// Back off a little more after each restart of the same VNFC.
	delay := min(time.Duration(n)*time.Second, 30*time.Second)
	select {
	case <-ctx.Done():
		return
	case <-time.After(delay):
	}
	select {
	case w.busy <- struct{}{}:
		defer func() { <-w.busy }()
	case <-ctx.Done():
		return
	}
	if !m.current(w) {
		log.Info("the VNFC was stopped, released or started during the restart back-off; not restarting")
		return
	}
	if err := v.ensureRunning(ctx, w.ref); err != nil {
		log.WithError(err).Error("restart failed; no longer watched")
		m.mu.Lock()
		if m.items[w.ref.ExtID()] == w {
			delete(m.items, w.ref.ExtID())
		}
		m.mu.Unlock()
		return
	}
	m.mu.Lock()
	still := m.items[w.ref.ExtID()] == w
	w.restarting = false
	m.mu.Unlock()
	if !still {
		// A STOP or RELEASE came during the start and waits for it to
		// stop the container again; a HEAL now would only set the VNFR
		// ACTIVE under it and age the record its answer carries.
		log.Info("VNFC restarted, but stopped or released meanwhile; no HEAL")
		return
	}
	log.Info("VNFC restarted by its restart policy")
	fresh = v.freshRecord(ctx, rec, w.ref, "ACTIVE", log)
	vnfci := w.ref.Instance
	for _, r := range VNFCInstances(fresh) {
		if r.ExtID() == w.ref.ExtID() {
			vnfci = r.Instance
		}
	}
	heal := Obj{"action": ActionHeal, KeyVNFRLong: fresh, "vnfcInstance": vnfci,
		"cause": fmt.Sprintf("restarted by the Docker VNFM (restart_policy=%s)", w.policy)}
	if err := v.notify(ctx, heal); err != nil {
		log.WithError(err).Error("could not report the restart")
	}
}

// freshRecord asks the NFVO for its current VNFR with UPDATEVNFR (which
// merges the VNFC's new state), so that the ERROR or HEAL that follows
// carries the hbVersion the NFVO expects (spec §2.4); the record we hold
// is older than the NFVO's last save. On failure the held record is used.
func (v *VNFM) freshRecord(ctx context.Context, rec Obj, ref VNFCRef, state string, log logrus.FieldLogger) Obj {
	upd := Clone(rec)
	for _, r := range VNFCInstances(upd) {
		if r.ExtID() == ref.ExtID() {
			r.Instance["state"] = state
		}
	}
	ans, err := v.rpc(ctx, genericMessage(ActionUpdateVNFR, upd))
	if err != nil || ans == nil || Str(ans, "action") == ActionError {
		log.WithError(err).Warn("UPDATEVNFR gave no record; reporting with the one held")
		return rec
	}
	fresh := orRecord(ans, rec)
	v.remember(fresh)
	return fresh
}
