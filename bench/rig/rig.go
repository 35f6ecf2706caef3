// Package rig runs the plugin daemon (cmd/docker-vim-driver) as its own
// process under an NFVO stand-in, on the real broker and the real Docker
// engine, for the benchmarks (bench) and the fault-injection suite
// (faults). It calls the plugin exactly as the NFVO's PluginCaller does
// (openbaton-exchange, the plugin queue as key, correlation id and
// reply_to) but over one long-lived connection, and counts every reply, so
// a duplicate answer is seen.
package rig

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/google/uuid"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvo"
)

var (
	buildMu sync.Mutex
	built   = map[bool]string{}
)

// Binary builds cmd/docker-vim-driver once per process and flavour (race
// detector on or off) and returns its path.
func Binary(tb testing.TB, race bool) string {
	tb.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[race]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "obdocker-rig-")
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(dir, "docker-vim-driver")
	args := []string{"build", "-o", p}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "github.com/openbaton-docker/obdocker/cmd/docker-vim-driver")
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	built[race] = p
	return p
}

// Options configure a rig. Subnet and Pool must lie in the caller's
// assigned IPv4 range.
type Options struct {
	// Subnet is the default network's subnet (OBDOCKER_DEFAULT_SUBNET).
	Subnet string
	// Pool gives /24s to createNetwork without a cidr (OBDOCKER_NETWORK_POOL).
	Pool string
	// Race builds the daemon with the race detector (tests: yes; benchmarks:
	// no, it would distort time and memory).
	Race bool
	// Workers is OBDOCKER_WORKERS (0: the daemon's default).
	Workers int
	// DockerHost is the daemon's default engine (default: the test engine).
	DockerHost string
	// Metrics serves /metrics and /healthz on a free loopback port.
	Metrics bool
	// LogLevel of the daemon (default info).
	LogLevel string
	// Env is added to the daemon's environment.
	Env []string
}

// Rig is one NFVO stand-in and one plugin daemon process.
type Rig struct {
	TB         testing.TB
	NFVO       *nfvo.NFVO
	Docker     *client.Client
	PluginName string
	Queue      string
	PopName    string
	AMQPURL    string
	// DefaultNetwork is the name of the Pop's default network.
	DefaultNetwork string

	env  []string
	bin  string
	mu   sync.Mutex
	cmd  *exec.Cmd
	logs *Buffer
	done chan error
	// Started is when the current daemon process was started.
	Started time.Time
}

// New starts an NFVO stand-in with its own manager queue and the plugin
// daemon, and waits until the plugin consumes its queue. Everything it
// made (the process, the Pop's containers and networks, by label) is
// removed at cleanup.
func New(tb testing.TB, o Options) *Rig {
	tb.Helper()
	if testing.Short() {
		tb.Skip("-short: the rig needs the real broker and dockerd")
	}
	raw := testenv.Docker(tb)
	amqpURL := testenv.RabbitMQ(tb)
	u := strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	r := &Rig{TB: tb, Docker: raw, AMQPURL: amqpURL, PopName: "rig-" + u, PluginName: "rig" + u}
	r.Queue = "vim-drivers.docker." + r.PluginName
	r.DefaultNetwork = "private-" + u
	// Its own bootstrap user: a stand-in deletes its bootstrap user when it
	// closes, and the shared default one would vanish under other tests'
	// plugins (and theirs under ours).
	mgrUser, mgrPass := "rig-manager-"+u, "rig-"+uuid.NewString()
	n, err := nfvo.Start(context.Background(), nfvo.Options{AMQPURL: amqpURL, ManagerQueue: "nfvo.manager.handling-rig-" + u,
		ManagerUser: mgrUser, ManagerPassword: mgrPass})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		n.Close()
		// The stand-in keeps bootstrap users (the NFVO's own); this one is
		// the rig's alone.
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := n.Management().DeleteUser(ctx, mgrUser); err != nil {
			tb.Logf("delete bootstrap user %s: %v", mgrUser, err)
		}
	})
	r.NFVO = n
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
	host := o.DockerHost
	if host == "" {
		host = testenv.DockerHost()
	}
	r.env = append(os.Environ(),
		"OBDOCKER_PLUGIN_NAME="+r.PluginName,
		"OBDOCKER_MANAGER_QUEUE="+n.ManagerQueue(),
		"OBDOCKER_BROKER_USER="+mgrUser,
		"OBDOCKER_BROKER_PASSWORD="+mgrPass,
		"OBDOCKER_STATE_DIR="+tb.TempDir(),
		"OBDOCKER_POP_NAME="+r.PopName,
		"OBDOCKER_DEFAULT_NETWORK="+r.DefaultNetwork,
		"OBDOCKER_DEFAULT_SUBNET="+o.Subnet,
		"OBDOCKER_NETWORK_POOL="+o.Pool,
		"OBDOCKER_DOCKER_HOST="+host,
		"OBDOCKER_LOG_LEVEL="+o.LogLevel,
	)
	if o.Workers > 0 {
		r.env = append(r.env, "OBDOCKER_WORKERS="+strconv.Itoa(o.Workers))
	}
	if o.Metrics {
		r.env = append(r.env, "OBDOCKER_METRICS_ADDR=127.0.0.1:0")
	}
	r.env = append(r.env, o.Env...)
	r.bin = Binary(tb, o.Race)
	tb.Cleanup(r.CleanupDocker)
	r.Start()
	tb.Cleanup(func() {
		r.Stop()
		if tb.Failed() {
			tb.Logf("plugin log (tail):\n%s", tail(r.Logs(), 200))
		}
	})
	return r
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

// Start starts the daemon process and waits until it answers calls.
func (r *Rig) Start() {
	r.TB.Helper()
	r.StartNoWait()
	r.WaitServing(60 * time.Second)
}

// StartNoWait starts the daemon process and returns at once.
func (r *Rig) StartNoWait() {
	r.TB.Helper()
	logs := &Buffer{}
	cmd := exec.Command(r.bin)
	cmd.Env = r.env
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		r.TB.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	r.mu.Lock()
	r.cmd, r.logs, r.done, r.Started = cmd, logs, done, time.Now()
	r.mu.Unlock()
}

// WaitServing waits until the plugin answers a getType. The management
// API's consumer count is not enough: its statistics lag by seconds, so
// right after a restart it still shows the killed process's queue with
// consumers, and a request published then is unroutable and dropped
// without a word.
func (r *Rig) WaitServing(timeout time.Duration) {
	r.TB.Helper()
	end := time.Now().Add(timeout)
	c, err := DialCaller(r.AMQPURL, r.Queue)
	if err != nil {
		r.TB.Fatalf("wait for the plugin: %v", err)
	}
	defer c.Close()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.Call(ctx, "getType", r.VIM())
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(end) {
			r.TB.Fatalf("plugin on %s does not answer getType after %s (%v); log:\n%s", r.Queue, timeout, err, tail(r.Logs(), 100))
		}
		if r.Exited() {
			r.TB.Fatalf("plugin exited; log:\n%s", tail(r.Logs(), 100))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// PID is the daemon's process id (0 when none runs).
func (r *Rig) PID() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil || r.cmd.Process == nil {
		return 0
	}
	return r.cmd.Process.Pid
}

// Exited reports whether the daemon process has ended.
func (r *Rig) Exited() bool {
	r.mu.Lock()
	done := r.done
	r.mu.Unlock()
	if done == nil {
		return true
	}
	select {
	case err := <-done:
		done <- err
		return true
	default:
		return false
	}
}

// Logs is the current process's output so far.
func (r *Rig) Logs() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.logs == nil {
		return ""
	}
	return r.logs.String()
}

// Kill ends the daemon with SIGKILL (no drain, no unregister).
func (r *Rig) Kill() {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
	done <- nil
}

// Stop sends SIGTERM and waits (40 s, then SIGKILL).
func (r *Rig) Stop() error {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		done <- err
		return err
	case <-time.After(40 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("plugin did not exit within 40 s of SIGTERM")
	}
}

// RSS is the daemon's resident set size in bytes, from /proc.
func (r *Rig) RSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.PID()))
	if err != nil {
		return 0, err
	}
	m := regexp.MustCompile(`(?m)^VmRSS:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0, fmt.Errorf("no VmRSS in /proc/%d/status", r.PID())
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb * 1024, nil
}

var metricsAddrRE = regexp.MustCompile(`metrics_addr="?([0-9.:\[\]]+)"?`)

// MetricsAddr is the address the daemon's metrics endpoint listens on (read
// from its log; the rig asks for port 0).
func (r *Rig) MetricsAddr() string {
	r.TB.Helper()
	end := time.Now().Add(10 * time.Second)
	for {
		if m := metricsAddrRE.FindStringSubmatch(r.Logs()); m != nil {
			return m[1]
		}
		if time.Now().After(end) {
			r.TB.Fatalf("no metrics address in the plugin log:\n%s", tail(r.Logs(), 50))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Get fetches path from the metrics endpoint: status code and body.
func (r *Rig) Get(path string) (int, string, error) {
	resp, err := http.Get("http://" + r.MetricsAddr() + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// Filter selects the Docker objects of this rig's Pop.
func (r *Rig) Filter() filters.Args { return testenv.PopFilter(r.PopName) }

// Containers lists this Pop's Docker containers.
func (r *Rig) Containers(ctx context.Context) ([]container.Summary, error) {
	return testenv.PopContainers(ctx, r.Docker, r.PopName)
}

// CleanupDocker removes this Pop's containers and networks (by label:
// only what the rig's daemon made).
func (r *Rig) CleanupDocker() {
	if err := testenv.RemovePopObjects(r.Docker, r.PopName); err != nil {
		r.TB.Logf("cleanup: %v", err)
	}
}

// VIM is the VIM instance of the rig as the NFVO sends it: the default
// engine (empty authUrl).
func (r *Rig) VIM() map[string]any {
	return map[string]any{
		"id": "vim-" + r.PopName, "name": "vim-" + r.PopName, "authUrl": "", "type": "docker",
		"tenant": "", "username": "", "password": "", "keyPair": "",
		"location":       map[string]any{"name": "Berlin", "latitude": "52.525876", "longitude": "13.314400"},
		"securityGroups": []any{}, "active": true,
	}
}

// Buffer collects a child's output.
type Buffer = testenv.Buffer

// Decode unmarshals an answer, failing the test on error.
func Decode[T any](tb testing.TB, raw json.RawMessage) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		tb.Fatalf("answer %.300s: %v", raw, err)
	}
	return v
}
