package main

import (
	"context"
	"log"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		doc     string
		env     map[string]string
		want    config
		wantErr string
	}{
		{doc: "SERVER_IP alone gives the defaults", env: map[string]string{"SERVER_IP": "10.0.0.1"},
			want: config{ServerIP: "10.0.0.1", ServerPort: 7, Interval: time.Second, Timeout: time.Second}},
		{doc: "every variable is read", env: map[string]string{"SERVER_IP": "h", "SERVER_PORT": "7007",
			"ECHO_INTERVAL": "250ms", "ECHO_TIMEOUT": "2s", "ECHO_COUNT": "3"},
			want: config{ServerIP: "h", ServerPort: 7007, Interval: 250 * time.Millisecond, Timeout: 2 * time.Second, Count: 3}},
		{doc: "a missing SERVER_IP is refused", env: map[string]string{}, wantErr: "SERVER_IP"},
		{doc: "an empty SERVER_IP is refused", env: map[string]string{"SERVER_IP": ""}, wantErr: "SERVER_IP"},
		{doc: "a bad port is refused", env: map[string]string{"SERVER_IP": "h", "SERVER_PORT": "0"}, wantErr: "SERVER_PORT"},
		{doc: "a zero interval is refused", env: map[string]string{"SERVER_IP": "h", "ECHO_INTERVAL": "0s"}, wantErr: "ECHO_INTERVAL"},
		{doc: "a negative count is refused", env: map[string]string{"SERVER_IP": "h", "ECHO_COUNT": "-1"}, wantErr: "ECHO_COUNT"},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			got, err := loadConfig()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("loadConfig() error = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("loadConfig() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestFormatRTT(t *testing.T) {
	tests := []struct {
		doc  string
		d    time.Duration
		want string
	}{
		{"milliseconds with one decimal", 1234 * time.Microsecond, "1.2ms"},
		{"below a millisecond with two decimals", 345 * time.Microsecond, "0.34ms"},
		{"seconds stay in milliseconds", 2 * time.Second, "2000.0ms"},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			if got := formatRTT(tc.d); got != tc.want {
				t.Fatalf("formatRTT(%s) = %q, want %q", tc.d, got, tc.want)
			}
		})
	}
}

// echoServer answers on loopback; with stale set it first sends a stale
// datagram, as a late echo of an earlier round would be.
func echoServer(t *testing.T, stale bool) *net.UDPAddr {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			if stale {
				conn.WriteTo([]byte("obdocker-echo 0"), from)
			}
			conn.WriteTo(buf[:n], from)
		}
	}()
	return conn.LocalAddr().(*net.UDPAddr)
}

func TestRunLogsRoundTrips(t *testing.T) {
	for _, stale := range []bool{false, true} {
		addr := echoServer(t, stale)
		var logs testenv.Buffer
		cfg := config{ServerIP: "127.0.0.1", ServerPort: addr.Port, Interval: 10 * time.Millisecond, Timeout: 5 * time.Second, Count: 3}
		if err := run(t.Context(), cfg, log.New(&logs, "", 0)); err != nil {
			t.Fatalf("run (stale echoes %v) = %v\n%s", stale, err, logs.String())
		}
		for n := 1; n <= 3; n++ {
			re := regexp.MustCompile(`(?m)^round trip ` + strconv.Itoa(n) + ` to 127\.0\.0\.1:\d+: \d+\.\d+ms ok$`)
			if !re.MatchString(logs.String()) {
				t.Fatalf("log lacks round trip %d (stale echoes %v):\n%s", n, stale, logs.String())
			}
		}
	}
}

func TestRunReportsFailures(t *testing.T) {
	// A closed port: nothing answers (ICMP refusal or silence, depending on the host).
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	conn.Close()
	var logs testenv.Buffer
	cfg := config{ServerIP: "127.0.0.1", ServerPort: port, Interval: 10 * time.Millisecond, Timeout: 200 * time.Millisecond, Count: 2}
	err = run(t.Context(), cfg, log.New(&logs, "", 0))
	if err == nil || !strings.Contains(err.Error(), "2 of 2 round trips") {
		t.Fatalf("run = %v, want 2 of 2 round trips failed", err)
	}
	if !strings.Contains(logs.String(), "round trip 1 to 127.0.0.1:") || !strings.Contains(logs.String(), ": failed: ") {
		t.Fatalf("log lacks the failed round trip:\n%s", logs.String())
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	addr := echoServer(t, false)
	ctx, cancel := context.WithCancel(t.Context())
	cfg := config{ServerIP: "127.0.0.1", ServerPort: addr.Port, Interval: time.Hour, Timeout: time.Second}
	errc := make(chan error, 1)
	var logs testenv.Buffer
	go func() { errc <- run(ctx, cfg, log.New(&logs, "", 0)) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "round trip 1 ") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("run after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
}

// TestRunResolvesANameAgainAfterAFailure: with SERVER_IP a name, a failed
// round trip makes the client resolve it again, so a server that moved (a
// Swarm task rescheduled with a new task address) is reached again. The
// name first resolves to a port nothing answers on, then to a live server.
func TestRunResolvesANameAgainAfterAFailure(t *testing.T) {
	live := echoServer(t, false)
	dead, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.LocalAddr().String()
	dead.Close()
	var dials []string
	dial := func(ctx context.Context, addr string) (net.Conn, error) {
		dials = append(dials, addr)
		to := live.String()
		if len(dials) == 1 {
			to = deadAddr
		}
		return dialUDP(ctx, to)
	}
	var logs testenv.Buffer
	cfg := config{ServerIP: "echo.test", ServerPort: 7, Interval: 10 * time.Millisecond, Timeout: 200 * time.Millisecond, Count: 3}
	err = runWith(t.Context(), cfg, log.New(&logs, "", 0), dial)
	if err == nil || !strings.Contains(err.Error(), "1 of 3 round trips to echo.test:7 failed") {
		t.Fatalf("run = %v, want 1 of 3 failed\n%s", err, logs.String())
	}
	if len(dials) != 2 || dials[1] != "echo.test:7" {
		t.Fatalf("dials %v, want echo.test:7 twice (once more after the failure)", dials)
	}
	for _, want := range []string{"echo client sending to udp echo.test:7 (" + deadAddr + ")", "round trip 1 to echo.test:7: failed",
		"echo.test:7 now resolves to " + live.String(), "round trip 3 to echo.test:7: "} {
		if !strings.Contains(logs.String(), want) {
			t.Fatalf("log lacks %q:\n%s", want, logs.String())
		}
	}
	// An address is not resolved again: it cannot move.
	dials = nil
	cfg.ServerIP = "127.0.0.1"
	_ = runWith(t.Context(), cfg, log.New(&logs, "", 0), func(ctx context.Context, addr string) (net.Conn, error) {
		dials = append(dials, addr)
		return dialUDP(ctx, deadAddr)
	})
	if len(dials) != 1 {
		t.Fatalf("an IP address was dialled %d times, want once", len(dials))
	}
}

// TestRunWaitsForANameToResolve: a name that does not resolve yet (a Swarm
// server whose task is not running yet) is tried again every interval
// instead of ending the client.
func TestRunWaitsForANameToResolve(t *testing.T) {
	live := echoServer(t, false)
	dials := 0
	dial := func(ctx context.Context, addr string) (net.Conn, error) {
		dials++
		if dials < 3 {
			return nil, &net.DNSError{Err: "no such host", Name: "echo.test", IsNotFound: true}
		}
		return dialUDP(ctx, live.String())
	}
	var logs testenv.Buffer
	cfg := config{ServerIP: "echo.test", ServerPort: 7, Interval: 10 * time.Millisecond, Timeout: time.Second, Count: 2}
	if err := runWith(t.Context(), cfg, log.New(&logs, "", 0), dial); err != nil {
		t.Fatalf("run = %v\n%s", err, logs.String())
	}
	if dials != 3 || strings.Count(logs.String(), "resolve echo.test:7: ") != 2 {
		t.Fatalf("%d dials, want 3 (two failed lookups logged):\n%s", dials, logs.String())
	}
}
