package scripts

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// TestTestImagesQuiet: scripts/test-images.sh prints its one result line,
// without Docker's "legacy builder is deprecated" banner (Debian's docker
// has no buildx).
func TestTestImagesQuiet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an image")
	}
	testenv.Docker(t)
	out, err := exec.CommandContext(t.Context(), "bash", "test-images.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("test-images.sh: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "test-images: obdocker-test/busybox:latest" {
		t.Errorf("test-images.sh printed:\n%s", out)
	}
}
