package orchestrator

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
