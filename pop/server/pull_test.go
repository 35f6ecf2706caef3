package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop/client"
)

// TestPullWithOwnCredentials: docker-popd pulls with the Docker config.json
// of its own configuration (DockerConfigPath, relative to the file); one
// without it gets the registry's refusal naming the image, as a plain
// error (not Unauthenticated, which would send the client to log in again).
func TestPullWithOwnCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("real dockerd and registry")
	}
	raw := testenv.Docker(t)
	reg := testenv.AuthRegistry(t)
	ref := reg.Host + "/obdtest/" + testenv.Name(t) + ":v1"
	reg.Push(t, raw, testenv.BusyboxImage, strings.TrimPrefix(ref, reg.Host+"/"))
	t.Cleanup(func() {
		if err := testenv.RemoveImage(raw, ref); err != nil {
			t.Error(err)
		}
	})

	dir := t.TempDir()
	b, err := os.ReadFile(reg.DockerConfig(t, reg.User, reg.Password))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "auth.json"), b, 0o600)
	os.WriteFile(filepath.Join(dir, "popd.toml"), []byte("DockerConfigPath = \"auth.json\"\nPullTimeout = \"1m\"\n[Users.a]\nHashedPassword = \""+testConfig(t).Users["a"].HashedPassword+"\"\n"), 0o600)
	fileCfg, err := LoadConfig(filepath.Join(dir, "popd.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if fileCfg.DockerConfigPath != filepath.Join(dir, "auth.json") || fileCfg.PullTimeout != time.Minute {
		t.Fatalf("loaded %q %s", fileCfg.DockerConfigPath, fileCfg.PullTimeout)
	}

	pull := func(configPath string) (string, error) {
		cfg := testConfig(t)
		cfg.Netaddr = "127.0.0.1:0"
		cfg.PopName = testenv.Name(t)
		cfg.DefaultNetwork = cfg.PopName
		cfg.DefaultSubnet = "10.204.236.0/24"
		cfg.DockerConfigPath = configPath
		logs := &testenv.Buffer{}
		l := logrus.New()
		l.SetOutput(logs)
		srv := &Server{Config: cfg, Logger: l}
		served := make(chan error, 1)
		go func() { served <- srv.Serve() }()
		select {
		case <-srv.Ready():
		case err := <-served:
			t.Fatalf("serve: %v", err)
		}
		defer func() {
			srv.Close()
			testenv.RemovePopObjects(raw, cfg.PopName)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		c, err := client.Dial(ctx, client.Options{Addr: srv.Addr().String(), User: "a", Password: "pw"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.PullImage(ctx, ref)
		return logs.String(), err
	}

	logs, err := pull("")
	if err == nil {
		t.Fatal("pulled without credentials")
	}
	t.Logf("without credentials: %v", err)
	if !strings.Contains(err.Error(), ref) || !strings.Contains(err.Error(), "no basic auth credentials") || strings.Contains(err.Error(), "log in") {
		t.Errorf("error: %v", err)
	}
	logs, err = pull(fileCfg.DockerConfigPath)
	if err != nil {
		t.Fatalf("pull with DockerConfigPath: %v", err)
	}
	if strings.Contains(logs, reg.Password) {
		t.Error("the registry password is in docker-popd's log")
	}
}
