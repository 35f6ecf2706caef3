package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/client"
)

// SecondDockerHost is the second engine for many-PoP tests.
const SecondDockerHost = "unix:///var/run/docker2.sock"

// engine is an extra dockerd beside the first: its own socket, data root,
// exec root, pid file, containerd namespace and default bridge (with
// --bridge=none a dockerd deletes the host's docker0, breaking the first
// engine's default network).
type engine struct {
	name       string // docker2, dockertls: names its files
	bridge     string // its default bridge
	bridgeAddr string // the bridge's address, a /24 of the tests' own
	sock       string // unix:// socket, for the harness itself
	ns         string // containerd namespace
	extraArgs  []string
	// netns, when set, is a network namespace (a name under
	// /var/run/netns) the engine runs in, with its own default bridge
	// made by dockerd inside it: bridge and bridgeAddr are then unused.
	netns string
}

func (e engine) dataRoot() string { return "/var/lib/" + e.name }
func (e engine) execRoot() string { return "/var/run/" + e.name }
func (e engine) pidFile() string  { return "/var/run/" + e.name + ".pid" }
func (e engine) logFile() string  { return "/var/log/" + e.name + ".log" }

var second = engine{name: "docker2", bridge: "docker1", bridgeAddr: "10.201.199.1/24", sock: SecondDockerHost, ns: "moby2"}

var secondOnce sync.Once
var secondErr error

// SecondDocker starts (once, if it is not already up) a second Docker
// engine beside the first and loads the test image into it. It returns a
// client of it. The engine is left running for later tests.
func SecondDocker(t testing.TB) *client.Client {
	t.Helper()
	Docker(t)
	secondOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		if ping(ctx, second.sock) != nil {
			secondErr = second.start(ctx)
		}
		if secondErr == nil {
			secondErr = loadTestImage(ctx, second.sock)
		}
	})
	if secondErr != nil {
		missing(t, "second docker engine: %v", secondErr)
	}
	cli, err := client.NewClientWithOpts(client.WithHost(SecondDockerHost), client.WithAPIVersionNegotiation())
	if err != nil {
		missing(t, "second docker client: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// TLSEngine is a dockerd that serves only TCP with --tlsverify: a client
// must present a certificate of Certs.CA, and trust Certs.CA for the server.
type TLSEngine struct {
	// Host is tcp://127.0.0.1:PORT.
	Host string
	// Socket is the engine's own unix socket, for the test harness only
	// (cleanup, inspection): it bypasses TLS.
	Socket string
	// Certs: Server is the engine's, Client a valid client certificate,
	// Forged* are signed by a CA the engine does not trust.
	Certs *TLSCerts
}

var tlsEngine = engine{name: "dockertls", bridge: "dockertls0", bridgeAddr: "10.201.198.1/24", sock: "unix:///var/run/dockertls.sock", ns: "mobytls"}

// TLSDocker starts a dockerd with --tlsverify on a free loopback port, with
// certificates made for this test, and stops it when the test ends. Any
// earlier instance (a run that was killed) is stopped first: its
// certificates are gone. Tests that call it must not run in parallel.
func TLSDocker(t testing.TB) *TLSEngine {
	t.Helper()
	Docker(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	if err := tlsEngine.stop(ctx); err != nil {
		missing(t, "stop the previous TLS docker engine: %v", err)
	}
	port, err := freePort()
	if err != nil {
		missing(t, "TLS docker engine: %v", err)
	}
	certs := NewTLSCerts(t, []string{"localhost"}, net.IPv4(127, 0, 0, 1))
	host := "tcp://127.0.0.1:" + strconv.Itoa(port)
	e := tlsEngine
	e.extraArgs = []string{"-H", host, "--tlsverify",
		"--tlscacert", certs.CA.CA.Path, "--tlscert", certs.Server.Cert.Path, "--tlskey", certs.Server.Key.Path}
	if err := e.start(ctx); err != nil {
		missing(t, "TLS docker engine: %v", err)
	}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer scancel()
		if err := e.stop(sctx); err != nil {
			t.Logf("stop the TLS docker engine: %v", err)
		}
	})
	if err := loadTestImage(ctx, e.sock); err != nil {
		missing(t, "TLS docker engine: %v", err)
	}
	return &TLSEngine{Host: host, Socket: e.sock, Certs: certs}
}

func ping(ctx context.Context, host string) error {
	cli, err := client.NewClientWithOpts(client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer cli.Close()
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err = cli.Ping(pctx)
	return err
}

// start runs the engine's dockerd and waits until its socket answers.
func (e engine) start(ctx context.Context) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("not root: cannot start %s", e.name)
	}
	for _, d := range []string{e.dataRoot(), e.execRoot()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	logf, err := os.OpenFile(e.logFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	if e.netns == "" && exec.Command("ip", "link", "show", e.bridge).Run() != nil {
		for _, args := range [][]string{
			{"link", "add", e.bridge, "type", "bridge"},
			{"addr", "add", e.bridgeAddr, "dev", e.bridge},
			{"link", "set", e.bridge, "up"},
		} {
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				return fmt.Errorf("ip %v: %v: %s", args, err, out)
			}
		}
	}
	args := []string{"-H", e.sock, "--data-root", e.dataRoot(),
		"--exec-root", e.execRoot(), "--pidfile", e.pidFile(),
		"--containerd-namespace", e.ns, "--containerd-plugins-namespace", "plugins." + e.ns}
	if e.netns == "" {
		// On the host its rules would mix with the first engine's.
		args = append(args, "--bridge="+e.bridge, "--iptables=false")
	}
	args = append(args, e.extraArgs...)
	// The engine outlives this test process: it must not keep a descriptor
	// this process inherited, such as the lock of `flock make test`.
	closeInheritedOnExec()
	cmd := exec.Command("dockerd", args...)
	if e.netns != "" {
		// Not `ip netns exec`: it remounts /sys, and dockerd then fails
		// with "Devices cgroup isn't mounted".
		cmd = exec.Command("nsenter", append([]string{"--net=/var/run/netns/" + e.netns, "dockerd"}, args...)...)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start dockerd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for ping(ctx, e.sock) != nil {
		select {
		case err := <-exited:
			return fmt.Errorf("%s exited: %v (see %s)", e.name, err, e.logFile())
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer (see %s)", e.name, e.logFile())
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

// stop ends the engine named by its pid file, if one runs, and waits for
// it to go (its socket and pid file are then free for a new one).
func (e engine) stop(ctx context.Context) error {
	b, err := os.ReadFile(e.pidFile())
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return os.Remove(e.pidFile())
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return os.Remove(e.pidFile()) // not running: a stale file
	}
	for syscall.Kill(pid, 0) == nil {
		select {
		case <-ctx.Done():
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return fmt.Errorf("%s (pid %d) did not stop; killed", e.name, pid)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// closeInheritedOnExec marks every descriptor above stderr close-on-exec.
// Go opens its own that way already; the others came from the parent.
func closeInheritedOnExec() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// loadTestImage moves the test image over: nothing can be pulled.
func loadTestImage(ctx context.Context, sock string) error {
	out, err := exec.CommandContext(ctx, "sh", "-c",
		"docker save "+BusyboxImage+" | docker -H "+sock+" load -q").CombinedOutput()
	if err != nil {
		return fmt.Errorf("load test image: %v: %s", err, out)
	}
	return nil
}
