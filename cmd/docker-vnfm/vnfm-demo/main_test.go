package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// TestQuoteEnv: every value is quoted, empty and spaced ones included.
func TestQuoteEnv(t *testing.T) {
	got := quoteEnv([]string{"ROLE=server", "GREETING=hello world", "EMPTY=", "EQ=a=b"})
	want := `ROLE="server" GREETING="hello world" EMPTY="" EQ="a=b"`
	if got != want {
		t.Errorf("quoteEnv = %s, want %s", got, want)
	}
}

// TestSerialVNFMDemoLeavesNothing runs the demo (make demo-vnfm) through its Go
// entry point with freshly built daemons, and compares the broker's users
// and queues and the engine's containers and networks before and after.
func TestSerialVNFMDemoLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole VNFM demo")
	}
	testenv.Serial(t)
	raw := testenv.Docker(t)
	amqpURL := testenv.RabbitMQ(t)
	dir := t.TempDir()
	bins := map[string]string{}
	for _, pkg := range []string{"docker-vim-driver", "docker-vnfm"} {
		bins[pkg] = filepath.Join(dir, pkg)
		if out, err := exec.Command("go", "build", "-o", bins[pkg], "github.com/openbaton-docker/obdocker/cmd/"+pkg).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, out)
		}
	}
	before := testenv.Snapshot(t, raw)
	var out bytes.Buffer
	err := run(t.Context(), &out, bins["docker-vim-driver"], bins["docker-vnfm"], "../../../deploy/examples/nsd-echo.json",
		amqpURL, testenv.ManagementURL(), testenv.DockerHost(), "10.206.250.0/24", "10.206.224.0/20", time.Second, false)
	if err != nil {
		t.Fatalf("vnfm-demo: %v\n%s", err, out.String())
	}
	testenv.CheckNoLeaks(t, raw, before)
	// The environment lines quote every value.
	runs := regexp.MustCompile(`(?m) runs with (.*)$`).FindAllStringSubmatch(out.String(), -1)
	if len(runs) == 0 {
		t.Fatalf("no environment lines:\n%s", out.String())
	}
	for _, m := range runs {
		for _, kv := range regexp.MustCompile(`[A-Z_][A-Z0-9_]*=("(?:[^"\\]|\\.)*"|\S*)`).FindAllStringSubmatch(m[1], -1) {
			if !strings.HasPrefix(kv[1], `"`) {
				t.Errorf("unquoted value in %q", m[0])
			}
		}
	}
}
