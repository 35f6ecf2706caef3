package poptest_test

import (
	"testing"

	"github.com/openbaton-docker/obdocker/pop/poptest"
)

// This package's tests own 10.203.0.0/18 of the helper's range.
var blocks = poptest.NewBlocks("10.203.0.0/18")

// TestCore runs the suite against the in-process core on the real engine.
func TestCore(t *testing.T) {
	poptest.Run(t, func(t *testing.T) poptest.Target { return poptest.OpenCore(t, blocks) })
}
