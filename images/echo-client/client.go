package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"strconv"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// config is the image's whole configuration: the variables its Dockerfile
// declares in org.openbaton-docker.nfv.env.* labels. SERVER_IP is what the
// VNFM sets for a dependency on a VNF of type "server" with parameter "ip"
// (UPPER(type)_UPPER(key)).
type config struct {
	ServerIP   string        `envconfig:"SERVER_IP" required:"true"`
	ServerPort int           `envconfig:"SERVER_PORT" default:"7"`
	Interval   time.Duration `envconfig:"ECHO_INTERVAL" default:"1s"`
	Timeout    time.Duration `envconfig:"ECHO_TIMEOUT" default:"1s"`
	// Count stops after that many round trips; 0 runs until stopped.
	Count int `envconfig:"ECHO_COUNT" default:"0"`
}

func loadConfig() (config, error) {
	var cfg config
	if err := envconfig.Process("", &cfg); err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	switch {
	case cfg.ServerIP == "":
		return cfg, errors.New("config: SERVER_IP is empty (the echo server's address)")
	case cfg.ServerPort < 1 || cfg.ServerPort > 65535:
		return cfg, fmt.Errorf("config: SERVER_PORT=%d is not a port (1-65535)", cfg.ServerPort)
	case cfg.Interval <= 0:
		return cfg, fmt.Errorf("config: ECHO_INTERVAL=%s must be positive", cfg.Interval)
	case cfg.Timeout <= 0:
		return cfg, fmt.Errorf("config: ECHO_TIMEOUT=%s must be positive", cfg.Timeout)
	case cfg.Count < 0:
		return cfg, fmt.Errorf("config: ECHO_COUNT=%d must not be negative", cfg.Count)
	}
	return cfg, nil
}

// dialFunc opens the UDP "connection" to addr (host:port); tests replace
// the resolver behind it.
type dialFunc func(ctx context.Context, addr string) (net.Conn, error)

func dialUDP(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "udp", addr)
}

// run does a round trip every cfg.Interval until ctx ends (nil) or, with
// cfg.Count set, until Count round trips are done (an error if any failed).
func run(ctx context.Context, cfg config, logger *log.Logger) error {
	return runWith(ctx, cfg, logger, dialUDP)
}

func runWith(ctx context.Context, cfg config, logger *log.Logger, dial dialFunc) error {
	addr := net.JoinHostPort(cfg.ServerIP, strconv.Itoa(cfg.ServerPort))
	// A name (a Swarm service's tasks.NAME, say) may not resolve yet, and
	// may point elsewhere once the server moved: it is tried every interval
	// until it resolves, and resolved again after each failed round trip.
	// An IP address is kept as it is.
	byName := net.ParseIP(cfg.ServerIP) == nil
	conn, err := dial(ctx, addr)
	for err != nil && byName {
		logger.Printf("resolve %s: %v (trying again in %s)", addr, err, cfg.Interval)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(cfg.Interval):
		}
		conn, err = dial(ctx, addr)
	}
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	defer func() { conn.Close() }()
	if byName {
		logger.Printf("echo client sending to udp %s (%s) every %s", addr, conn.RemoteAddr(), cfg.Interval)
	} else {
		logger.Printf("echo client sending to udp %s every %s", addr, cfg.Interval)
	}

	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	failed := 0
	for n := 1; cfg.Count == 0 || n <= cfg.Count; n++ {
		rtt, err := roundTrip(ctx, conn, n, cfg.Timeout)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			failed++
			logger.Printf("round trip %d to %s: failed: %v", n, addr, err)
			if byName {
				if nc, derr := dial(ctx, addr); derr != nil {
					logger.Printf("resolve %s again: %v (keeping %s)", addr, derr, conn.RemoteAddr())
				} else {
					if nc.RemoteAddr().String() != conn.RemoteAddr().String() {
						logger.Printf("%s now resolves to %s", addr, nc.RemoteAddr())
					}
					conn.Close()
					conn = nc
				}
			}
		default:
			logger.Printf("round trip %d to %s: %s ok", n, addr, formatRTT(rtt))
		}
		if cfg.Count != 0 && n == cfg.Count {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d round trips to %s failed", failed, cfg.Count, addr)
	}
	return nil
}

// roundTrip sends datagram n and waits up to timeout for its echo. Late
// echoes of earlier datagrams are skipped, not mistaken for this one.
func roundTrip(ctx context.Context, conn net.Conn, n int, timeout time.Duration) (time.Duration, error) {
	payload := "obdocker-echo " + strconv.Itoa(n)
	start := time.Now()
	deadline := start.Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return 0, fmt.Errorf("set deadline: %w", err)
	}
	if _, err := conn.Write([]byte(payload)); err != nil {
		return 0, fmt.Errorf("send: %w", err)
	}
	buf := make([]byte, 512)
	for {
		m, err := conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return 0, fmt.Errorf("no echo within %s", timeout)
			}
			return 0, fmt.Errorf("receive: %w", err)
		}
		if string(buf[:m]) == payload {
			return time.Since(start), nil
		}
	}
}

// formatRTT prints a round-trip time in milliseconds, e.g. 1.2ms; below a
// millisecond with one more digit, so loopback times are not all 0.0ms.
func formatRTT(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if ms < 1 {
		return strconv.FormatFloat(ms, 'f', 2, 64) + "ms"
	}
	return strconv.FormatFloat(ms, 'f', 1, 64) + "ms"
}
