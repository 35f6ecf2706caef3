// Package cli is popctl: a command line client of docker-popd over gRPC
// (package pop/client), after the 2017 system's pop command.
package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/openbaton-docker/obdocker/internal/cliflags"
	"github.com/openbaton-docker/obdocker/internal/version"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/client"
)

// DefaultAddr is docker-popd's default listen address.
const DefaultAddr = "127.0.0.1:60000"

// Env is the outside world of the command, so tests can replace it.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// ReadPassword reads a password without echo; nil means stdin is no
	// terminal.
	ReadPassword func() ([]byte, error)
}

// OS is the process's environment.
func OS() Env {
	env := Env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
		env.ReadPassword = func() ([]byte, error) { return term.ReadPassword(fd) }
	}
	return env
}

type command struct {
	name, args, summary, help string
	// flags binds the command's own flags, if any.
	flags func(fs *flag.FlagSet, o *cmdOpts)
	run   func(ctx context.Context, c *session, o *cmdOpts, args []string) error
}

// cmdOpts holds every command's own flags.
type cmdOpts struct {
	nets    multi
	env     multi
	md      multi
	caps    multi
	flavour string
	tail    int
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

const targetHelp = `TARGET is a container NAME, or id:ID for its Pop ID.`

func createFlags(fs *flag.FlagSet, o *cmdOpts) {
	fs.Var(&o.nets, "net", "network NAME or NAME=IPV4 (fixed address) to join, in order (repeatable; default: the Pop's default network)")
	fs.Var(&o.env, "env", "KEY=VALUE environment variable (repeatable)")
	fs.Var(&o.md, "md", "KEY=VALUE metadata, passed as environment at start and winning over -env (repeatable)")
	fs.Var(&o.caps, "cap-add", "Linux capability to add, e.g. NET_ADMIN (repeatable)")
	fs.StringVar(&o.flavour, "flavour", "", "flavour NAME or ID (resource limits; see popctl flavours)")
}

var commands = []command{
	{name: "login", summary: "log in, print the Pop's facts, log out (checks address and credentials)",
		help: "Example:\n  POPCTL_PASSWORD=secret popctl -addr 10.0.0.5:60000 -user op login", run: cmdLogin},
	{name: "containers", args: "[TARGET]", summary: "list the containers (or one, in full)",
		help: targetHelp + "\nExample:\n  popctl containers\n  popctl containers web-1", run: cmdContainers},
	{name: "create", args: "NAME IMAGE", summary: "record a container (CREATED, addresses allocated; nothing runs yet)",
		help:  "IMAGE must be on the Pop's engine (see popctl images).\nExample:\n  popctl create -net private=172.16.0.9 -md ROLE=server web-1 obdocker/echo-server:latest",
		flags: createFlags, run: cmdCreate},
	{name: "spawn", args: "NAME IMAGE", summary: "create and start",
		help:  "Takes the flags of create. A container whose start fails stays, FAILED, for its logs: delete it.\nExample:\n  popctl spawn -net private web-1 obdocker/echo-server:latest",
		flags: createFlags, run: cmdSpawn},
	{name: "metadata", args: "get TARGET | set TARGET KEY=VALUE...", summary: "show or set a container's metadata (set: CREATED only; KEY= deletes)",
		help: targetHelp + "\nExample:\n  popctl metadata set web-1 PEER_IP=172.16.0.10 DEBUG=\n  popctl metadata get web-1", run: cmdMetadata},
	{name: "start", args: "TARGET", summary: "start a container (CREATED, EXITED or FAILED) and wait until it runs",
		help: targetHelp + "\nExample:\n  popctl start web-1", run: cmdStart},
	{name: "stop", args: "TARGET", summary: "stop a running container (it goes STOPPING, then EXITED)",
		help: targetHelp + "\nExample:\n  popctl stop web-1", run: cmdStop},
	{name: "delete", args: "TARGET", summary: "delete a container from any state; its addresses return",
		help: targetHelp + "\nExample:\n  popctl delete web-1", run: cmdDelete},
	{name: "logs", args: "TARGET", summary: "print a container's output",
		help:  targetHelp + "\nExample:\n  popctl logs -tail 20 web-1",
		flags: func(fs *flag.FlagSet, o *cmdOpts) { fs.IntVar(&o.tail, "tail", 0, "last N lines only (0: all)") }, run: cmdLogs},
	{name: "images", args: "[REF]", summary: "list the engine's images (or one)",
		help: "Example:\n  popctl images\n  popctl images busybox:latest", run: cmdImages},
	{name: "networks", args: "[NAME]", summary: "list the Pop's networks (or one)",
		help: "Example:\n  popctl networks", run: cmdNetworks},
	{name: "flavours", args: "[NAME]", summary: "list the flavours (resource limits) create accepts",
		help: "Example:\n  popctl flavours", run: cmdFlavours},
}

// aliases name commands by the 2017 pop command's words too.
var aliases = map[string]string{"servers": "containers", "list": "containers", "ps": "containers",
	"md": "metadata", "flavors": "flavours", "rm": "delete"}

func findCommand(name string) (command, bool) {
	if a, ok := aliases[name]; ok {
		name = a
	}
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

type globals struct {
	addr         string
	user         string
	passwordFile string
	ca           string
	serverName   string
	insecure     bool
	timeout      time.Duration
	asJSON       bool
	version      bool
}

func (g *globals) bind(fs *flag.FlagSet) {
	fs.StringVar(&g.addr, "addr", g.addr, "docker-popd address: HOST:PORT, or unix:///PATH for its UnixSocket [POPCTL_ADDR]")
	fs.StringVar(&g.user, "user", g.user, "user name [POPCTL_USER]")
	fs.StringVar(&g.passwordFile, "password-file", g.passwordFile, "read the password from this file's first line; "+
		"else POPCTL_PASSWORD, else a prompt on a terminal, else a line of stdin")
	fs.StringVar(&g.ca, "ca", g.ca, "CA certificate (PEM) to verify docker-popd's TLS certificate with; without it, clear text [POPCTL_CA]")
	fs.StringVar(&g.serverName, "server-name", g.serverName, "name in docker-popd's certificate (default: the host of -addr); needs -ca")
	fs.BoolVar(&g.insecure, "insecure", g.insecure, "allow clear text to an address other than loopback or a unix socket: the password travels readable")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "per-command timeout")
	fs.BoolVar(&g.asJSON, "json", g.asJSON, "print JSON instead of tables")
}

func envOr(env Env, key, def string) string {
	if v := env.Getenv(key); v != "" {
		return v
	}
	return def
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, "usage: popctl [global flags] COMMAND [flags] [args]\n\nCommands:\n")
	tw := newTable(w)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintf(tw, "  help [COMMAND]\tthis text, or a command's flags and an example\n")
	tw.Flush()
	fmt.Fprint(w, "\nGlobal flags (environment in brackets; they may also follow the command):\n")
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Run runs popctl and returns the exit code: 0, 1 for a refused or failed
// call, 2 for a usage error.
func Run(ctx context.Context, args []string, env Env) int {
	g := globals{
		addr:       envOr(env, "POPCTL_ADDR", DefaultAddr),
		user:       envOr(env, "POPCTL_USER", ""),
		ca:         envOr(env, "POPCTL_CA", ""),
		timeout:    60 * time.Second,
		serverName: "",
	}
	fs := flag.NewFlagSet("popctl", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	g.bind(fs)
	fs.BoolVar(&g.version, "version", false, "print the version and exit")
	fs.Usage = func() { usage(env.Stderr, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if g.version {
		fmt.Fprintln(env.Stdout, "popctl", version.String())
		return 0
	}
	if fs.NArg() == 0 {
		usage(env.Stderr, fs)
		return 2
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	if name == "help" {
		if len(rest) == 0 {
			usage(env.Stdout, fs)
			return 0
		}
		name, rest = rest[0], []string{"-help"}
	}
	cmd, ok := findCommand(name)
	if !ok {
		fmt.Fprintf(env.Stderr, "popctl: unknown command %q (see popctl help)\n", name)
		return 2
	}
	var o cmdOpts
	cfs := flag.NewFlagSet("popctl "+cmd.name, flag.ContinueOnError)
	cfs.SetOutput(env.Stderr)
	g.bind(cfs)
	if cmd.flags != nil {
		cmd.flags(cfs, &o)
	}
	cfs.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: popctl %s [flags] %s\n\n%s.\n%s\n\nFlags:\n", cmd.name, cmd.args, cmd.summary, cmd.help)
		cfs.PrintDefaults()
	}
	pos, err := cliflags.ParseInterleaved(cfs, rest)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	err = run(ctx, g, env, cmd, &o, pos)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "popctl %s: %v (see popctl help %s)\n", cmd.name, err, cmd.name)
		return 2
	default:
		fmt.Fprintf(env.Stderr, "popctl %s: %v\n", cmd.name, err)
		return 1
	}
}

func run(ctx context.Context, g globals, env Env, cmd command, o *cmdOpts, args []string) error {
	if g.user == "" {
		return usageError{"no user: pass -user or set POPCTL_USER"}
	}
	pass, err := password(g, env)
	if err != nil {
		return err
	}
	opts := client.Options{Addr: g.addr, User: g.user, Password: pass}
	if g.ca != "" {
		if opts.TLS, err = tlsConfig(g); err != nil {
			return err
		}
	} else if err := plaintextAllowed(g); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	c, err := client.Dial(ctx, opts)
	if err != nil {
		return err
	}
	defer c.Close() // logs out
	return cmd.run(ctx, &session{Pop: c, out: env.Stdout, json: g.asJSON, addr: g.addr}, o, args)
}

// password: -password-file, POPCTL_PASSWORD, a terminal prompt, a stdin
// line. Never a flag value: the process list would show it.
func password(g globals, env Env) (string, error) {
	if g.passwordFile != "" {
		b, err := os.ReadFile(g.passwordFile)
		if err != nil {
			return "", fmt.Errorf("read -password-file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	if p := env.Getenv("POPCTL_PASSWORD"); p != "" {
		return p, nil
	}
	if env.ReadPassword != nil {
		fmt.Fprintf(env.Stderr, "Password for %s: ", g.user)
		p, err := env.ReadPassword()
		fmt.Fprintln(env.Stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(p), nil
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", usageError{"no password: use -password-file, POPCTL_PASSWORD, or a line on stdin"}
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// plaintextAllowed refuses to send the password in clear text anywhere
// but loopback or a unix socket, unless asked to with -insecure; and a
// -server-name without -ca, which would be silently ignored.
func plaintextAllowed(g globals) error {
	if g.serverName != "" {
		return usageError{"-server-name needs -ca: without a CA there is no TLS and no certificate to check the name in"}
	}
	if strings.HasPrefix(g.addr, "unix://") || g.insecure {
		return nil
	}
	host, _, err := net.SplitHostPort(g.addr)
	if err != nil {
		return usageError{fmt.Sprintf("-addr %q: want HOST:PORT or unix:///PATH", g.addr)}
	}
	if a, err := netip.ParseAddr(host); err == nil && a.IsLoopback() || strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return nil
	}
	return usageError{fmt.Sprintf("docker-popd at %s is not on loopback and no -ca is given, so the password would travel in clear text: "+
		"pass -ca with the CA of docker-popd's certificate, or -insecure to send it anyway", host)}
}

func tlsConfig(g globals) (*tls.Config, error) {
	pem, err := os.ReadFile(g.ca)
	if err != nil {
		return nil, fmt.Errorf("read -ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, usageError{fmt.Sprintf("-ca %s holds no PEM certificate", g.ca)}
	}
	return &tls.Config{RootCAs: pool, ServerName: g.serverName, MinVersion: tls.VersionTLS12}, nil
}

// target reads NAME or id:ID.
func target(s string) pop.Filter {
	if id, ok := strings.CutPrefix(s, "id:"); ok {
		return pop.ByID(id)
	}
	return pop.ByName(s)
}

// keyValues reads KEY=VALUE arguments.
func keyValues(what string, kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Sprintf("%s %q: want KEY=VALUE", what, kv)}
		}
		m[k] = v
	}
	return m, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
