package vnfm

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"
)

// targets are the VNFCs a START/STOP applies to: the one named by
// vnfcInstance (matched by id, else hostname), or all.
func targets(vnfr, vnfci Obj) []VNFCRef {
	all := VNFCInstances(vnfr)
	if vnfci == nil {
		return all
	}
	id, host := numberString(vnfci["id"]), Str(vnfci, "hostname")
	var out []VNFCRef
	for _, r := range all {
		if id != "" && numberString(r.Instance["id"]) == id || id == "" && host != "" && Str(r.Instance, "hostname") == host {
			out = append(out, r)
		}
	}
	if len(out) == 0 && Str(vnfci, "vc_id") != "" {
		// A VNFC instance the record does not hold (yet): act on it alone.
		out = append(out, VNFCRef{VDU: Obj{}, Instance: vnfci})
	}
	return out
}

// start starts the VNFCs (startServer: CREATED, or EXITED after a STOP,
// which restarts with the same IPs) and answers START once all run; then
// watches them for failures.
func (v *VNFM) start(ctx context.Context, msg Obj, log logrus.FieldLogger) Obj {
	vnfr := RecordOf(msg)
	if vnfr == nil {
		log.Warn("START without a VNFR; answering null")
		return nil
	}
	vnfci := Sub(msg, "vnfcInstance")
	refs := targets(vnfr, vnfci)
	if len(refs) == 0 {
		return failed(vnfr, fmt.Errorf("START: no VNFC instance to start"))
	}
	for _, r := range refs {
		if err := v.ensureRunning(ctx, r); err != nil {
			return failed(vnfr, fmt.Errorf("VNFC %s: %w", Str(r.Instance, "hostname"), err))
		}
		log.WithField("vnfc", Str(r.Instance, "hostname")).Info("VNFC running")
	}
	v.remember(vnfr)
	v.mon.watch(vnfr, refs)
	return startStopMessage(ActionStart, vnfr, vnfci)
}

// ensureRunning starts a VNFC; one that already runs (a repeated START)
// is fine.
func (v *VNFM) ensureRunning(ctx context.Context, r VNFCRef) error {
	s, err := v.startServer(ctx, r)
	if err == nil {
		if s.Status != "ACTIVE" {
			return fmt.Errorf("startServer answered status %s (%s)", s.Status, s.ExtendedStatus)
		}
		return nil
	}
	if st, lerr := v.currentStatus(ctx, r); lerr == nil && st.Status == "ACTIVE" {
		return nil
	}
	return err
}

// currentStatus finds the VNFC's server in the plugin's listServer.
func (v *VNFM) currentStatus(ctx context.Context, r VNFCRef) (serverStatus, error) {
	vim, err := v.vims.forRef(r)
	if err != nil {
		return serverStatus{}, err
	}
	ss, err := v.listServers(ctx, vim)
	if err != nil {
		return serverStatus{}, err
	}
	for _, s := range ss {
		if s.ExtID == r.ExtID() || s.HostName == Str(r.Instance, "hostname") {
			return s, nil
		}
	}
	return serverStatus{}, fmt.Errorf("server %s not found", r.ExtID())
}

// resume answers RESUME (the dashboard's resume of an NSR in ERROR) with
// the step that brings the VNFR back: START of every VNFC, which restarts
// the ones that died or never started with their IPs and environment, and
// leaves running ones alone. The environment MODIFY set is already on the
// containers. Without any VNFC nothing was allocated, and only a new
// deployment helps: an ERROR saying so.
func (v *VNFM) resume(ctx context.Context, msg Obj, log logrus.FieldLogger) Obj {
	vnfr := RecordOf(msg)
	if vnfr == nil {
		log.Warn("RESUME without a VNFR; answering null")
		return nil
	}
	if len(VNFCInstances(vnfr)) == 0 {
		return failed(vnfr, fmt.Errorf("RESUME: VNFR %s has no VNFC instance (its resources were never allocated); delete the NSR and deploy it again", Str(vnfr, "name")))
	}
	log.Info("resuming: starting every VNFC that does not run")
	return v.start(ctx, Obj{"action": ActionStart, KeyVNFRLong: vnfr}, log)
}
