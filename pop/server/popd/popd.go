// Package popd is the docker-popd command: `init` writes a configuration,
// the default command serves a Pop with package server. cmd/docker-popd
// only wires it to the process.
package popd

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/sirupsen/logrus"
	"golang.org/x/term"

	"github.com/openbaton-docker/obdocker/internal/version"
	"github.com/openbaton-docker/obdocker/pop/server"
)

// DefaultConfigPath is the configuration file used when -cfg is absent.
const DefaultConfigPath = "docker-popd.toml"

// Env is the outside world of the command, so tests can replace it.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Terminal reads passwords without echo; nil means stdin is no terminal.
	Terminal Terminal
	// Logger, when set, receives the server's logs (default: stderr).
	Logger *logrus.Logger
	// OnServe, when set, sees the server before it serves (tests read its
	// address from it).
	OnServe func(*server.Server)
}

// Terminal is an interactive stdin.
type Terminal interface {
	ReadPassword() ([]byte, error)
}

type osTerminal struct{ fd int }

func (t osTerminal) ReadPassword() ([]byte, error) { return term.ReadPassword(t.fd) }

// OS is the process's environment.
func OS() Env {
	env := Env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
		env.Terminal = osTerminal{fd: fd}
	}
	return env
}

const usage = `docker-popd serves a Docker host as an Open Baton Pop over gRPC.

Usage:
  docker-popd [-cfg PATH] [-addr HOST:PORT] [-verbose] [-keep-stopped]
  docker-popd -version
  docker-popd init [-cfg PATH] [-user NAME] [-password PASS] [-addr HOST:PORT] [-force]
  docker-popd user add [-cfg PATH] [-password PASS] [-replace] NAME
  docker-popd user remove [-cfg PATH] NAME
  docker-popd user list [-cfg PATH]

Configuration, in order:
  -cfg PATH             this TOML file (write one with "docker-popd init")
  POPD_AUTH=u:p[,u2:p2] users from the environment, with defaults elsewhere:
                        listen on ` + server.DefaultNetaddr + `, state in ./` + server.DefaultStoreFile + `
                        (POPD_STORE=PATH overrides it)
  ./` + DefaultConfigPath + `    the default configuration file, if present
With none of them docker-popd refuses to start. Flags apply on top of any of them.
Every setting is checked at start; all bad ones are named at once (exit status 2).
The user commands edit the file in place: other users, settings and comments stay.
`

// Run runs the command line args (without the program name). It returns
// when the server stops: on ctx's end (a signal) it stops cleanly and
// returns nil.
func Run(ctx context.Context, args []string, env Env) error {
	if len(args) > 0 {
		switch args[0] {
		case "init":
			return runInit(args[1:], env)
		case "user":
			return runUser(args[1:], env)
		}
	}
	cfg, showVersion, err := configure(args, env)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if showVersion {
		fmt.Fprintln(env.Stdout, "docker-popd", version.String())
		return nil
	}
	if err != nil {
		return err
	}
	log := env.Logger
	if log == nil {
		log = logrus.New()
		log.SetOutput(env.Stderr)
	}
	if cfg.TLSCertPath == "" && !loopback(cfg.Netaddr) {
		log.WithField("addr", cfg.Netaddr).Warn("serving users without TLS on an address other than loopback: " +
			"their passwords and session tokens travel readable; set TLSCertPath and TLSKeyPath")
	}
	srv := &server.Server{Config: cfg, Logger: log}
	if env.OnServe != nil {
		env.OnServe(srv)
	}
	return srv.ServeContext(ctx)
}

// UsageError is a command line or configuration refused before anything
// started: the process exits with status 2 (see ExitCode).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErr(err error) error {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &UsageError{Err: err}
}

// ExitCode is the process's exit status for Run's error: 0 for none, 2
// for a refused command line or configuration, 1 for anything else.
func ExitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	default:
		return 1
	}
}

// configure builds the server configuration from flags, file and
// environment; showVersion reports -version.
func configure(args []string, env Env) (server.Config, bool, error) {
	cfg, v, err := configureFlags(args, env)
	return cfg, v, usageErr(err)
}

func configureFlags(args []string, env Env) (server.Config, bool, error) {
	fs := flag.NewFlagSet("docker-popd", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, usage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	cfgPath := fs.String("cfg", "", "configuration file (TOML)")
	addr := fs.String("addr", "", "listen address host:port (overrides the configuration)")
	verbose := fs.Bool("verbose", false, "log debug messages")
	keep := fs.Bool("keep-stopped", false, "keep Docker containers after they stop (AutoRemove off)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return server.Config{}, false, err
	}
	if *showVersion {
		return server.Config{}, true, nil
	}
	if fs.NArg() > 0 {
		return server.Config{}, false, fmt.Errorf("unexpected argument %q (see -help)", fs.Arg(0))
	}

	var cfg server.Config
	auth := env.Getenv("POPD_AUTH")
	switch {
	case *cfgPath != "":
		c, err := server.LoadConfig(*cfgPath)
		if err != nil {
			return server.Config{}, false, err
		}
		cfg = c
	case auth != "":
		users, err := server.UsersFromAuth(auth)
		if err != nil {
			return server.Config{}, false, err
		}
		cfg = server.DefaultConfig()
		cfg.Users = users
		if p := env.Getenv("POPD_STORE"); p != "" {
			cfg.StorePath = p
		}
	default:
		if _, err := os.Stat(DefaultConfigPath); err != nil {
			return server.Config{}, false, fmt.Errorf("no configuration: run `docker-popd init` to write ./%s, "+
				"pass -cfg PATH, or set POPD_AUTH=user:password[,user2:password2]", DefaultConfigPath)
		}
		c, err := server.LoadConfig(DefaultConfigPath)
		if err != nil {
			return server.Config{}, false, err
		}
		cfg = c
	}
	if *addr != "" {
		cfg.Netaddr = *addr
	}
	if *verbose {
		cfg.LogLevel = logrus.DebugLevel
	}
	if *keep {
		cfg.AutoRemove = false
	}
	return cfg, false, cfg.Validate()
}

func runInit(args []string, env Env) error {
	fs := flag.NewFlagSet("docker-popd init", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, usage+"\nFlags of init (asks for what -user and -password do not give):\n")
		fs.PrintDefaults()
	}
	cfgPath := fs.String("cfg", DefaultConfigPath, "configuration file to write (mode 0600)")
	user := fs.String("user", "", "user name")
	password := fs.String("password", "", "password (visible to other local users in the process list: prefer the prompt)")
	addr := fs.String("addr", server.DefaultNetaddr, "listen address to write")
	force := fs.Bool("force", false, "overwrite an existing file: its other users, PopName and networks are lost (to add a user, use: docker-popd user add)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("init: unexpected argument %q (see -help)", fs.Arg(0))
	}
	if !*force {
		if _, err := os.Lstat(*cfgPath); err == nil {
			return usageErr(fmt.Errorf("init: %s exists; to add a user to it: docker-popd user add -cfg %s NAME "+
				"(-force would overwrite it, dropping its other users and settings)", *cfgPath, *cfgPath))
		}
	}
	in := bufio.NewReader(env.Stdin)
	name := *user
	if name == "" {
		var err error
		if name, err = prompt(env, in, "User: "); err != nil {
			return fmt.Errorf("init: read user: %w", err)
		}
	}
	pass := *password
	if pass == "" {
		var err error
		if pass, err = readPassword(env, in, "init"); err != nil {
			return err
		}
	}
	u, err := server.NewUser(name, pass)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	cfg := server.DefaultConfig()
	cfg.Netaddr = *addr
	cfg.Users = server.Users{u.Name: u}
	if err := server.WriteConfig(*cfgPath, cfg, *force); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	fmt.Fprintf(env.Stdout, "wrote %s with user %q; start with: docker-popd -cfg %s\n", *cfgPath, u.Name, *cfgPath)
	return nil
}

func prompt(env Env, in *bufio.Reader, label string) (string, error) {
	if env.Terminal != nil {
		fmt.Fprint(env.Stderr, label)
	}
	line, err := in.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// readPassword asks twice on a terminal (without echo); from a pipe it
// reads one line.
func readPassword(env Env, in *bufio.Reader, cmd string) (string, error) {
	if env.Terminal == nil {
		p, err := prompt(env, in, "")
		if err != nil {
			return "", fmt.Errorf("%s: read password: %w", cmd, err)
		}
		return p, nil
	}
	fmt.Fprint(env.Stderr, "Password: ")
	p1, err := env.Terminal.ReadPassword()
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return "", fmt.Errorf("%s: read password: %w", cmd, err)
	}
	fmt.Fprint(env.Stderr, "Password (again): ")
	p2, err := env.Terminal.ReadPassword()
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return "", fmt.Errorf("%s: read password: %w", cmd, err)
	}
	if string(p1) != string(p2) {
		return "", fmt.Errorf("%s: the passwords differ", cmd)
	}
	return string(p1), nil
}

// loopback reports whether the listen address addr (host:port, empty for
// the default) is reachable from this machine only: a loopback IP or
// "localhost". An empty host listens on every interface.
func loopback(addr string) bool {
	if addr == "" {
		addr = server.DefaultNetaddr
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.IsLoopback()
	}
	return strings.EqualFold(host, "localhost")
}
