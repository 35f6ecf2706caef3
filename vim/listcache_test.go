package vim

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/plugin"
)

// TestListServerAnswerCache: over an in-process Pop, a listServer that
// follows no change answers the bytes of the last one (no listing, no
// encoding); any change of a record (a launch, a start, a delete) or of
// the image list makes the next call list again, and its answer shows the
// change. Subnets 10.204.60.0/23.
func TestListServerAnswerCache(t *testing.T) {
	if testing.Short() {
		t.Skip("real dockerd")
	}
	_, _, open := realDockerPop(t, "10.204.60.0/24", "10.204.61.0/24")
	d := New(Config{Open: open}, testLogger(t))
	t.Cleanup(func() { d.Close() })
	vimJSON := json.RawMessage(fmt.Sprintf(`{"type":"docker","name":"cache","authUrl":%q,"id":"c1","hbVersion":0}`, testenv.DockerHost()))
	list := func() plugin.Encoded {
		t.Helper()
		ans, err := d.listServer(t.Context(), params(t, vimJSON))
		if err != nil {
			t.Fatal(err)
		}
		return ans.(plugin.Encoded)
	}
	servers := func(enc plugin.Encoded) map[string]string {
		t.Helper()
		var ss []Server
		if err := json.Unmarshal(enc, &ss); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, s := range ss {
			out[s.Name] = s.Status
		}
		return out
	}
	same := func(a, b plugin.Encoded) bool { return unsafe.SliceData(a) == unsafe.SliceData(b) }
	do := func(name string, ps ...any) json.RawMessage {
		t.Helper()
		ans, err := call(t, d, name, params(t, append([]any{vimJSON}, ps...)...))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return ans
	}

	a := list()
	if got := servers(a); len(got) != 0 {
		t.Fatalf("servers at start: %v", got)
	}
	var s1 Server
	if err := json.Unmarshal(do("launchInstance", "lc-one", testenv.BusyboxImage, "", "", []any{}, []any{}, ""), &s1); err != nil {
		t.Fatal(err)
	}
	b := list()
	if same(a, b) || servers(b)["lc-one"] != "BUILD" {
		t.Fatalf("after a create: %s (cached: %v)", b, same(a, b))
	}
	if c := list(); !same(b, c) {
		t.Errorf("an unchanged listing was listed and encoded again")
	}
	do("launchInstanceAndWait", "lc-two", testenv.BusyboxImage, "", "", []any{}, []any{}, "", map[string]any{}, []any{})
	c := list()
	if got := servers(c); got["lc-two"] != "ACTIVE" || got["lc-one"] != "BUILD" {
		t.Fatalf("after a launch: %v", got)
	}
	// Past the image cache's TTL, the engine's image list is read again;
	// unchanged, it keeps the answer.
	time.Sleep(imageCacheTTL + 100*time.Millisecond)
	if again := list(); !same(c, again) {
		t.Errorf("an unchanged image list read again after %v made the listing be encoded again", imageCacheTTL)
	}
	// The image list is part of the key: a new one (after this driver
	// changed images) lists again, to the same servers.
	tg, err := d.target(t.Context(), params(t, vimJSON))
	if err != nil {
		t.Fatal(err)
	}
	d.images.forget(tg)
	if e := list(); same(c, e) || len(servers(e)) != 2 {
		t.Errorf("a new image list answered the cached listing (%v) or lost servers: %s", same(c, e), e)
	}
	do("deleteServerByIdAndWait", s1.ExtID)
	if got := servers(list()); len(got) != 1 || got["lc-two"] != "ACTIVE" {
		t.Fatalf("after a delete: %v", got)
	}
}
