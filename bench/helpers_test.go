package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

	"github.com/openbaton-docker/obdocker/bench"
	"github.com/openbaton-docker/obdocker/bench/rig"
	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// The benchmarks use 10.207.64.0/18 only; each rig its own subnets.

// record reports a figure to `go test` and to the results file.
func record(b *testing.B, r bench.Result) {
	b.Helper()
	b.ReportMetric(r.Value, strings.NewReplacer(" ", "-", "(", "", ")", "", "\t", "-").Replace(r.Unit+"-"+r.Figure))
	if err := bench.Record(r); err != nil {
		b.Error(err)
	}
	met := ""
	if r.Met != nil {
		met = map[bool]string{true: " (met)", false: " (MISSED)"}[*r.Met]
	}
	b.Logf("%s: %.3f %s target %s%s; %s", r.Figure, r.Value, r.Unit, r.Target, met, r.Note)
}

func callCtx(b testing.TB) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Minute)
}

type server struct {
	ExtID  string              `json:"extId"`
	Name   string              `json:"hostName"`
	Status string              `json:"status"`
	Ext    string              `json:"extendedStatus"`
	IPs    map[string][]string `json:"ips"`
}

// launch calls launchInstanceAndWait (the NFVO's 10 parameters) on the
// default network.
func launch(ctx context.Context, r *rig.Rig, c *rig.Caller, name string) (server, error) {
	ans, err := c.Call(ctx, "launchInstanceAndWait", r.VIM(), name, testenv.BusyboxImage, "", "", []any{}, []any{}, "", map[string]any{}, []any{})
	if err != nil {
		return server{}, err
	}
	var s server
	return s, json.Unmarshal(ans, &s)
}

// create calls launchInstance: the container is only recorded (CREATED).
func create(ctx context.Context, r *rig.Rig, c *rig.Caller, name string) (server, error) {
	ans, err := c.Call(ctx, "launchInstance", r.VIM(), name, testenv.BusyboxImage, "", "", []any{}, []any{}, "")
	if err != nil {
		return server{}, err
	}
	var s server
	return s, json.Unmarshal(ans, &s)
}

func remove(ctx context.Context, r *rig.Rig, c *rig.Caller, extID string) error {
	_, err := c.Call(ctx, "deleteServerByIdAndWait", r.VIM(), extID)
	return err
}

// createMany records n containers with `par` callers.
func createMany(b *testing.B, r *rig.Rig, c *rig.Caller, prefix string, n, par int) []server {
	b.Helper()
	out := make([]server, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, par)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := callCtx(b)
			defer cancel()
			s, err := create(ctx, r, c, fmt.Sprintf("%s%04d-%s", prefix, i, r.PopName))
			if err != nil {
				errs <- err
				return
			}
			out[i] = s
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return out
}

// rawLaunch is the same container through the raw Docker API: create on
// the Pop's default network with a fixed IP (as the core gives one),
// start, inspect.
func rawLaunch(ctx context.Context, r *rig.Rig, netID, name, ip string) (string, error) {
	cr, err := r.Docker.ContainerCreate(ctx, &container.Config{Image: testenv.BusyboxImage, Hostname: name},
		&container.HostConfig{}, &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			netID: {IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: ip}}}}, nil, name)
	if err != nil {
		return "", err
	}
	if err := r.Docker.ContainerStart(ctx, cr.ID, container.StartOptions{}); err != nil {
		return cr.ID, err
	}
	_, err = r.Docker.ContainerInspect(ctx, cr.ID)
	return cr.ID, err
}

// rawStopRemove is what a delete of a running container costs through the
// raw API: stop (SIGTERM, the same 10 s grace as the plugin's default
// deadline allows), then remove.
func rawStopRemove(ctx context.Context, r *rig.Rig, id string) error {
	if err := r.Docker.ContainerStop(ctx, id, container.StopOptions{}); err != nil {
		return err
	}
	return r.Docker.ContainerRemove(ctx, id, container.RemoveOptions{})
}

func rawRemove(r *rig.Rig, id string) {
	_ = r.Docker.ContainerRemove(context.Background(), id, container.RemoveOptions{Force: true})
}

// defaultNet is the ID and subnet of the rig's default network (it exists
// once the Pop is open: make one call first).
func defaultNet(b *testing.B, r *rig.Rig) (string, netip.Prefix) {
	b.Helper()
	n, err := r.Docker.NetworkInspect(context.Background(), r.DefaultNetwork, network.InspectOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if len(n.IPAM.Config) == 0 {
		b.Fatalf("network %s has no IPAM config", r.DefaultNetwork)
	}
	return n.ID, netip.MustParsePrefix(n.IPAM.Config[0].Subnet)
}

// nthIP is the n-th address of p.
func nthIP(p netip.Prefix, n int) string {
	a := p.Addr()
	for range n {
		a = a.Next()
	}
	return a.String()
}

func newCaller(b *testing.B, r *rig.Rig) *rig.Caller {
	b.Helper()
	c, err := r.NewCaller(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return c
}
