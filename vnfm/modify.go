package vnfm

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"
)

// modify gives the target VNFR the values of its dependencies: every
// parameter of vnfrd becomes the environment variable
// UPPER(sourceType)_UPPER(key), set as metadata on every VNFC of the
// target (still CREATED: START comes after MODIFY).
func (v *VNFM) modify(ctx context.Context, msg Obj, log logrus.FieldLogger) Obj {
	vnfr := RecordOf(msg)
	if vnfr == nil {
		log.Warn("MODIFY without a VNFR; answering null")
		return nil
	}
	env := DependencyEnv(Sub(msg, "vnfrd"))
	log.WithField("variables", sortedKeys(env)).Info("dependency parameters")
	for _, r := range VNFCInstances(vnfr) {
		if err := v.setMetadata(ctx, r, env); err != nil {
			if Str(vnfr, "status") == "ACTIVE" {
				// A re-MODIFY of a running target (a source scaled out or
				// healed): its containers keep the values they started
				// with. Not a failure of the target.
				log.WithError(err).WithField("vnfc", Str(r.Instance, "hostname")).Warn("running VNFC keeps its environment; new dependency values apply on its next start from scratch")
				continue
			}
			return failed(vnfr, fmt.Errorf("VNFC %s: %w", Str(r.Instance, "hostname"), err))
		}
	}
	v.remember(vnfr)
	return genericMessage(ActionModify, vnfr)
}
