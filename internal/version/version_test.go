package version

import (
	"runtime"
	"strings"
	"testing"
)

func TestStringNamesVersionAndGo(t *testing.T) {
	s := String()
	if !strings.HasPrefix(s, Version+" ") || !strings.Contains(s, runtime.Version()) {
		t.Fatalf("String() = %q, want the version %q and %q", s, Version, runtime.Version())
	}
}
