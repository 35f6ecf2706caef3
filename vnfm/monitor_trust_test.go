package vnfm

import "testing"

// TestMonitorTrustsOnlyListingsOfOurs: a VNFC missing from a listing is
// taken as deleted (scale-in) only when the listing holds another VNFC
// watched on that VIM; a listing of none of them (another driver answering
// on a prefix-matched queue while ours restarts, or a Pop that lost its
// state) is not trusted, so a later failure is still reported.
func TestMonitorTrustsOnlyListingsOfOurs(t *testing.T) {
	w := func(id, host string) *watched {
		return &watched{ref: VNFCRef{Instance: Obj{"vc_id": id, "hostname": host}}}
	}
	a, b := w("ca", "srv-1"), w("cb", "srv-2")
	items := []*watched{a, b}
	scaledIn := map[string]serverStatus{"ca": {ExtID: "ca", HostName: "srv-1", Status: "ACTIVE"}}
	if !listsAnyOf(scaledIn, items) {
		t.Error("a listing with one of ours lacks the other: a deletion, and it should be trusted")
	}
	if _, ok := lookupServer(scaledIn, b); ok {
		t.Error("srv-2 found in a listing without it")
	}
	foreign := map[string]serverStatus{"x1": {ExtID: "x1", HostName: "other", Status: "ACTIVE"}}
	if listsAnyOf(foreign, items) || listsAnyOf(map[string]serverStatus{}, items) {
		t.Error("a listing with none of ours (another driver, or an empty one) was trusted")
	}
	byHost := map[string]serverStatus{"srv-2": {HostName: "srv-2", Status: "ACTIVE"}}
	if s, ok := lookupServer(byHost, b); !ok || s.HostName != "srv-2" {
		t.Error("a server listed only by hostname was not found")
	}
}
