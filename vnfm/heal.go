package vnfm

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"
)

// heal starts the named VNFC again if it is not running (the NFVO's heal
// action) and answers HEAL.
func (v *VNFM) heal(ctx context.Context, msg Obj, log logrus.FieldLogger) Obj {
	vnfr := RecordOf(msg)
	if vnfr == nil {
		log.Warn("HEAL without a VNFR; answering null")
		return nil
	}
	vnfci := Sub(msg, "vnfcInstance")
	refs := targets(vnfr, vnfci)
	for _, r := range refs {
		if err := v.ensureRunning(ctx, r); err != nil {
			return failed(vnfr, fmt.Errorf("heal VNFC %s: %w", Str(r.Instance, "hostname"), err))
		}
	}
	v.remember(vnfr)
	v.mon.watch(vnfr, refs)
	out := Obj{"action": ActionHeal, KeyVNFRLong: vnfr, "cause": Str(msg, "cause")}
	if vnfci != nil {
		out["vnfcInstance"] = vnfci
	}
	return out
}
