// Command obdocker-health is the health check of the deploy images, which
// are FROM scratch and so have no shell, curl or nc to run one with.
//
//	obdocker-health plugin      the plugin is registered and consuming: its
//	                            queue vim-drivers.docker.<name> exists with at
//	                            least one consumer, and its default Docker
//	                            endpoint answers /_ping
//	obdocker-health vnfm        the Docker VNFM is registered and consuming:
//	                            its endpoint queue (OBDOCKER_VNFM_ENDPOINT,
//	                            else OBDOCKER_VNFM_TYPE, docker-vnfm for
//	                            type docker, the default)
//	                            has a consumer, the NFVO's own liveness test
//	                            of a VNFM
//	obdocker-health tcp ADDR    something accepts TCP connections on ADDR
//	                            (docker-popd's gRPC port)
//
// The plugin check reads the same OBDOCKER_* variables as the daemon, so it
// needs no arguments in a compose file. It asks the broker as the bootstrap
// registration user: a passive queue declare needs no permission on the
// queue, and it answers the consumer count, which is exactly the NFVO's idea
// of a live plugin (protocol spec §1.6: the queue is autoDelete and vanishes
// with the last consumer).
//
// Exit status: 0 healthy, 1 unhealthy, 2 usage or configuration error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/openbaton-docker/obdocker/internal/version"
	"github.com/openbaton-docker/obdocker/plugin"
)

// defaultDockerHost is the daemon's OBDOCKER_DOCKER_HOST default. The check
// reads that one variable itself rather than importing the daemon's wiring,
// which would put the whole Docker client in this binary.
const defaultDockerHost = "unix:///var/run/docker.sock"

// timeout bounds one whole check; Docker's health check timeout should be
// longer.
const timeout = 8 * time.Second

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: obdocker-health plugin | obdocker-health tcp HOST:PORT")
		return 2
	}
	var err error
	switch args[0] {
	case "-version", "--version":
		fmt.Fprintln(stdout, "obdocker-health", version.String())
		return 0
	case "plugin":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "usage: obdocker-health plugin (configured by the OBDOCKER_* environment)")
			return 2
		}
		cfg, cerr := plugin.LoadConfig(nil)
		if cerr != nil {
			fmt.Fprintln(stderr, "obdocker-health:", cerr)
			return 2
		}
		dockerHost := os.Getenv(plugin.EnvPrefix + "_DOCKER_HOST")
		if dockerHost == "" {
			dockerHost = defaultDockerHost
		}
		err = checkPlugin(ctx, cfg, dockerHost, stdout)
	case "vnfm":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "usage: obdocker-health vnfm (configured by the OBDOCKER_VNFM_* environment)")
			return 2
		}
		cfg, queue, cerr := vnfmConfig(os.Getenv)
		if cerr != nil {
			fmt.Fprintln(stderr, "obdocker-health:", cerr)
			return 2
		}
		err = checkQueue(ctx, cfg, queue, stdout)
	case "tcp":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "usage: obdocker-health tcp HOST:PORT")
			return 2
		}
		err = checkTCP(ctx, args[1], stdout)
	default:
		fmt.Fprintf(stderr, "obdocker-health: unknown check %q (want plugin, vnfm or tcp)\n", args[0])
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "unhealthy:", err)
		return 1
	}
	return 0
}

// checkPlugin checks the plugin queue's consumers, then the Docker socket.
func checkPlugin(ctx context.Context, cfg plugin.Config, dockerHost string, out io.Writer) error {
	if err := checkQueue(ctx, cfg, cfg.ID(), out); err != nil {
		return err
	}
	if sock, ok := strings.CutPrefix(dockerHost, "unix://"); ok {
		if err := pingDocker(ctx, sock); err != nil {
			return err
		}
		fmt.Fprintf(out, "docker %s: ok\n", dockerHost)
	}
	return nil
}

// checkQueue wants at least one consumer on queue.
func checkQueue(ctx context.Context, cfg plugin.Config, queue string, out io.Writer) error {
	n, err := queueConsumers(ctx, cfg, queue)
	if err != nil {
		return err
	}
	if n < 1 {
		return fmt.Errorf("queue %s has no consumer: its daemon is not serving", queue)
	}
	fmt.Fprintf(out, "queue %s: %d consumers\n", queue, n)
	return nil
}

// vnfmConfig reads the broker settings of the Docker VNFM
// (OBDOCKER_VNFM_*, with the VNFM's defaults) into a plugin.Config for the
// broker URL, and its endpoint queue. The VNFM's own loader is not used:
// it would link the VNFM, the VIM driver and the Docker client into this
// binary. deploy/compose_test.go checks the compose file against it.
func vnfmConfig(getenv func(string) string) (plugin.Config, string, error) {
	get := func(name, def string) string {
		if v := getenv("OBDOCKER_VNFM_" + name); v != "" {
			return v
		}
		return def
	}
	cfg := plugin.DefaultConfig()
	cfg.BrokerHost = get("BROKER_HOST", "localhost")
	cfg.BrokerVhost = get("BROKER_VHOST", "/")
	cfg.BrokerUser = get("BROKER_USER", "openbaton-manager-user")
	cfg.BrokerPassword = get("BROKER_PASSWORD", "openbaton")
	port, err := strconv.Atoi(get("BROKER_PORT", "5672"))
	if err != nil || port < 1 || port > 65535 {
		return plugin.Config{}, "", fmt.Errorf("OBDOCKER_VNFM_BROKER_PORT %q is not a TCP port", get("BROKER_PORT", ""))
	}
	cfg.BrokerPort = port
	// The VNFM's rule (vnfm.defaultEndpoint): its type, except that type
	// docker listens on docker-vnfm.
	typ := get("TYPE", "docker")
	queue := typ
	if typ == "docker" {
		queue = "docker-vnfm"
	}
	queue = get("ENDPOINT", queue)
	return cfg, queue, nil
}

// queueConsumers declares queue passively and returns its consumer count.
// A missing queue closes the channel with 404, which is the "plugin not
// found" the NFVO would see.
func queueConsumers(ctx context.Context, pc plugin.Config, queue string) (int, error) {
	deadline, _ := ctx.Deadline()
	conn, err := amqp.DialConfig(pc.URL(pc.BrokerUser, pc.BrokerPassword), amqp.Config{
		Dial:       amqp.DefaultDial(time.Until(deadline)),
		Properties: amqp.Table{"connection_name": "obdocker-health " + queue},
	})
	if err != nil {
		return 0, fmt.Errorf("broker %s:%d as %s: %w", pc.BrokerHost, pc.BrokerPort, pc.BrokerUser, err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return 0, fmt.Errorf("broker channel: %w", err)
	}
	type result struct {
		q   amqp.Queue
		err error
	}
	res := make(chan result, 1)
	go func() {
		q, err := ch.QueueDeclarePassive(queue, true, true, false, false, nil)
		res <- result{q, err}
	}()
	select {
	case r := <-res:
		if r.err != nil {
			var aerr *amqp.Error
			if errors.As(r.err, &aerr) && aerr.Code == amqp.NotFound {
				return 0, fmt.Errorf("queue %s does not exist: its daemon is not registered or not serving", queue)
			}
			return 0, fmt.Errorf("queue %s: %w", queue, r.err)
		}
		return r.q.Consumers, nil
	case <-ctx.Done():
		// Closing the connection (deferred) ends the declare.
		return 0, fmt.Errorf("queue %s: %w", queue, ctx.Err())
	}
}

// pingDocker asks the engine behind a unix socket for /_ping.
func pingDocker(ctx context.Context, sock string) error {
	var d net.Dialer
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/_ping", nil)
	if err != nil {
		return fmt.Errorf("docker ping: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("docker socket %s: %w (is it mounted, and may this user open it? see --group-add)", sock, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("docker socket %s: /_ping answered %s", sock, resp.Status)
	}
	return nil
}

// checkTCP dials addr once.
func checkTCP(ctx context.Context, addr string, out io.Writer) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("tcp %s: %w", addr, err)
	}
	c.Close()
	fmt.Fprintf(out, "tcp %s: ok\n", addr)
	return nil
}
