package testenv

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"
)

// TestTLSCerts checks the material in real handshakes over loopback: the
// trusted set verifies both ways, the forged set is refused both ways, and
// the server certificate names exactly the hosts asked for.
func TestTLSCerts(t *testing.T) {
	c := NewTLSCerts(t, []string{"localhost"}, net.IPv4(127, 0, 0, 1))
	pair := func(kp KeyPair) tls.Certificate {
		cert, err := tls.LoadX509KeyPair(kp.Cert.Path, kp.Key.Path)
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
	for _, tc := range []struct {
		doc        string
		serverName string
		roots      *x509.CertPool
		client     KeyPair
		wantErr    string
	}{
		{"trusted", "127.0.0.1", c.CA.Pool, c.Client, ""},
		{"trusted by name", "localhost", c.CA.Pool, c.Client, ""},
		{"other name", "popd.example", c.CA.Pool, c.Client, "not popd.example"},
		{"forged CA", "127.0.0.1", c.Forged.Pool, c.Client, "unknown authority"},
		// Go clients send no certificate the server's CA list does not name.
		{"forged client", "127.0.0.1", c.CA.Pool, c.ForgedClient, "certificate required"},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			clientRoots := x509.NewCertPool()
			clientRoots.AppendCertsFromPEM(c.CA.CA.PEM)
			l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
				Certificates: []tls.Certificate{pair(c.Server)},
				ClientAuth:   tls.RequireAndVerifyClientCert, ClientCAs: clientRoots,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go func() {
				conn, err := l.Accept()
				if err == nil {
					conn.(*tls.Conn).Handshake()
					conn.Close()
				}
			}()
			conn, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{
				RootCAs: tc.roots, ServerName: tc.serverName, Certificates: []tls.Certificate{pair(tc.client)}})
			if err == nil {
				// TLS 1.3 reports the client certificate's refusal on the first read.
				_, err = conn.Read(make([]byte, 1))
				conn.Close()
			}
			switch {
			case tc.wantErr == "" && err != nil && !strings.Contains(err.Error(), "EOF"):
				t.Fatalf("handshake: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("handshake: %v, want an error with %q", err, tc.wantErr)
			}
		})
	}
}
