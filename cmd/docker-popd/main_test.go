package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop/client"
	"github.com/openbaton-docker/obdocker/pop/poptest"
)

// This package's Docker tests own 10.203.192.0/18 of the helper's range.
var blocks = poptest.NewBlocks("10.203.192.0/18")

const password = "Daemon-Test-Pa55word"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds docker-popd once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "docker-popd-test-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "docker-popd")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build docker-popd: %v", buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// daemon is a running docker-popd process.
type daemon struct {
	cmd    *exec.Cmd
	addr   string
	mu     sync.Mutex
	stderr strings.Builder
	exited chan error
}

func (p *daemon) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

var addrRE = regexp.MustCompile(`addr="?([0-9.]+:[0-9]+)"?`)

// start runs the binary with args in dir and waits until it serves (when
// wantServe) or exits.
func start(t *testing.T, dir string, env []string, wantServe bool, args ...string) *daemon {
	t.Helper()
	p := &daemon{cmd: exec.Command(binary(t), args...), exited: make(chan error, 1)}
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), env...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stderr.WriteString(line + "\n")
			p.mu.Unlock()
			if m := addrRE.FindStringSubmatch(line); m != nil && strings.Contains(line, "starting server") {
				p.addr = m[1]
			}
			if strings.Contains(line, "launching gRPC server") {
				select {
				case ready <- p.addr:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() { p.stop(t) })
	if !wantServe {
		return p
	}
	select {
	case addr := <-ready:
		p.addr = addr
	case err := <-p.exited:
		p.exited <- err
		t.Fatalf("docker-popd exited (%v):\n%s", err, p.log())
	case <-time.After(30 * time.Second):
		t.Fatalf("docker-popd not serving after 30s:\n%s", p.log())
	}
	return p
}

// stop sends SIGTERM and waits; a process that will not stop is killed.
func (p *daemon) stop(t *testing.T) error {
	if p.cmd.ProcessState != nil {
		return nil
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
		return err
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		t.Errorf("docker-popd did not stop on SIGTERM:\n%s", p.log())
		return <-p.exited
	}
}

// configure runs `docker-popd init` in dir and points the file at a fresh
// test Pop and addresses of this package's range.
func configure(t *testing.T, dir string) (cfgPath, network, small string) {
	t.Helper()
	testenv.Docker(t)
	cfgPath = filepath.Join(dir, "popd.toml")
	out, err := exec.Command(binary(t), "init", "-cfg", cfgPath, "-user", "op", "-password", password).CombinedOutput()
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	if st, err := os.Stat(cfgPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("init wrote %v, %v; want mode 0600", st, err)
	}
	pcfg, b := poptest.CoreConfig(t, blocks)
	poptest.RemoveDockerObjects(t, pcfg.PopName)
	data, _ := os.ReadFile(cfgPath)
	text := strings.NewReplacer(
		`PopName = "docker-popd"`, `PopName = "`+pcfg.PopName+`"`,
		`DefaultNetwork = ""`, `DefaultNetwork = "`+pcfg.DefaultNetwork+`"`,
		`DefaultSubnet = ""`, `DefaultSubnet = "`+pcfg.DefaultSubnet+`"`,
		`NetworkPool = ""`, `NetworkPool = "`+pcfg.NetworkPool+`"`,
		// The conformance suite's HostOptions case mounts a temporary
		// directory and publishes a free port; init allows none.
		`AllowedBindPrefixes = []`, `AllowedBindPrefixes = ["`+os.TempDir()+`"]`,
		`AllowedPublishPorts = []`, `AllowedPublishPorts = ["1024-65535"]`,
		`DockerHost = ""`, `DockerHost = "`+testenv.DockerHost()+`"`,
	).Replace(string(data))
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, pcfg.DefaultNetwork, b.Small
}

func dial(t *testing.T, addr string) *client.Client {
	t.Helper()
	c, err := client.Dial(t.Context(), client.Options{Addr: addr, User: "op", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestConformanceDaemon runs the pop.Pop suite against the real
// docker-popd binary on a loopback port, one daemon per subtest.
func TestConformanceDaemon(t *testing.T) {
	poptest.Run(t, func(t *testing.T) poptest.Target {
		dir := t.TempDir()
		cfg, network, small := configure(t, dir)
		p := start(t, dir, nil, true, "-cfg", cfg, "-addr", "127.0.0.1:0")
		return poptest.Target{Pop: dial(t, p.addr), Network: network, SmallSubnet: small}
	})
}

func TestDaemonLifecycle(t *testing.T) {
	dir := t.TempDir()
	cfg, _, _ := configure(t, dir)
	p := start(t, dir, nil, true, "-cfg", cfg, "-addr", "127.0.0.1:0", "-verbose")
	c := dial(t, p.addr)
	if _, err := c.Info(t.Context()); err != nil {
		t.Fatalf("info: %v", err)
	}

	// A second daemon on the same address fails clearly.
	busy := start(t, dir, nil, false, "-cfg", cfg, "-addr", p.addr)
	select {
	case err := <-busy.exited:
		busy.exited <- err
		if err == nil || !strings.Contains(busy.log(), "address already in use") {
			t.Fatalf("second daemon on %s: %v\n%s", p.addr, err, busy.log())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("second daemon on a busy address did not exit")
	}

	if err := p.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.log())
	}
	log := p.log()
	for _, want := range []string{"level=debug", "logged in", "stopping server"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, password) {
		t.Fatalf("password in the log:\n%s", log)
	}
}

func TestDaemonRefusesWithoutConfig(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir, []string{"POPD_AUTH="}, false)
	select {
	case err := <-p.exited:
		p.exited <- err
		if err == nil || !strings.Contains(p.log(), "docker-popd init") || !strings.Contains(p.log(), "POPD_AUTH") {
			t.Fatalf("without configuration: %v\n%s", err, p.log())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("docker-popd without configuration did not exit")
	}
	out, err := exec.CommandContext(context.Background(), binary(t), "-help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "docker-popd.toml") {
		t.Fatalf("-help: %v\n%s", err, out)
	}
}

// TestDaemonWarnsWithoutTLS: docker-popd serving its users in clear text
// on an address other than loopback says so at start; on loopback, or with
// TLS, it does not.
func TestDaemonWarnsWithoutTLS(t *testing.T) {
	certs := testenv.NewTLSCerts(t, []string{"localhost"}, net.IPv4(127, 0, 0, 1))
	for _, tc := range []struct {
		doc  string
		addr string
		tls  bool
		warn bool
	}{
		{"loopback", "127.0.0.1:0", false, false},
		{"all interfaces", "0.0.0.0:0", false, true},
		{"all interfaces with TLS", "0.0.0.0:0", true, false},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			dir := t.TempDir()
			cfg, _, _ := configure(t, dir)
			if tc.tls {
				b, _ := os.ReadFile(cfg)
				b = []byte(strings.NewReplacer(`TLSCertPath = ""`, `TLSCertPath = "`+certs.Server.Cert.Path+`"`,
					`TLSKeyPath = ""`, `TLSKeyPath = "`+certs.Server.Key.Path+`"`).Replace(string(b)))
				if err := os.WriteFile(cfg, b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			p := start(t, dir, nil, true, "-cfg", cfg, "-addr", tc.addr)
			if err := p.stop(t); err != nil {
				t.Fatalf("exit after SIGTERM: %v\n%s", err, p.log())
			}
			log := p.log()
			warned := strings.Contains(log, "level=warning") && strings.Contains(log, "without TLS")
			if warned != tc.warn {
				t.Fatalf("warned %v, want %v:\n%s", warned, tc.warn, log)
			}
			if tc.warn && !strings.Contains(log, "TLSCertPath") {
				t.Errorf("the warning does not name the setting:\n%s", log)
			}
		})
	}
}

// TestDaemonBadSettingsExitTwo: the binary names every bad setting in one
// message and exits 2; -version prints the version and exits 0.
func TestDaemonBadSettingsExitTwo(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "popd.toml")
	if out, err := exec.Command(binary(t), "init", "-cfg", cfg, "-user", "op", "-password", password).CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(cfg)
	b = []byte(strings.NewReplacer(`DefaultSubnet = ""`, `DefaultSubnet = "banana"`, `MetricsAddr = ""`, `MetricsAddr = "x"`).Replace(string(b)))
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary(t), "-cfg", cfg).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "DefaultSubnet") || !strings.Contains(string(out), "MetricsAddr") {
		t.Fatalf("bad settings: %v\n%s", err, out)
	}
	out, err = exec.Command(binary(t), "-version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "docker-popd ") {
		t.Fatalf("-version: %v\n%s", err, out)
	}
}
