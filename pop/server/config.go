// Package server is the Pop server library: it serves a pop.Pop (the core
// over Docker, by default) over gRPC, with bcrypt users and expiring session
// tokens. docker-popd (cmd/docker-popd, package popd) is a thin daemon on top.
package server

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/docker"
)

// Defaults applied to zero Config fields.
const (
	DefaultPopName         = "docker-popd"
	DefaultNetaddr         = "127.0.0.1:60000"
	DefaultTokenLifetime   = 12 * time.Hour
	DefaultShutdownTimeout = 10 * time.Second
)

// Config configures a Server. It is also the daemon's TOML file, so field
// names are the file's keys.
type Config struct {
	// PopName names the Pop; it scopes every Docker object the core creates.
	PopName string
	// Netaddr is the TCP address to listen on (host:port).
	Netaddr string
	// UnixSocket, when set, is a socket file served as well as Netaddr
	// (mode 0660: its owner and group may connect; users still log in).
	UnixSocket string
	// MetricsAddr, when set, serves /metrics and /healthz over HTTP on
	// host:port; Pprof adds Go's profiles under /debug/pprof/ there.
	MetricsAddr string
	Pprof       bool
	// Users may log in; at least one is required.
	Users Users
	// LogLevel filters the server's logs. Its zero value (panic) leaves the
	// Logger's own level alone.
	LogLevel logrus.Level
	// AutoRemove removes Docker containers once they stopped (the seed's
	// default); false keeps them for inspection.
	AutoRemove bool

	// DockerHost is the engine (unix:///… or tcp://…); empty means the
	// platform default socket. The Docker TLS files (PEM) are for tcp hosts.
	DockerHost     string
	DockerCAPath   string
	DockerCertPath string
	DockerKeyPath  string
	// DockerConfigPath is a Docker config.json whose auths entries give
	// image pulls their registry credentials (read at each pull); empty:
	// anonymous pulls. PullTimeout bounds one pull (0: 5 minutes).
	DockerConfigPath string
	PullTimeout      time.Duration

	// TLSCertPath and TLSKeyPath (PEM), together, make the server speak TLS.
	TLSCertPath string
	TLSKeyPath  string

	// TokenLifetime bounds a session; the client logs in again after it.
	TokenLifetime time.Duration
	// ShutdownTimeout bounds Close: in-flight calls get this long to finish
	// before they are cancelled.
	ShutdownTimeout time.Duration

	// StorePath is the core's state file; empty keeps state in memory only.
	StorePath string
	// DefaultNetwork, DefaultSubnet and NetworkPool are passed to pop.Config
	// (empty: the core's defaults, "private" on 172.16.0.0/16).
	DefaultNetwork string
	DefaultSubnet  string
	NetworkPool    string
	// Flavours are added to the core's built-in table.
	Flavours []pop.Flavour

	// The host policy: what a Create may take from the engine's host.
	// Whoever holds a user's password (a pop:// VIM instance's dockerKey)
	// may call Create, so docker-popd checks every request itself. Empty
	// lists allow nothing. AllowedBindPrefixes are host paths, each PATH
	// (read-only: any path at or below it, mounted read-only) or PATH:rw
	// (writable: that directory itself only); AllowedPublishPorts are host
	// ports N or N-M; AllowedCaps capabilities (ALL: any); AllowedSysctls
	// keys or prefixes ending in * .
	AllowedBindPrefixes []string
	AllowedPublishPorts []string
	AllowedCaps         []string
	AllowedSysctls      []string
}

// policySettings name the host policy's keys in refusals.
var policySettings = pop.HostPolicySettings{
	BindPrefixes: "AllowedBindPrefixes",
	PublishPorts: "AllowedPublishPorts",
	Caps:         "AllowedCaps",
	Sysctls:      "AllowedSysctls",
}

// HostPolicy is the policy the allowlists make.
func (c Config) HostPolicy() (pop.HostPolicy, error) {
	return pop.NewHostPolicy(c.AllowedBindPrefixes, c.AllowedPublishPorts, c.AllowedCaps, c.AllowedSysctls, policySettings)
}

// User is one account. The password is kept as a bcrypt hash only. A hash
// of a cost below bcrypt.DefaultCost (10) is accepted, since tests and
// hand-made files use them, but the server warns at start, naming the user;
// it warns too when the users' costs differ, because an unknown name is
// checked against a hash of the highest cost, so a cheaper user answers
// faster. Failed logins are limited per (client address, user name).
type User struct {
	Name           string
	HashedPassword string
}

// Users maps user names to users.
type Users map[string]User

// NewUser makes a user, hashing password with bcrypt.
func NewUser(name, password string) (User, error) {
	if name == "" {
		return User{}, pop.Errorf(pop.ErrInvalidArgument, "new user: empty name")
	}
	if password == "" {
		return User{}, pop.Errorf(pop.ErrInvalidArgument, "new user %q: empty password", name)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		// Only a password over bcrypt's 72-byte limit gets here.
		return User{}, pop.Wrap(pop.ErrInvalidArgument, err, "new user %q", name)
	}
	return User{Name: name, HashedPassword: string(h)}, nil
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.PopName == "" {
		c.PopName = DefaultPopName
	}
	if c.Netaddr == "" {
		c.Netaddr = DefaultNetaddr
	}
	if c.TokenLifetime <= 0 {
		c.TokenLifetime = DefaultTokenLifetime
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	return c
}

// Validate reports every problem of the configuration at once, with the
// names of the fields at fault, so a bad file fails before anything starts.
func (c Config) Validate() error {
	return invalid(c.problems())
}

// invalid joins problems into one invalid-argument error (nil for none).
func invalid(errs []error) error {
	if len(errs) > 0 {
		return pop.Wrap(pop.ErrInvalidArgument, errors.Join(errs...), "invalid server configuration")
	}
	return nil
}

// problems lists what Validate reports.
func (c Config) problems() []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if len(c.Users) == 0 {
		bad("Users: no user can log in (add one with `docker-popd user add -cfg FILE NAME`, or write a new file with `docker-popd init`)")
	}
	for key, u := range c.Users {
		switch {
		case key == "":
			bad("Users: a user has an empty name")
		case u.Name != "" && u.Name != key:
			bad("Users.%s: Name %q differs from its key", key, u.Name)
		}
		if _, err := bcrypt.Cost([]byte(u.HashedPassword)); err != nil {
			bad("Users.%s: HashedPassword is not a bcrypt hash", key)
		}
	}
	if c.Netaddr != "" {
		if err := checkHostPort(c.Netaddr); err != nil {
			bad("Netaddr %q: %v", c.Netaddr, err)
		}
	}
	if c.MetricsAddr != "" {
		if err := checkHostPort(c.MetricsAddr); err != nil {
			bad("MetricsAddr %q: %v", c.MetricsAddr, err)
		}
	}
	if c.Pprof && c.MetricsAddr == "" {
		bad("Pprof needs MetricsAddr (the profiles are served there)")
	}
	// sun_path holds 108 bytes on Linux (104 elsewhere), NUL included.
	if len(c.UnixSocket) > 103 {
		bad("UnixSocket %q: longer than the 103 bytes a socket path may have", c.UnixSocket)
	}
	if c.DockerHost != "" {
		if u, err := url.Parse(c.DockerHost); err != nil || (u.Scheme != "unix" && u.Scheme != "tcp") {
			bad("DockerHost %q: want unix:///path or tcp://host:port", c.DockerHost)
		}
	}
	for _, f := range []struct{ key, val string }{{"DefaultSubnet", c.DefaultSubnet}, {"NetworkPool", c.NetworkPool}} {
		if f.val == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f.val); err != nil || !p.Addr().Is4() || p != p.Masked() {
			bad("%s %q: want an IPv4 subnet in CIDR form, e.g. 172.16.0.0/16", f.key, f.val)
		}
	}
	if c.LogLevel > logrus.TraceLevel {
		bad("LogLevel %d: want one of panic, fatal, error, warning, info, debug, trace", c.LogLevel)
	}
	seenFlavour := map[string]bool{}
	for i, f := range c.Flavours {
		switch {
		case f.Name == "":
			bad("Flavours[%d]: empty name", i)
		case seenFlavour[f.Name]:
			bad("Flavours[%d]: name %q given twice", i, f.Name)
		}
		seenFlavour[f.Name] = true
		if f.CPUs < 0 || f.MemoryMB < 0 || f.DiskGB < 0 {
			bad("Flavours[%d] %q: cpus, memory_mb and disk_gb must not be negative", i, f.Name)
		}
	}
	// Files must be readable now, not when the first TLS handshake or
	// Docker call needs them.
	for _, f := range []struct{ key, path string }{{"TLSCertPath", c.TLSCertPath}, {"TLSKeyPath", c.TLSKeyPath},
		{"DockerCAPath", c.DockerCAPath}, {"DockerCertPath", c.DockerCertPath}, {"DockerKeyPath", c.DockerKeyPath},
		{"DockerConfigPath", c.DockerConfigPath}} {
		if f.path == "" {
			continue
		}
		if fh, err := os.Open(f.path); err != nil {
			bad("%s %q: %v", f.key, f.path, errors.Unwrap(err))
		} else {
			fh.Close()
		}
	}
	if c.DockerConfigPath != "" {
		if err := docker.CheckDockerConfig(c.DockerConfigPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			bad("DockerConfigPath: %v", err)
		}
	}
	if c.PullTimeout < 0 {
		bad("PullTimeout %s: want a positive duration, or 0 for 5 minutes", c.PullTimeout)
	}
	if (c.TLSCertPath == "") != (c.TLSKeyPath == "") {
		bad("TLSCertPath and TLSKeyPath go together")
	}
	if (c.DockerCertPath == "") != (c.DockerKeyPath == "") {
		bad("DockerCertPath and DockerKeyPath go together")
	}
	if _, err := c.HostPolicy(); err != nil {
		errs = append(errs, errors.Unwrap(err))
	}
	if c.TokenLifetime < 0 {
		bad("TokenLifetime %v is negative", c.TokenLifetime)
	}
	if c.ShutdownTimeout < 0 {
		bad("ShutdownTimeout %v is negative", c.ShutdownTimeout)
	}
	return errs
}

// checkHostPort checks a listen address: host:port with a numeric port.
func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

// user finds a user by name, accepting entries whose Name was left empty.
func (us Users) user(name string) (User, bool) {
	u, ok := us[name]
	if !ok || name == "" {
		return User{}, false
	}
	if u.Name == "" {
		u.Name = name
	}
	return u, true
}
