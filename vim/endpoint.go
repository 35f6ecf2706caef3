package vim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/openbaton-docker/obdocker/pop"
)

// Endpoint schemes after normalisation.
const (
	SchemeUnix = "unix"
	SchemeTCP  = "tcp"
	SchemePop  = "pop"
)

// Default ports when an authUrl has none.
const (
	DefaultDockerPort    = "2375"
	DefaultDockerTLSPort = "2376"
	DefaultPopPort       = "60000"
)

// EndpointKey is everything needed to open the Pop of one Docker endpoint.
// Pops are shared by URL: two VIM instances naming the same engine get the
// same Pop, never two over one engine.
type EndpointKey struct {
	// URL is the normalised authUrl: unix:///abs/path, tcp://host:port or
	// pop://host:port, without credentials.
	URL string
	// TLS material (PEM) from the VIM instance's ca, cert and dockerKey,
	// for tcp:// endpoints. Kept in memory only.
	CA, Cert, Key string
	// Username and Password of a pop:// endpoint, from the authUrl's
	// userinfo or the VIM instance's metadata keys "username"/"password".
	Username, Password string
	// Mode is ModeSwarm when the VIM instance's metadata asks for the
	// engine's Swarm cluster (MetadataMode), else "". Part of the Pop's
	// key: a Swarm Pop and an engine Pop over one manager are two Pops.
	Mode string
}

// MetadataMode is the VIM instance metadata key that chooses how the
// endpoint is used: ModeSwarm makes the VIM the whole Swarm cluster the
// engine manages; absent or "engine", the one engine.
const MetadataMode = "obdocker.mode"

// Values of MetadataMode.
const (
	ModeEngine = "engine"
	ModeSwarm  = "swarm"
)

// Scheme is the URL's scheme.
func (k EndpointKey) Scheme() string {
	s, _, _ := strings.Cut(k.URL, "://")
	return s
}

// Address is the URL without its scheme: a socket path or host:port.
func (k EndpointKey) Address() string {
	_, a, _ := strings.Cut(k.URL, "://")
	return a
}

// TLS reports whether TLS material was given.
func (k EndpointKey) TLS() bool { return k.CA != "" || k.Cert != "" || k.Key != "" }

// String is the URL (never the secrets), with the mode when not the engine's.
func (k EndpointKey) String() string {
	if k.Mode != "" {
		return k.URL + " (" + k.Mode + ")"
	}
	return k.URL
}

// EndpointOf builds the key of a VIM instance's endpoint.
func EndpointOf(v *VimInstance, defaultSocket string) (EndpointKey, error) {
	k := EndpointKey{CA: v.CA, Cert: v.Cert, Key: v.DockerKey}
	u, user, pass, err := NormaliseAuthURL(v.AuthURL, defaultSocket, k.TLS())
	if err != nil {
		return EndpointKey{}, err
	}
	k.URL, k.Username, k.Password = u, user, pass
	if k.Scheme() == SchemePop && k.Username == "" {
		// docker-popd credentials travel in the key field as user:password:
		// the NFVO masks it in its REST answers and dashboard.
		if name, pw, ok := strings.Cut(v.DockerKey, ":"); ok {
			k.Username, k.Password, k.Key = name, pw, ""
		}
	}
	if k.Username == "" {
		k.Username, k.Password = v.Metadata["username"], v.Metadata["password"]
	}
	switch m := strings.ToLower(strings.TrimSpace(v.Metadata[MetadataMode])); m {
	case "", ModeEngine:
	case ModeSwarm:
		if k.Scheme() == SchemePop {
			return EndpointKey{}, pop.Errorf(pop.ErrInvalidArgument, "VIM metadata %s=%s: a docker-popd endpoint (%s) is one engine; give the authUrl of a Swarm manager's engine (unix:// or tcp://)", MetadataMode, m, k.URL)
		}
		k.Mode = ModeSwarm
	default:
		return EndpointKey{}, pop.Errorf(pop.ErrInvalidArgument, "VIM metadata %s=%q: want %s or %s", MetadataMode, v.Metadata[MetadataMode], ModeEngine, ModeSwarm)
	}
	return k, nil
}

// poolKey is the registry key of an endpoint: its URL, and for a remote
// Pop also who logs in, so a VIM instance never borrows another's session
// (several clients of one docker-popd are harmless: it holds the state).
func (k EndpointKey) poolKey() string {
	if k.Mode != "" {
		return k.URL + "#mode=" + k.Mode
	}
	if k.Scheme() != SchemePop {
		return k.URL
	}
	sum := sha256.Sum256([]byte(k.Username + "\x00" + k.Password))
	return k.URL + "#" + k.Username + ":" + hex.EncodeToString(sum[:8])
}

// credentialHash identifies the credentials of a key (never stored or
// shown: only compared).
func (k EndpointKey) credentialHash() string {
	h := sha256.New()
	for _, f := range []string{k.CA, k.Cert, k.Key, k.Username, k.Password} {
		fmt.Fprintf(h, "%d:%s", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// NormaliseAuthURL maps an authUrl to its canonical form, and returns the
// userinfo separately. Accepted: "" (defaultSocket), unix:///path, a bare
// absolute path, tcp://host[:port], http(s)://host[:port] (as tcp),
// pop://host[:port]. Hosts are lowercased, default ports added, paths
// cleaned, so equal endpoints give equal strings.
func NormaliseAuthURL(raw, defaultSocket string, tls bool) (norm, user, pass string, err error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		s = defaultSocket
	}
	if strings.HasPrefix(s, "/") {
		s = "unix://" + s
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "", "", "", pop.Errorf(pop.ErrInvalidArgument, "authUrl %q: no scheme (want unix://, tcp:// or pop://)", redactURL(raw))
	}
	scheme = strings.ToLower(scheme)
	if scheme == SchemeUnix {
		p := rest
		if p == "" || !strings.HasPrefix(p, "/") {
			return "", "", "", pop.Errorf(pop.ErrInvalidArgument, "authUrl %q: a unix socket needs an absolute path", redactURL(raw))
		}
		return SchemeUnix + "://" + path.Clean(p), "", "", nil
	}
	u, perr := url.Parse(scheme + "://" + rest)
	if perr != nil {
		// Never perr itself: *url.Error repeats the raw URL, and even its
		// inner error quotes pieces of it ("invalid port \":pa\""), which
		// for a password holding '/', '%' or '@' is part of the password.
		if strings.Contains(rest, "@") {
			return "", "", "", pop.Errorf(pop.ErrInvalidArgument, "authUrl %s: not a valid URL; percent-encode any '/', '%%', '@', '#' or '?' in the user or password, or give user:password in the VIM's key field instead", redactURL(raw))
		}
		var ue *url.Error
		if errors.As(perr, &ue) {
			perr = ue.Err
		}
		return "", "", "", pop.Wrap(pop.ErrInvalidArgument, perr, "authUrl %q", raw)
	}
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	var port string
	switch scheme {
	case SchemeTCP, "http":
		scheme, port = SchemeTCP, DefaultDockerPort
		if tls {
			port = DefaultDockerTLSPort
		}
	case "https":
		scheme, port = SchemeTCP, DefaultDockerTLSPort
	case SchemePop:
		port = DefaultPopPort
	default:
		return "", "", "", pop.Errorf(pop.ErrInvalidArgument, "authUrl %q: scheme %q is not supported (want unix://, tcp:// or pop://)", redactURL(raw), scheme)
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", "", "", pop.Errorf(pop.ErrInvalidArgument, "authUrl %q: no host", redactURL(raw))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", "", "", pop.Errorf(pop.ErrInvalidArgument, "authUrl %s: port %s is out of range (1-65535)", redactURL(raw), p)
		}
		port = p
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
		if u.User != nil || strings.Contains(rest, "@") {
			// The "path" may be the tail of a password holding a '/'.
			return "", "", "", pop.Errorf(pop.ErrInvalidArgument, "authUrl %s: unexpected path, query or fragment; percent-encode any '/', '%%', '@', '#' or '?' in the user or password", redactURL(raw))
		}
		// Only scheme and host: a query may carry a token.
		return "", "", "", pop.Errorf(pop.ErrInvalidArgument, "authUrl %s://%s…: unexpected path, query or fragment (want %s://host:port)", scheme, u.Host, scheme)
	}
	return scheme + "://" + net.JoinHostPort(host, port), user, pass, nil
}

// redactURL hides a password in a URL for messages and logs. Anything with
// an '@' that does not parse into a clean userinfo is not echoed at all:
// which part of it is the password cannot be told.
func redactURL(raw string) string {
	if !strings.Contains(raw, "@") {
		return raw
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.User == nil || u.Opaque != "" || u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("<authUrl with credentials, %d bytes, not shown>", len(raw))
	}
	if _, has := u.User.Password(); !has {
		// "user@host": still a name, shown; no password to hide.
		return u.String()
	}
	u.User = url.UserPassword(u.User.Username(), "xxxxx")
	return u.String()
}
