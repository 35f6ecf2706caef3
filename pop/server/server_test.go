package server

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

func testConfig(t testing.TB) Config {
	return Config{Users: Users{"a": cheapUser(t, "a", "pw")}, LogLevel: logrus.DebugLevel}
}

func TestServeAddressInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfg := testConfig(t)
	cfg.Netaddr = busy.Addr().String()
	srv := &Server{Config: cfg, Logger: logrus.New()}
	err = srv.Serve()
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), cfg.Netaddr) {
		t.Fatalf("Serve on a busy address: %v", err)
	}
}

func TestServeInvalidConfig(t *testing.T) {
	srv := &Server{Config: Config{Netaddr: "127.0.0.1:0"}, Logger: logrus.New()}
	if err := srv.Serve(); err == nil || !strings.Contains(err.Error(), "no user") {
		t.Fatalf("Serve without users: %v", err)
	}
}

func TestCloseBeforeServe(t *testing.T) {
	srv := &Server{Config: testConfig(t), Pop: nil}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// A Docker host that does not answer: Serve fails clearly, and Close while
// it is still connecting returns promptly.
func TestServeWithoutDocker(t *testing.T) {
	cfg := testConfig(t)
	cfg.Netaddr = "127.0.0.1:0"
	cfg.DockerHost = "unix://" + t.TempDir() + "/no-docker.sock"
	logger, _ := test.NewNullLogger()
	srv := &Server{Config: cfg, Logger: logger}
	err := srv.Serve()
	if err == nil || !strings.Contains(err.Error(), "Docker") {
		t.Fatalf("Serve without Docker: %v", err)
	}
}

func TestServeContextCancel(t *testing.T) {
	cfg := testConfig(t)
	cfg.Netaddr = "127.0.0.1:0"
	srv := &Server{Config: cfg, Logger: logrus.New(), Pop: nopPop{}}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.ServeContext(ctx) }()
	select {
	case <-srv.Ready():
	case err := <-served:
		t.Fatalf("serve: %v", err)
	}
	if srv.Addr() == nil || strings.HasSuffix(srv.Addr().String(), ":0") {
		t.Fatalf("Addr = %v", srv.Addr())
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("ServeContext after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeContext did not return")
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLoggerLevelOnACopy(t *testing.T) {
	base := logrus.New()
	base.SetLevel(logrus.WarnLevel)
	srv := &Server{Logger: base}
	l := srv.logger(Config{LogLevel: logrus.DebugLevel}).(*logrus.Logger)
	if l == base || l.GetLevel() != logrus.DebugLevel || base.GetLevel() != logrus.WarnLevel {
		t.Fatalf("levels: copy %v, base %v", l.GetLevel(), base.GetLevel())
	}
	if srv.logger(Config{}) != base {
		t.Fatal("zero LogLevel must leave the logger alone")
	}
}
