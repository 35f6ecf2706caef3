package docker

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
)

// TLSRefused reports whether err is a TLS handshake that failed on the
// material (a certificate not trusted, of another name, missing or
// refused by the peer), as opposed to a peer that cannot be reached.
func TLSRefused(err error) bool {
	var (
		verr  *tls.CertificateVerificationError
		alert tls.AlertError
		rec   tls.RecordHeaderError
		ua    x509.UnknownAuthorityError
		he    x509.HostnameError
		ci    x509.CertificateInvalidError
	)
	if errors.As(err, &verr) || errors.As(err, &alert) || errors.As(err, &rec) ||
		errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) {
		return true
	}
	// An alert from the peer during the handshake (bad certificate,
	// certificate required): crypto/tls reports it as this OpError, its
	// alert type being unexported.
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}
