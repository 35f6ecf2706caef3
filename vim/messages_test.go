package vim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// repeatedPrefix reports the first place where a segment of msg (split at
// ": ") repeats the leading word of the segment before it, as in
// "start "h": start container …" or "pull x: cannot pull image x". Docker's
// own text, from "Error response from daemon" on, is not ours to judge.
func repeatedPrefix(msg string) string {
	msg, _, _ = strings.Cut(msg, "Error response from daemon")
	segs := strings.Split(msg, ": ")
	for i := 0; i+1 < len(segs); i++ {
		f := strings.Fields(segs[i])
		if len(f) == 0 {
			continue
		}
		verb := strings.ToLower(f[0])
		for _, w := range strings.Fields(strings.ToLower(segs[i+1])) {
			if w == verb {
				return segs[i] + ": " + segs[i+1]
			}
		}
	}
	return ""
}

func TestRepeatedPrefix(t *testing.T) {
	for msg, want := range map[string]bool{
		`launchInstanceAndWait h: start "h": start container 1a2b: boom`:                              true,
		`addImage v: pull x: cannot pull image "x" from registry r: no`:                               true,
		`launchInstanceAndWait h: start "h": Docker container 1a2b: boom`:                             false,
		`startServer h: start "h": Docker container 1a2b: boom`:                                       false,
		`deleteNetwork: network "private" is the Pop's default network`:                               false,
		`launchInstanceAndWait h2: create "h2": IP 10.0.0.1 is already taken`:                         false,
		`parameter 1 (network): expected a JSON object, got a string`:                                 false,
		`createNetwork "x" on v: create network "x": subnet 10.0.0.0/24: Error`:                       false,
		`start "h": Docker container 1a: Error response from daemon: failed to create: create failed`: false,
	} {
		if got := repeatedPrefix(msg) != ""; got != want {
			t.Errorf("%q: repeated %v, want %v", msg, got, want)
		}
	}
}

// TestNoRepeatedPrefixes drives the failures an operator meets on a real
// dockerd (a container that cannot start, at launch, startServer and
// rebuildServer; an image that cannot be pulled) and checks that no layer
// repeats the one above it ("start: start …"). Subnets: 10.204.253.0/24,
// 10.204.254.0/24.
func TestNoRepeatedPrefixes(t *testing.T) {
	if testing.Short() {
		t.Skip("real dockerd")
	}
	_, popName, open := realDockerPop(t, "10.204.253.0/24", "10.204.254.0/24")
	// A sysctl the kernel does not have: allowed here, refused by runc at
	// start, after the Docker container was created.
	d := New(Config{Open: open, AllowedSysctls: []string{"net.obdocker.nothing"}}, testLogger(t))
	t.Cleanup(func() { d.Close() })
	vimJSON := json.RawMessage(fmt.Sprintf(`{"type":"docker","name":"real","authUrl":%q,"id":"r1","hbVersion":0}`, testenv.DockerHost()))
	fails := func(what, method string, ps ...any) {
		t.Helper()
		ans, err := call(t, d, method, params(t, append([]any{vimJSON}, ps...)...))
		if err == nil {
			t.Fatalf("%s: answered %s, want an exception", what, ans)
		}
		t.Logf("%s: %v", what, err)
		if r := repeatedPrefix(err.Error()); r != "" {
			t.Errorf("%s: repeated prefix %q in %q", what, r, err)
		}
	}
	bad := "#obdocker:sysctl=net.obdocker.nothing=1\n"
	fails("launch", "launchInstanceAndWait", "l-"+popName, testenv.BusyboxImage, "", "", []VNFDConnectionPoint{}, []string{}, bad, map[string]string{}, []Key{})

	host := "s-" + popName
	if _, err := call(t, d, "launchInstanceAndWait", params(t, vimJSON, host, testenv.BusyboxImage, "", "", []VNFDConnectionPoint{}, []string{},
		"#obdocker:start=deferred\n"+bad, map[string]string{}, []Key{})); err != nil {
		t.Fatal(err)
	}
	fails("startServer", "startServer", host)
	fails("rebuildServer", "rebuildServer", host, testenv.BusyboxImage)
	fails("addImage", "addImage", map[string]any{"name": "x"}, "obdocker.invalid/nothing:1")
}
