package vim

import (
	"errors"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/nfvimages"
	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
)

// requireServerIP makes the fake's busybox image declare SERVER_IP required.
func requireServerIP(fp *fakePop) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	fp.images[0].Labels = map[string]string{nfvimages.LabelRequired: "SERVER_IP"}
}

// TestLaunchRefusedBeforeStartIsRetryable (issue 12 item 1): a launch
// refused before anything ran (a required variable missing) leaves no
// record and no reserved IP, its exception carries no server, and the
// retry with corrected userdata runs with the new environment.
func TestLaunchRefusedBeforeStartIsRetryable(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	requireServerIP(fp)
	cps := []VNFDConnectionPoint{{VirtualLinkReference: "private", FixedIP: "10.204.0.50"}}

	_, err := launch10(t, d, "needy", busyboxID, cps, "export PORT=7\n")
	if err == nil || !strings.Contains(err.Error(), "SERVER_IP") {
		t.Fatalf("launch without SERVER_IP: %v", err)
	}
	var se *plugin.ServerError
	if errors.As(err, &se) {
		t.Errorf("the exception carries a server: %+v", se.Server)
	}
	if names := fp.containerNames(); len(names) != 0 {
		t.Errorf("records left after the refusal: %v", names)
	}
	// The fixed IP is free again: another server may take it.
	other, err := launch10(t, d, "other", "nginx:latest", cps, "")
	if err != nil {
		t.Fatalf("the refused launch kept 10.204.0.50: %v", err)
	}
	mustCall(t, d, "deleteServerByIdAndWait", decodeMap(t, other)["extId"])

	ans, err := launch10(t, d, "needy", busyboxID, cps, "export PORT=7\nexport SERVER_IP=10.204.0.9\n")
	if err != nil {
		t.Fatalf("retry with SERVER_IP: %v", err)
	}
	if m := checkServer(t, ans); m["status"] != StatusActive {
		t.Fatalf("retry: %s", ans)
	}
	cs, _ := fp.Containers(t.Context(), pop.ByName("needy"))
	if cs[0].Env["SERVER_IP"] != "10.204.0.9" || cs[0].Endpoints[0].IPv4 != "10.204.0.50" {
		t.Errorf("retry ran with env %v endpoints %+v", cs[0].Env, cs[0].Endpoints)
	}

	// The NFVO releases a VNFC it could not find as "unknown": a no-op.
	if ans := mustCall(t, d, "deleteServerByIdAndWait", "unknown"); string(ans) != "true" {
		t.Errorf(`deleteServerByIdAndWait("unknown") = %s`, ans)
	}
}

// TestStartServerRefusalKeepsRecord (issue 12 item 1): a startServer
// refused for missing variables keeps the record, CREATED, and carries it:
// the VNFM sets the metadata and starts again.
func TestStartServerRefusalKeepsRecord(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	requireServerIP(fp)
	ans, err := launch10(t, d, "two-phase", busyboxID, nil, "#obdocker:start=deferred\n")
	if err != nil {
		t.Fatal(err)
	}
	id := decodeMap(t, ans)["extId"].(string)
	err = callErr(t, d, "startServer", id)
	var se *plugin.ServerError
	if err == nil || !errors.As(err, &se) || se.Server == nil {
		t.Fatalf("startServer without SERVER_IP: %v (a server must come with it)", err)
	}
	if names := fp.containerNames(); len(names) != 1 || names[0] != "two-phase=CREATED" {
		t.Fatalf("records %v", names)
	}
	mustCall(t, d, "setMetadata", id, map[string]string{"SERVER_IP": "10.0.0.1"})
	if m := checkServer(t, mustCall(t, d, "startServer", id)); m["status"] != StatusActive {
		t.Errorf("start after metadata: %v", m)
	}
}

// TestLaunchStartFailureKeepsRecord (issue 12 item 1, part two): a launch
// whose container failed to start keeps its record FAILED and carries it.
func TestLaunchStartFailureKeepsRecord(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	fp.startErr["broken"] = errors.New("exec: no entrypoint")
	_, err := launch10(t, d, "broken", busyboxID, nil, "")
	var se *plugin.ServerError
	if !errors.As(err, &se) || se.Server == nil {
		t.Fatalf("err %v: no server", err)
	}
	if names := fp.containerNames(); len(names) != 1 || names[0] != "broken=FAILED" {
		t.Fatalf("records %v", names)
	}
}

// TestRelaunchSameRequestAnswersExisting (issue 12 item 2): the same
// request answers the existing container, RUNNING or CREATED.
func TestRelaunchSameRequestAnswersExisting(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	cps := []VNFDConnectionPoint{{VirtualLinkReference: "private", FixedIP: "10.204.0.60"}}
	ud := "export A=1\n#obdocker:flavour=m1.small\n"
	first, err := launch10(t, d, "same", busyboxID, cps, ud)
	if err != nil {
		t.Fatal(err)
	}
	// Metadata set later is not a launch input. (The fake allows it only
	// while CREATED, so set it on a deferred one below.)
	again, err := launch10(t, d, "same", "obdocker-test/busybox:latest", cps, ud)
	if err != nil {
		t.Fatalf("same request by tag: %v", err)
	}
	if decodeMap(t, first)["extId"] != decodeMap(t, again)["extId"] || fp.creates != 1 {
		t.Errorf("not answered from the existing container (creates %d)", fp.creates)
	}

	def, err := launch10(t, d, "later", busyboxID, nil, "export A=1\n#obdocker:start=deferred\n")
	if err != nil {
		t.Fatal(err)
	}
	id := decodeMap(t, def)["extId"].(string)
	mustCall(t, d, "setMetadata", id, map[string]string{"PEER": "x"})
	again, err = launch10(t, d, "later", busyboxID, nil, "export A=1\n#obdocker:start=deferred\n")
	if err != nil || decodeMap(t, again)["extId"] != id {
		t.Fatalf("same deferred request after metadata: %s %v", again, err)
	}
}

// TestRelaunchDifferentRequest (issue 12 item 2): a different request
// replaces a FAILED or never started container and is refused, naming the
// differences, while the container runs or has run.
func TestRelaunchDifferentRequest(t *testing.T) {
	tests := []struct {
		doc     string
		prepare func(t *testing.T, d *Driver, fp *fakePop, host string) // leaves host in some state
		second  func(t *testing.T, d *Driver, host string) ([]byte, error)
		replace bool
		want    []string // in the refusal
	}{
		{
			doc: "running, other env",
			prepare: func(t *testing.T, d *Driver, fp *fakePop, host string) {
				mustLaunch(t, d, host, busyboxID, nil, "export A=1\n")
			},
			second: func(t *testing.T, d *Driver, host string) ([]byte, error) {
				return launch10(t, d, host, busyboxID, nil, "export A=2\n")
			},
			want: []string{"is in use by a container of image obdocker-test/busybox:latest", "env (A)", "delete it first"},
		},
		{
			doc: "running, other image",
			prepare: func(t *testing.T, d *Driver, fp *fakePop, host string) {
				mustLaunch(t, d, host, busyboxID, nil, "")
			},
			second: func(t *testing.T, d *Driver, host string) ([]byte, error) {
				return launch10(t, d, host, "nginx:1.25", nil, "")
			},
			want: []string{"image obdocker-test/busybox:latest", "this launch: nginx:1.25", "delete it first"},
		},
		{
			doc: "running, other fixed IP",
			prepare: func(t *testing.T, d *Driver, fp *fakePop, host string) {
				mustLaunch(t, d, host, busyboxID, []VNFDConnectionPoint{{VirtualLinkReference: "private", FixedIP: "10.204.0.70"}}, "")
			},
			second: func(t *testing.T, d *Driver, host string) ([]byte, error) {
				return launch10(t, d, host, busyboxID, []VNFDConnectionPoint{{VirtualLinkReference: "private", FixedIP: "10.204.0.71"}}, "")
			},
			want: []string{"10.204.0.70", "10.204.0.71"},
		},
		{
			doc: "running, other networks",
			prepare: func(t *testing.T, d *Driver, fp *fakePop, host string) {
				mustLaunch(t, d, host, busyboxID, []VNFDConnectionPoint{cp("private", "", 0)}, "")
			},
			second: func(t *testing.T, d *Driver, host string) ([]byte, error) {
				return launch10(t, d, host, busyboxID, []VNFDConnectionPoint{cp("private", "", 0), cp("host-net", "", 1)}, "")
			},
			want: []string{"networks"},
		},
		{
			doc: "running, other flavour and capabilities",
			prepare: func(t *testing.T, d *Driver, fp *fakePop, host string) {
				mustLaunch(t, d, host, busyboxID, nil, "#obdocker:flavour=m1.tiny\n")
			},
			second: func(t *testing.T, d *Driver, host string) ([]byte, error) {
				return launch10(t, d, host, busyboxID, nil, "#obdocker:flavour=m1.small\n#obdocker:cap-add=NET_ADMIN\n")
			},
			want: []string{"flavour m1.tiny", "capabilities"},
		},
		{
			doc: "exited, other env",
			prepare: func(t *testing.T, d *Driver, fp *fakePop, host string) {
				mustLaunch(t, d, host, busyboxID, nil, "export A=1\n")
				mustCall(t, d, "stopServer", host)
			},
			second: func(t *testing.T, d *Driver, host string) ([]byte, error) {
				return launch10(t, d, host, busyboxID, nil, "export A=2\n")
			},
			want: []string{"EXITED", "delete it first"},
		},
		{
			doc: "failed, other env",
			prepare: func(t *testing.T, d *Driver, fp *fakePop, host string) {
				fp.startErr[host] = errors.New("boom")
				if _, err := launch10(t, d, host, busyboxID, nil, "export A=1\n"); err == nil {
					t.Fatal("no start failure")
				}
				delete(fp.startErr, host)
			},
			second: func(t *testing.T, d *Driver, host string) ([]byte, error) {
				return launch10(t, d, host, busyboxID, nil, "export A=2\n")
			},
			replace: true,
		},
		{
			doc: "created and never started, other env",
			prepare: func(t *testing.T, d *Driver, fp *fakePop, host string) {
				mustLaunch(t, d, host, busyboxID, nil, "export A=1\n#obdocker:start=deferred\n")
			},
			second: func(t *testing.T, d *Driver, host string) ([]byte, error) {
				return launch10(t, d, host, busyboxID, nil, "export A=2\n")
			},
			replace: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			d, fp := newTestDriver(t, Config{AllowedCaps: []string{"NET_ADMIN"}})
			host := "h-" + strings.ReplaceAll(tc.doc, " ", "-")
			host = strings.NewReplacer(",", "").Replace(host)
			tc.prepare(t, d, fp, host)
			before, _ := fp.Containers(t.Context(), pop.ByName(host))
			ans, err := tc.second(t, d, host)
			after, aerr := fp.Containers(t.Context(), pop.ByName(host))
			if aerr != nil {
				t.Fatalf("container gone: %v", aerr)
			}
			if tc.replace {
				if err != nil {
					t.Fatalf("not replaced: %v", err)
				}
				m := checkServer(t, ans)
				if m["extId"] == before[0].ID || after[0].ID == before[0].ID || after[0].Env["A"] != "2" || m["status"] != StatusActive {
					t.Errorf("not replaced: answer %s, record %+v", ans, after[0])
				}
				return
			}
			if err == nil {
				t.Fatalf("a different request was answered with the existing container: %s", ans)
			}
			if !errors.Is(err, pop.ErrAlreadyExists) {
				t.Errorf("class %v", pop.Class(err))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("refusal %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "A=") || strings.Contains(err.Error(), "=2") {
				t.Errorf("refusal shows env values: %q", err)
			}
			if after[0].ID != before[0].ID || after[0].State != before[0].State {
				t.Errorf("the existing container was touched: %+v → %+v", before[0], after[0])
			}
		})
	}
}

// TestConcurrentDifferentLaunchesDoNotShare: concurrent launches of one
// hostname share an answer only when they ask for the same thing.
func TestConcurrentDifferentLaunchesDoNotShare(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	gate := make(chan struct{})
	errs := make(chan error, 2)
	go func() {
		<-gate
		_, err := launch10(t, d, "race", busyboxID, nil, "export A=1\n")
		errs <- err
	}()
	go func() {
		<-gate
		_, err := launch10(t, d, "race", busyboxID, nil, "export A=2\n")
		errs <- err
	}()
	close(gate)
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) {
		t.Fatalf("want exactly one refusal: %v / %v", e1, e2)
	}
	if fp.creates != 1 {
		t.Errorf("%d creates", fp.creates)
	}
}

// TestLaunchFixedIPTaken (issue 12 item 3): a fixed IP held by another
// container is reported as taken, not as a name race.
func TestLaunchFixedIPTaken(t *testing.T) {
	d, _ := newTestDriver(t, Config{})
	cps := []VNFDConnectionPoint{{VirtualLinkReference: "private", FixedIP: "10.204.0.80"}}
	mustLaunch(t, d, "holder", busyboxID, cps, "")
	_, err := launch10(t, d, "second", busyboxID, cps, "")
	if err == nil {
		t.Fatal("two servers on one fixed IP")
	}
	if !strings.Contains(err.Error(), "10.204.0.80") || !strings.Contains(err.Error(), "taken") || strings.Contains(err.Error(), "not found") {
		t.Errorf("error %q", err)
	}
	if !errors.Is(err, pop.ErrAlreadyExists) {
		t.Errorf("class %v", pop.Class(err))
	}
}

func mustLaunch(t *testing.T, d *Driver, host, image string, cps []VNFDConnectionPoint, ud string) []byte {
	t.Helper()
	ans, err := launch10(t, d, host, image, cps, ud)
	if err != nil {
		t.Fatalf("launch %s: %v", host, err)
	}
	return ans
}
