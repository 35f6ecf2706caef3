package faults_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/bench/rig"
	"github.com/openbaton-docker/obdocker/internal/testenv"
	popserver "github.com/openbaton-docker/obdocker/pop/server"
)

var (
	popdOnce sync.Once
	popdBin  string
	popdErr  error
)

func popdBinary(t *testing.T) string {
	t.Helper()
	popdOnce.Do(func() {
		dir, err := os.MkdirTemp("", "obdocker-faults-popd-")
		if err != nil {
			popdErr = err
			return
		}
		popdBin = filepath.Join(dir, "docker-popd")
		if out, err := exec.Command("go", "build", "-race", "-o", popdBin, "github.com/openbaton-docker/obdocker/cmd/docker-popd").CombinedOutput(); err != nil {
			popdErr = fmt.Errorf("go build docker-popd: %v\n%s", err, out)
		}
	})
	if popdErr != nil {
		t.Fatal(popdErr)
	}
	return popdBin
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err, "listen")
	addr := l.Addr().String()
	l.Close()
	return addr
}

// popd is one docker-popd process over a fixed configuration file.
type popd struct {
	t    *testing.T
	cfg  string
	addr string
	cmd  *exec.Cmd
	done chan error
	logs *rig.Buffer
}

func (p *popd) start() {
	p.t.Helper()
	p.logs = &rig.Buffer{}
	p.cmd = exec.Command(popdBinary(p.t), "-cfg", p.cfg)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	must(p.t, p.cmd.Start(), "start docker-popd")
	p.done = make(chan error, 1)
	go func(c *exec.Cmd, d chan error) { d <- c.Wait() }(p.cmd, p.done)
	end := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", p.addr, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(end) {
			p.t.Fatalf("docker-popd does not listen on %s; log:\n%s", p.addr, p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *popd) kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	p.cmd = nil
}

// TestPopdKilledUnderThePlugin kills docker-popd (SIGKILL) under the
// plugin and starts it again: meanwhile the plugin's calls on that VIM fail
// with a clear exception (no hang), afterwards they succeed, and the Pop's
// container is still there.
func TestPopdKilledUnderThePlugin(t *testing.T) {
	raw := testenv.Docker(t)
	r := rig.New(t, rig.Options{Subnet: "10.207.19.0/24", Pool: "10.207.20.0/24", Race: true})
	popName := "popd-" + r.PopName
	cfg := popserver.DefaultConfig()
	cfg.PopName = popName
	cfg.Netaddr = freePort(t)
	cfg.StorePath = filepath.Join(t.TempDir(), "popd.db")
	cfg.DefaultNetwork = "priv-" + popName
	cfg.DefaultSubnet = "10.207.21.0/24"
	cfg.NetworkPool = "10.207.22.0/24"
	cfg.DockerHost = testenv.DockerHost()
	users, err := popserver.UsersFromAuth("faults:secret-" + r.PluginName)
	must(t, err, "users")
	cfg.Users = users
	path := filepath.Join(t.TempDir(), "popd.toml")
	must(t, popserver.WriteConfig(path, cfg, true), "write popd config")
	t.Cleanup(func() {
		if err := testenv.RemovePopObjects(raw, popName); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	p := &popd{t: t, cfg: path, addr: cfg.Netaddr}
	p.start()
	t.Cleanup(p.kill)

	vim := r.VIM()
	vim["authUrl"] = "pop://" + cfg.Netaddr
	vim["dockerKey"] = "faults:secret-" + r.PluginName
	c := newCaller(t, r)
	call := func(method string, params ...any) (json.RawMessage, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		return c.Call(ctx, method, params...)
	}
	s, err := decodeServer(call("launchInstanceAndWait", vim, "pd-"+r.PopName, testenv.BusyboxImage, "", "", []any{}, []any{}, "", map[string]any{}, []any{}))
	must(t, err, "launch through docker-popd")
	if s.Status != "ACTIVE" {
		t.Fatalf("launched %+v", s)
	}

	p.kill()
	failures := 0
	var lastErr error
	t0 := time.Now()
	for range 5 {
		_, err := call("listServer", vim)
		if err == nil {
			t.Fatal("listServer succeeded with docker-popd down")
		}
		failures++
		lastErr = err
	}
	failFor := time.Since(t0) / 5
	if !strings.Contains(strings.ToLower(lastErr.Error()), "unavailable") && !strings.Contains(lastErr.Error(), "refused") {
		t.Errorf("failure does not say the Pop is unavailable: %v", lastErr)
	}
	t.Logf("with docker-popd down: %v", lastErr)

	p.start()
	var ss []server
	end := time.Now().Add(60 * time.Second)
	for {
		ans, err := call("listServer", vim)
		if err == nil {
			must(t, jsonUnmarshal(ans, &ss), "decode")
			break
		}
		if time.Now().After(end) {
			t.Fatalf("listServer still failing 60 s after docker-popd restarted: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(ss) != 1 || ss[0].Name != s.Name || ss[0].Status != "ACTIVE" {
		t.Errorf("after the restart listServer says %+v, want %s ACTIVE", ss, s.Name)
	}
	ctx, cancel := callCtx(t)
	defer cancel()
	if _, err := c.Call(ctx, "deleteServerByIdAndWait", vim, s.ExtID); err != nil {
		t.Errorf("delete after the restart: %v", err)
	}
	figure(t, "docker-popd SIGKILLed under the plugin: %d/%d calls failed clearly (%.2f s each, %q), calls succeed after its restart, the running container kept",
		failures, failures, failFor.Seconds(), firstLine(lastErr.Error()))
}

func firstLine(s string) string {
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
