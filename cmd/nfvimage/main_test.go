package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodes runs the built command, since exit codes are its interface
// to scripts (scripts/images.sh stops on a finding).
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "nfvimage")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(bad, []byte("FROM scratch\nCMD /x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		doc      string
		args     []string
		wantCode int
		wantOut  string
	}{
		{doc: "conforming Dockerfiles exit 0", args: []string{"lint", "../../images/echo-server/Dockerfile", "../../images/echo-client/Dockerfile"}},
		{doc: "findings exit 1 and print file:line: rule: message", args: []string{"lint", bad}, wantCode: 1,
			wantOut: bad + ":2: exec-form: CMD is in shell form"},
		{doc: "a missing file exits 2", args: []string{"lint", filepath.Join(dir, "nope")}, wantCode: 2},
		{doc: "no arguments exit 2", args: nil, wantCode: 2},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			out, err := exec.Command(bin, tc.args...).Output()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantCode || !strings.Contains(string(out), tc.wantOut) {
				t.Fatalf("nfvimage %v: exit %d, stdout %q; want exit %d and %q", tc.args, code, out, tc.wantCode, tc.wantOut)
			}
		})
	}
}
