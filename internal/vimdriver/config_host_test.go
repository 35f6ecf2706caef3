package vimdriver

import (
	"strings"
	"testing"
)

// TestHostAllowlistSettings: the bind-mount and published-port allowlists
// load as lists, are empty by default, and a malformed entry is refused at
// start, naming the variable and the entry.
func TestHostAllowlistSettings(t *testing.T) {
	cfg, err := LoadConfig(nil)
	if err != nil || cfg.Driver.AllowedBindPrefixes != nil || cfg.Driver.AllowedPublishPorts != nil {
		t.Fatalf("defaults: %q %q %v", cfg.Driver.AllowedBindPrefixes, cfg.Driver.AllowedPublishPorts, err)
	}
	t.Setenv("OBDOCKER_ALLOWED_BIND_PREFIXES", "/srv/vnf,/data")
	t.Setenv("OBDOCKER_ALLOWED_PUBLISH_PORTS", "8080,9000-9099")
	cfg, err = LoadConfig(nil)
	if err != nil || len(cfg.Driver.AllowedBindPrefixes) != 2 || len(cfg.Driver.AllowedPublishPorts) != 2 {
		t.Fatalf("%q %q %v", cfg.Driver.AllowedBindPrefixes, cfg.Driver.AllowedPublishPorts, err)
	}
	t.Setenv("OBDOCKER_ALLOWED_BIND_PREFIXES", "srv/vnf")
	t.Setenv("OBDOCKER_ALLOWED_PUBLISH_PORTS", "9099-9000")
	_, err = LoadConfig(nil)
	for _, w := range []string{"OBDOCKER_ALLOWED_BIND_PREFIXES", `"srv/vnf"`, "OBDOCKER_ALLOWED_PUBLISH_PORTS", `"9099-9000"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not name %s", err, w)
		}
	}
}

// TestBindPrefixModeSettings: a prefix may be marked writable (PATH:rw);
// a read-only prefix at or below a writable one is refused at start,
// naming both, since containers may write (and plant links) there.
func TestBindPrefixModeSettings(t *testing.T) {
	t.Setenv("OBDOCKER_ALLOWED_BIND_PREFIXES", "/srv/data,/srv/scratch:rw")
	if cfg, err := LoadConfig(nil); err != nil || len(cfg.Driver.AllowedBindPrefixes) != 2 {
		t.Fatalf("%q %v", cfg.Driver.AllowedBindPrefixes, err)
	}
	for _, v := range []string{"/srv/scratch:rw,/srv/scratch/sub", "/srv/scratch,/srv/scratch:rw"} {
		t.Setenv("OBDOCKER_ALLOWED_BIND_PREFIXES", v)
		_, err := LoadConfig(nil)
		for _, w := range []string{"OBDOCKER_ALLOWED_BIND_PREFIXES", "read-only bind-mount prefix /srv/scratch", "the writable prefix /srv/scratch:rw"} {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v does not say %q", v, err, w)
			}
		}
	}
	t.Setenv("OBDOCKER_ALLOWED_BIND_PREFIXES", "/srv/data:rx")
	if _, err := LoadConfig(nil); err == nil || !strings.Contains(err.Error(), `"/srv/data:rx"`) {
		t.Errorf("mode rx: %v", err)
	}
}
