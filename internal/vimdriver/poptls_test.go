package vimdriver

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/vim"
)

// TestPopTLS: which pop:// endpoints get TLS, which clear text, and which
// are refused before any dial.
func TestPopTLS(t *testing.T) {
	ca := string(testenv.NewTestCA(t, "popd").CA.PEM)
	for _, tc := range []struct {
		doc        string
		url, ca    string
		allowPlain bool
		wantTLS    bool
		wantErr    string
	}{
		{doc: "loopback IPv4 in clear", url: "pop://127.0.0.1:60000"},
		{doc: "loopback IPv6 in clear", url: "pop://[::1]:60000"},
		{doc: "localhost in clear", url: "pop://localhost:60000"},
		{doc: "remote without ca", url: "pop://192.0.2.10:60000", wantErr: "OBDOCKER_POP_ALLOW_PLAINTEXT=true"},
		{doc: "name ending in localhost", url: "pop://localhost.example.org:60000", wantErr: "OBDOCKER_POP_ALLOW_PLAINTEXT=true"},
		{doc: "all interfaces", url: "pop://0.0.0.0:60000", wantErr: "OBDOCKER_POP_ALLOW_PLAINTEXT=true"},
		{doc: "remote, operator allows clear text", url: "pop://192.0.2.10:60000", allowPlain: true},
		{doc: "remote with ca", url: "pop://popd.example.org:60000", ca: ca, wantTLS: true},
		{doc: "loopback with ca", url: "pop://127.0.0.1:60000", ca: ca, wantTLS: true},
		{doc: "ca without PEM", url: "pop://192.0.2.10:60000", ca: "not a certificate", wantErr: "ca holds no PEM certificate"},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			f := &factory{cfg: Config{Driver: DriverConfig{PopAllowPlaintext: tc.allowPlain}}}
			key := vim.EndpointKey{URL: tc.url, CA: tc.ca, Username: "vim", Password: "Pa55-not-in-errors"}
			cfg, err := f.popTLS(key)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, pop.ErrInvalidArgument) {
					t.Fatalf("popTLS: %v, want an invalid-argument error with %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), key.Password) {
					t.Fatalf("the error carries the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("popTLS: %v", err)
			}
			if (cfg != nil) != tc.wantTLS {
				t.Fatalf("TLS config %v, want TLS %v", cfg, tc.wantTLS)
			}
			if cfg != nil {
				host, _, _ := net.SplitHostPort(key.Address())
				if cfg.ServerName != host || cfg.RootCAs == nil || cfg.InsecureSkipVerify {
					t.Fatalf("TLS config: server name %q, roots %v, skip verify %v", cfg.ServerName, cfg.RootCAs, cfg.InsecureSkipVerify)
				}
			}
		})
	}
}
