package orchestrator

import (
	"context"
	"errors"

	"github.com/sirupsen/logrus"
)

// executeAction runs the NFVO task for a VNFM message (a command reply or
// a message on an actions queue): VnfStateHandler.executeAction.
func (o *Orchestrator) executeAction(ctx context.Context, msg obj) {
	if msg == nil {
		return
	}
	action := str(msg, "action")
	rec := sub(msg, "virtualNetworkFunctionRecord")
	log := o.log.WithFields(logrus.Fields{"action": action, "vnfr": str(rec, "name")})
	switch action {
	case "INSTANTIATE":
		o.instantiateTask(ctx, rec, log)
	case "MODIFY":
		if saved := o.saveOrFail(ctx, rec, "INACTIVE", "modify", log); saved != nil {
			o.sendStart(saved)
		}
	case "START":
		setStates(rec, sub(msg, "vnfcInstance"), "ACTIVE")
		o.saveOrFail(ctx, rec, "ACTIVE", "start", log)
	case "STOP":
		setStates(rec, sub(msg, "vnfcInstance"), "INACTIVE")
		status := "INACTIVE"
		for _, ci := range vnfcInstances(rec) {
			if str(ci, "state") == "ACTIVE" {
				status = "ACTIVE"
			}
		}
		o.saveOrFail(ctx, rec, status, "stop", log)
	case "RELEASE_RESOURCES":
		o.releaseTask(ctx, rec, log)
	case "ERROR":
		o.errorTask(msg, log)
	case "HEAL":
		setStates(rec, sub(msg, "vnfcInstance"), "ACTIVE")
		o.saveOrFail(ctx, rec, "ACTIVE", "heal", log)
	case "SCALED":
		setStates(rec, sub(msg, "vnfcInstance"), "ACTIVE")
		o.saveOrFail(ctx, rec, "ACTIVE", "scaled", log)
	case "UPDATE":
		o.saveOrFail(ctx, rec, "", "update", log)
	default:
		// No task bean: NoSuchBeanDefinitionException, only logged.
		log.Error("no task for this action (NoSuchBeanDefinitionException); the VNFR is stuck")
		o.mu.Lock()
		if e := o.vnfrs[str(rec, "id")]; e != nil {
			e.nsr.errors = append(e.nsr.errors, "no task for action "+action)
		}
		o.mu.Unlock()
	}
}

// setStates sets the state of the named VNFC instance (by id), or all.
func setStates(rec, only obj, state string) {
	for _, ci := range vnfcInstances(rec) {
		if only == nil || str(ci, "id") == str(only, "id") {
			ci["state"] = state
		}
	}
}

// saveOrFail saves with the version check; a failure is the NFVO's
// genericExceptionHandling: VNFR ERROR and an ERROR command to the VNFM.
func (o *Orchestrator) saveOrFail(ctx context.Context, rec obj, status, task string, log logrus.FieldLogger) obj {
	if rec == nil {
		log.Error("VNFM message without virtualNetworkFunctionRecord")
		return nil
	}
	o.mu.Lock()
	saved, e, err := o.saveLocked(rec, status, task)
	if err == nil {
		o.unlockEmit()
		return saved
	}
	log.WithError(err).Error("task failed; VNFR goes to ERROR and the VNFM gets an ERROR command")
	var cur obj
	if e != nil {
		e.nsr.errors = append(e.nsr.errors, err.Error())
		if errors.Is(err, ErrStaleVersion) {
			e.nsr.StaleSaves++
		}
		cur, _ = o.forceStatusLocked(str(rec, "id"), "ERROR", "error")
	}
	o.unlockEmit()
	if cur != nil {
		o.sendCommand(str(cur, "endpoint"), obj{"action": "ERROR", "vnfr": cur, "message": err.Error()})
	}
	return nil
}

// instantiateTask: INITIALIZED, fill the dependencies this VNFR is a
// source of, MODIFY the targets now ready, then MODIFY (target) or START.
func (o *Orchestrator) instantiateTask(ctx context.Context, rec obj, log logrus.FieldLogger) {
	if rec == nil {
		log.Error("INSTANTIATE reply without virtualNetworkFunctionRecord")
		return
	}
	// Save, fill and release in one critical section: a target whose
	// INSTANTIATE is processed concurrently must not see this source
	// INITIALIZED before its values are in the dependency.
	o.mu.Lock()
	saved, e, err := o.saveLocked(rec, "INITIALIZED", "instantiate")
	if err != nil {
		o.unlockEmit()
		o.saveOrFail(ctx, rec, "INITIALIZED", "instantiate", log)
		return
	}
	name := str(saved, "name")
	nsr := e.nsr
	// fillDependecyParameters when this VNFR is a source.
	for _, d := range nsr.deps {
		params, isSource := d.sources[name]
		if !isSource {
			continue
		}
		fillDependency(d.record, saved, params)
	}
	type modify struct {
		target obj
		dep    obj
	}
	var modifies []modify
	ready := func(d *dependency) bool {
		for src := range d.sources {
			if statusOrder[nsr.status[src]] < statusOrder["INITIALIZED"] || nsr.status[src] == "TERMINATED" {
				return false
			}
		}
		return true
	}
	// Release the waiting targets whose sources are all ready.
	for t := range nsr.waiting {
		if d := nsr.deps[t]; d != nil && ready(d) {
			delete(nsr.waiting, t)
			if te := o.vnfrs[nsr.vnfrIDs[t]]; te != nil {
				modifies = append(modifies, modify{clone(te.record), clone(d.record)})
			}
		}
	}
	start := false
	if d := nsr.deps[name]; d != nil {
		if ready(d) {
			modifies = append(modifies, modify{clone(e.record), clone(d.record)})
		} else {
			nsr.waiting[name] = true
		}
	} else {
		start = true
	}
	o.unlockEmit()
	for _, m := range modifies {
		o.sendCommand(str(m.target, "endpoint"), obj{"action": "MODIFY", "vnfr": m.target, "vnfrd": m.dep})
	}
	if start {
		o.sendStart(saved)
	}
}

func (o *Orchestrator) sendStart(rec obj) {
	o.sendCommand(str(rec, "endpoint"), obj{"action": "START", "virtualNetworkFunctionRecord": rec})
}

// fillDependency writes a source's values into a VNFRecordDependency:
// VNFR-level values from provides, then configurations; per-VNFC values
// for the keys that are networks (its IP there) or "hostname".
func fillDependency(dep, src obj, params []string) {
	typ := str(src, "type")
	values := map[string]string{}
	for _, c := range []string{"configurations", "provides"} {
		for _, p := range list(sub(src, c), "configurationParameters") {
			if _, done := values[str(p, "confKey")]; !done && str(p, "value") != "" {
				values[str(p, "confKey")] = str(p, "value")
			}
		}
	}
	pm := sub(dep, "parameters")
	dp := sub(pm, typ)
	if dp == nil {
		dp = obj{"parameters": obj{}}
		pm[typ] = dp
	}
	kv := sub(dp, "parameters")
	if kv == nil {
		kv = obj{}
		dp["parameters"] = kv
	}
	for _, k := range params {
		kv[k] = values[k]
	}
	vp := sub(dep, "vnfcParameters")
	vd := sub(vp, typ)
	if vd == nil {
		vd = obj{"parameters": obj{}}
		vp[typ] = vd
	}
	byVNFC := sub(vd, "parameters")
	if byVNFC == nil {
		byVNFC = obj{}
		vd["parameters"] = byVNFC
	}
	for _, ci := range vnfcInstances(src) {
		vals := obj{}
		for _, k := range params {
			if k == "hostname" {
				vals[k] = str(ci, "hostname")
			}
			for _, ip := range list(ci, "ips") {
				if str(ip, "netName") == k {
					vals[k] = str(ip, "ip")
				}
			}
		}
		byVNFC[str(ci, "id")] = obj{"parameters": vals}
	}
}

// releaseTask: TERMINATED, delete the servers (not awaited, as the NFVO),
// and once every VNFR is released delete the networks this NSR made.
func (o *Orchestrator) releaseTask(ctx context.Context, rec obj, log logrus.FieldLogger) {
	saved := o.saveOrFail(ctx, rec, "TERMINATED", "releaseresources", log)
	if saved == nil {
		return
	}
	for _, ci := range vnfcInstances(saved) {
		vim := o.vimByID(str(ci, "vim_id"))
		if vim == nil {
			log.WithField("vnfc", str(ci, "hostname")).Error("no VIM for VNFC; not deleted")
			continue
		}
		if _, err := o.call(ctx, vim, "deleteServerByIdAndWait", str(ci, "vc_id")); err != nil {
			log.WithError(err).WithField("vnfc", str(ci, "hostname")).Error("deleteServerByIdAndWait")
		}
	}
	o.mu.Lock()
	nsr := o.vnfrs[str(saved, "id")].nsr
	nsr.released[str(saved, "name")] = true
	last := len(nsr.released) == len(nsr.vnfds) && !nsr.deleted
	o.mu.Unlock()
	if !last {
		return
	}
	nsr.netMu.Lock()
	for vl, n := range nsr.nets {
		if n["_created"] != true {
			continue
		}
		if _, err := o.call(ctx, nsr.vim, "deleteNetwork", str(n, "extId")); err != nil {
			log.WithError(err).WithField("network", vl).Error("deleteNetwork")
		}
	}
	nsr.netMu.Unlock()
	o.mu.Lock()
	nsr.deleted = true
	delete(o.nsrs, nsr.ID)
	o.pending = append(o.pending, Event{NSR: nsr.ID, Status: "DELETED"})
	o.changedLocked()
	o.unlockEmit()
}

// errorTask: the VNFR goes to ERROR with the exception's message.
func (o *Orchestrator) errorTask(msg obj, log logrus.FieldLogger) {
	rec := sub(msg, "virtualNetworkFunctionRecord")
	detail := str(sub(msg, "exception"), "detailMessage")
	log.WithField("detail", detail).Warn("VNFM reports an error")
	if rec == nil {
		log.Error("ERROR without a VNFR: NullPointerException in changeStatus")
		return
	}
	o.mu.Lock()
	e := o.vnfrs[str(rec, "id")]
	if e == nil {
		// No id: ErrorTask persists it first.
		nsr := o.nsrs[str(rec, "parent_ns_id")]
		if nsr == nil {
			o.mu.Unlock()
			log.Error("ERROR for an unknown NSR")
			return
		}
		rec = o.addLocked(nsr, rec)
		nsr.vnfrIDs[str(rec, "name")] = str(rec, "id")
		e = o.vnfrs[str(rec, "id")]
	} else if version(rec) != version(e.record) {
		e.nsr.StaleSaves++
		log.WithField("got", version(rec)).WithField("stored", version(e.record)).Warn("ERROR carries a stale hbVersion; the status is set anyway")
	}
	e.nsr.errors = append(e.nsr.errors, detail)
	o.forceStatusLocked(str(rec, "id"), "ERROR", "error")
	for i := range o.pending {
		o.pending[i].Detail = detail
	}
	o.unlockEmit()
}
