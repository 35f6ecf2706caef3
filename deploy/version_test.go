package deploy

import (
	"context"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// TestMakeBuildStampsVersion: make build stamps every daemon with git
// describe (GOFLAGS=-buildvcs=false leaves Go's own stamp out, so without
// -ldflags -X the binaries would say devel).
func TestMakeBuildStampsVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every command")
	}
	root := repoRoot(t)
	desc, err := exec.Command("git", "-C", root, "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	want := strings.TrimSpace(string(desc))
	bin := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "-s", "build", "BIN="+bin)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	for _, name := range []string{"docker-vim-driver", "docker-vnfm", "vimctl"} {
		out, err := exec.Command(filepath.Join(bin, name), "-version").Output()
		line := name + " " + want + " (" + runtime.Version() + ")\n"
		if err != nil || string(out) != line {
			t.Errorf("%s -version: %q %v, want %q", name, out, err, line)
		}
	}
}

// TestImageVersion: deploy/build-image.sh stamps the image's binary with
// VERSION (default git describe), and the image answers -version.
func TestImageVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image")
	}
	cli := testenv.Docker(t)
	t.Setenv("VERSION", "v9.9.9-image")
	ref := buildImage(t, cli, "vnfm", "obdocker/docker-vnfm")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "run", "--rm", ref, "-version").CombinedOutput()
	want := "docker-vnfm v9.9.9-image (" + runtime.Version() + ")\n"
	if err != nil || string(out) != want {
		t.Errorf("docker run %s -version: %q %v, want %q", ref, out, err, want)
	}
}
