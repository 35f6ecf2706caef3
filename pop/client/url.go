package client

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/openbaton-docker/obdocker/pop"
)

// Scheme is the authUrl scheme of a docker-popd VIM instance.
const Scheme = "pop"

// ParseURL reads a VIM instance's authUrl: pop://host:port, or
// pop://user:password@host:port. Credentials found in the URL fill
// User and Password; otherwise they come separately (ParseCredentials).
// The scheme and the port are required: a bare host:port is an error, not
// a guess. Error messages never contain the password.
func ParseURL(authURL string) (Options, error) {
	bad := func(format string, args ...any) (Options, error) {
		return Options{}, pop.Errorf(pop.ErrInvalidArgument, "pop URL: "+format+" (want pop://host:port)", args...)
	}
	u, err := url.Parse(authURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, password included
		}
		return bad("%v", err)
	}
	if !strings.EqualFold(u.Scheme, Scheme) {
		if u.Scheme == "" || u.Opaque != "" {
			return bad("no scheme")
		}
		return bad("scheme %q is not %q", u.Scheme, Scheme)
	}
	if u.Opaque != "" {
		return bad("no host")
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return bad("unexpected path, query or fragment in %q", u.Redacted())
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return bad("no host in %q", u.Redacted())
	}
	if port == "" {
		return bad("no port in %q", u.Redacted())
	}
	if !validHost(host, strings.HasPrefix(u.Host, "[")) {
		return bad("invalid host %q", host)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return bad("port %q out of range", port)
	}
	opts := Options{Addr: net.JoinHostPort(host, port)}
	if u.User != nil {
		opts.User = u.User.Username()
		opts.Password, _ = u.User.Password()
		if opts.User == "" {
			return bad("empty user name in %q", u.Redacted())
		}
	}
	return opts, nil
}

// validHost accepts an IP address (IPv6 only in brackets) or a DNS name.
func validHost(h string, bracketed bool) bool {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Is4() != bracketed
	}
	if bracketed || len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return false
		}
	}
	return true
}

// ParseCredentials splits "user:password" (the VIM instance's dockerKey
// field for a pop:// authUrl). The password may contain colons.
func ParseCredentials(s string) (user, password string, err error) {
	user, password, ok := strings.Cut(s, ":")
	switch {
	case !ok:
		return "", "", pop.Errorf(pop.ErrInvalidArgument, "pop credentials: want user:password, found no colon")
	case user == "":
		return "", "", pop.Errorf(pop.ErrInvalidArgument, "pop credentials: empty user name")
	case password == "":
		return "", "", pop.Errorf(pop.ErrInvalidArgument, "pop credentials: empty password for user %q", user)
	}
	return user, password, nil
}

// DialURL dials the docker-popd of a pop:// authUrl (the VIM driver's
// entry point). Credentials in the URL win over user and password, which
// usually come from the VIM instance's dockerKey (see ParseCredentials).
func DialURL(ctx context.Context, authURL, user, password string, tlsCfg *tls.Config) (*Client, error) {
	opts, err := ParseURL(authURL)
	if err != nil {
		return nil, err
	}
	if opts.User == "" {
		opts.User, opts.Password = user, password
	}
	opts.TLS = tlsCfg
	return Dial(ctx, opts)
}
