package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

const versionVar = "github.com/openbaton-docker/obdocker/internal/version.Version"

// build compiles the command, with -ldflags if given: exit codes, -help
// and -version are the binary's interface to operators and scripts.
func build(t *testing.T, ldflags string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "docker-vim-driver")
	args := []string{"build", "-o", bin}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cleanEnv is the test's environment without any OBDOCKER_* variable,
// plus extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OBDOCKER_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// run runs bin to its end (bounded: a daemon that starts despite bad
// settings is killed and reported as such).
func run(t *testing.T, bin string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %q did not exit: it started despite its settings\nstderr: %s", bin, args, e.String())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return code, o.String(), e.String()
}

// closedPort is a local TCP port nothing listens on: the daemon's broker
// in tests that must not reach one.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

// TestBadSettingsNamedAtOnce: every bad variable is named in one message,
// with its value (except the password's) and why, and the daemon exits 2
// without starting.
func TestBadSettingsNamedAtOnce(t *testing.T) {
	bin := build(t, "")
	bad := map[string]string{
		"OBDOCKER_WORKERS":             `OBDOCKER_WORKERS="abc": not an integer`,
		"OBDOCKER_DEFAULT_SUBNET":      `OBDOCKER_DEFAULT_SUBNET="banana"`,
		"OBDOCKER_NETWORK_POOL":        `OBDOCKER_NETWORK_POOL="10.90.0.0/25"`,
		"OBDOCKER_DRAIN_TIMEOUT":       `OBDOCKER_DRAIN_TIMEOUT="20": not a duration`,
		"OBDOCKER_KEEP_STOPPED":        `OBDOCKER_KEEP_STOPPED="yes please": not a boolean`,
		"OBDOCKER_METRICS_ADDR":        `OBDOCKER_METRICS_ADDR="9464"`,
		"OBDOCKER_DEFAULT_NETWORK":     `OBDOCKER_DEFAULT_NETWORK="my net"`,
		"OBDOCKER_BROKER_HOST":         `OBDOCKER_BROKER_HOST="amqp://rabbit:5672"`,
		"OBDOCKER_LOG_FORMAT":          `OBDOCKER_LOG_FORMAT "xml"`,
		"OBDOCKER_ALLOWED_SYSCTLS":     `OBDOCKER_ALLOWED_SYSCTLS`,
		"OBDOCKER_POP_ALLOW_PLAINTEXT": `OBDOCKER_POP_ALLOW_PLAINTEXT="maybe"`,
	}
	values := map[string]string{
		"OBDOCKER_WORKERS": "abc", "OBDOCKER_DEFAULT_SUBNET": "banana", "OBDOCKER_NETWORK_POOL": "10.90.0.0/25",
		"OBDOCKER_DRAIN_TIMEOUT": "20", "OBDOCKER_KEEP_STOPPED": "yes please", "OBDOCKER_METRICS_ADDR": "9464",
		"OBDOCKER_DEFAULT_NETWORK": "my net", "OBDOCKER_BROKER_HOST": "amqp://rabbit:5672", "OBDOCKER_LOG_FORMAT": "xml",
		"OBDOCKER_ALLOWED_SYSCTLS": "net.ipv4.ip_forward,kernel shm", "OBDOCKER_POP_ALLOW_PLAINTEXT": "maybe",
	}
	env := cleanEnv("OBDOCKER_STATE_DIR="+t.TempDir(), "OBDOCKER_BROKER_PORT="+closedPort(t),
		"OBDOCKER_BROKER_PASSWORD=hunter2-secret")
	for k, v := range values {
		env = append(env, k+"="+v)
	}
	code, _, stderr := run(t, bin, env)
	if code != 2 {
		t.Errorf("exit status %d, want 2\nstderr: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 1 {
		t.Errorf("want one message, got %d lines:\n%s", len(lines), stderr)
	}
	for name, want := range bad {
		if !strings.Contains(stderr, want) {
			t.Errorf("%s: the message lacks %q\nstderr: %s", name, want, stderr)
		}
	}
	if strings.Contains(stderr, "hunter2") {
		t.Errorf("the password is echoed: %s", stderr)
	}

	// The case alone: a subnet that is no subnet no longer starts
	// a daemon whose every call would fail.
	code, _, stderr = run(t, bin, cleanEnv("OBDOCKER_STATE_DIR="+t.TempDir(), "OBDOCKER_BROKER_PORT="+closedPort(t),
		"OBDOCKER_DEFAULT_SUBNET=banana"))
	if code != 2 || !strings.Contains(stderr, `OBDOCKER_DEFAULT_SUBNET="banana"`) {
		t.Errorf("DEFAULT_SUBNET=banana: exit %d, stderr %s", code, stderr)
	}
}

// docVars reads the OBDOCKER_* rows of the docker-vim-driver section of
// docs/configuration.md: name → default as written ("" for "(none)").
func docVars(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\|\\s*`(OBDOCKER_[A-Z0-9_]+)`\\s*\\|\\s*([^|]*?)\\s*\\|")
	out := map[string]string{}
	section := ""
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "## ") {
			section = strings.TrimPrefix(line, "## ")
		}
		if m := row.FindStringSubmatch(line); m != nil && section == "docker-vim-driver" {
			out[m[1]] = strings.Trim(strings.ReplaceAll(m[2], "(none)", ""), "`")
		}
	}
	if len(out) < 20 {
		t.Fatalf("found only %d variables in docs/configuration.md", len(out))
	}
	return out
}

// TestHelpListsEveryVariable: -help exits 0 and lists every variable of
// docs/configuration.md with the same default.
func TestHelpListsEveryVariable(t *testing.T) {
	bin := build(t, "")
	for _, arg := range []string{"-help", "-h", "--help"} {
		code, stdout, stderr := run(t, bin, cleanEnv(), arg)
		if code != 0 {
			t.Fatalf("%s: exit status %d, want 0\nstderr: %s", arg, code, stderr)
		}
		for name, def := range docVars(t) {
			want := name
			if def == "" {
				want += "  default (none)"
			} else {
				want += "  default " + def
			}
			re := regexp.MustCompile("(?m)^  " + regexp.QuoteMeta(name) + `( \(-[a-z-]+\))?  default ` + regexp.QuoteMeta(strings.TrimPrefix(want, name+"  default ")) + "$")
			if !re.MatchString(stdout) {
				t.Errorf("%s: help lacks %q\n%s", arg, want, stdout)
			}
		}
	}
	// Bad settings do not stop -help: it is how to find the right ones.
	if code, _, stderr := run(t, bin, cleanEnv("OBDOCKER_WORKERS=abc"), "-help"); code != 0 {
		t.Errorf("-help with a bad setting: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := run(t, bin, cleanEnv(), "-no-such-flag"); code != 2 || !strings.Contains(stderr, "-no-such-flag") {
		t.Errorf("unknown flag: exit %d, stderr %s", code, stderr)
	}
}

// TestVersion: -version prints the stamped version and the Go version and
// exits 0, whatever the settings; a plain build says devel.
func TestVersion(t *testing.T) {
	plain := build(t, "")
	code, stdout, stderr := run(t, plain, cleanEnv("OBDOCKER_WORKERS=abc"), "-version")
	want := "docker-vim-driver devel (" + runtime.Version() + ")\n"
	if code != 0 || stdout != want {
		t.Errorf("plain build -version: exit %d, stdout %q, want %q\nstderr: %s", code, stdout, want, stderr)
	}
	stamped := build(t, "-X "+versionVar+"=v9.9.9-test")
	code, stdout, stderr = run(t, stamped, cleanEnv(), "-version")
	want = "docker-vim-driver v9.9.9-test (" + runtime.Version() + ")\n"
	if code != 0 || stdout != want {
		t.Errorf("stamped -version: exit %d, stdout %q, want %q\nstderr: %s", code, stdout, want, stderr)
	}
}

// TestVersionInLogAndMetrics: the startup log line names the version and
// the metrics endpoint serves obdocker_build_info. The broker is a closed
// port: neither needs the NFVO.
func TestVersionInLogAndMetrics(t *testing.T) {
	bin := build(t, "-X "+versionVar+"=v9.9.9-test")
	addr := "127.0.0.1:" + closedPort(t)
	cmd := exec.CommandContext(t.Context(), bin)
	cmd.Env = cleanEnv("OBDOCKER_STATE_DIR="+t.TempDir(), "OBDOCKER_BROKER_PORT="+closedPort(t),
		"OBDOCKER_METRICS_ADDR="+addr, "OBDOCKER_REGISTER_TIMEOUT=1s")
	var stderr testenv.Buffer
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	started := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			stderr.Write([]byte(sc.Text() + "\n"))
			if strings.Contains(sc.Text(), "starting") {
				select {
				case started <- sc.Text():
				default:
				}
			}
		}
	}()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	select {
	case line := <-started:
		if !strings.Contains(line, "version=v9.9.9-test") || !strings.Contains(line, "goversion="+runtime.Version()) {
			t.Errorf("startup line lacks the version: %s", line)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no startup line\n%s", stderr.String())
	}
	want := `obdocker_build_info{goversion="` + runtime.Version() + `",version="v9.9.9-test"} 1`
	deadline := time.Now().Add(20 * time.Second)
	for {
		body := ""
		if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			resp.Body.Close()
			body = b.String()
		}
		if strings.Contains(body, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %s\n%s\nstderr: %s", want, body, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
