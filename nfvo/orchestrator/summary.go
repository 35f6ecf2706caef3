package orchestrator

import (
	"context"
	"encoding/json"
	"fmt"
)

// Summary is an NSR as the NFVO's REST API lists it: id, name, status,
// and each VNFR's status by VNFD name.
type Summary struct {
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	Status string            `json:"status"`
	VNFRs  map[string]string `json:"vnfrs"`
	Errors []string          `json:"errors,omitempty"`
}

// Summaries lists the NSRs, by id.
func (o *Orchestrator) Summaries() []Summary {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := []Summary{}
	for _, id := range sortedKeys(o.nsrs) {
		n := o.nsrs[id]
		s := Summary{ID: n.ID, Name: n.Name, Status: n.Status, VNFRs: map[string]string{}, Errors: append([]string(nil), n.errors...)}
		for k, v := range n.status {
			s.VNFRs[k] = v
		}
		out = append(out, s)
	}
	return out
}

// CallVIM calls a VIM driver method on a registered VIM instance, as the
// NFVO does (the VIM instance first): listServer from the CLI of the
// stand-in daemon.
func (o *Orchestrator) CallVIM(ctx context.Context, vimName, method string, params ...any) (json.RawMessage, error) {
	vim := o.vim(vimName)
	if vim == nil {
		return nil, fmt.Errorf("VIM %q is not registered", vimName)
	}
	return o.call(ctx, vim, method, params...)
}
