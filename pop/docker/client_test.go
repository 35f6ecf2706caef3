package docker

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/pop"
)

// clientPair makes a self-signed client certificate and key, PEM-encoded.
func clientPair(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "obdocker-test-client"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// TestNewTLSFromMemory runs New against an HTTPS engine stand-in that
// demands a client certificate: the PEM material never touches the disk.
func TestNewTLSFromMemory(t *testing.T) {
	certPEM, keyPEM := clientPair(t)
	clientCAs := x509.NewCertPool()
	clientCAs.AppendCertsFromPEM(certPEM)

	var pings atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "no client certificate", http.StatusForbidden)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/_ping") {
			pings.Add(1)
			w.Header().Set("Api-Version", "1.41")
			_, _ = w.Write([]byte("OK"))
			return
		}
		http.NotFound(w, r)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	host := "tcp://" + srv.Listener.Addr().String()

	t.Run("with the client certificate", func(t *testing.T) {
		b, err := New(t.Context(), Options{Host: host, PopName: "p", TLS: &TLSConfig{CA: caPEM, Cert: certPEM, Key: keyPEM}})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		defer b.Close()
		if pings.Load() == 0 {
			t.Error("New did not ping the engine")
		}
	})
	t.Run("without it the handshake is refused", func(t *testing.T) {
		_, err := New(t.Context(), Options{Host: host, PopName: "p", TLS: &TLSConfig{CA: caPEM}})
		if !errors.Is(err, pop.ErrUnauthenticated) || !strings.Contains(err.Error(), host) || !strings.Contains(err.Error(), "TLS handshake failed") {
			t.Errorf("err = %v, want unauthenticated naming %s", err, host)
		}
	})
	t.Run("an engine that is not there is unavailable", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		down := "tcp://" + l.Addr().String()
		l.Close()
		_, err = New(t.Context(), Options{Host: down, PopName: "p", TLS: &TLSConfig{CA: caPEM, Cert: certPEM, Key: keyPEM}})
		if !errors.Is(err, pop.ErrUnavailable) || TLSRefused(err) {
			t.Errorf("err = %v, want unavailable", err)
		}
	})
	t.Run("an untrusted server is refused", func(t *testing.T) {
		other, _ := clientPair(t)
		_, err := New(t.Context(), Options{Host: host, PopName: "p", TLS: &TLSConfig{CA: other, Cert: certPEM, Key: keyPEM}})
		// The material is wrong, not the engine down: say so.
		if !errors.Is(err, pop.ErrUnauthenticated) || !TLSRefused(err) || !strings.Contains(err.Error(), "TLS handshake failed") {
			t.Errorf("err = %v, want unauthenticated: the TLS handshake failed", err)
		}
	})
}

func TestNewOptionErrors(t *testing.T) {
	certPEM, keyPEM := clientPair(t)
	tests := []struct {
		doc  string
		opts Options
	}{
		{"no Pop name", Options{Host: "unix:///nonexistent.sock"}},
		{"bad host", Options{Host: "ftp://x", PopName: "p"}},
		{"CA not PEM", Options{Host: "tcp://127.0.0.1:1", PopName: "p", TLS: &TLSConfig{CA: []byte("nope")}}},
		{"cert without key", Options{Host: "tcp://127.0.0.1:1", PopName: "p", TLS: &TLSConfig{Cert: certPEM}}},
		{"key of another cert", Options{Host: "tcp://127.0.0.1:1", PopName: "p", TLS: &TLSConfig{Cert: certPEM, Key: mismatchedKey(t, keyPEM)}}},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			if _, err := New(t.Context(), tc.opts); !errors.Is(err, pop.ErrInvalidArgument) {
				t.Errorf("err = %v, want invalid argument", err)
			}
		})
	}
}

func mismatchedKey(t *testing.T, _ []byte) []byte {
	_, k := clientPair(t)
	return k
}
