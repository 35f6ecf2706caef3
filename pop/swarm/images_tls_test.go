package swarm_test

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
	popswarm "github.com/openbaton-docker/obdocker/pop/swarm"
)

// TestDisruptiveSwarmImagesNodeEngines: Images asks the engine a node's
// label names, with a client of its own: over the socket of a unix://
// label, and over TLS with the VIM instance's material for a tcp:// one
// (a real dockerd with --tlsverify stands for the worker's engine: the
// rig's node 2 listens on a unix socket only). An image only the manager
// has (a commit on node 1) is left out; one every engine has is listed.
func TestDisruptiveSwarmImagesNodeEngines(t *testing.T) {
	s := testenv.SwarmCluster(t)
	te := testenv.TLSDocker(t)
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	u := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	popName := "swim-" + u
	b, err := docker.New(ctx, docker.Options{Host: s.ManagerHost, PopName: popName})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p, err := popswarm.Open(ctx, popswarm.Config{PopName: popName, DefaultNetwork: "swim-def-" + u,
		TLS: &docker.TLSConfig{CA: te.Certs.CA.CA.PEM, Cert: te.Certs.Client.Cert.PEM, Key: te.Certs.Client.Key.PEM}}, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { leftovers(t, s, popName) })
	defer p.DeleteNetwork(context.Background(), pop.ByName("swim-def-"+u))

	// An image of node 1 only: a commit has an ID of its own.
	cid, err := exec.CommandContext(ctx, "docker", "create", testenv.BusyboxImage, "true").Output()
	if err != nil {
		t.Fatalf("docker create: %v", err)
	}
	defer exec.Command("docker", "rm", "-f", strings.TrimSpace(string(cid))).Run()
	only1 := "obdocker-test/swarm-node1-only:" + u
	if out, err := exec.CommandContext(ctx, "docker", "commit", "--change", "LABEL obdocker-test="+u, strings.TrimSpace(string(cid)), only1).CombinedOutput(); err != nil {
		t.Fatalf("docker commit: %v: %s", err, out)
	}
	defer exec.Command("docker", "rmi", "-f", only1).Run()
	defer exec.Command("docker", "node", "update", "--label-rm", popswarm.LabelEngine, s.Node2).Run()

	for _, tc := range []struct{ name, host string }{{"unix", testenv.SwarmWorkerHost}, {"tls", te.Host}} {
		t.Run(tc.name, func(t *testing.T) {
			if out, err := exec.CommandContext(ctx, "docker", "node", "update", "--label-add", popswarm.LabelEngine+"="+tc.host, s.Node2).CombinedOutput(); err != nil {
				t.Fatalf("label node 2: %v: %s", err, out)
			}
			imgs, err := p.Images(ctx, pop.Filter{})
			if err != nil {
				t.Fatalf("images with node 2 at %s: %v", tc.host, err)
			}
			var tags []string
			for _, im := range imgs {
				tags = append(tags, im.Tags...)
			}
			if slices.Contains(tags, only1) {
				t.Errorf("images list %s, which only the manager has (node 2's engine at %s lacks it)", only1, tc.host)
			}
			if !slices.Contains(tags, testenv.BusyboxImage) {
				t.Errorf("images %v lack %s, which every engine has", tags, testenv.BusyboxImage)
			}
			if _, err := p.Images(ctx, pop.ByName(only1)); !errors.Is(err, pop.ErrNotFound) {
				t.Errorf("image %s by name: %v, want not found", only1, err)
			}
		})
	}
}

// TestSwarmImagesTLSManagerAndNode: a manager reached over TLS and a node
// labelled with a tcp:// engine (both fakes of one layer: the Docker API
// answers Images needs). The node's engine is asked over TLS with the
// VIM's material, not with the manager's transport (which spoke plain
// HTTP to it: "Client sent an HTTP request to an HTTPS server").
func TestSwarmImagesTLSManagerAndNode(t *testing.T) {
	var nodeImages atomic.Int32
	node := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		if strings.HasSuffix(r.URL.Path, "/images/json") {
			nodeImages.Add(1)
			fmt.Fprint(w, `[{"Id":"sha256:aaa","RepoTags":["both:1"]}]`)
			return
		}
		fmt.Fprint(w, "OK")
	}))
	defer node.Close()
	nodeHost := "tcp://" + strings.TrimPrefix(node.URL, "https://")
	mgr := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		w.Header().Set("Content-Type", "application/json")
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/_ping"):
			fmt.Fprint(w, "OK")
		case strings.HasSuffix(p, "/info"):
			fmt.Fprint(w, `{"Swarm":{"LocalNodeState":"active","ControlAvailable":true}}`)
		case strings.HasSuffix(p, "/networks"):
			fmt.Fprintf(w, `[{"Name":"def","Id":"n1","Driver":"overlay","Scope":"swarm","Labels":{%q:"tp"},"IPAM":{"Config":[{"Subnet":"10.209.224.0/24"}]}}]`, popswarm.LabelSwarmPop)
		case strings.HasSuffix(p, "/nodes"):
			fmt.Fprintf(w, `[{"ID":"node2","Spec":{"Labels":{%q:%q}},"Status":{"State":"ready"}}]`, popswarm.LabelEngine, nodeHost)
		case strings.HasSuffix(p, "/images/json"):
			fmt.Fprint(w, `[{"Id":"sha256:aaa","RepoTags":["both:1"]},{"Id":"sha256:bbb","RepoTags":["mgr-only:1"]}]`)
		default:
			t.Errorf("manager: unexpected %s %s", r.Method, p)
			fmt.Fprint(w, `[]`)
		}
	}))
	defer mgr.Close()
	// Both fakes serve httptest's one self-signed certificate.
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: mgr.Certificate().Raw})
	tlsCfg := &docker.TLSConfig{CA: ca}
	ctx := t.Context()
	b, err := docker.New(ctx, docker.Options{Host: "tcp://" + strings.TrimPrefix(mgr.URL, "https://"), PopName: "tp", TLS: tlsCfg})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p, err := popswarm.Open(ctx, popswarm.Config{PopName: "tp", DefaultNetwork: "def", TLS: tlsCfg}, b)
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := p.Images(ctx, pop.Filter{})
	if err != nil {
		t.Fatalf("images with a TLS node labelled %s: %v", nodeHost, err)
	}
	if nodeImages.Load() == 0 || len(imgs) != 1 || !slices.Equal(imgs[0].Tags, []string{"both:1"}) {
		t.Errorf("images %+v (the node's engine listed its images %d times), want both:1 only", imgs, nodeImages.Load())
	}
}
