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
	"text/tabwriter"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/internal/cliflags"
	"github.com/openbaton-docker/obdocker/nfvo"
)

// DefaultVIM is a minimal Docker VIM instance (spec §4.1): a
// DockerVimInstance has no tenant/username/password, Gson drops them.
const DefaultVIM = `{"name":"vim-docker","authUrl":"unix:///var/run/docker.sock","type":"docker","active":true,"location":{"name":"local"}}`

// command describes one vimctl command for the help texts.
type command struct {
	name, args, summary string
	// help explains the arguments and gives an example.
	help string
}

var commands = []command{
	{"call", "METHOD [PARAM-JSON...]", "call any plugin method; the VIM instance is prepended as parameter 0",
		"METHOD is the NFVO's method name; each PARAM-JSON is one JSON value (quote strings: '\"text\"').\n" +
			"Example:\n  vimctl call getType\n  vimctl call serverLogs '\"3f2a…\"' 20"},
	{"servers", "", "listServer: the containers, as the NFVO sees them", "Example:\n  vimctl servers\n  vimctl -json servers"},
	{"images", "", "listImages", "Example:\n  vimctl images"},
	{"networks", "", "listNetworks", "Example:\n  vimctl networks"},
	{"flavors", "", "listFlavors", "Example:\n  vimctl flavors"},
	{"quota", "", "getQuota", "Example:\n  vimctl quota"},
	{"launch", "HOSTNAME IMAGE", "launchInstanceAndWait with the NFVO's 10 parameters",
		"HOSTNAME names the container; IMAGE is an image extId or tag (see vimctl images).\n" +
			"Example:\n  vimctl launch -network private -ip private=172.16.0.10 -flavour m1.tiny -userdata ud.sh web-1 obdocker/echo-server:latest"},
	{"logs", "EXTID", "serverLogs: a server's output",
		"EXTID is the server's extId (see vimctl servers).\nExample:\n  vimctl logs -tail 50 3f2a…"},
	{"delete", "EXTID", "deleteServerByIdAndWait (sent without waiting for an answer, as the NFVO does)",
		"EXTID is the server's extId (see vimctl servers). With -wait, vimctl polls listServer until it is gone.\n" +
			"Example:\n  vimctl delete -wait 3f2a…"},
	{"nfvo", "", "play the NFVO's registration side: answer plugin registrations until interrupted",
		"Run it first, then start docker-vim-driver against the same broker.\nExample:\n  vimctl nfvo &\n  OBDOCKER_BROKER_HOST=127.0.0.1 docker-vim-driver"},
}

func findCommand(name string) (command, bool) {
	if name == "flavours" {
		name = "flavors"
	}
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, "usage: vimctl [global flags] COMMAND [flags] [args]\n\nCommands:\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintf(tw, "  help [COMMAND]\tthis text, or a command's arguments, flags and an example\n")
	tw.Flush()
	fmt.Fprint(w, "\nGlobal flags (environment in brackets; they may also follow the command):\n")
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
}

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
	fs.Usage = func() { printUsage(stderr, fs) }
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
	verb, rest := fs.Arg(0), fs.Args()[1:]
	if verb == "help" {
		if len(rest) == 0 {
			printUsage(stdout, fs)
			return 0
		}
		verb, rest = rest[0], []string{"-help"}
	}
	c := &cmd{g: g, stdout: stdout, stderr: stderr}
	if err := c.run(ctx, verb, rest); err != nil {
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
			if c.g.asJSON {
				out := map[string]json.RawMessage{"exception": exc.Raw}
				b, _ := json.MarshalIndent(out, "", "  ")
				fmt.Fprintln(stderr, string(b))
				return 1
			}
			// The detailMessage is what the NFVO shows; the rest is in -json.
			fmt.Fprintf(stderr, "vimctl %s: %s\n", verb, exc.DetailMessage)
			if s := partialServer(exc.Server); s != "" {
				fmt.Fprintf(stderr, "the exception carries server %s (the NFVO keeps it until it is deleted)\n", s)
			}
			return 1
		}
		fmt.Fprintf(stderr, "vimctl: %v\n", err)
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

type cmd struct {
	g      globals
	stdout io.Writer
	stderr io.Writer
	n      *nfvo.NFVO
	vim    json.RawMessage
	found  string // the plugin queue found by the VIM type
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

// partialServer names the server of an exception ("" when it has none).
func partialServer(raw json.RawMessage) string {
	var s map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil || s == nil {
		return ""
	}
	return fmt.Sprintf("%s (extId %s, %s)", render(s["name"]), render(s["extId"]), render(s["status"]))
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
	if cm, ok := findCommand(verb); ok {
		fs.Usage = func() {
			fmt.Fprintf(c.stderr, "usage: vimctl %s [flags] %s\n\n%s.\n%s\n\nFlags:\n", cm.name, cm.args, cm.summary, cm.help)
			fs.PrintDefaults()
		}
	}
	pos, err := cliflags.ParseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	return pos, nil
}

func (c *cmd) run(ctx context.Context, verb string, args []string) error {
	if _, ok := findCommand(verb); !ok {
		return usageError{fmt.Sprintf("unknown command %q (see vimctl help)", verb)}
	}
	var launch launchFlags
	var nf nfvoFlags
	var del deleteFlags
	var lf logsFlags
	var extra func(fs *flag.FlagSet)
	switch verb {
	case "launch":
		extra = launch.bind
	case "nfvo":
		extra = nf.bind
	case "delete":
		extra = del.bind
	case "logs":
		extra = lf.bind
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
		return c.delete(ctx, del, args)
	case "logs":
		return c.logs(ctx, lf, args)
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
	if c.found != "" {
		return c.found, nil // delete -wait polls: look the plugin up once
	}
	var v struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(c.vim, &v); err != nil || v.Type == "" {
		return "", usageError{"the VIM instance has no \"type\"; pass --queue"}
	}
	q, err := c.n.FindPlugin(ctx, v.Type)
	if err != nil {
		return "", err
	}
	c.found = q
	return q, nil
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
