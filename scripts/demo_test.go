// Package scripts holds the tests of the shell scripts next to them: the
// demo is run as `make demo` runs it, against the real services.
package scripts

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// TestSerialDemoLeavesNothing runs scripts/demo.sh and compares the broker's
// users and queues and the engine's containers and networks before and
// after it: the demo removes everything it created, its plugin's broker
// user included (the stand-in must process the plugin's unregister).
func TestSerialDemoLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo")
	}
	testenv.Serial(t)
	raw := testenv.Docker(t)
	testenv.RabbitMQ(t)
	before := testenv.Snapshot(t, raw)
	cmd := exec.CommandContext(t.Context(), "bash", "demo.sh")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo.sh: %v\n%s", err, out)
	}
	testenv.CheckNoLeaks(t, raw, before)
	if strings.Contains(string(out), "unregistration was not processed") {
		t.Errorf("the stand-in did not process the plugin's unregister:\n%s", out)
	}
	checkDemoOutput(t, string(out))
}

// section is the text of the demo step whose title contains title.
func section(out, title string) string {
	i := strings.Index(out, title)
	if i < 0 {
		return ""
	}
	rest := out[i+len(title):]
	if j := strings.Index(rest, "\n== "); j >= 0 {
		rest = rest[:j]
	}
	if j := strings.Index(rest, "\x1b[1m=="); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// checkDemoOutput: serverLogs is printed as text, the quota table has
// only resource rows, and the refresh step shows refresh's answer.
func checkDemoOutput(t *testing.T, out string) {
	t.Helper()
	logs := section(out, "the client's log")
	if !strings.Contains(logs, "round trip") {
		t.Errorf("no round trips in the client's log section:\n%s", logs)
	}
	if strings.Contains(logs, `"`) || strings.Contains(logs, `\n`) {
		t.Errorf("serverLogs printed as a JSON string, not as text:\n%s", logs)
	}
	quota := section(out, "getQuota")
	for _, row := range []string{"cores", "ram", "instances"} {
		if !regexp.MustCompile(`(?m)^` + row + `\s+[1-9]`).MatchString(quota) {
			t.Errorf("quota table lacks a positive %s row:\n%s", row, quota)
		}
	}
	if regexp.MustCompile(`(?m)^(tenant|version|id)\s`).MatchString(quota) {
		t.Errorf("quota table has rows that are not resources:\n%s", quota)
	}
	ref := section(out, "1. refresh")
	for _, want := range []string{"vim-docker", "obdocker/echo-server:latest", "networks:"} {
		if !strings.Contains(ref, want) {
			t.Errorf("refresh step does not show %q of refresh's answer:\n%s", want, ref)
		}
	}
}
