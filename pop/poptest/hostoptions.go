package poptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
)

// testHostOptions: command, hostname, DNS, a published port, an exposed
// port, a bind mount and network aliases are recorded (and so cross the
// wire both ways) and take effect on the engine: the port answers on
// 127.0.0.1 with a file from the mounted directory, the container's
// resolver forwards to the DNS server given, its hostname is the one
// asked for while its name stays, and another container on the network
// resolves the alias to it.
func testHostOptions(t *testing.T, tg Target) {
	p := tg.Pop
	raw := testenv.Docker(t)
	// Not the default network: it is internal, and Docker publishes no
	// port through an internal network. The Pop picks a free /24 of its
	// pool.
	nw := get(p.CreateNetwork(ctxFor(t, 20*time.Second), pop.NetworkConfig{Name: name(t) + "-pub"})).ok(t, "create network")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.DeleteNetwork(ctx, pop.ByID(nw.ID)); err != nil && !errors.Is(err, pop.ErrNotFound) {
			t.Errorf("cleanup: delete network %s: %v", nw.Name, err)
		}
	})

	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := "hello from " + name(t)
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	alias := "svc-" + strconv.Itoa(port)
	host := pop.HostOptions{
		Cmd:      []string{"ignored-by-run.sh", "x"},
		Hostname: "vnf-host",
		DNS:      []string{nw.Gateway},
		Ports:    []pop.PortBinding{{HostIP: "127.0.0.1", HostPort: port, ContainerPort: 80}},
		Expose:   []string{"53/udp"},
		Mounts:   []pop.BindMount{{Source: dir, Target: "/www", ReadOnly: true}},
	}
	n := name(t)
	c := create(t, p, pop.ContainerConfig{Name: n, HostOptions: host,
		Endpoints: []pop.EndpointConfig{{Network: nw.Name, Aliases: []string{alias, alias + ".net"}}}})
	check := func(what string, c pop.Container) {
		t.Helper()
		if !reflect.DeepEqual(c.HostOptions, host) || len(c.Endpoints) != 1 ||
			!reflect.DeepEqual(c.Endpoints[0].Aliases, []string{alias, alias + ".net"}) || c.Name != n {
			t.Fatalf("%s: host options %+v, endpoints %+v; want %+v", what, c.HostOptions, c.Endpoints, host)
		}
	}
	check("created", c)
	check("listed", one(t, p, pop.ByID(c.ID)))
	r := get(p.Start(ctxFor(t, 30*time.Second), pop.ByID(c.ID))).ok(t, "start")
	check("started", r)

	ins, err := raw.ContainerInspect(t.Context(), r.DockerID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ins.Config.Cmd, " ") != "ignored-by-run.sh x" || ins.Config.Hostname != "vnf-host" || ins.Name != "/"+n {
		t.Errorf("docker: cmd %q, hostname %q, name %q", ins.Config.Cmd, ins.Config.Hostname, ins.Name)
	}
	if _, ok := ins.Config.ExposedPorts["53/udp"]; !ok {
		t.Errorf("docker: exposed ports %v", ins.Config.ExposedPorts)
	}
	if got := strings.TrimSpace(execOut(t, raw, r.DockerID, "/bin/busybox", "hostname")); got != "vnf-host" {
		t.Errorf("hostname in the container: %q", got)
	}

	// Published port + bind mount: httpd serves the mounted directory.
	execOut(t, raw, r.DockerID, "/bin/busybox", "httpd", "-p", "80", "-h", "/www")
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/index.html"
	var got string
	for deadline := time.Now().Add(wait); ; {
		got, err = httpGet(t, url)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil || got != body {
		t.Fatalf("GET %s: %q, %v; want %q", url, got, err, body)
	}

	// DNS: the engine's resolver forwards a name it does not know to the
	// server given, here a UDP listener of the test on the network's
	// gateway (a host address on the Pop's own bridge).
	pc, err := net.ListenPacket("udp4", net.JoinHostPort(nw.Gateway, "53"))
	if err != nil {
		t.Fatalf("DNS listener on %s:53: %v", nw.Gateway, err)
	}
	defer pc.Close()
	probe := "probe-" + strconv.Itoa(port) + ".invalid"
	queried := make(chan bool, 1)
	go func() {
		buf := make([]byte, 1500)
		_ = pc.SetReadDeadline(time.Now().Add(wait))
		for {
			k, _, err := pc.ReadFrom(buf)
			if err != nil {
				queried <- false
				return
			}
			if bytes.Contains(buf[:k], []byte("invalid")) && bytes.Contains(buf[:k], []byte("probe-"+strconv.Itoa(port))) {
				queried <- true
				return
			}
		}
	}()
	execOut(t, raw, r.DockerID, "/bin/busybox", "timeout", "5", "/bin/busybox", "nslookup", probe)
	if !<-queried {
		t.Errorf("no DNS query for %s reached %s:53", probe, nw.Gateway)
	}

	// Alias: another container on the network resolves it to this one.
	other := create(t, p, pop.ContainerConfig{Name: n + "-peer", Endpoints: []pop.EndpointConfig{{Network: nw.Name}}})
	o := get(p.Start(ctxFor(t, 30*time.Second), pop.ByID(other.ID))).ok(t, "start peer")
	ip := ipOn(t, r, nw.Name)
	for _, a := range []string{alias, alias + ".net"} {
		out := execOut(t, raw, o.DockerID, "/bin/busybox", "nslookup", a, "127.0.0.11")
		if !strings.Contains(out, "Address: "+ip) && !strings.Contains(out, "Address 1: "+ip) {
			t.Errorf("nslookup %s from the peer: %s (want %s)", a, out, ip)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func httpGet(t *testing.T, url string) (string, error) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("status %s", resp.Status)
	}
	return string(b), err
}

// execOut runs cmd in a container and returns its output.
func execOut(t *testing.T, raw *client.Client, id string, cmd ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ex, err := raw.ContainerExecCreate(ctx, id, container.ExecOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatalf("exec %q: %v", cmd, err)
	}
	att, err := raw.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		t.Fatalf("exec %q: %v", cmd, err)
	}
	defer att.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, att.Reader); err != nil {
		t.Fatalf("exec %q: read: %v", cmd, err)
	}
	return out.String()
}
