package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/cmd/popctl/internal/cli"
	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop/poptest"
)

// This package's Docker tests use 10.201.176.0/20 only.
var blocks = poptest.NewBlocks("10.201.176.0/20")

const password = "Popctl-Test-Pa55word"

var (
	buildOnce sync.Once
	popdBin   string
	buildErr  error
)

// popdBinary builds docker-popd once per test run.
func popdBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "popctl-test-")
		if err != nil {
			buildErr = err
			return
		}
		popdBin = filepath.Join(dir, "docker-popd")
		out, err := exec.Command("go", "build", "-o", popdBin, "github.com/openbaton-docker/obdocker/cmd/docker-popd").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build docker-popd: %v", buildErr)
	}
	return popdBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if popdBin != "" {
		os.RemoveAll(filepath.Dir(popdBin))
	}
	os.Exit(code)
}

// popd is a running docker-popd process.
type popd struct {
	addr, socket, metrics, network, popName string
	mu                                      sync.Mutex
	log                                     strings.Builder
}

func (p *popd) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

var (
	addrRE    = regexp.MustCompile(`addr="?([0-9.]+:[0-9]+)"?`)
	metricsRE = regexp.MustCompile(`metrics_addr="?([0-9.]+:[0-9]+)"?`)
)

// startPopd runs docker-popd on a loopback port and a unix socket, with
// /metrics, for a fresh test Pop; it is stopped with SIGTERM at cleanup.
func startPopd(t *testing.T) *popd {
	t.Helper()
	testenv.Docker(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "popd.toml")
	if out, err := exec.Command(popdBinary(t), "init", "-cfg", cfgPath, "-user", "op", "-password", password).CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	// A socket path must stay short (108 bytes): not under t.TempDir().
	sockDir, err := os.MkdirTemp("", "popctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	pcfg, _ := poptest.CoreConfig(t, blocks)
	poptest.RemoveDockerObjects(t, pcfg.PopName)
	p := &popd{socket: filepath.Join(sockDir, "popd.sock"), network: pcfg.DefaultNetwork, popName: pcfg.PopName}
	data, _ := os.ReadFile(cfgPath)
	text := strings.NewReplacer(
		`PopName = "docker-popd"`, `PopName = "`+pcfg.PopName+`"`,
		`DefaultNetwork = ""`, `DefaultNetwork = "`+pcfg.DefaultNetwork+`"`,
		`DefaultSubnet = ""`, `DefaultSubnet = "`+pcfg.DefaultSubnet+`"`,
		`NetworkPool = ""`, `NetworkPool = "`+pcfg.NetworkPool+`"`,
		`DockerHost = ""`, `DockerHost = "`+testenv.DockerHost()+`"`,
		`UnixSocket = ""`, `UnixSocket = "`+p.socket+`"`,
		`MetricsAddr = ""`, `MetricsAddr = "127.0.0.1:0"`,
	).Replace(string(data))
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(popdBinary(t), "-cfg", cfgPath, "-addr", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			if m := addrRE.FindStringSubmatch(line); m != nil && strings.Contains(line, "starting server") {
				p.addr = m[1]
			}
			if m := metricsRE.FindStringSubmatch(line); m != nil {
				p.metrics = m[1]
			}
			p.mu.Unlock()
			if strings.Contains(line, "launching gRPC server") {
				once.Do(func() { close(ready) })
			}
		}
		io.Copy(io.Discard, stderr)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("docker-popd did not stop on SIGTERM")
		}
	})
	select {
	case <-ready:
	case err := <-exited:
		t.Fatalf("docker-popd exited (%v):\n%s", err, p.logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("docker-popd not serving:\n%s", p.logs())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.addr == "" || p.metrics == "" {
		t.Fatalf("no address or metrics address in the log:\n%s", p.log.String())
	}
	return p
}

// popctl runs the CLI against addr and returns stdout, stderr, exit code.
func popctl(t *testing.T, addr, pass string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb testenv.Buffer
	env := cli.Env{
		Getenv: func(k string) string {
			return map[string]string{"POPCTL_USER": "op", "POPCTL_PASSWORD": pass}[k]
		},
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	code := cli.Run(ctx, append([]string{"-addr", addr, "-timeout", "60s"}, args...), env)
	return out.String(), errb.String(), code
}

// TestPopctlAgainstDaemon drives a real docker-popd through popctl, over
// TCP and over the unix socket: every command, the errors, and /metrics.
func TestPopctlAgainstDaemon(t *testing.T) {
	p := startPopd(t)
	for _, tr := range []struct{ doc, addr string }{{"tcp", p.addr}, {"unix", "unix://" + p.socket}} {
		t.Run(tr.doc, func(t *testing.T) {
			name := testenv.Name(t)
			run := func(wantCode int, args ...string) string {
				t.Helper()
				out, errOut, code := popctl(t, tr.addr, password, args...)
				if code != wantCode {
					t.Fatalf("popctl %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, wantCode, out, errOut)
				}
				if wantCode != 0 {
					return errOut
				}
				return out
			}
			has := func(text string, wants ...string) {
				t.Helper()
				for _, w := range wants {
					if !strings.Contains(text, w) {
						t.Errorf("output lacks %q:\n%s", w, text)
					}
				}
			}
			has(run(0, "login"), "logged in", p.popName)
			has(run(0, "images"), testenv.BusyboxImage)
			has(run(0, "networks"), p.network)
			has(run(0, "flavours"), "m1.tiny", "docker.container")

			has(run(0, "spawn", "-md", "ROLE=server", name+"-a", testenv.BusyboxImage), name+"-a", "RUNNING")
			has(run(0, "create", "-net", p.network, name+"-b", testenv.BusyboxImage), name+"-b", "CREATED")
			has(run(0, "metadata", "set", name+"-b", "PEER=10.0.0.1", "MODE="), "PEER=10.0.0.1")
			out := run(0, "metadata", "get", name+"-b")
			has(out, "PEER=10.0.0.1")
			if strings.Contains(out, "MODE") {
				t.Errorf("an empty value did not delete the key:\n%s", out)
			}
			has(run(1, "metadata", "set", name+"-a", "X=1"), "CREATED") // metadata is for CREATED containers
			has(run(0, "containers"), name+"-a", name+"-b", "RUNNING", "CREATED")
			has(run(0, "containers", name+"-a"), "Metadata ROLE", "server")
			has(run(0, "start", name+"-b"), "RUNNING")
			has(run(0, "stop", name+"-a"), name+"-a")
			has(run(0, "logs", name+"-b"))
			has(run(0, "delete", name+"-a"), "deleted")
			has(run(0, "delete", name+"-b"), "deleted")
			has(run(1, "delete", name+"-a"), "not found")

			// An image the engine lacks is refused at create, by name.
			missing := "obdocker-test/popctl-missing:1"
			has(run(1, "spawn", name+"-c", missing), missing, "not on the Docker engine")
			if out := run(0, "containers"); strings.Contains(out, name+"-c") {
				t.Errorf("a refused create left a record:\n%s", out)
			}

			_, errOut, code := popctl(t, tr.addr, password+"x", "login")
			if code != 1 || !strings.Contains(errOut, "login") {
				t.Errorf("wrong password: exit %d, %s", code, errOut)
			}
			if strings.Contains(errOut, password) {
				t.Errorf("the password is in the error: %s", errOut)
			}
			run(2, "frobnicate")
			run(2, "start")
		})
	}

	// /metrics: the calls above by method and code, the build, the Pop.
	body := get(t, "http://"+p.metrics+"/metrics", http.StatusOK)
	for _, want := range []string{`obdocker_popd_calls_total{code="OK",method="Create"}`, `obdocker_popd_calls_total{code="Unauthenticated",method="Login"}`,
		`obdocker_build_info{goversion=`, `obdocker_pop_containers{state="RUNNING"} 0`, "obdocker_popd_call_duration_seconds_bucket", "process_open_fds"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, password) {
		t.Error("the password is in /metrics")
	}
	if body := get(t, "http://"+p.metrics+"/healthz", http.StatusOK); !strings.Contains(body, "serving") {
		t.Errorf("/healthz: %s", body)
	}
	get(t, "http://"+p.metrics+"/debug/pprof/", http.StatusNotFound) // off unless Pprof = true
	if log := p.logs(); !strings.Contains(log, "version=") || !strings.Contains(log, "socket="+p.socket) {
		t.Errorf("startup line lacks the version or the socket:\n%s", log)
	}
	if st, err := os.Stat(p.socket); err != nil || st.Mode().Perm() != 0o660 {
		t.Errorf("socket %v, %v; want mode 0660", st, err)
	}
}

func get(t *testing.T, url string, want int) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d\n%s", url, resp.StatusCode, want, b)
	}
	return string(b)
}

// TestPopctlHelp: every command's help names its arguments and gives an
// example; help needs no daemon.
func TestPopctlHelp(t *testing.T) {
	var out, errb bytes.Buffer
	env := cli.Env{Getenv: func(string) string { return "" }, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
	if code := cli.Run(t.Context(), []string{"help"}, env); code != 0 {
		t.Fatalf("help: exit %d", code)
	}
	for _, c := range []string{"login", "containers", "create", "spawn", "metadata", "start", "stop", "delete", "logs", "images", "networks", "flavours"} {
		if !strings.Contains(out.String(), "  "+c) {
			t.Errorf("help lacks %s", c)
		}
		errb.Reset()
		if code := cli.Run(t.Context(), []string{"help", c}, env); code != 0 {
			t.Fatalf("help %s: exit %d", c, code)
		}
		if !strings.Contains(errb.String(), "Example:") || !strings.Contains(errb.String(), "popctl "+c) {
			t.Errorf("help %s has no example:\n%s", c, errb.String())
		}
	}
	errb.Reset()
	if code := cli.Run(t.Context(), []string{"containers"}, env); code != 2 || !strings.Contains(errb.String(), "POPCTL_USER") {
		t.Errorf("without a user: exit %d, %s", code, errb.String())
	}
}

// TestPopctlRefusesClearTextOffLoopback: without -ca the password would
// travel readable; popctl sends it only to loopback or a unix socket, or
// with -insecure, and a -server-name without -ca is refused, not ignored.
// Nothing listens on the addresses: a refusal comes before any dial.
func TestPopctlRefusesClearTextOffLoopback(t *testing.T) {
	run := func(args ...string) (string, int) {
		var out, errb bytes.Buffer
		env := cli.Env{Getenv: func(k string) string {
			return map[string]string{"POPCTL_USER": "op", "POPCTL_PASSWORD": "S3cret-popctl"}[k]
		}, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}
		code := cli.Run(t.Context(), append([]string{"-timeout", "2s"}, args...), env)
		return errb.String(), code
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-addr", "192.0.2.7:60000", "containers"}, "clear text"},
		{[]string{"-addr", "popd.example:60000", "containers"}, "clear text"},
		{[]string{"-addr", "127.0.0.1:1", "-server-name", "popd.example", "containers"}, "-server-name needs -ca"},
	} {
		msg, code := run(tc.args...)
		if code != 2 || !strings.Contains(msg, tc.want) || strings.Contains(msg, "S3cret") {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, msg, tc.want)
		}
	}
	// Loopback passes the check (and then fails to connect).
	if msg, code := run("-addr", "127.0.0.1:1", "containers"); code == 2 || strings.Contains(msg, "clear text") {
		t.Errorf("loopback: exit %d, %q: refused as clear text", code, msg)
	}
}
