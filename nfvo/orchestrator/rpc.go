package orchestrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/openbaton-docker/obdocker/amqpx"
	"github.com/openbaton-docker/obdocker/nfvo"
)

// handleRPC serves vnfm.nfvo.actions.reply: the returning tasks answer
// their result, every other action runs and answers null (spec §2.2).
func (o *Orchestrator) handleRPC(ctx context.Context, req *amqpx.Request) *amqpx.Reply {
	msg, err := decodeObj(req.Body)
	if err != nil {
		// The NFVO's listener throws: no reply at all.
		o.log.WithError(err).Warn("undecodable VNFM request; no reply")
		return nil
	}
	if req.ContentType != "text/plain" {
		o.log.WithField("content_type", req.ContentType).Warn("VNFM request is not text/plain (Spring would not hand the NFVO a String)")
	}
	var ans obj
	switch str(msg, "action") {
	case "GRANT_OPERATION":
		ans = o.grant(ctx, msg)
	case "ALLOCATE_RESOURCES":
		if _, ok := msg["keyPairs"].([]any); !ok {
			// new HashSet<>(null) in MessageGenerator.setupTask: the
			// listener throws and the request is dropped unanswered.
			o.log.Error("ALLOCATE_RESOURCES without keyPairs: NullPointerException; no reply")
			return nil
		}
		ans = o.allocate(ctx, msg)
	case "SCALING":
		ans = o.scaling(ctx, msg)
	case "UPDATEVNFR":
		ans = o.updateVNFR(msg)
	default:
		o.executeAction(ctx, msg)
	}
	body := []byte("null")
	if ans != nil {
		body, _ = json.Marshal(ans)
	}
	return &amqpx.Reply{Body: body, ContentType: "text/plain"}
}

// handleVoid serves vnfm.nfvo.actions (fire-and-forget, spec §2.3).
func (o *Orchestrator) handleVoid(ctx context.Context, req *amqpx.Request) *amqpx.Reply {
	msg, err := decodeObj(req.Body)
	if err != nil {
		o.log.WithError(err).Warn("undecodable VNFM message")
		return nil
	}
	o.executeAction(ctx, msg)
	return nil
}

func errorAnswer(vnfr obj, format string, args ...any) obj {
	return obj{"action": "ERROR", "vnfr": vnfr, "message": fmt.Sprintf(format, args...)}
}

// grant is GrantoperationTask: persist the VNFR, pick the VIM of each
// VDU, refresh it, check the images, create the missing networks, set the
// connection points' network ids.
func (o *Orchestrator) grant(ctx context.Context, msg obj) obj {
	in := sub(msg, "virtualNetworkFunctionRecord")
	if in == nil {
		o.log.Error("GRANT_OPERATION without a VNFR")
		return nil
	}
	o.mu.Lock()
	nsr := o.nsrs[str(in, "parent_ns_id")]
	if nsr == nil {
		o.mu.Unlock()
		o.log.WithField("nsr", str(in, "parent_ns_id")).Error("GRANT_OPERATION for an unknown NSR")
		return nil
	}
	name := str(in, "name")
	if prev := nsr.vnfrIDs[name]; prev != "" {
		nsr.Duplicates++
		o.log.WithField("vnfr", name).Warn("second GRANT_OPERATION for this VNFD: a duplicate VNFR is persisted")
	}
	in["status"] = "NULL"
	rec := o.addLocked(nsr, in)
	nsr.vnfrIDs[name] = str(rec, "id")
	o.noteStatusLocked(nsr, rec)
	o.unlockEmit()

	vduVim := obj{}
	for _, vdu := range list(rec, "vdu") {
		vimName := ""
		if n := strs(vdu, "vimInstanceName"); len(n) > 0 {
			vimName = n[0]
		}
		vim := o.vim(vimName)
		if vim == nil {
			vim = clone(nsr.vim)
		}
		ans, err := o.call(ctx, vim, "refresh")
		if err != nil {
			return errorAnswer(rec, "refresh of VIM %s failed: %v", str(vim, "name"), err)
		}
		if fresh, err := decodeObj(ans); err == nil {
			fresh["id"], fresh["hbVersion"] = vim["id"], vim["hbVersion"]
			vim = fresh
			o.mu.Lock()
			o.vims[str(vim, "name")] = vim
			o.mu.Unlock()
		}
		if !hasImage(vim, strs(vdu, "vm_image")) {
			return errorAnswer(rec, "None of the images %v where found on the chosen vim instance %s", strs(vdu, "vm_image"), str(vim, "name"))
		}
		for _, comp := range list(vdu, "vnfc") {
			for _, cp := range list(comp, "connection_point") {
				net, err := o.network(ctx, nsr, vim, str(cp, "virtual_link_reference"))
				if err != nil {
					return errorAnswer(rec, "network %s: %v", str(cp, "virtual_link_reference"), err)
				}
				cp["virtual_link_reference_id"] = str(net, "extId")
			}
		}
		vduVim[str(vdu, "id")] = vim
	}
	history(rec, "GRANTED", "All the resources that are contained in this VNFR were granted to be deployed in the chosen vim(s)")
	o.mu.Lock()
	e := o.vnfrs[str(rec, "id")]
	rec["hbVersion"] = e.record["hbVersion"]
	saved, _, err := o.saveLocked(rec, "NULL", "grantoperation")
	o.unlockEmit()
	if err != nil {
		return errorAnswer(rec, "%v", err)
	}
	return obj{"action": "GRANT_OPERATION", "grantAllowed": true, "vduVim": vduVim, "virtualNetworkFunctionRecord": saved}
}

func hasImage(vim obj, want []string) bool {
	for _, img := range list(vim, "images") {
		names := append(strs(img, "tags"), str(img, "name"), str(img, "extId"))
		for _, w := range want {
			if slices.Contains(names, w) {
				return true
			}
		}
	}
	return false
}

// network finds or creates (once per NSR) the network of a virtual link.
func (o *Orchestrator) network(ctx context.Context, nsr *NSR, vim obj, vl string) (obj, error) {
	nsr.netMu.Lock()
	defer nsr.netMu.Unlock()
	if n := nsr.nets[vl]; n != nil {
		return n, nil
	}
	for _, n := range list(vim, "networks") {
		if str(n, "name") == vl {
			nsr.nets[vl] = n
			return n, nil
		}
	}
	req := obj{"name": vl}
	for _, vld := range nsr.vlrs {
		if str(vld, "name") == vl && str(vld, "cidr") != "" {
			req["subnet"] = str(vld, "cidr")
		}
	}
	ans, err := o.call(ctx, vim, "createNetwork", req)
	if err != nil {
		return nil, err
	}
	n, err := decodeObj(ans)
	if err != nil {
		return nil, err
	}
	n["_created"] = true
	nsr.nets[vl] = n
	return n, nil
}

// allocate is AllocateresourcesTask: launchInstanceAndWait per VNFC.
func (o *Orchestrator) allocate(ctx context.Context, msg obj) obj {
	in := sub(msg, "virtualNetworkFunctionRecord")
	ud, ok := msg["userdata"].(string)
	if !ok {
		return errorAnswer(in, "userdata is not a string")
	}
	vims := sub(msg, "vimInstances")
	rec := clone(in)
	if err := o.launchMissing(ctx, rec, func(vduID string) obj {
		v := sub(vims, vduID)
		if v == nil {
			return nil
		}
		// Only the id is used: the VIM is re-read from the DB.
		return o.vimByID(str(v, "id"))
	}, ud); err != nil {
		return o.launchFailed(in, rec, "allocateresources", err)
	}
	history(rec, "ALLOCATE", "The resources of this VNFR are allocated")
	o.mu.Lock()
	saved, _, err := o.saveLocked(rec, "NULL", "allocateresources")
	o.unlockEmit()
	if err != nil {
		return errorAnswer(in, "%v", err)
	}
	return obj{"action": "ALLOCATE_RESOURCES", "vnfr": saved}
}

func (o *Orchestrator) vimByID(id string) obj {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, v := range o.vims {
		if str(v, "id") == id {
			return clone(v)
		}
	}
	return nil
}

// launchMissing launches one server per VNFC of rec that has no instance
// yet and adds the instances (GenericVIM.allocate).
func (o *Orchestrator) launchMissing(ctx context.Context, rec obj, vimOf func(vduID string) obj, userdata string) error {
	for _, vdu := range list(rec, "vdu") {
		vim := vimOf(str(vdu, "id"))
		if vim == nil {
			return fmt.Errorf("Our algorithms are too complex, even for us, this is what abnormal IQ means :( (no VIM for VDU %s)", str(vdu, "id"))
		}
		have := map[string]bool{}
		for _, ci := range list(vdu, "vnfc_instance") {
			have[str(sub(ci, "vnfComponent"), "id")] = true
		}
		images := strs(vdu, "vm_image")
		if len(images) == 0 {
			return fmt.Errorf("VDU %s has no vm_image", str(vdu, "name"))
		}
		insts, _ := vdu["vnfc_instance"].([]any)
		for _, comp := range list(vdu, "vnfc") {
			if have[str(comp, "id")] {
				continue
			}
			host := fmt.Sprintf("%s-%d", str(rec, "name"), rand.IntN(10000000))
			vdu["hostname"] = str(rec, "name")
			ud := strings.ReplaceAll(userdata, "#Hostname=", "Hostname="+host)
			cps, _ := comp["connection_point"].([]any)
			if cps == nil {
				cps = []any{}
			}
			ans, err := o.call(ctx, vim, "launchInstanceAndWait", host, images[0], "", "", cps, []any{}, ud, obj{}, []any{})
			var srv obj
			if err == nil {
				if srv, err = decodeObj(ans); err != nil {
					err = fmt.Errorf("answer: %w", err)
				}
			}
			if err != nil {
				// GenericVIM.allocate: the failed VNFC still becomes an
				// instance of the VNFR, released with it.
				vdu["vnfc_instance"] = append(insts, o.recoverInstance(ctx, rec, vim, host, comp, cps, err))
				return &launchError{host: host, vim: str(vim, "name"), err: err}
			}
			insts = append(insts, instanceFromServer(rec, vim, host, comp, cps, srv))
		}
		vdu["vnfc_instance"] = insts
	}
	return nil
}

// launchError is GenericVIM.allocate's VimException.
type launchError struct {
	host, vim string
	err       error
}

func (e *launchError) Error() string {
	return fmt.Sprintf("Not launched VM with hostname %s successfully on VimInstance %s. Caused by: %v", e.host, e.vim, e.err)
}

func (e *launchError) Unwrap() error { return e.err }

// launchFailed is AbstractTask.handleVimException: the VNFR, with the
// instances launchMissing added (the failed one too), is saved in ERROR
// and answered in an ERROR message. Other failures answer the VNFR as it
// came.
func (o *Orchestrator) launchFailed(in, rec obj, task string, err error) obj {
	var le *launchError
	if !errors.As(err, &le) {
		return errorAnswer(in, "%v", err)
	}
	o.mu.Lock()
	saved, _, serr := o.saveLocked(rec, "ERROR", task)
	o.unlockEmit()
	if serr != nil {
		return errorAnswer(in, "%v; saving the VNFR: %v", err, serr)
	}
	o.log.WithError(err).WithField("vnfr", str(saved, "name")).Warn("launch failed: VNFR in ERROR, its VNFC instances are released with it")
	return errorAnswer(saved, "%v", err)
}

// recoverInstance makes the VNFC instance of a failed launch as
// GenericVIM.allocate does: from the exception's server if it carries
// one; else from listServer, matching the hostname; else an instance with
// vc_id "unknown", which RELEASE_RESOURCES later passes to
// deleteServerByIdAndWait.
func (o *Orchestrator) recoverInstance(ctx context.Context, rec, vim obj, host string, comp obj, cps []any, err error) obj {
	var exc *nfvo.Exception
	if errors.As(err, &exc) && exc.Server != nil {
		if srv, derr := decodeObj(exc.Server); derr == nil && srv != nil {
			return instanceFromServer(rec, vim, host, comp, cps, srv)
		}
	}
	if ans, lerr := o.call(ctx, vim, "listServer"); lerr == nil {
		var servers []obj
		if json.Unmarshal(ans, &servers) == nil {
			for _, srv := range servers {
				if str(srv, "hostName") == host {
					return instanceFromServer(rec, vim, host, comp, cps, srv)
				}
			}
		}
	}
	return obj{
		"vim_id": str(vim, "id"), "vc_id": "unknown", "hostname": host, "state": "ERROR",
		"vnfComponent": clone(comp), "connection_point": stripIDsOf(cps), "ips": []any{}, "floatingIps": []any{},
	}
}

// instanceFromServer is GenericVIM.getVnfcInstance: a VNFC instance from a
// Server answer; its IPs are added to the VNFR's vnf_address.
func instanceFromServer(rec, vim obj, host string, comp obj, cps []any, srv obj) obj {
	ips := []any{}
	ipsByNet := sub(srv, "ips")
	for _, net := range sortedKeys(ipsByNet) {
		l, _ := ipsByNet[net].([]any)
		for _, ip := range l {
			ips = append(ips, obj{"netName": net, "ip": ip})
			addr, _ := rec["vnf_address"].([]any)
			rec["vnf_address"] = append(addr, ip)
		}
	}
	vcID := str(srv, "extId")
	if vcID == "" {
		vcID = "unknown"
	}
	return obj{
		"vim_id": str(vim, "id"), "vc_id": vcID, "hostname": host,
		"state": str(srv, "status"), "vnfComponent": clone(comp),
		"connection_point": stripIDsOf(cps), "ips": ips, "floatingIps": []any{},
	}
}

func stripIDsOf(cps []any) []any {
	out := make([]any, 0, len(cps))
	for _, c := range cps {
		if m, ok := c.(map[string]any); ok {
			m = clone(m)
			delete(m, "id")
			delete(m, "hbVersion")
			out = append(out, m)
		}
	}
	return out
}

// scaling is ScalingTask: allocate the VNFC that has no instance.
func (o *Orchestrator) scaling(ctx context.Context, msg obj) obj {
	in := sub(msg, "virtualNetworkFunctionRecord")
	ud, _ := msg["userData"].(string)
	rec := clone(in)
	vim := sub(msg, "vimInstance")
	if err := o.launchMissing(ctx, rec, func(string) obj { return o.vimByID(str(vim, "id")) }, ud); err != nil {
		return o.launchFailed(in, rec, "scaling", err)
	}
	o.mu.Lock()
	saved, _, err := o.saveLocked(rec, "SCALING", "scaling")
	o.unlockEmit()
	if err != nil {
		return errorAnswer(in, "%v", err)
	}
	return obj{"action": "SCALED", "vnfr": saved}
}

// updateVNFR is UpdatevnfrTask: merge the VNFC states into the stored
// VNFR and answer it (fresh hbVersion).
func (o *Orchestrator) updateVNFR(msg obj) obj {
	in := sub(msg, "virtualNetworkFunctionRecord")
	o.mu.Lock()
	e := o.vnfrs[str(in, "id")]
	if e == nil {
		o.mu.Unlock()
		return errorAnswer(in, "VNFR %s not found", str(in, "id"))
	}
	states := map[string]any{}
	for _, ci := range vnfcInstances(in) {
		states[str(ci, "id")] = ci["state"]
	}
	for _, ci := range vnfcInstances(e.record) {
		if s, ok := states[str(ci, "id")]; ok {
			ci["state"] = s
		}
	}
	cur := clone(e.record)
	saved, _, err := o.saveLocked(cur, "", "updatevnfr")
	o.unlockEmit()
	if err != nil {
		return errorAnswer(in, "%v", err)
	}
	return obj{"action": "UPDATEVNFR", "vnfr": saved}
}
