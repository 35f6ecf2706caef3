package vnfm

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"
)

// instantiate builds the VNFR, makes the VDUs' images present on their
// VIM instances (pulled through the driver), asks the NFVO for a grant, lets the NFVO
// allocate the containers through the VIM driver (created, not started:
// the userdata asks for a deferred start, so their IPs exist but nothing
// runs yet), tells each VNFC its own hostname and IPs, and answers
// INSTANTIATE with the VNFR as the NFVO returned it (spec §4 steps 2-5).
func (v *VNFM) instantiate(ctx context.Context, msg Obj, log logrus.FieldLogger) Obj {
	if r := Sub(msg, KeyVNFR); r != nil {
		// The NFVO's restart flow (spec §3.2): the servers were rebuilt;
		// no second grant or allocation. UPDATE, as the Go SDK answers,
		// saves the VNFR without triggering MODIFY/START again.
		log.Info("INSTANTIATE of an existing VNFR (restart): answering UPDATE")
		v.remember(r)
		return genericMessage(ActionUpdate, r)
	}
	vnfr, err := NewVNFR(msg)
	if err != nil {
		return failed(Obj{}, err)
	}
	log = log.WithField("vnfr", Str(vnfr, "name"))

	// The grant checks the images on the VIM it picks (see pullImages).
	if err := v.pullImages(ctx, msg, log); err != nil {
		return failed(vnfr, err)
	}
	grant, err := v.rpc(ctx, genericMessage(ActionGrantOperation, vnfr))
	if err != nil {
		return failed(vnfr, err)
	}
	if grant == nil {
		// The NFVO failed and sends a separate ERROR command (spec §2.2).
		log.Warn("GRANT_OPERATION answered null; the NFVO reports the error itself")
		return nil
	}
	if Str(grant, "action") == ActionError {
		return failedAnswer(grant, vnfr, "grant refused")
	}
	if g, ok := grant["grantAllowed"].(bool); ok && !g {
		return failed(orRecord(grant, vnfr), fmt.Errorf("grant not allowed"))
	}
	vnfr = orRecord(grant, vnfr)
	vduVim := Sub(grant, "vduVim")
	for _, k := range sortedKeys(vduVim) {
		if vim, ok := vduVim[k].(map[string]any); ok {
			if err := v.vims.put(vim); err != nil {
				log.WithError(err).Warn("could not store the VIM instance")
			}
		}
	}
	log.Info("granted; asking the NFVO to allocate")

	keys, ok := msg["keys"].([]any)
	if !ok {
		keys = []any{}
	}
	alloc, err := v.rpc(ctx, Obj{
		"action":       ActionAllocateResources,
		KeyVNFRLong:    vnfr,
		"vimInstances": vduVim,
		"userdata":     Userdata(vnfr, v.cfg.Type),
		// Required even when empty: a missing keyPairs NPEs in the NFVO
		// and no answer ever comes (spec §3.3).
		"keyPairs": keys,
	})
	if err != nil {
		return failed(vnfr, err)
	}
	if alloc == nil {
		log.Warn("ALLOCATE_RESOURCES answered null; the NFVO reports the error itself")
		return nil
	}
	if Str(alloc, "action") == ActionError {
		return failedAnswer(alloc, vnfr, "allocation failed")
	}
	vnfr = orRecord(alloc, vnfr)
	refs := VNFCInstances(vnfr)
	if len(refs) == 0 {
		return failed(vnfr, fmt.Errorf("the NFVO allocated no VNFC instance"))
	}
	for _, r := range refs {
		if err := v.setMetadata(ctx, r, vnfcEnv(r)); err != nil {
			return failed(vnfr, fmt.Errorf("VNFC %s: %w", Str(r.Instance, "hostname"), err))
		}
	}
	fillProvides(vnfr)
	if _, invalid := ownConfig(vnfr); len(invalid) > 0 {
		log.WithField("keys", invalid).Warn("configuration keys that are not environment variable names were not passed")
	}
	v.remember(vnfr)
	return genericMessage(ActionInstantiate, vnfr)
}

// orRecord is the VNFR of an NFVO answer, else fallback.
func orRecord(ans, fallback Obj) Obj {
	if r := RecordOf(ans); r != nil {
		return r
	}
	return fallback
}

// failedAnswer turns an NFVO ERROR answer into our ERROR reply, keeping
// the NFVO's VNFR (it has ids) when there is one.
func failedAnswer(ans, vnfr Obj, what string) Obj {
	m := Str(ans, "message")
	if m == "" {
		m = Str(Sub(ans, "exception"), "detailMessage")
	}
	if m == "" {
		m = what
	}
	return failed(orRecord(ans, vnfr), fmt.Errorf("%s: %s", what, m))
}
