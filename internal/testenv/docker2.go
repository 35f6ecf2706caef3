package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"
)

// SecondDockerHost is the second engine for many-PoP tests.
const SecondDockerHost = "unix:///var/run/docker2.sock"

// secondBridge is the second engine's default bridge (10.201.199.0/24).
const secondBridge = "docker1"

var secondOnce sync.Once
var secondErr error

// SecondDocker starts (once, if it is not already up) a second Docker
// engine beside the first, with its own socket, data root, exec root, pid
// file and containerd namespace, and loads the test image into it. It
// returns a client of it. The engine is left running for later tests.
func SecondDocker(t testing.TB) *client.Client {
	t.Helper()
	Docker(t)
	secondOnce.Do(func() { secondErr = startSecondDocker() })
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

func pingSecond(ctx context.Context) error {
	cli, err := client.NewClientWithOpts(client.WithHost(SecondDockerHost), client.WithAPIVersionNegotiation())
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.Ping(ctx)
	return err
}

func startSecondDocker() error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if pingSecond(ctx) != nil {
		if os.Geteuid() != 0 {
			return fmt.Errorf("not root: cannot start a second dockerd")
		}
		for _, d := range []string{"/var/lib/docker2", "/var/run/docker2"} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return err
			}
		}
		logf, err := os.OpenFile("/var/log/docker2.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		// Its own default bridge: with --bridge=none a dockerd deletes the
		// host's docker0, breaking the first engine's default network.
		if err := exec.Command("ip", "link", "show", secondBridge).Run(); err != nil {
			for _, args := range [][]string{
				{"link", "add", secondBridge, "type", "bridge"},
				{"addr", "add", "10.201.199.1/24", "dev", secondBridge},
				{"link", "set", secondBridge, "up"},
			} {
				if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
					return fmt.Errorf("ip %v: %v: %s", args, err, out)
				}
			}
		}
		cmd := exec.Command("dockerd", "-H", SecondDockerHost, "--data-root", "/var/lib/docker2",
			"--exec-root", "/var/run/docker2", "--pidfile", "/var/run/docker2.pid", "--bridge="+secondBridge,
			"--iptables=false", "--containerd-namespace", "moby2", "--containerd-plugins-namespace", "plugins.moby2")
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start dockerd: %w", err)
		}
		go cmd.Wait()
		for pingSecond(ctx) != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("second dockerd did not answer (see /var/log/docker2.log)")
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	// Move the test image over: nothing can be pulled.
	out, err := exec.CommandContext(ctx, "sh", "-c",
		"docker save "+BusyboxImage+" | docker -H "+SecondDockerHost+" load -q").CombinedOutput()
	if err != nil {
		return fmt.Errorf("load test image: %v: %s", err, out)
	}
	return nil
}
