package main

import (
	"context"
	"log"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		doc     string
		port    string // "" leaves ECHO_PORT unset
		want    int
		wantErr bool
	}{
		{doc: "default port is 7", want: 7},
		{doc: "ECHO_PORT sets the port", port: "7007", want: 7007},
		{doc: "a non-number is refused", port: "seven", wantErr: true},
		{doc: "port 0 is refused", port: "0", wantErr: true},
		{doc: "ports above 65535 are refused", port: "70000", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			if tc.port != "" {
				t.Setenv("ECHO_PORT", tc.port)
			}
			cfg, err := loadConfig()
			if (err != nil) != tc.wantErr {
				t.Fatalf("loadConfig() error = %v, want error %v", err, tc.wantErr)
			}
			if err == nil && cfg.Port != tc.want {
				t.Fatalf("Port = %d, want %d", cfg.Port, tc.want)
			}
		})
	}
}

func TestServeEchoesAndStops(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs testenv.Buffer
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, conn, log.New(&logs, "", 0)) }()

	c, err := net.Dial("udp", conn.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, msg := range []string{"hello", "", "second"} {
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 100)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("read echo of %q: %v", msg, err)
		}
		if got := string(buf[:n]); got != msg {
			t.Fatalf("echo = %q, want %q", got, msg)
		}
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("serve after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
	if got := logs.String(); !strings.Contains(got, "echoing to new peer "+c.LocalAddr().String()) {
		t.Fatalf("log does not name the peer once:\n%s", got)
	}
}
