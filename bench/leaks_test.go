package bench_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// TestSerialBenchLeavesNothing runs benchmarks as `make bench` does (-benchtime
// 1x, in a child go test) and compares the broker's users and queues and
// the engine's containers and networks before and after: the in-process
// Pop's default network and the rig's bootstrap user used to stay. Set
// OBDOCKER_LEAK_BENCH to a -bench pattern to check others (".": all).
func TestSerialBenchLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs benchmarks against the real services")
	}
	testenv.Serial(t)
	raw := testenv.Docker(t)
	testenv.RabbitMQ(t)
	pattern := os.Getenv("OBDOCKER_LEAK_BENCH")
	if pattern == "" {
		pattern = "^(BenchmarkExitDetection|BenchmarkGetTypeVsEcho)$"
	}
	before := testenv.Snapshot(t, raw)
	cmd := exec.CommandContext(t.Context(), "go", "test", "-run", "^$", "-bench", pattern, "-benchtime", "1x", ".")
	// The figures go to a file of the test's own, not to the table's.
	cmd.Env = append(os.Environ(), "OBDOCKER_BENCH_RESULTS="+t.TempDir()+"/results.jsonl")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("benchmarks: %v\n%s", err, out)
	}
	testenv.CheckNoLeaks(t, raw, before)
}
