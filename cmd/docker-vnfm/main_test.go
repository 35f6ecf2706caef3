package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

const versionVar = "github.com/openbaton-docker/obdocker/internal/version.Version"

// build compiles the command: exit codes, -help and -version are its
// interface to operators and scripts.
func build(t *testing.T, ldflags string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "docker-vnfm")
	args := []string{"build", "-o", bin}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OBDOCKER_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// run runs bin to its end, bounded: a daemon that starts despite bad
// settings is reported as such.
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

// TestBadSettingsNamedAtOnce: every bad variable is named in one message
// and the VNFM exits 2; passwords (and the management URL, which may hold
// one) are never echoed.
func TestBadSettingsNamedAtOnce(t *testing.T) {
	bin := build(t, "")
	env := cleanEnv(
		"OBDOCKER_VNFM_BROKER_PORT="+closedPort(t),
		"OBDOCKER_VNFM_WORKERS=abc",
		"OBDOCKER_VNFM_RPC_TIMEOUT=20",
		"OBDOCKER_VNFM_PLUGIN_TIMEOUT=0s",
		"OBDOCKER_VNFM_UNREGISTER=sometimes",
		"OBDOCKER_VNFM_MANAGEMENT_URL=rabbit:15672-hunter2",
		"OBDOCKER_VNFM_LOG_LEVEL=loud",
		"OBDOCKER_VNFM_ENDPOINT=docker",
		"OBDOCKER_VNFM_NFVO_PASSWORD=hunter2-secret",
	)
	code, _, stderr := run(t, bin, env)
	if code != 2 {
		t.Errorf("exit status %d, want 2\nstderr: %s", code, stderr)
	}
	if n := len(strings.Split(strings.TrimSpace(stderr), "\n")); n != 1 {
		t.Errorf("want one message, got %d lines:\n%s", n, stderr)
	}
	for _, want := range []string{
		`OBDOCKER_VNFM_WORKERS="abc": not an integer`,
		`OBDOCKER_VNFM_RPC_TIMEOUT="20": not a duration`,
		`OBDOCKER_VNFM_PLUGIN_TIMEOUT 0s must be positive`,
		`OBDOCKER_VNFM_UNREGISTER="sometimes": not a boolean`,
		`OBDOCKER_VNFM_MANAGEMENT_URL is not an http(s) URL`,
		`OBDOCKER_VNFM_LOG_LEVEL "loud"`,
		`OBDOCKER_VNFM_ENDPOINT=docker is refused: the NFVO grants the VNFM's broker user the unanchored permission regex (docker), which also matches the VIM driver's queues vim-drivers.docker.*`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the message lacks %q\nstderr: %s", want, stderr)
		}
	}
	if strings.Contains(stderr, "hunter2") {
		t.Errorf("a secret is echoed: %s", stderr)
	}
	// Today's silent replacements: 0 workers is a mistake, not 25.
	code, _, stderr = run(t, bin, cleanEnv("OBDOCKER_VNFM_BROKER_PORT="+closedPort(t), "OBDOCKER_VNFM_WORKERS=0"))
	if code != 2 || !strings.Contains(stderr, "OBDOCKER_VNFM_WORKERS 0 must be at least 1") {
		t.Errorf("WORKERS=0: exit %d, stderr %s", code, stderr)
	}
}

// docVars reads the rows of the docker-vnfm section of
// docs/configuration.md: name → default ("" for "(none)").
func docVars(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\|\\s*`(OBDOCKER_VNFM_[A-Z0-9_]+)`\\s*\\|\\s*([^|]*?)\\s*\\|")
	out := map[string]string{}
	section := ""
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "## ") {
			section = strings.TrimPrefix(line, "## ")
		}
		if m := row.FindStringSubmatch(line); m != nil && section == "docker-vnfm" {
			out[m[1]] = strings.Trim(strings.ReplaceAll(m[2], "(none)", ""), "`")
		}
	}
	if len(out) < 20 {
		t.Fatalf("found only %d docker-vnfm variables in docs/configuration.md", len(out))
	}
	return out
}

// TestHelpListsEveryVariable: -help exits 0 and lists every variable of
// docs/configuration.md's docker-vnfm section with the same default.
func TestHelpListsEveryVariable(t *testing.T) {
	bin := build(t, "")
	for _, arg := range []string{"-help", "-h", "--help"} {
		code, stdout, stderr := run(t, bin, cleanEnv("OBDOCKER_VNFM_WORKERS=abc"), arg)
		if code != 0 {
			t.Fatalf("%s: exit status %d, want 0\nstderr: %s", arg, code, stderr)
		}
		for name, def := range docVars(t) {
			if def == "" {
				def = "(none)"
			}
			line := "  " + name + "  default " + def + "\n"
			if !strings.Contains(stdout, line) {
				t.Errorf("%s: help lacks %q\n%s", arg, line, stdout)
			}
		}
	}
	if code, _, stderr := run(t, bin, cleanEnv(), "extra"); code != 2 || !strings.Contains(stderr, "-help") {
		t.Errorf("an argument: exit %d, stderr %s", code, stderr)
	}
}

// TestVersion: -version prints the stamped version and exits 0, whatever
// the settings; a plain build says devel.
func TestVersion(t *testing.T) {
	plain := build(t, "")
	code, stdout, stderr := run(t, plain, cleanEnv("OBDOCKER_VNFM_WORKERS=abc"), "-version")
	want := "docker-vnfm devel (" + runtime.Version() + ")\n"
	if code != 0 || stdout != want {
		t.Errorf("plain -version: exit %d, stdout %q, want %q\nstderr: %s", code, stdout, want, stderr)
	}
	stamped := build(t, "-X "+versionVar+"=v9.9.9-test")
	code, stdout, stderr = run(t, stamped, cleanEnv(), "-version")
	want = "docker-vnfm v9.9.9-test (" + runtime.Version() + ")\n"
	if code != 0 || stdout != want {
		t.Errorf("stamped -version: exit %d, stdout %q, want %q\nstderr: %s", code, stdout, want, stderr)
	}
}

// TestVersionInStartupLine: the first line a starting VNFM logs names its
// version (the broker is a closed port: no NFVO needed).
func TestVersionInStartupLine(t *testing.T) {
	bin := build(t, "-X "+versionVar+"=v9.9.9-test")
	cmd := exec.CommandContext(t.Context(), bin)
	cmd.Env = cleanEnv("OBDOCKER_VNFM_BROKER_PORT=" + closedPort(t))
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		if sc.Scan() {
			line <- sc.Text()
		}
		for sc.Scan() {
		}
		close(line)
	}()
	select {
	case l := <-line:
		if !strings.Contains(l, "docker-vnfm starting") || !strings.Contains(l, "version=v9.9.9-test") || !strings.Contains(l, "goversion="+runtime.Version()) {
			t.Errorf("first line lacks the version: %q", l)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no log line")
	}
}
