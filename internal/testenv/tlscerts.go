package testenv

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// PEMFile is one PEM document, in memory and written to Path (mode 0600).
type PEMFile struct {
	Path string
	PEM  []byte
}

// KeyPair is a certificate and its private key (PKCS#8), both PEM.
type KeyPair struct {
	Cert, Key PEMFile
}

// TestCA is a certificate authority made for one test. Its key stays in
// memory; its certificate is in CA (give it to whoever must trust it).
type TestCA struct {
	CA   PEMFile
	Pool *x509.CertPool

	name string
	dir  string
	cert *x509.Certificate
	key  crypto.Signer
}

// NewTestCA makes a self-signed CA whose files go to a fresh temp dir of t.
// name tells CAs apart in file names and in the certificates' subjects.
func NewTestCA(t testing.TB, name string) *TestCA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: name + " test CA", Organization: []string{"obdocker tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatalf("test CA %s: %v", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("test CA %s: %v", name, err)
	}
	ca := &TestCA{name: name, dir: t.TempDir(), cert: cert, key: key, Pool: x509.NewCertPool()}
	ca.Pool.AddCert(cert)
	ca.CA = ca.write(t, "ca.pem", "CERTIFICATE", der)
	return ca
}

// ServerCert issues a server certificate (ExtKeyUsage serverAuth) valid
// for exactly the given DNS names and IP addresses.
func (ca *TestCA) ServerCert(t testing.TB, dnsNames []string, ips []net.IP) KeyPair {
	t.Helper()
	cn := "server"
	if len(dnsNames) > 0 {
		cn = dnsNames[0]
	}
	return ca.issue(t, "server", &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		DNSNames:    dnsNames,
		IPAddresses: ips,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
}

// ClientCert issues a client certificate (ExtKeyUsage clientAuth) for
// commonName.
func (ca *TestCA) ClientCert(t testing.TB, commonName string) KeyPair {
	t.Helper()
	return ca.issue(t, "client", &x509.Certificate{
		Subject:     pkix.Name{CommonName: commonName},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// issue signs tmpl with the CA and writes <prefix>-N-cert.pem and
// <prefix>-N-key.pem (N counts certificates, so several never collide).
func (ca *TestCA) issue(t testing.TB, prefix string, tmpl *x509.Certificate) KeyPair {
	t.Helper()
	key := newKey(t)
	tmpl.SerialNumber = serial(t)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatalf("%s certificate from test CA %s: %v", prefix, ca.name, err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(ca.dir)
	base := prefix + "-" + strconv.Itoa(len(entries))
	return KeyPair{
		Cert: ca.write(t, base+"-cert.pem", "CERTIFICATE", der),
		Key:  ca.write(t, base+"-key.pem", "PRIVATE KEY", kder),
	}
}

func (ca *TestCA) write(t testing.TB, name, typ string, der []byte) PEMFile {
	t.Helper()
	f := PEMFile{Path: filepath.Join(ca.dir, name), PEM: pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})}
	if err := os.WriteFile(f.Path, f.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TLSCerts is a test PKI: a CA with a server and a client certificate, and
// the same again from an unrelated CA (Forged), for material a peer must
// refuse.
type TLSCerts struct {
	CA             *TestCA
	Server, Client KeyPair
	// Forged is a second CA that nobody trusts, with its own server and
	// client certificates for the same names.
	Forged                     *TestCA
	ForgedServer, ForgedClient KeyPair
}

// NewTLSCerts makes a TLSCerts whose server certificates are valid for the
// given DNS names and IP addresses, e.g. NewTLSCerts(t, []string{"localhost"},
// net.IPv4(127, 0, 0, 1)).
func NewTLSCerts(t testing.TB, dnsNames []string, ips ...net.IP) *TLSCerts {
	t.Helper()
	c := &TLSCerts{CA: NewTestCA(t, "trusted"), Forged: NewTestCA(t, "forged")}
	c.Server = c.CA.ServerCert(t, dnsNames, ips)
	c.Client = c.CA.ClientCert(t, "client")
	c.ForgedServer = c.Forged.ServerCert(t, dnsNames, ips)
	c.ForgedClient = c.Forged.ClientCert(t, "client")
	return c
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
