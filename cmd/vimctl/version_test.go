package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestVersion: vimctl -version prints the version stamped at link time
// and the Go version, and exits 0.
func TestVersion(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "vimctl")
	ld := "-X github.com/openbaton-docker/obdocker/internal/version.Version=v9.9.9-test"
	if out, err := exec.Command("go", "build", "-ldflags", ld, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, arg := range []string{"-version", "--version"} {
		out, err := exec.Command(bin, arg).Output()
		want := "vimctl v9.9.9-test (" + runtime.Version() + ")\n"
		if err != nil || string(out) != want {
			t.Errorf("vimctl %s: %q %v, want %q", arg, out, err, want)
		}
	}
}
