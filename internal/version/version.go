// Package version holds the build's version, stamped at link time.
//
// The Makefile and deploy/build-image.sh set it from git describe:
//
//	go build -ldflags "-X github.com/openbaton-docker/obdocker/internal/version.Version=$(git describe --tags --always --dirty)"
//
// A plain go build leaves "devel" (the Makefile sets GOFLAGS=-buildvcs=false,
// so the VCS stamp of runtime/debug is not there to fall back on).
package version

import (
	"fmt"
	"runtime"
)

// Version is the build's version; the only package-level variable, because
// -ldflags -X can only set a string variable.
var Version = "devel"

// Go returns the Go version the binary was built with.
func Go() string { return runtime.Version() }

// String returns the line that -version prints, e.g. "v1.2.0 (go1.26.0)".
func String() string { return fmt.Sprintf("%s (%s)", Version, Go()) }
