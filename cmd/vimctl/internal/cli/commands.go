package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/nfvo"
)

// column renders one field of a generically decoded catalogue object (the
// catalogue types belong to the vim package; vimctl reads JSON only).
type column struct {
	title string
	get   func(m map[string]any) string
}

func field(key string) func(map[string]any) string {
	return func(m map[string]any) string { return render(m[key]) }
}

// render prints a JSON value compactly for a table cell.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		if x == "" {
			return "-"
		}
		return x
	case float64:
		return fmt.Sprint(x)
	case bool:
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, render(e))
		}
		if len(parts) == 0 {
			return "-"
		}
		return strings.Join(parts, ",")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+"="+render(x[k]))
		}
		if len(parts) == 0 {
			return "-"
		}
		return strings.Join(parts, " ")
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func nested(key, sub string) func(map[string]any) string {
	return func(m map[string]any) string {
		if o, ok := m[key].(map[string]any); ok {
			return render(o[sub])
		}
		return "-"
	}
}

var (
	serverColumns = []column{
		{"NAME", field("name")}, {"EXTID", field("extId")}, {"STATUS", field("status")},
		{"STATE", field("extendedStatus")}, {"IPS", field("ips")}, {"FLOATING", field("floatingIps")},
		{"IMAGE", nested("image", "name")},
	}
	imageColumns = []column{
		{"EXTID", field("extId")}, {"TAGS", field("tags")}, {"NAME", field("name")}, {"CREATED", field("created")},
	}
	networkColumns = []column{
		{"NAME", field("name")}, {"EXTID", field("extId")}, {"SUBNET", field("subnet")},
		{"GATEWAY", field("gateway")}, {"DRIVER", field("driver")}, {"SCOPE", field("scope")},
	}
	flavorColumns = []column{
		{"FLAVOUR_KEY", field("flavour_key")}, {"EXTID", field("extId")}, {"RAM", field("ram")},
		{"DISK", field("disk")}, {"VCPUS", field("vcpus")},
	}
)

func (c *cmd) table(rows []map[string]any, cols []column) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	titles := make([]string, len(cols))
	for i, col := range cols {
		titles[i] = col.title
	}
	fmt.Fprintln(tw, strings.Join(titles, "\t"))
	for _, r := range rows {
		cells := make([]string, len(cols))
		for i, col := range cols {
			cells[i] = col.get(r)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func (c *cmd) list(ctx context.Context, args []string, method string, cols []column) error {
	if err := noArgs(method, args); err != nil {
		return err
	}
	ans, err := c.invoke(ctx, method)
	if err != nil {
		return err
	}
	if c.g.asJSON {
		return printJSON(c.stdout, ans)
	}
	var rows []map[string]any
	if err := json.Unmarshal(ans, &rows); err != nil {
		return fmt.Errorf("%s answered %s, not a list of objects: %w", method, abbreviate(ans), err)
	}
	return c.table(rows, cols)
}

func (c *cmd) quota(ctx context.Context, args []string) error {
	if err := noArgs("quota", args); err != nil {
		return err
	}
	ans, err := c.invoke(ctx, "getQuota")
	if err != nil {
		return err
	}
	if c.g.asJSON {
		return printJSON(c.stdout, ans)
	}
	var q map[string]any
	if err := json.Unmarshal(ans, &q); err != nil {
		return fmt.Errorf("getQuota answered %s: %w", abbreviate(ans), err)
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tLIMIT")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\n", k, render(q[k]))
	}
	return tw.Flush()
}

func abbreviate(b []byte) string {
	if len(b) > 120 {
		return string(b[:120]) + "…"
	}
	return string(b)
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

type launchFlags struct {
	networks     multi
	userdataPath string
	floating     multi
}

func (l *launchFlags) bind(fs *flag.FlagSet) {
	fs.Var(&l.networks, "network", "connection point NAME or NAME=EXTID (repeatable; EXTID looked up by listNetworks if absent)")
	fs.StringVar(&l.userdataPath, "userdata", "", "file with the userdata script")
	fs.Var(&l.floating, "floating-ip", "NAME=IP|random floating IP for a network (repeatable)")
}

// launch calls launchInstanceAndWait with the 10 parameters the NFVO 6.0
// sends (spec §4.7): flavour and key pair are "" for Docker, security
// groups [], keys [].
func (c *cmd) launch(ctx context.Context, l launchFlags, args []string) error {
	if len(args) != 2 {
		return usageError{"launch needs HOSTNAME IMAGE (IMAGE is an image extId or tag)"}
	}
	host, image := args[0], args[1]
	userdata := ""
	if l.userdataPath != "" {
		b, err := os.ReadFile(l.userdataPath)
		if err != nil {
			return fmt.Errorf("read --userdata: %w", err)
		}
		userdata = string(b)
	}
	var known map[string]string
	cps := make([]map[string]any, 0, len(l.networks))
	for i, n := range l.networks {
		name, ext, ok := strings.Cut(n, "=")
		if !ok {
			if known == nil {
				var err error
				if known, err = c.networkIDs(ctx); err != nil {
					return err
				}
			}
			if ext, ok = known[name]; !ok {
				return usageError{fmt.Sprintf("network %q not found by listNetworks; pass NAME=EXTID", name)}
			}
		}
		cps = append(cps, map[string]any{
			"virtual_link_reference":    name,
			"virtual_link_reference_id": ext,
			"interfaceId":               i,
		})
	}
	floating := map[string]string{}
	for _, f := range l.floating {
		name, ip, ok := strings.Cut(f, "=")
		if !ok {
			return usageError{fmt.Sprintf("--floating-ip %q: want NAME=IP|random", f)}
		}
		floating[name] = ip
	}
	ans, err := c.invoke(ctx, "launchInstanceAndWait", host, image, "", "", cps, []string{}, userdata, floating, []any{})
	if err != nil {
		return err
	}
	if c.g.asJSON {
		return printJSON(c.stdout, ans)
	}
	var s map[string]any
	if err := json.Unmarshal(ans, &s); err != nil {
		return fmt.Errorf("launchInstanceAndWait answered %s: %w", abbreviate(ans), err)
	}
	return c.table([]map[string]any{s}, serverColumns)
}

func (c *cmd) networkIDs(ctx context.Context) (map[string]string, error) {
	ans, err := c.invoke(ctx, "listNetworks")
	if err != nil {
		return nil, fmt.Errorf("look up networks: %w", err)
	}
	var nets []map[string]any
	if err := json.Unmarshal(ans, &nets); err != nil {
		return nil, fmt.Errorf("listNetworks answered %s: %w", abbreviate(ans), err)
	}
	ids := map[string]string{}
	for _, n := range nets {
		name, _ := n["name"].(string)
		ext, _ := n["extId"].(string)
		if name != "" && ext != "" {
			ids[name] = ext
		}
	}
	return ids, nil
}

// delete sends deleteServerByIdAndWait and, like the NFVO, does not wait.
func (c *cmd) delete(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return usageError{"delete needs the server's EXTID"}
	}
	if _, err := c.invoke(ctx, nfvo.VoidMethod, args[0]); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "delete of %s sent (the NFVO does not wait for an answer)\n", args[0])
	return nil
}

type nfvoFlags struct {
	managerUser     string
	managerPassword string
	managerQueue    string
	keepUsers       bool
}

func (f *nfvoFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.managerUser, "manager-user", envOr("VIMCTL_MANAGER_USER", "openbaton-manager-user"), "bootstrap registration user [VIMCTL_MANAGER_USER]")
	fs.StringVar(&f.managerPassword, "manager-password", envOr("VIMCTL_MANAGER_PASSWORD", "openbaton"), "bootstrap registration password [VIMCTL_MANAGER_PASSWORD]")
	fs.StringVar(&f.managerQueue, "manager-queue", envOr("VIMCTL_MANAGER_QUEUE", nfvo.DefaultManagerQueue), "registration queue [VIMCTL_MANAGER_QUEUE]")
	fs.BoolVar(&f.keepUsers, "keep-users", true, "keep the users created when stopping, as the NFVO does")
}

// runNFVO answers registrations until ctx is done (Ctrl-C).
func (c *cmd) runNFVO(ctx context.Context, f nfvoFlags, args []string) error {
	if err := noArgs("nfvo", args); err != nil {
		return err
	}
	opts := c.options()
	opts.ManagerUser = f.managerUser
	opts.ManagerPassword = f.managerPassword
	opts.ManagerQueue = f.managerQueue
	opts.KeepUsers = f.keepUsers
	// Registrations and unregistrations are this command's output.
	l := logrus.New()
	l.SetOutput(c.stderr)
	if c.g.verbose {
		l.SetLevel(logrus.DebugLevel)
	}
	opts.Logger = l
	n, err := nfvo.Start(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "NFVO stand-in answering registrations on %s (Ctrl-C to stop)\n", f.managerQueue)
	<-ctx.Done()
	fmt.Fprintln(c.stdout, "stopping")
	return n.Close()
}
