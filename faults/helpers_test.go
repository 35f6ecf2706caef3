package faults_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/openbaton-docker/obdocker/bench/rig"
	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvo"
)

// figure logs one outcome of a fault test in the form `make faults` and
// the report quote.
func figure(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("figure: "+format, args...)
}

func callCtx(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), 90*time.Second)
}

type server struct {
	ExtID  string              `json:"extId"`
	Name   string              `json:"hostName"`
	Status string              `json:"status"`
	Ext    string              `json:"extendedStatus"`
	IPs    map[string][]string `json:"ips"`
}

func (s server) allIPs() []string {
	var out []string
	for _, ips := range s.IPs {
		out = append(out, ips...)
	}
	sort.Strings(out)
	return out
}

func newCaller(t *testing.T, r *rig.Rig) *rig.Caller {
	t.Helper()
	c, err := r.NewCaller(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// create records a container (launchInstance: CREATED, IPs allocated) on
// the given connection points (nil: the default network).
func create(ctx context.Context, r *rig.Rig, c *rig.Caller, name string, cps []any) (server, error) {
	if cps == nil {
		cps = []any{}
	}
	return decodeServer(c.Call(ctx, "launchInstance", r.VIM(), name, testenv.BusyboxImage, "", "", cps, []any{}, ""))
}

// launch creates and starts a container (launchInstanceAndWait).
func launch(ctx context.Context, r *rig.Rig, c *rig.Caller, name string) (server, error) {
	return decodeServer(c.Call(ctx, "launchInstanceAndWait", r.VIM(), name, testenv.BusyboxImage, "", "", []any{}, []any{}, "", map[string]any{}, []any{}))
}

func decodeServer(ans json.RawMessage, err error) (server, error) {
	if err != nil {
		return server{}, err
	}
	var s server
	return s, json.Unmarshal(ans, &s)
}

func listServers(t *testing.T, r *rig.Rig, c *rig.Caller) []server {
	t.Helper()
	ctx, cancel := callCtx(t)
	defer cancel()
	ans, err := c.Call(ctx, "listServer", r.VIM())
	if err != nil {
		t.Fatalf("listServer: %v", err)
	}
	var ss []server
	if err := json.Unmarshal(ans, &ss); err != nil {
		t.Fatal(err)
	}
	return ss
}

// parallel runs fn(i) for i < n with at most par at once and collects
// the errors by index.
func parallel(n, par int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, par)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errs
}

func firstErr(errs []error) (int, error) {
	n := 0
	var first error
	for _, e := range errs {
		if e != nil {
			n++
			if first == nil {
				first = e
			}
		}
	}
	return n, first
}

// checkTruth compares the plugin's listServer with Docker: every Docker
// container of the Pop is listed once (no leak, no duplicate), every
// listed container that Docker runs is ACTIVE and every ACTIVE one runs,
// and no IP is given twice. It returns the servers.
func checkTruth(t *testing.T, r *rig.Rig, c *rig.Caller) []server {
	t.Helper()
	ss := listServers(t, r, c)
	byName := map[string]server{}
	ipOwner := map[string]string{}
	for _, s := range ss {
		if _, dup := byName[s.Name]; dup {
			t.Errorf("listServer has %s twice", s.Name)
		}
		byName[s.Name] = s
		for _, ip := range s.allIPs() {
			if o, dup := ipOwner[ip]; dup {
				t.Errorf("IP %s given to %s and %s", ip, o, s.Name)
			}
			ipOwner[ip] = s.Name
		}
	}
	cs, err := r.Containers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	running := map[string]bool{}
	seen := map[string]int{}
	for _, ct := range cs {
		name := strings.TrimPrefix(ct.Names[0], "/")
		seen[name]++
		if seen[name] > 1 {
			t.Errorf("Docker has %d containers named %s", seen[name], name)
		}
		if _, ok := byName[name]; !ok {
			t.Errorf("Docker container %s (%s) is not in listServer: leaked", name, ct.State)
			continue
		}
		if ct.State == container.StateRunning {
			running[name] = true
		}
	}
	for _, s := range ss {
		if (s.Status == "ACTIVE") != running[s.Name] {
			t.Errorf("%s: listServer says %s/%s, Docker running=%v", s.Name, s.Status, s.Ext, running[s.Name])
		}
	}
	return ss
}

// isExhausted tells an exhaustion exception (pop.ErrExhausted's message).
func isExhausted(err error) bool {
	var e *nfvo.Exception
	return errors.As(err, &e) && strings.Contains(e.DetailMessage, "no free address")
}

func vl(name, extID string, iface int) map[string]any {
	return map[string]any{"virtual_link_reference": name, "virtual_link_reference_id": extID, "interfaceId": iface}
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

var _ = fmt.Sprintf

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func errorsAs(err error, target any) bool { return errors.As(err, target) }
