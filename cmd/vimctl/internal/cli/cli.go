// Package cli is vimctl: an operator CLI that calls a VIM plugin through
// the NFVO stand-in's caller, byte for byte as the NFVO does.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/nfvo"
)

// DefaultVIM is a minimal Docker VIM instance (spec §4.1): a
// DockerVimInstance has no tenant/username/password, Gson drops them.
const DefaultVIM = `{"name":"vim-docker","authUrl":"unix:///var/run/docker.sock","type":"docker","active":true,"location":{"name":"local"}}`

const usage = `usage: vimctl [global flags] COMMAND [flags] [args]

Commands:
  call METHOD [PARAM-JSON...]   call any method; the VIM instance is prepended as parameter 0
  servers                       listServer
  images                        listImages
  networks                      listNetworks
  flavors                       listFlavors
  quota                         getQuota
  launch HOSTNAME IMAGE         launchInstanceAndWait (10 parameters, as the NFVO sends)
  delete EXTID                  deleteServerByIdAndWait (fire and forget, as the NFVO does)
  nfvo                          answer plugin registrations until interrupted

Global flags (environment in brackets):
`

type globals struct {
	amqpURL       string
	mgmtURL       string
	adminUser     string
	adminPassword string
	queue         string
	vimPath       string
	timeout       time.Duration
	asJSON        bool
	verbose       bool
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

func defaultGlobals() globals {
	return globals{
		amqpURL:       envOr("VIMCTL_AMQP_URL", "amqp://admin:openbaton@127.0.0.1:5672/"),
		mgmtURL:       envOr("VIMCTL_MANAGEMENT_URL", "http://127.0.0.1:15672"),
		adminUser:     envOr("VIMCTL_ADMIN_USER", "admin"),
		adminPassword: envOr("VIMCTL_ADMIN_PASSWORD", "openbaton"),
		queue:         envOr("VIMCTL_QUEUE", ""),
		vimPath:       envOr("VIMCTL_VIM", ""),
		timeout:       120 * time.Second,
	}
}

// bind registers the global flags with g's current values as defaults, so
// that flags given before the command survive the command's own parse.
func (g *globals) bind(fs *flag.FlagSet) {
	fs.StringVar(&g.amqpURL, "amqp-url", g.amqpURL, "broker URL as the NFVO admin [VIMCTL_AMQP_URL]")
	fs.StringVar(&g.mgmtURL, "management-url", g.mgmtURL, "RabbitMQ management API [VIMCTL_MANAGEMENT_URL]")
	fs.StringVar(&g.adminUser, "admin-user", g.adminUser, "management API user [VIMCTL_ADMIN_USER]")
	fs.StringVar(&g.adminPassword, "admin-password", g.adminPassword, "management API password [VIMCTL_ADMIN_PASSWORD]")
	fs.StringVar(&g.queue, "queue", g.queue, "plugin queue; default: found by the VIM type as the NFVO does [VIMCTL_QUEUE]")
	fs.StringVar(&g.vimPath, "vim", g.vimPath, "VIM instance JSON file (default: a minimal Docker VIM) [VIMCTL_VIM]")
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "per-call timeout (the NFVO's default)")
	fs.BoolVar(&g.asJSON, "json", g.asJSON, "print answers as JSON instead of tables")
	fs.BoolVar(&g.verbose, "v", g.verbose, "log to stderr")
}

// Run runs vimctl with args and returns the exit code: 0, 1 for a plugin
// exception or failure, 2 for a usage error.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := defaultGlobals()
	fs := flag.NewFlagSet("vimctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	g.bind(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	c := &cmd{g: g, stdout: stdout, stderr: stderr}
	if err := c.run(ctx, fs.Arg(0), fs.Args()[1:]); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "vimctl: %v\n", err)
			return 2
		}
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var exc *nfvo.Exception
		if errors.As(err, &exc) {
			out := map[string]json.RawMessage{"exception": exc.Raw}
			b, _ := json.MarshalIndent(out, "", "  ")
			fmt.Fprintln(stderr, string(b))
			return 1
		}
		fmt.Fprintf(stderr, "vimctl: %v\n", err)
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// parseInterleaved lets flags follow positional arguments (vimctl call
// getType --vim x.json), as the usage line promises. After "--" every
// argument is positional (for JSON like -1).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := args[:len(args)-len(rest)]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

type cmd struct {
	g      globals
	stdout io.Writer
	stderr io.Writer
	n      *nfvo.NFVO
	vim    json.RawMessage
}

func (c *cmd) logger() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	if c.g.verbose {
		l.SetOutput(c.stderr)
		l.SetLevel(logrus.DebugLevel)
	}
	return l
}

func (c *cmd) options() nfvo.Options {
	return nfvo.Options{
		AMQPURL:       c.g.amqpURL,
		ManagementURL: c.g.mgmtURL,
		AdminUser:     c.g.adminUser,
		AdminPassword: c.g.adminPassword,
		CallTimeout:   c.g.timeout,
		Logger:        c.logger(),
	}
}

// flags parses a command's arguments: its own flags (extra), the global
// ones again (they may follow the command), and positional arguments.
func (c *cmd) flags(verb string, args []string, extra func(fs *flag.FlagSet)) ([]string, error) {
	fs := flag.NewFlagSet("vimctl "+verb, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	c.g.bind(fs)
	if extra != nil {
		extra(fs)
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	return pos, nil
}

func (c *cmd) run(ctx context.Context, verb string, args []string) error {
	var launch launchFlags
	var nf nfvoFlags
	var extra func(fs *flag.FlagSet)
	switch verb {
	case "launch":
		extra = launch.bind
	case "nfvo":
		extra = nf.bind
	}
	args, err := c.flags(verb, args, extra)
	if err != nil {
		return err
	}
	if verb == "nfvo" {
		return c.runNFVO(ctx, nf, args)
	}
	n, err := nfvo.New(c.options())
	if err != nil {
		return err
	}
	c.n = n
	c.vim = json.RawMessage(DefaultVIM)
	if c.g.vimPath != "" {
		b, err := os.ReadFile(c.g.vimPath)
		if err != nil {
			return fmt.Errorf("read --vim: %w", err)
		}
		if !json.Valid(b) {
			return usageError{fmt.Sprintf("--vim %s is not JSON", c.g.vimPath)}
		}
		c.vim = b
	}
	switch verb {
	case "call":
		return c.call(ctx, args)
	case "servers":
		return c.list(ctx, args, "listServer", serverColumns)
	case "images":
		return c.list(ctx, args, "listImages", imageColumns)
	case "networks":
		return c.list(ctx, args, "listNetworks", networkColumns)
	case "flavors", "flavours":
		return c.list(ctx, args, "listFlavors", flavorColumns)
	case "quota":
		return c.quota(ctx, args)
	case "launch":
		return c.launch(ctx, launch, args)
	case "delete":
		return c.delete(ctx, args)
	default:
		return usageError{fmt.Sprintf("unknown command %q (try vimctl -h)", verb)}
	}
}

// target is the plugin queue: --queue, or the NFVO's lookup by the VIM
// instance's type (spec §1.2).
func (c *cmd) target(ctx context.Context) (string, error) {
	if c.g.queue != "" {
		return c.g.queue, nil
	}
	var v struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(c.vim, &v); err != nil || v.Type == "" {
		return "", usageError{"the VIM instance has no \"type\"; pass --queue"}
	}
	return c.n.FindPlugin(ctx, v.Type)
}

// invoke calls method with the VIM instance as parameter 0.
func (c *cmd) invoke(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	q, err := c.target(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.g.timeout)
	defer cancel()
	return c.n.Call(ctx, q, method, append([]any{c.vim}, params...)...)
}

func (c *cmd) call(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"call needs a METHOD"}
	}
	params := make([]any, 0, len(args)-1)
	for i, a := range args[1:] {
		if !json.Valid([]byte(a)) {
			return usageError{fmt.Sprintf("parameter %d is not JSON: %q (quote strings: '\"text\"')", i+1, a)}
		}
		params = append(params, json.RawMessage(a))
	}
	ans, err := c.invoke(ctx, args[0], params...)
	if err != nil {
		return err
	}
	if ans == nil {
		fmt.Fprintln(c.stdout, "sent (the NFVO does not wait for "+args[0]+")")
		return nil
	}
	return printJSON(c.stdout, ans)
}

func printJSON(w io.Writer, raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

func noArgs(verb string, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Sprintf("%s takes no arguments, got %q", verb, strings.Join(args, " "))}
	}
	return nil
}
