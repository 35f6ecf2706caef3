package client_test

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/client"
	"github.com/openbaton-docker/obdocker/pop/poptest"
	"github.com/openbaton-docker/obdocker/pop/server"
)

// This package's Docker tests own 10.203.64.0/18 of the helper's range.
var blocks = poptest.NewBlocks("10.203.64.0/18")

// startServer runs a real server (core over the real engine) on a loopback
// port and gives a client of it.
func startServer(t *testing.T) (poptest.Target, *server.Server) {
	t.Helper()
	cfg, small := serverConfig(t)
	c, srv := serve(t, cfg)
	return poptest.Target{Pop: c, Network: cfg.DefaultNetwork, SmallSubnet: small}, srv
}

// serverConfig is a server configuration on this package's addresses, with
// a unique Pop and a store in a temporary directory.
func serverConfig(t testing.TB) (server.Config, string) {
	t.Helper()
	testenv.Docker(t)
	pcfg, b := poptest.CoreConfig(t, blocks)
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	poptest.RemoveDockerObjects(t, pcfg.PopName)
	return server.Config{
		PopName:        pcfg.PopName,
		Netaddr:        "127.0.0.1:0",
		Users:          server.Users{"tester": {Name: "tester", HashedPassword: string(hash)}},
		AutoRemove:     true,
		DockerHost:     testenv.DockerHost(),
		StorePath:      t.TempDir() + "/popd.db",
		DefaultNetwork: pcfg.DefaultNetwork,
		DefaultSubnet:  pcfg.DefaultSubnet,
		NetworkPool:    pcfg.NetworkPool,
		// The HostOptions case mounts a temporary directory read-only and
		// publishes a free port; docker-popd refuses both by default.
		AllowedBindPrefixes: []string{os.TempDir()},
		AllowedPublishPorts: []string{"1024-65535"},
	}, b.Small
}

// serve runs a server with cfg until the test ends (or the returned server
// is closed) and gives a logged-out client of it.
func serve(t testing.TB, cfg server.Config) (*client.Client, *server.Server) {
	t.Helper()
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	srv := &server.Server{Config: cfg, Logger: log}
	lis, err := net.Listen("tcp", srv.Config.Netaddr)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.ServeListener(context.Background(), lis) }()
	select {
	case <-srv.Ready():
	case err := <-served:
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server not ready after 30s")
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	c, err := client.Dial(t.Context(), client.Options{Addr: srv.Addr().String(), User: "tester", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, srv
}

// TestConformance runs the pop.Pop suite through client → gRPC on a real
// loopback port → server → core → the real engine.
func TestConformance(t *testing.T) {
	poptest.Run(t, func(t *testing.T) poptest.Target {
		tg, _ := startServer(t)
		return tg
	})
}

// TestRestartKeepsState: state lives in the store, so a new server on the
// same store knows the containers, their states and addresses, and a
// client logs in again by itself.
func TestRestartKeepsState(t *testing.T) {
	cfg, _ := serverConfig(t)
	c1, srv1 := serve(t, cfg)
	ctx := t.Context()
	created, err := c1.Create(ctx, pop.ContainerConfig{Name: testenv.Name(t) + "-c", Image: poptest.Image})
	if err != nil {
		t.Fatal(err)
	}
	running, err := c1.Create(ctx, pop.ContainerConfig{Name: testenv.Name(t) + "-r", Image: poptest.Image})
	if err != nil {
		t.Fatal(err)
	}
	if running, err = c1.Start(ctx, pop.ByID(running.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := c1.Info(ctx); err != nil { // c1 is logged in
		t.Fatal(err)
	}
	if err := srv1.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	cfg.Netaddr = srv1.Addr().String() // the same address: c1 reaches the new server
	c2, _ := serve(t, cfg)
	for _, want := range []pop.Container{created, running} {
		got, err := c2.Containers(ctx, pop.ByID(want.ID))
		if err != nil {
			t.Fatalf("after restart: %v", err)
		}
		if got[0].State != want.State || got[0].Endpoints[0].IPv4 != want.Endpoints[0].IPv4 || got[0].Name != want.Name {
			t.Fatalf("after restart: %+v, want %+v", got[0], want)
		}
		if err := c2.Delete(ctx, pop.ByID(want.ID)); err != nil {
			t.Fatalf("delete after restart: %v", err)
		}
	}
	// c1's token died with the first server: it logs in again by itself.
	if _, err := c1.Info(ctx); err != nil {
		t.Fatalf("client of the first server, after restart: %v", err)
	}
}

// startServerB is startServer for benchmarks.
func startServerB(b *testing.B) *client.Client {
	cfg, _ := serverConfig(b)
	c, _ := serve(b, cfg)
	return c
}
