package vnfm

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"
)

// scaleOut adds one VNFC the way INSTANTIATE made the first ones: the NFVO
// allocates it (SCALING, deferred start), the VNFM sets its own
// hostname/IPs and, when the VNFR depends on others, their parameters,
// then starts it and answers SCALED with the new VNFC instance.
func (v *VNFM) scaleOut(ctx context.Context, msg Obj, log logrus.FieldLogger) Obj {
	vnfr := RecordOf(msg)
	if vnfr == nil {
		log.Warn("SCALE_OUT without a VNFR; answering null")
		return nil
	}
	vim := Sub(msg, "vimInstance")
	if vim != nil {
		if err := v.vims.put(vim); err != nil {
			log.WithError(err).Warn("could not store the VIM instance")
		}
	}
	before := map[string]bool{}
	for _, r := range VNFCInstances(vnfr) {
		before[numberString(r.Instance["id"])] = true
	}
	req := Obj{"action": ActionScaling, KeyVNFRLong: vnfr, "userData": Userdata(vnfr, v.cfg.Type)}
	if vim != nil {
		req["vimInstance"] = vim
	}
	ans, err := v.rpc(ctx, req)
	if err != nil {
		return failed(vnfr, err)
	}
	if ans == nil {
		log.Warn("SCALING answered null; the NFVO reports the error itself")
		return nil
	}
	if Str(ans, "action") == ActionError {
		return failedAnswer(ans, vnfr, "scaling failed")
	}
	vnfr = orRecord(ans, vnfr)
	var added []VNFCRef
	for _, r := range VNFCInstances(vnfr) {
		if !before[numberString(r.Instance["id"])] {
			added = append(added, r)
		}
	}
	if len(added) == 0 {
		return failed(vnfr, fmt.Errorf("SCALING added no VNFC instance"))
	}
	depEnv := DependencyEnv(Sub(msg, "dependency"))
	for _, r := range added {
		env := vnfcEnv(r)
		for k, val := range depEnv {
			env[k] = val
		}
		if err := v.setMetadata(ctx, r, env); err != nil {
			return failed(vnfr, fmt.Errorf("VNFC %s: %w", Str(r.Instance, "hostname"), err))
		}
		if err := v.ensureRunning(ctx, r); err != nil {
			return failed(vnfr, fmt.Errorf("VNFC %s: %w", Str(r.Instance, "hostname"), err))
		}
		log.WithField("vnfc", Str(r.Instance, "hostname")).Info("scaled out: VNFC running")
	}
	v.remember(vnfr)
	v.mon.watch(vnfr, added)
	return Obj{"action": ActionScaled, KeyVNFRLong: vnfr, "vnfcInstance": added[0].Instance}
}
