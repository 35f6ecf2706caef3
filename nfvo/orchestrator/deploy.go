package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// Deploy deploys an NSD on the VIM registered under vimName, as
// POST /api/v1/ns-records/{nsd} does: checks that each VNFD's VNFM
// endpoint is active (its queue exists), creates the NSR (status NULL),
// its VLRs and dependencies, and sends INSTANTIATE for every VNFD at once.
//
// The NSD is Open Baton's JSON: "name", "vnfd" (VNFDs with "endpoint",
// "type", "vdu", "virtual_link", "configurations", "requires", …), "vld"
// ({"name", "cidr"?}) and "vnf_dependency" ({"source", "target",
// "parameters"}); a VNFD's "requires" is turned into dependencies too.
func (o *Orchestrator) Deploy(ctx context.Context, nsd map[string]any, vimName string) (string, error) {
	nsd = clone(nsd)
	vim := o.vim(vimName)
	if vim == nil {
		return "", fmt.Errorf("deploy: VIM %q is not registered", vimName)
	}
	nsr := &NSR{
		ID: uuid.NewString(), Name: str(nsd, "name"), Status: "NULL",
		vim: vim, nsd: nsd, vnfds: map[string]obj{}, deps: map[string]*dependency{},
		vnfrIDs: map[string]string{}, status: map[string]string{}, nets: map[string]obj{},
		released: map[string]bool{}, waiting: map[string]bool{},
	}
	for _, vnfd := range list(nsd, "vnfd") {
		assignIDs(vnfd, true)
		if str(vnfd, "endpoint") == "" {
			vnfd["endpoint"] = str(vnfd, "type")
		}
		// checkEndpoint: a VNFM whose type is the VNFD's endpoint must be
		// registered and active, i.e. its queue must exist (spec §1.5).
		ok := false
		if q, err := o.queueOf(str(vnfd, "endpoint")); err == nil {
			if ok, err = o.opts.NFVO.Management().QueueExists(ctx, q); err != nil {
				return "", fmt.Errorf("deploy: %w", err)
			}
		}
		if !ok {
			return "", fmt.Errorf("deploy: VNFManager with endpoint: %s is not registered or not enabled or not active", str(vnfd, "endpoint"))
		}
		nsr.vnfds[str(vnfd, "name")] = vnfd
	}
	for _, vld := range list(nsd, "vld") {
		v := clone(vld)
		v["id"] = uuid.NewString()
		nsr.vlrs = append(nsr.vlrs, v)
	}
	addDep := func(src, target string, params []string) error {
		s := nsr.vnfds[src]
		if s == nil || nsr.vnfds[target] == nil {
			return fmt.Errorf("deploy: dependency %s → %s names an unknown VNFD", src, target)
		}
		d := nsr.deps[target]
		if d == nil {
			d = &dependency{target: target, sources: map[string][]string{}, record: obj{
				"id": uuid.NewString(), "hbVersion": json.Number("0"), "shared": false,
				"target": target, "idType": obj{}, "parameters": obj{}, "vnfcParameters": obj{},
			}}
			nsr.deps[target] = d
		}
		d.sources[src] = append(d.sources[src], params...)
		sub(d.record, "idType")[src] = str(s, "type")
		pm := sub(d.record, "parameters")
		if sub(pm, str(s, "type")) == nil {
			pm[str(s, "type")] = obj{"id": uuid.NewString(), "hbVersion": json.Number("0"), "parameters": obj{}}
		}
		kv := sub(sub(pm, str(s, "type")), "parameters")
		for _, p := range params {
			kv[p] = ""
		}
		return nil
	}
	for _, d := range list(nsd, "vnf_dependency") {
		src := str(d, "source")
		if m := sub(d, "source"); m != nil {
			src = str(m, "name")
		}
		tgt := str(d, "target")
		if m := sub(d, "target"); m != nil {
			tgt = str(m, "name")
		}
		if err := addDep(src, tgt, strs(d, "parameters")); err != nil {
			return "", err
		}
	}
	for name, vnfd := range nsr.vnfds {
		rq := sub(vnfd, "requires")
		for _, src := range sortedKeys(rq) {
			m, ok := rq[src].(map[string]any)
			if !ok || src == "id" || src == "hbVersion" {
				continue
			}
			if err := addDep(src, name, strs(m, "parameters")); err != nil {
				return "", err
			}
		}
	}
	o.mu.Lock()
	o.nsrs[nsr.ID] = nsr
	o.pending = append(o.pending, Event{NSR: nsr.ID, Status: "NULL", Detail: "deploying " + nsr.Name})
	o.changedLocked()
	o.unlockEmit()

	port := "5672"
	for _, name := range sortedKeys(nsr.vnfds) {
		vnfd := nsr.vnfds[name]
		vims := obj{}
		for _, vdu := range list(vnfd, "vdu") {
			vims[str(vdu, "id")] = []any{vim}
		}
		var df any
		if l := list(vnfd, "deployment_flavour"); len(l) > 0 {
			df = l[0]
		}
		msg := obj{
			"action": "INSTANTIATE", "vnfd": vnfd, "vnfInstanceName": name,
			"vlrs":         toAny(nsr.vlrs),
			"extension":    obj{"brokerIp": "127.0.0.1", "brokerPort": port, "monitoringIp": "", "timezone": "CET", "nsr-id": nsr.ID},
			"vimInstances": vims, "keys": []any{},
		}
		if df != nil {
			msg["vnfdf"] = df
		}
		o.sendCommand(str(vnfd, "endpoint"), msg)
	}
	return nsr.ID, nil
}

func toAny(l []obj) []any {
	out := make([]any, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Delete terminates an NSR (DELETE /api/v1/ns-records/{id}): every VNFR
// gets RELEASE_RESOURCES; the servers and networks go once they answer.
func (o *Orchestrator) Delete(ctx context.Context, nsrID string) error {
	o.mu.Lock()
	nsr := o.nsrs[nsrID]
	if nsr == nil {
		o.mu.Unlock()
		return fmt.Errorf("delete: NSR %s not found", nsrID)
	}
	var recs []obj
	for _, id := range nsr.vnfrIDs {
		recs = append(recs, clone(o.vnfrs[id].record))
	}
	o.mu.Unlock()
	for _, r := range recs {
		o.sendCommand(str(r, "endpoint"), obj{"action": "RELEASE_RESOURCES", "vnfr": r})
	}
	return nil
}

// Status is an NSR's status ("DELETED" once gone, "" if unknown).
func (o *Orchestrator) Status(nsrID string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := o.nsrs[nsrID]; n != nil {
		return n.Status
	}
	return "DELETED"
}

// WaitStatus waits until the NSR reaches status (or "DELETED"); an NSR in
// ERROR while waiting for something else fails at once.
func (o *Orchestrator) WaitStatus(ctx context.Context, nsrID, status string) error {
	for {
		o.mu.Lock()
		n := o.nsrs[nsrID]
		ch := o.waitc
		cur, errs := "DELETED", []string(nil)
		if n != nil {
			cur, errs = n.Status, append([]string(nil), n.errors...)
		}
		o.mu.Unlock()
		if cur == status {
			return nil
		}
		if cur == "ERROR" && status != "ERROR" {
			return fmt.Errorf("NSR %s is in ERROR: %v", nsrID, errs)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("NSR %s: waiting for %s, is %s: %w", nsrID, status, cur, ctx.Err())
		}
	}
}

// WaitVNFRStatus waits until a VNFR (by VNFD name) has status.
func (o *Orchestrator) WaitVNFRStatus(ctx context.Context, nsrID, name, status string) error {
	for {
		o.mu.Lock()
		ch := o.waitc
		cur := ""
		if n := o.nsrs[nsrID]; n != nil {
			cur = n.status[name]
		}
		o.mu.Unlock()
		if cur == status {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("VNFR %s: waiting for %s, is %s: %w", name, status, cur, ctx.Err())
		}
	}
}

// VNFR returns a copy of the VNFR deployed for a VNFD, or nil.
func (o *Orchestrator) VNFR(nsrID, name string) map[string]any {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := o.nsrs[nsrID]
	if n == nil {
		return nil
	}
	if e := o.vnfrs[n.vnfrIDs[name]]; e != nil {
		return clone(e.record)
	}
	return nil
}

// Counters are an NSR's protocol anomalies: duplicate VNFRs, stale saves
// and errors.
func (o *Orchestrator) Counters(nsrID string) (duplicates, staleSaves int, errs []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := o.nsrs[nsrID]
	if n == nil {
		return 0, 0, nil
	}
	return n.Duplicates, n.StaleSaves, append([]string(nil), n.errors...)
}

// StopVNFR and StartVNFR send STOP/START for a whole VNFR (the REST
// actions on a VNFR).
func (o *Orchestrator) StopVNFR(nsrID, name string) error  { return o.startStop(nsrID, name, "STOP") }
func (o *Orchestrator) StartVNFR(nsrID, name string) error { return o.startStop(nsrID, name, "START") }

func (o *Orchestrator) startStop(nsrID, name, action string) error {
	rec := o.VNFR(nsrID, name)
	if rec == nil {
		return fmt.Errorf("%s: VNFR %s not found", action, name)
	}
	o.sendCommand(str(rec, "endpoint"), obj{"action": action, "virtualNetworkFunctionRecord": rec})
	return nil
}

// Resume sends RESUME to every VNFR of the NSR in ERROR, as the NFVO's
// POST /ns-records/{id}/resume does; the VNFM answers with the step to
// resume (START here), which runs its task.
func (o *Orchestrator) Resume(nsrID string) (int, error) {
	o.mu.Lock()
	n := o.nsrs[nsrID]
	var recs []obj
	if n != nil {
		for _, id := range n.vnfrIDs {
			if e := o.vnfrs[id]; e != nil && str(e.record, "status") == "ERROR" {
				recs = append(recs, clone(e.record))
			}
		}
	}
	o.mu.Unlock()
	if n == nil {
		return 0, fmt.Errorf("RESUME: NSR %s not found", nsrID)
	}
	for _, rec := range recs {
		o.sendCommand(str(rec, "endpoint"), obj{"action": "RESUME", "vnfr": rec})
	}
	return len(recs), nil
}

// Logs asks the VNFM for a VNFC's log (LOG_REQUEST; answered to the REST
// caller, no task).
func (o *Orchestrator) Logs(ctx context.Context, nsrID, name, hostname string) (out, errs []string, err error) {
	rec := o.VNFR(nsrID, name)
	if rec == nil {
		return nil, nil, fmt.Errorf("logs: VNFR %s not found", name)
	}
	ans, err := o.command(ctx, str(rec, "endpoint"), obj{"action": "LOG_REQUEST", "vnfrName": str(rec, "name"), "hostname": hostname})
	if err != nil {
		return nil, nil, err
	}
	return strs(ans, "outputLog"), strs(ans, "errorLog"), nil
}

// ScaleOut adds one VNFC to the first VDU of a VNFR (a copy of its first
// component) and sends SCALE_OUT, as NetworkServiceRecordManagement does.
func (o *Orchestrator) ScaleOut(ctx context.Context, nsrID, name string) error {
	o.mu.Lock()
	n := o.nsrs[nsrID]
	if n == nil {
		o.mu.Unlock()
		return fmt.Errorf("scale out: NSR %s not found", nsrID)
	}
	e := o.vnfrs[n.vnfrIDs[name]]
	if e == nil {
		o.mu.Unlock()
		return fmt.Errorf("scale out: VNFR %s not found", name)
	}
	vdus := list(e.record, "vdu")
	if len(vdus) == 0 || len(list(vdus[0], "vnfc")) == 0 {
		o.mu.Unlock()
		return fmt.Errorf("scale out: VNFR %s has no VNFC to copy", name)
	}
	// The NFVO's REST layer refuses before any SCALE_OUT (WrongStatusException).
	if limit, ok := intOf(vdus[0]["scale_in_out"]); ok && len(list(vdus[0], "vnfc_instance")) >= limit {
		o.mu.Unlock()
		return fmt.Errorf("scale out %s: %w", name, ErrMaxVNFCInstances)
	}
	comp := stripIDsAll(list(vdus[0], "vnfc")[0])
	vnfcs, _ := vdus[0]["vnfc"].([]any)
	vdus[0]["vnfc"] = append(vnfcs, comp)
	rec := clone(e.record)
	rec["hbVersion"] = e.record["hbVersion"]
	saved, _, err := o.saveLocked(rec, "SCALING", "scaling")
	if err != nil {
		o.unlockEmit()
		return err
	}
	var newComp obj
	for _, c := range list(list(saved, "vdu")[0], "vnfc") {
		newComp = c
	}
	msg := obj{"action": "SCALE_OUT", "virtualNetworkFunctionRecord": saved, "component": newComp,
		"vimInstance": o.vimByIDLocked(str(list(saved, "vdu")[0], "vimInstanceId"), n), "mode": "", "extension": obj{"nsr-id": n.ID}}
	if d := n.deps[name]; d != nil {
		msg["dependency"] = clone(d.record)
	}
	o.unlockEmit()
	o.sendCommand(str(saved, "endpoint"), msg)
	return nil
}

// ErrMaxVNFCInstances is the NFVO's refusal of a scale-out beyond the
// VDU's scale_in_out.
var ErrMaxVNFCInstances = errors.New("The VirtualDeploymentUnit chosen has reached the maximum number of VNFCInstance")

// ErrMinVNFCInstances refuses a scale-in of a VDU's last VNFC instance.
var ErrMinVNFCInstances = errors.New("The VirtualDeploymentUnit chosen has reached the minimum number of VNFCInstance")

func intOf(v any) (int, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	case float64:
		return int(n), true
	case int:
		return n, true
	}
	return 0, false
}

// ScaleIn removes the last VNFC instance of a VNFR's first VDU as the
// NFVO's scale-in does (spec §3, SCALE_IN): SCALE_IN (answered null) to
// every VNFR that depends on this one, with the removed instance; then
// the NFVO itself deletes the server through the VIM driver
// (deleteServerByIdAndWait) and saves the VNFR without it. The VNFM of
// the scaled VNFR gets no message.
func (o *Orchestrator) ScaleIn(ctx context.Context, nsrID, name string) error {
	o.mu.Lock()
	n := o.nsrs[nsrID]
	if n == nil {
		o.mu.Unlock()
		return fmt.Errorf("scale in: NSR %s not found", nsrID)
	}
	e := o.vnfrs[n.vnfrIDs[name]]
	if e == nil {
		o.mu.Unlock()
		return fmt.Errorf("scale in: VNFR %s not found", name)
	}
	rec := clone(e.record)
	rec["hbVersion"] = e.record["hbVersion"]
	vdus := list(rec, "vdu")
	if len(vdus) == 0 {
		o.mu.Unlock()
		return fmt.Errorf("scale in: VNFR %s has no VDU", name)
	}
	insts := list(vdus[0], "vnfc_instance")
	if len(insts) < 2 {
		o.mu.Unlock()
		return fmt.Errorf("scale in %s: %w", name, ErrMinVNFCInstances)
	}
	gone := insts[len(insts)-1]
	kept := make([]any, 0, len(insts)-1)
	for _, i := range insts[:len(insts)-1] {
		kept = append(kept, i)
	}
	vdus[0]["vnfc_instance"] = kept
	var targets []obj
	for _, d := range n.deps {
		if _, ok := d.sources[name]; ok {
			if t := o.vnfrs[n.vnfrIDs[d.target]]; t != nil {
				targets = append(targets, clone(t.record))
			}
		}
	}
	if _, _, err := o.saveLocked(clone(e.record), "SCALING", "scaling"); err != nil {
		o.unlockEmit()
		return err
	}
	o.unlockEmit()
	for _, t := range targets {
		if _, err := o.command(ctx, str(t, "endpoint"), obj{"action": "SCALE_IN", "virtualNetworkFunctionRecord": t, "vnfcInstance": clone(gone)}); err != nil {
			return fmt.Errorf("scale in %s: %w", name, err)
		}
	}
	vim := o.vimByID(str(gone, "vim_id"))
	if vim == nil {
		return fmt.Errorf("scale in %s: no VIM for VNFC %s", name, str(gone, "hostname"))
	}
	if _, err := o.call(ctx, vim, "deleteServerByIdAndWait", str(gone, "vc_id")); err != nil {
		return fmt.Errorf("scale in %s: deleteServerByIdAndWait %s: %w", name, str(gone, "hostname"), err)
	}
	o.mu.Lock()
	rec["hbVersion"] = e.record["hbVersion"]
	_, _, err := o.saveLocked(rec, "ACTIVE", "scaled in")
	o.unlockEmit()
	return err
}

func (o *Orchestrator) vimByIDLocked(_ string, n *NSR) obj {
	if v := o.vims[str(n.vim, "name")]; v != nil {
		return clone(v)
	}
	return clone(n.vim)
}

func stripIDsAll(m obj) obj {
	c := clone(m)
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			delete(t, "id")
			delete(t, "hbVersion")
			for _, e := range t {
				walk(e)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(c)
	return c
}
