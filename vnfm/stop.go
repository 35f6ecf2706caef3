package vnfm

import (
	"context"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"
)

// stop stops the VNFCs and answers STOP once they are down (SHUTOFF), so
// that a START right after finds them EXITED and restarts them with the
// same IPs. A stopped VNFC is no longer watched: stopping is not failing.
func (v *VNFM) stop(ctx context.Context, msg Obj, log logrus.FieldLogger) Obj {
	vnfr := RecordOf(msg)
	if vnfr == nil {
		log.Warn("STOP without a VNFR; answering null")
		return nil
	}
	vnfci := Sub(msg, "vnfcInstance")
	refs := targets(vnfr, vnfci)
	v.mon.unwatch(ctx, refs)
	for _, r := range refs {
		s, err := v.stopServer(ctx, r)
		if err != nil {
			// Already down: stopped, or dead (ERROR, e.g. waiting out a
			// restart back-off), which the Pop refuses to stop.
			if st, lerr := v.currentStatus(ctx, r); lerr == nil && (st.Status == "SHUTOFF" || st.Status == "ERROR") {
				continue
			}
			return failed(vnfr, fmt.Errorf("VNFC %s: %w", Str(r.Instance, "hostname"), err))
		}
		if err := v.waitDown(ctx, r, s); err != nil {
			return failed(vnfr, fmt.Errorf("VNFC %s: %w", Str(r.Instance, "hostname"), err))
		}
		log.WithField("vnfc", Str(r.Instance, "hostname")).Info("VNFC stopped")
	}
	v.remember(vnfr)
	return startStopMessage(ActionStop, vnfr, vnfci)
}

// waitDown waits until the Pop has recorded the stop (EXITED, not
// STOPPING), bounded.
func (v *VNFM) waitDown(ctx context.Context, r VNFCRef, s serverStatus) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		if s.Status == "SHUTOFF" && !startsWith(s.ExtendedStatus, "STOPPING") || s.Status == "ERROR" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still %s (%s) after 60 s", s.Status, s.ExtendedStatus)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		st, err := v.currentStatus(ctx, r)
		if err != nil {
			return err
		}
		s = st
	}
}

func startsWith(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }
