package popd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/client"
	"github.com/openbaton-docker/obdocker/pop/poptest"
	"github.com/openbaton-docker/obdocker/pop/server"
)

// startPopd runs docker-popd on the real engine from a file holding this
// test's Pop, one user (op/pw) and the given extra top-level keys, and
// gives a logged-in client.
func startPopd(t *testing.T, extra string) *client.Client {
	t.Helper()
	testenv.Docker(t)
	pcfg, _ := poptest.CoreConfig(t, blocks)
	poptest.RemoveDockerObjects(t, pcfg.PopName)
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "popd.toml")
	text := fmt.Sprintf("PopName = %q\nDockerHost = %q\nDefaultNetwork = %q\nDefaultSubnet = %q\nNetworkPool = %q\nStorePath = \"popd.db\"\n%s\n[Users.op]\nHashedPassword = %q\n",
		pcfg.PopName, testenv.DockerHost(), pcfg.DefaultNetwork, pcfg.DefaultSubnet, pcfg.NetworkPool, extra, hash)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	env, _, _ := testEnv(nil, "")
	srvc := make(chan *server.Server, 1)
	env.OnServe = func(s *server.Server) { srvc <- s }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, []string{"-cfg", path, "-addr", "127.0.0.1:0"}, env) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("docker-popd: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("docker-popd did not stop")
		}
	})
	var srv *server.Server
	select {
	case srv = <-srvc:
	case err := <-done:
		done <- nil // the cleanup's wait
		t.Fatalf("docker-popd: %v", err)
	}
	select {
	case <-srv.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("docker-popd not ready")
	}
	c, err := client.Dial(t.Context(), client.Options{Addr: srv.Addr().String(), User: "op", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestPopdHostPolicy: whoever holds docker-popd credentials (a pop:// VIM
// instance's dockerKey) must not get the host through Create: bind mounts,
// published ports, capabilities and sysctls pass docker-popd's own
// allowlists (none by default), and a refusal names the value and the
// setting and creates nothing. What the lists allow works on the engine.
func TestPopdHostPolicy(t *testing.T) {
	root := pop.BindMount{Source: "/", Target: "/host"}
	t.Run("default", func(t *testing.T) {
		c := startPopd(t, "")
		for _, tc := range []struct {
			cfg  pop.ContainerConfig
			want string
		}{
			{pop.ContainerConfig{HostOptions: pop.HostOptions{Mounts: []pop.BindMount{root}}}, "bind mount /:/host: host path / is not under a bind-mount prefix the operator allows (allowed: none), set by AllowedBindPrefixes"},
			{pop.ContainerConfig{CapAdd: []string{"SYS_ADMIN"}}, "capability SYS_ADMIN is not allowed by the operator (allowed: none), set by AllowedCaps"},
		} {
			tc.cfg.Name, tc.cfg.Image = testenv.Name(t), poptest.Image
			if _, err := c.Create(t.Context(), tc.cfg); !errors.Is(err, pop.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		}
		if cs, err := c.Containers(t.Context(), pop.Filter{}); err != nil || len(cs) != 0 {
			t.Errorf("refused creates left %d containers (%v)", len(cs), err)
		}
	})

	t.Run("allowlists", func(t *testing.T) {
		ro, scratch := t.TempDir(), t.TempDir()
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		port := strconv.Itoa(p)
		c := startPopd(t, fmt.Sprintf("AllowedBindPrefixes = [%q, %q]\nAllowedPublishPorts = [%q]\nAllowedCaps = [\"NET_ADMIN\"]\nAllowedSysctls = [\"net.ipv4.*\"]\n",
			ro, scratch+":rw", port))
		for _, tc := range []struct {
			cfg  pop.ContainerConfig
			want string
		}{
			{pop.ContainerConfig{HostOptions: pop.HostOptions{Mounts: []pop.BindMount{root}}}, "bind mount /:/host: host path / is not under a bind-mount prefix the operator allows (allowed: " + ro + ", " + scratch + ":rw), set by AllowedBindPrefixes"},
			{pop.ContainerConfig{HostOptions: pop.HostOptions{Mounts: []pop.BindMount{{Source: ro, Target: "/d"}}}}, "bind mount " + ro + ":/d: host path " + ro + " is under the read-only bind-mount prefix " + ro + ", so it is mounted read-only"},
			{pop.ContainerConfig{HostOptions: pop.HostOptions{Mounts: []pop.BindMount{{Source: scratch + "/evil", Target: "/h", ReadOnly: true}}}}, "lies below the writable bind-mount prefix " + scratch + ":rw"},
			{pop.ContainerConfig{HostOptions: pop.HostOptions{Ports: []pop.PortBinding{{HostIP: "127.0.0.1", HostPort: 22, ContainerPort: 22}}}}, "published port 127.0.0.1:22:22: host port 22 is not in a port range the operator allows (allowed: " + port + "), set by AllowedPublishPorts"},
			{pop.ContainerConfig{CapAdd: []string{"SYS_ADMIN"}}, "capability SYS_ADMIN is not allowed by the operator (allowed: NET_ADMIN), set by AllowedCaps"},
			{pop.ContainerConfig{Sysctls: map[string]string{"kernel.shm_rmid_forced": "1"}}, "sysctl kernel.shm_rmid_forced is not allowed by the operator (allowed: net.ipv4.*), set by AllowedSysctls"},
		} {
			tc.cfg.Name, tc.cfg.Image = testenv.Name(t), poptest.Image
			if _, err := c.Create(t.Context(), tc.cfg); !errors.Is(err, pop.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant %q", err, tc.want)
			}
		}
		if cs, err := c.Containers(t.Context(), pop.Filter{}); err != nil || len(cs) != 0 {
			t.Errorf("refused creates left %d containers (%v)", len(cs), err)
		}

		host := pop.HostOptions{
			Ports:  []pop.PortBinding{{HostIP: "127.0.0.1", HostPort: p, ContainerPort: 80}},
			Mounts: []pop.BindMount{{Source: ro, Target: "/ro", ReadOnly: true}, {Source: scratch, Target: "/scratch"}},
		}
		ct, err := c.Create(t.Context(), pop.ContainerConfig{Name: testenv.Name(t), Image: poptest.Image, HostOptions: host,
			CapAdd: []string{"CAP_NET_ADMIN"}, Sysctls: map[string]string{"net.ipv4.ip_forward": "1"}})
		if err != nil {
			t.Fatalf("allowed create: %v", err)
		}
		st, err := c.Start(t.Context(), pop.ByID(ct.ID))
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		raw := testenv.Docker(t)
		in, err := raw.ContainerInspect(t.Context(), st.DockerID)
		if err != nil {
			t.Fatal(err)
		}
		modes := map[string]bool{}
		for _, m := range in.Mounts {
			modes[m.Source+":"+m.Destination] = m.RW
		}
		if rw, ok := modes[ro+":/ro"]; !ok || rw {
			t.Errorf("mounts %+v: want %s read-only", in.Mounts, ro)
		}
		if rw, ok := modes[scratch+":/scratch"]; !ok || !rw {
			t.Errorf("mounts %+v: want %s writable", in.Mounts, scratch)
		}
		if err := c.Delete(t.Context(), pop.ByID(ct.ID)); err != nil {
			t.Fatal(err)
		}
	})
}
