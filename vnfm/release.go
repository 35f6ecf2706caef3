package vnfm

import (
	"context"

	"github.com/sirupsen/logrus"
)

// release stops watching the VNFR and answers at once: the NFVO deletes
// the containers itself through the VIM driver (deleteServerByIdAndWait
// per VNFC, spec §4 step 9), within its 30 s force-clean window.
func (v *VNFM) release(ctx context.Context, msg Obj, log logrus.FieldLogger) Obj {
	vnfr := RecordOf(msg)
	if vnfr == nil {
		log.Warn("RELEASE_RESOURCES without a VNFR; answering null")
		return nil
	}
	v.mon.unwatch(ctx, VNFCInstances(vnfr))
	v.forget(vnfr)
	return genericMessage(ActionReleaseResources, vnfr)
}
