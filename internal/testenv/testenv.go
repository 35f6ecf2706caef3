// Package testenv finds the real services integration tests need. Locally a
// missing service skips the test; under CI=true it fails it, so CI never
// passes by skipping.
package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"
	"github.com/google/uuid"
)

// BusyboxImage is the local test image built by scripts/test-images.sh.
// MODE=exit (with EXIT_CODE) exits at once, MODE=ignore-term ignores SIGTERM,
// otherwise it runs until SIGTERM and exits 0.
const BusyboxImage = "obdocker-test/busybox:latest"

// CI reports whether missing services must fail the run.
func CI() bool { return os.Getenv("CI") == "true" }

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("%s (CI=true: a missing service is a failure; run `make deps`)", msg)
	}
	t.Skipf("%s (run `make deps`)", msg)
}

// DockerHost is the engine under test: DOCKER_HOST or the default socket.
func DockerHost() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return "unix:///var/run/docker.sock"
}

// Docker returns a client of the real engine, with the test image present.
func Docker(t testing.TB) *client.Client {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.WithHost(DockerHost()), client.WithAPIVersionNegotiation())
	if err != nil {
		missing(t, "docker client: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		cli.Close()
		missing(t, "docker engine at %s does not answer: %v", DockerHost(), err)
	}
	if _, err := cli.ImageInspect(ctx, BusyboxImage); err != nil {
		cli.Close()
		missing(t, "test image %s missing: %v (run scripts/test-images.sh)", BusyboxImage, err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// AMQPURL is the broker under test, as the NFVO admin user.
func AMQPURL() string {
	if u := os.Getenv("OBDOCKER_TEST_AMQP_URL"); u != "" {
		return u
	}
	return "amqp://admin:openbaton@127.0.0.1:5672/"
}

// ManagementURL is the broker's management API.
func ManagementURL() string {
	if u := os.Getenv("OBDOCKER_TEST_MGMT_URL"); u != "" {
		return u
	}
	return "http://127.0.0.1:15672"
}

// RabbitMQ checks that the broker and its management API listen, and
// returns the AMQP URL.
func RabbitMQ(t testing.TB) string {
	t.Helper()
	for _, addr := range []string{"127.0.0.1:5672", "127.0.0.1:15672"} {
		c, err := net.DialTimeout("tcp", addr, 3*time.Second)
		if err != nil {
			missing(t, "rabbitmq at %s: %v", addr, err)
		}
		c.Close()
	}
	return AMQPURL()
}

// Name returns a unique, Docker-safe name for a test resource.
func Name(t testing.TB) string {
	n := strings.ToLower(t.Name())
	n = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			return r
		}
		return '-'
	}, n)
	if len(n) > 30 {
		n = n[:30]
	}
	return n + "-" + uuid.NewString()[:8]
}

// Disruptive skips tests that restart or cut shared services unless
// OBDOCKER_DISRUPTIVE=1; `make test` runs them in a sequential pass of their
// own so they cannot break tests running beside them.
func Disruptive(t testing.TB) {
	t.Helper()
	if os.Getenv("OBDOCKER_DISRUPTIVE") != "1" {
		t.Skip("disruptive test: runs in the sequential pass (OBDOCKER_DISRUPTIVE=1)")
	}
}

// Serial skips tests that must run with no other test beside them unless
// OBDOCKER_DISRUPTIVE=1 (the sequential pass): a test that compares the
// whole engine's and broker's objects before and after it (Snapshot,
// CheckNoLeaks) otherwise counts another package's containers, networks,
// users or queues as its own leaks. Their names start with TestSerial,
// which the sequential pass of `make test` selects.
func Serial(t testing.TB) {
	t.Helper()
	if os.Getenv("OBDOCKER_DISRUPTIVE") != "1" {
		t.Skip("compares the whole engine and broker before and after: runs in the sequential pass (OBDOCKER_DISRUPTIVE=1)")
	}
}
