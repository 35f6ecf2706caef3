package vimdriver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPullSettings: OBDOCKER_DOCKER_CONFIG is read and checked at start
// (a bad file names the variable and the file, never its content);
// OBDOCKER_PULL_TIMEOUT defaults to 5 minutes and must be positive.
func TestPullSettings(t *testing.T) {
	cfg, err := LoadConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Driver.PullTimeout != 5*time.Minute || cfg.Driver.DockerConfig != "" {
		t.Fatalf("defaults: %s %q", cfg.Driver.PullTimeout, cfg.Driver.DockerConfig)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"auths":{"reg:5000":{"auth":"dTpw"}}}`), 0o600)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"auths":{"reg:5000":{"auth":"hunter2-secret`), 0o600)

	t.Setenv("OBDOCKER_DOCKER_CONFIG", good)
	t.Setenv("OBDOCKER_PULL_TIMEOUT", "90s")
	cfg, err = LoadConfig(nil)
	if err != nil || cfg.Driver.DockerConfig != good || cfg.Driver.PullTimeout != 90*time.Second {
		t.Fatalf("%+v %v", cfg.Driver, err)
	}
	t.Setenv("OBDOCKER_DOCKER_CONFIG", bad)
	t.Setenv("OBDOCKER_PULL_TIMEOUT", "0s")
	_, err = LoadConfig(nil)
	if err == nil {
		t.Fatal("a bad config.json and a zero timeout were accepted")
	}
	msg := err.Error()
	for _, want := range []string{"OBDOCKER_DOCKER_CONFIG", bad, "OBDOCKER_PULL_TIMEOUT"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("error quotes the file: %s", msg)
	}
}
