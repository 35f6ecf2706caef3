package server

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/pop"
)

// DefaultStoreFile is the state file of a daemon configured without one,
// relative to the config file (or the working directory).
const DefaultStoreFile = "docker-popd.db"

// DefaultConfig is what docker-popd runs with when its file or environment
// says nothing else: the seed's defaults, on loopback, with state kept.
func DefaultConfig() Config {
	return Config{
		PopName:         DefaultPopName,
		Netaddr:         DefaultNetaddr,
		LogLevel:        logrus.InfoLevel,
		AutoRemove:      true,
		TokenLifetime:   DefaultTokenLifetime,
		ShutdownTimeout: DefaultShutdownTimeout,
		StorePath:       DefaultStoreFile,
	}
}

// ParseConfig reads a TOML configuration over DefaultConfig. Unknown keys
// are errors (a typo must not silently fall back to a default), and so is
// anything Validate refuses: all of them in one error.
func ParseConfig(data []byte) (Config, error) {
	cfg, probs, err := decodeConfig(data)
	if err != nil {
		return Config{}, err
	}
	if err := invalid(append(probs, cfg.problems()...)); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// decodeConfig decodes data over DefaultConfig. A TOML syntax or type
// error stops it; unknown keys are returned as problems, to be reported
// with the others.
func decodeConfig(data []byte) (Config, []error, error) {
	cfg := DefaultConfig()
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&cfg)
	if err != nil {
		return Config{}, nil, pop.Wrap(pop.ErrInvalidArgument, err, "parse config")
	}
	var probs []error
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		probs = append(probs, fmt.Errorf("unknown keys %s", strings.Join(keys, ", ")))
	}
	for name, u := range cfg.Users {
		if u.Name == "" {
			u.Name = name
			cfg.Users[name] = u
		}
	}
	// An empty list in the file (as init writes them) is no list.
	for _, l := range []*[]string{&cfg.AllowedBindPrefixes, &cfg.AllowedPublishPorts, &cfg.AllowedCaps, &cfg.AllowedSysctls} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	return cfg, probs, nil
}

// LoadConfig reads the file at path. Relative file names in it (the store,
// TLS files, the socket) are taken relative to the file's directory.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("load config: %w", err)
	}
	cfg, probs, err := decodeConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	dir := filepath.Dir(path)
	for _, p := range []*string{&cfg.StorePath, &cfg.TLSCertPath, &cfg.TLSKeyPath,
		&cfg.DockerCAPath, &cfg.DockerCertPath, &cfg.DockerKeyPath, &cfg.DockerConfigPath, &cfg.UnixSocket} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	if err := invalid(append(probs, cfg.problems()...)); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// EncodeConfig writes cfg as TOML.
func EncodeConfig(cfg Config) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# docker-popd configuration. Passwords are stored as bcrypt hashes.\n" +
		"# Add, remove and list users with `docker-popd user add|remove|list -cfg THIS-FILE`;\n" +
		"# they edit this file in place and keep everything else. (`init -force` would start\n" +
		"# over: a new PopName loses track of the containers and networks made so far.)\n" +
		"# AllowedBindPrefixes (PATH read-only, PATH:rw writable), AllowedPublishPorts (N or N-M),\n" +
		"# AllowedCaps and AllowedSysctls are what clients' containers may ask of this host;\n" +
		"# empty lists allow none (docs/configuration.md).\n")
	// Written even when empty, so that an operator sees them.
	for _, l := range []*[]string{&cfg.AllowedBindPrefixes, &cfg.AllowedPublishPorts, &cfg.AllowedCaps, &cfg.AllowedSysctls} {
		if *l == nil {
			*l = []string{}
		}
	}
	if err := toml.NewEncoder(&buf).Encode(cfg); err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteConfig writes cfg to path with mode 0600, atomically. An existing
// file is an error unless force is set.
func WriteConfig(path string, cfg Config, force bool) error {
	data, err := EncodeConfig(cfg)
	if err != nil {
		return err
	}
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return pop.Errorf(pop.ErrAlreadyExists, "config file %s exists (use -force to overwrite it)", path)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".docker-popd-*.toml")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a rename or link, this only drops the temporary name
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write config: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write config: %w", err)
	}
	if err := errors.Join(tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if force {
		err = os.Rename(tmp.Name(), path)
	} else {
		// A link fails if path appeared meanwhile: no overwrite by a race.
		err = os.Link(tmp.Name(), path)
		if errors.Is(err, os.ErrExist) {
			return pop.Errorf(pop.ErrAlreadyExists, "config file %s exists (use -force to overwrite it)", path)
		}
	}
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// Credential is one user and password from POPD_AUTH.
type Credential struct {
	User     string
	Password string
}

// ParseAuth reads POPD_AUTH: "user:password[,user2:password2...]". A
// password may contain colons but not commas. Errors name the entry and
// the user, never a password.
func ParseAuth(s string) ([]Credential, error) {
	if s == "" {
		return nil, pop.Errorf(pop.ErrInvalidArgument, "POPD_AUTH is empty (want user:password[,user2:password2])")
	}
	var out []Credential
	seen := map[string]bool{}
	for i, entry := range strings.Split(s, ",") {
		user, pass, ok := strings.Cut(entry, ":")
		switch {
		case entry == "":
			return nil, pop.Errorf(pop.ErrInvalidArgument, "POPD_AUTH entry %d is empty (want user:password[,user2:password2])", i+1)
		case !ok:
			return nil, pop.Errorf(pop.ErrInvalidArgument, "POPD_AUTH entry %d has no colon (want user:password[,user2:password2])", i+1)
		case user == "":
			return nil, pop.Errorf(pop.ErrInvalidArgument, "POPD_AUTH entry %d has an empty user name", i+1)
		case strings.TrimSpace(user) != user:
			return nil, pop.Errorf(pop.ErrInvalidArgument, "POPD_AUTH entry %d: user name %q has surrounding spaces", i+1, user)
		case pass == "":
			return nil, pop.Errorf(pop.ErrInvalidArgument, "POPD_AUTH entry %d: user %q has an empty password", i+1, user)
		case seen[user]:
			return nil, pop.Errorf(pop.ErrInvalidArgument, "POPD_AUTH entry %d: user %q appears twice", i+1, user)
		}
		seen[user] = true
		out = append(out, Credential{User: user, Password: pass})
	}
	return out, nil
}

// UsersFromAuth parses POPD_AUTH and hashes its passwords.
func UsersFromAuth(s string) (Users, error) {
	creds, err := ParseAuth(s)
	if err != nil {
		return nil, err
	}
	users := Users{}
	for _, c := range creds {
		u, err := NewUser(c.User, c.Password)
		if err != nil {
			return nil, fmt.Errorf("POPD_AUTH: %w", err)
		}
		users[u.Name] = u
	}
	return users, nil
}

// names lists the user names, for logs.
func (us Users) names() []string {
	out := make([]string, 0, len(us))
	for n := range us {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
