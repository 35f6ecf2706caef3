package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"strconv"

	"github.com/kelseyhightower/envconfig"
)

// config is the image's whole configuration: the variables its Dockerfile
// declares in org.openbaton-docker.nfv.env.* labels.
type config struct {
	// Port is the UDP port to echo on.
	Port int `envconfig:"ECHO_PORT" default:"7"`
}

func loadConfig() (config, error) {
	var cfg config
	if err := envconfig.Process("", &cfg); err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return cfg, fmt.Errorf("config: ECHO_PORT=%d is not a port (1-65535)", cfg.Port)
	}
	return cfg, nil
}

func run(ctx context.Context, cfg config, logger *log.Logger) error {
	var lc net.ListenConfig
	conn, err := lc.ListenPacket(ctx, "udp", net.JoinHostPort("", strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	logger.Printf("echo server listening on udp %s", conn.LocalAddr())
	return serve(ctx, conn, logger)
}

// maxPeers bounds the set of peers logged once each, so a scan cannot grow it.
const maxPeers = 1024

// serve echoes every datagram back to its sender until ctx ends, then
// closes conn.
func serve(ctx context.Context, conn net.PacketConn, logger *log.Logger) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		// Closing the socket is what unblocks ReadFrom when ctx ends.
		select {
		case <-ctx.Done():
		case <-done:
		}
		conn.Close()
	}()
	peers := map[string]bool{}
	buf := make([]byte, 64*1024)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				logger.Printf("echo server stopped")
				return nil
			}
			return fmt.Errorf("read: %w", err)
		}
		if _, err := conn.WriteTo(buf[:n], from); err != nil {
			// One unreachable peer must not stop the server.
			logger.Printf("echo to %s failed: %v", from, err)
			continue
		}
		if p := from.String(); !peers[p] && len(peers) < maxPeers {
			peers[p] = true
			logger.Printf("echoing to new peer %s", p)
		}
	}
}
