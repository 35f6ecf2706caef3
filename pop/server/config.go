// Package server is the Pop server library: it serves a pop.Pop (the core
// over Docker, by default) over gRPC, with bcrypt users and expiring session
// tokens. docker-popd (cmd/docker-popd, package popd) is a thin daemon on top.
package server

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	"github.com/openbaton-docker/obdocker/pop"
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
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if len(c.Users) == 0 {
		bad("Users: no user can log in (add one with `docker-popd init`)")
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
		if _, _, err := net.SplitHostPort(c.Netaddr); err != nil {
			bad("Netaddr %q: %v", c.Netaddr, err)
		}
	}
	if (c.TLSCertPath == "") != (c.TLSKeyPath == "") {
		bad("TLSCertPath and TLSKeyPath go together")
	}
	if (c.DockerCertPath == "") != (c.DockerKeyPath == "") {
		bad("DockerCertPath and DockerKeyPath go together")
	}
	if c.TokenLifetime < 0 {
		bad("TokenLifetime %v is negative", c.TokenLifetime)
	}
	if c.ShutdownTimeout < 0 {
		bad("ShutdownTimeout %v is negative", c.ShutdownTimeout)
	}
	if len(errs) > 0 {
		return pop.Wrap(pop.ErrInvalidArgument, errors.Join(errs...), "invalid server configuration")
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
