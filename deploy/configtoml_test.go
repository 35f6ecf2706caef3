package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/pop/server"
)

// tomlExample is the first ```toml block of docs/configuration.md.
func tomlExample(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile("(?s)```toml\n(.*?)```").FindStringSubmatch(string(readFile(t, configDoc)))
	if m == nil {
		t.Fatalf("%s has no ```toml example of a docker-popd file", configDoc)
	}
	return m[1]
}

// TestDocPopdExampleLoads: a docker-popd file written from the docs'
// example loads, its flavour included; the keys the docs once gave
// (MemoryMB, DiskGB) are refused, which is why the docs name the TOML keys.
func TestDocPopdExampleLoads(t *testing.T) {
	ex := tomlExample(t)
	path := filepath.Join(t.TempDir(), "docker-popd.toml")
	if err := os.WriteFile(path, []byte(ex), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := server.LoadConfig(path)
	if err != nil {
		t.Fatalf("the example of %s does not load: %v\n%s", configDoc, err, ex)
	}
	var found bool
	for _, f := range cfg.Flavours {
		if f.Name == "c1.large" {
			found = true
			if f.CPUs != 4 || f.MemoryMB != 8192 || f.DiskGB != 40 {
				t.Errorf("flavour c1.large = %+v", f)
			}
		}
	}
	if !found {
		t.Errorf("flavour c1.large not loaded: %+v", cfg.Flavours)
	}
	if _, ok := cfg.Users["admin"]; !ok {
		t.Errorf("user admin not loaded")
	}
	old := strings.NewReplacer("memory_mb", "MemoryMB", "disk_gb", "DiskGB").Replace(ex)
	if _, err := server.ParseConfig([]byte(old)); err == nil {
		t.Errorf("MemoryMB/DiskGB keys accepted: the docs may name them")
	}
}
