package vimdriver

import (
	"strings"
	"testing"
)

// TestAllowedSocketsSetting: unset means the default socket; set but empty
// grants none; a bad entry stops the daemon at start, naming the setting.
func TestAllowedSocketsSetting(t *testing.T) {
	t.Run("unset", func(t *testing.T) {
		cfg, err := LoadConfig(nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Driver.AllowedSockets != nil {
			t.Fatalf("%q", cfg.Driver.AllowedSockets)
		}
	})
	t.Run("empty", func(t *testing.T) {
		t.Setenv("OBDOCKER_ALLOWED_SOCKETS", "")
		cfg, err := LoadConfig(nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Driver.AllowedSockets == nil || len(cfg.Driver.AllowedSockets) != 0 {
			t.Fatalf("%q: set but empty must grant no socket", cfg.Driver.AllowedSockets)
		}
	})
	t.Run("entries", func(t *testing.T) {
		t.Setenv("OBDOCKER_ALLOWED_SOCKETS", "/var/run/docker.sock,/run/lab.sock@p1|p2")
		cfg, err := LoadConfig(nil)
		if err != nil || len(cfg.Driver.AllowedSockets) != 2 {
			t.Fatalf("%q %v", cfg.Driver.AllowedSockets, err)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		t.Setenv("OBDOCKER_ALLOWED_SOCKETS", "tcp://engine:2375")
		_, err := LoadConfig(nil)
		if err == nil || !strings.Contains(err.Error(), "OBDOCKER_ALLOWED_SOCKETS") || !strings.Contains(err.Error(), "tcp://engine:2375") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("empty docker host", func(t *testing.T) {
		t.Setenv("OBDOCKER_DOCKER_HOST", "")
		if _, err := LoadConfig(nil); err == nil || !strings.Contains(err.Error(), "OBDOCKER_DOCKER_HOST") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("negative quota", func(t *testing.T) {
		t.Setenv("OBDOCKER_QUOTA_CORES", "-4")
		if _, err := LoadConfig(nil); err == nil || !strings.Contains(err.Error(), "OBDOCKER_QUOTA_CORES=-4") {
			t.Fatalf("%v", err)
		}
		t.Setenv("OBDOCKER_QUOTA_CORES", "3000000000")
		if _, err := LoadConfig(nil); err == nil || !strings.Contains(err.Error(), "OBDOCKER_QUOTA_CORES=3000000000") {
			t.Fatalf("beyond a Java int: %v", err)
		}
	})
	t.Run("lists as documented", func(t *testing.T) {
		t.Setenv("OBDOCKER_ALLOWED_SYSCTLS", "*")
		t.Setenv("OBDOCKER_ALLOWED_CAPS", "NET_ADMIN,")
		cfg, err := LoadConfig(nil)
		if err != nil || len(cfg.Driver.AllowedSysctls) != 1 || len(cfg.Driver.AllowedCaps) != 1 {
			t.Fatalf("%q %q %v", cfg.Driver.AllowedSysctls, cfg.Driver.AllowedCaps, err)
		}
	})
	t.Run("docker host forms", func(t *testing.T) {
		for _, ok := range []string{"tcp://dockerd", "TCP://dockerd:2375", "unix:///run/docker.sock", "/run/docker.sock"} {
			t.Setenv("OBDOCKER_DOCKER_HOST", ok)
			if _, err := LoadConfig(nil); err != nil {
				t.Errorf("%s: %v", ok, err)
			}
		}
		for _, bad := range []string{"pop://popd:60000", "ssh://h", "unix://rel.sock", "tcp://:2375"} {
			t.Setenv("OBDOCKER_DOCKER_HOST", bad)
			if _, err := LoadConfig(nil); err == nil || !strings.Contains(err.Error(), "OBDOCKER_DOCKER_HOST") {
				t.Errorf("%s: %v", bad, err)
			}
		}
	})
}
