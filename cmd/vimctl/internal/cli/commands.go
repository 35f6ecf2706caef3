package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

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
			cells[i] = bound(col.get(r))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// maxCell bounds a table cell: a long FAILED message must not push the
// other columns off the screen (-json shows it whole).
const maxCell = 60

func bound(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= maxCell {
		return s
	}
	return string([]rune(s)[:maxCell-1]) + "…"
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
	ips          multi
	flavour      string
	userdataPath string
	floating     multi
}

func (l *launchFlags) bind(fs *flag.FlagSet) {
	fs.Var(&l.networks, "network", "connection point NAME or NAME=EXTID (repeatable; EXTID looked up by listNetworks if absent)")
	fs.Var(&l.ips, "ip", "NET=ADDR: fixed IPv4 on network NET (repeatable; NET joins the connection points if -network lacks it)")
	fs.StringVar(&l.flavour, "flavour", "", "flavour key (see vimctl flavors); default: none")
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
	fixed := map[string]string{}
	nets := append(multi(nil), l.networks...)
	for _, ip := range l.ips {
		name, addr, ok := strings.Cut(ip, "=")
		if !ok || name == "" || addr == "" {
			return usageError{fmt.Sprintf("-ip %q: want NET=ADDR", ip)}
		}
		if _, dup := fixed[name]; dup {
			return usageError{fmt.Sprintf("-ip: network %q given twice", name)}
		}
		fixed[name] = addr
		if !slices.ContainsFunc(nets, func(n string) bool { return strings.SplitN(n, "=", 2)[0] == name }) {
			nets = append(nets, name)
		}
	}
	var known map[string]string
	cps := make([]map[string]any, 0, len(nets))
	for i, n := range nets {
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
		cp := map[string]any{
			"virtual_link_reference":    name,
			"virtual_link_reference_id": ext,
			"interfaceId":               i,
		}
		if ip, ok := fixed[name]; ok {
			cp["fixedIp"] = ip
		}
		cps = append(cps, cp)
	}
	floating := map[string]string{}
	for _, f := range l.floating {
		name, ip, ok := strings.Cut(f, "=")
		if !ok {
			return usageError{fmt.Sprintf("--floating-ip %q: want NAME=IP|random", f)}
		}
		floating[name] = ip
	}
	ans, err := c.invoke(ctx, "launchInstanceAndWait", host, image, l.flavour, "", cps, []string{}, userdata, floating, []any{})
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

type deleteFlags struct {
	wait bool
}

func (f *deleteFlags) bind(fs *flag.FlagSet) {
	fs.BoolVar(&f.wait, "wait", false, "poll listServer until the server is gone (bounded by -timeout)")
}

// delete sends deleteServerByIdAndWait and, like the NFVO, does not wait
// for an answer; with -wait it polls listServer until the server is gone.
func (c *cmd) delete(ctx context.Context, f deleteFlags, args []string) error {
	if len(args) != 1 {
		return usageError{"delete needs the server's EXTID"}
	}
	id := args[0]
	if _, err := c.invoke(ctx, nfvo.VoidMethod, id); err != nil {
		return err
	}
	if !f.wait {
		fmt.Fprintf(c.stdout, "delete of %s sent (the NFVO does not wait for an answer)\n", id)
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.g.timeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		present, err := c.listed(ctx, id)
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("delete %s sent; listServer: %w", id, err)
		}
		if err != nil {
			return fmt.Errorf("delete %s sent, but listServer still lists it after %v", id, c.g.timeout)
		}
		if !present {
			fmt.Fprintf(c.stdout, "deleted %s\n", id)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("delete %s sent, but listServer still lists it after %v", id, c.g.timeout)
		case <-tick.C:
		}
	}
}

// listed reports whether listServer lists a server with extId (or id) id.
func (c *cmd) listed(ctx context.Context, id string) (bool, error) {
	ans, err := c.invoke(ctx, "listServer")
	if err != nil {
		return false, err
	}
	var rows []map[string]any
	if err := json.Unmarshal(ans, &rows); err != nil {
		return false, fmt.Errorf("listServer answered %s: %w", abbreviate(ans), err)
	}
	for _, r := range rows {
		if r["extId"] == id || r["id"] == id {
			return true, nil
		}
	}
	return false, nil
}

type logsFlags struct {
	tail int
}

func (f *logsFlags) bind(fs *flag.FlagSet) {
	fs.IntVar(&f.tail, "tail", 0, "last N lines only (0: all)")
}

// logs calls serverLogs and prints the text as it is.
func (c *cmd) logs(ctx context.Context, f logsFlags, args []string) error {
	if len(args) != 1 {
		return usageError{"logs needs the server's EXTID"}
	}
	ans, err := c.invoke(ctx, "serverLogs", args[0], f.tail)
	if err != nil {
		return err
	}
	if c.g.asJSON {
		return printJSON(c.stdout, ans)
	}
	var text string
	if err := json.Unmarshal(ans, &text); err != nil {
		return fmt.Errorf("serverLogs answered %s, not a string: %w", abbreviate(ans), err)
	}
	if _, err := io.WriteString(c.stdout, text); err != nil {
		return err
	}
	if text != "" && !strings.HasSuffix(text, "\n") {
		fmt.Fprintln(c.stdout)
	}
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
	fs.BoolVar(&f.keepUsers, "keep-users", true, "keep the users created when stopping, as the NFVO does; false also deletes a -manager-user other than the default")
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
	// A bootstrap user of its own (not the NFVO's shared default) goes with
	// the others when they are not kept.
	opts.OwnManagerUser = !f.keepUsers && f.managerUser != "openbaton-manager-user"
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
