package cli

import "testing"

// TestPlaintextAllowed: the check itself, without dialling anything.
func TestPlaintextAllowed(t *testing.T) {
	for _, tc := range []struct {
		g  globals
		ok bool
	}{
		{globals{addr: "127.0.0.1:60000"}, true},
		{globals{addr: "[::1]:60000"}, true},
		{globals{addr: "localhost:60000"}, true},
		{globals{addr: "unix:///run/popd.sock"}, true},
		{globals{addr: "192.0.2.7:60000", insecure: true}, true},
		{globals{addr: "192.0.2.7:60000"}, false},
		{globals{addr: "localhost.example:60000"}, false},
		{globals{addr: "127.0.0.1:60000", serverName: "popd"}, false},
		{globals{addr: "no-port"}, false},
	} {
		if err := plaintextAllowed(tc.g); (err == nil) != tc.ok {
			t.Errorf("%+v: %v, want ok=%v", tc.g, err, tc.ok)
		}
	}
}
