package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/cmd/vimctl/internal/cli"
	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvo"
	"github.com/openbaton-docker/obdocker/plugin"
)

// longFailure is a FAILED server's status, longer than a table cell.
var longFailure = "FAILED: " + strings.Repeat("start: Docker said the container could not start because ", 5) + "END"

// driver answers like a small Docker VIM and records launches.
type driver struct {
	mu       sync.Mutex
	launched []plugin.Params
	logTails []string
	servers  []map[string]any
	deletes  []string
}

func newDriver() *driver {
	return &driver{servers: []map[string]any{{
		"name": "web-1", "extId": "c0ffee", "status": "ACTIVE", "extendedStatus": "RUNNING",
		"ips": map[string][]string{"private": {"10.0.0.5"}}, "floatingIps": map[string]string{},
	}, {
		"name": "broken", "extId": "dead", "status": "ERROR", "extendedStatus": longFailure,
		"ips": map[string][]string{"private": {"10.0.0.7"}}, "floatingIps": map[string]string{},
	}, {
		"name": "stuck", "extId": "5tuck", "status": "ACTIVE", "extendedStatus": "RUNNING",
	}}}
}

func (d *driver) Methods() []plugin.Method {
	list := func(v any) func(context.Context, plugin.Params) (any, error) {
		return func(context.Context, plugin.Params) (any, error) { return v, nil }
	}
	return []plugin.Method{
		{Name: "listServer", Arity: 1, Handle: func(context.Context, plugin.Params) (any, error) {
			d.mu.Lock()
			defer d.mu.Unlock()
			return slices.Clone(d.servers), nil
		}},
		{Name: "serverLogs", Arity: 3, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			var id string
			if err := p.Decode(1, "extId", &id); err != nil {
				return nil, err
			}
			d.mu.Lock()
			d.logTails = append(d.logTails, string(p[2]))
			d.mu.Unlock()
			if id != "c0ffee" {
				return nil, errors.New("serverLogs " + id + ": server not found")
			}
			return "line 1\nline 2\n", nil
		}},
		{Name: "listImages", Arity: 1, Handle: list([]map[string]any{{"extId": "sha256:1", "tags": []string{"busybox:latest"}}})},
		{Name: "listNetworks", Arity: 1, Handle: list([]map[string]any{{"name": "private", "extId": "net1", "subnet": "10.0.0.0/24", "driver": "bridge"}})},
		{Name: "listFlavors", Arity: 1, Handle: list([]map[string]any{{"flavour_key": "m1.small", "extId": "docker.container"}})},
		{Name: "getQuota", Arity: 1, Handle: list(map[string]int{"cores": 100000, "ram": 100000})},
		{Name: "getType", Arity: 1, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			var v struct{ Type string }
			if err := p.Decode(0, "vimInstance", &v); err != nil {
				return nil, err
			}
			return v.Type, nil
		}},
		{Name: "deleteServerByIdAndWait", Arity: 2, Void: true, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			var id string
			if err := p.Decode(1, "extId", &id); err != nil {
				return nil, err
			}
			d.mu.Lock()
			d.deletes = append(d.deletes, id)
			d.mu.Unlock()
			if id == "5tuck" {
				return nil, nil // never goes away
			}
			// Gone a little later, as a real delete: -wait must poll.
			time.AfterFunc(700*time.Millisecond, func() {
				d.mu.Lock()
				defer d.mu.Unlock()
				d.servers = slices.DeleteFunc(d.servers, func(s map[string]any) bool { return s["extId"] == id })
			})
			return nil, nil
		}},
		{Name: "launchInstanceAndWait", Arity: 10, Handle: func(ctx context.Context, p plugin.Params) (any, error) {
			d.mu.Lock()
			d.launched = append(d.launched, p)
			d.mu.Unlock()
			var host string
			if err := p.Decode(1, "hostname", &host); err != nil {
				return nil, err
			}
			if host == "bad" {
				return nil, errors.New("cannot launch bad")
			}
			if host == "partial" {
				return nil, &plugin.ServerError{Err: errors.New("start: the container exited at once"),
					Server: map[string]any{"name": "partial", "extId": "p4rt", "status": "ERROR"}}
			}
			return map[string]any{"name": host, "hostName": host, "extId": "abc", "status": "ACTIVE",
				"ips": map[string][]string{"private": {"10.0.0.6"}}, "floatingIps": map[string]string{}}, nil
		}},
	}
}

func quiet() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

func setup(t *testing.T) (*driver, string, plugin.Config) {
	t.Helper()
	testenv.RabbitMQ(t)
	name := testenv.Name(t)
	n, err := nfvo.Start(t.Context(), nfvo.Options{
		AMQPURL: testenv.AMQPURL(), ManagementURL: testenv.ManagementURL(),
		ManagerUser: "mgr-" + name, OwnManagerUser: true, ManagerQueue: nfvo.DefaultManagerQueue + "-" + name, Logger: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	cfg := plugin.DefaultConfig()
	cfg.BrokerHost = "127.0.0.1"
	cfg.BrokerUser = "mgr-" + name
	cfg.ManagerQueue = n.ManagerQueue()
	cfg.PluginName = name
	cfg.Workers, cfg.Connections = 2, 1
	d := newDriver()
	p, err := plugin.New(cfg, d, quiet())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = n.Management().DeleteQueue(context.Background(), cfg.ID())
	})
	end := time.Now().Add(20 * time.Second)
	for s := p.Server(); s == nil || s.Consuming() != cfg.Workers; s = p.Server() {
		if time.Now().After(end) {
			t.Fatal("plugin not serving")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A VIM instance whose type pins this plugin (docker.<name>), so the
	// NFVO-style lookup finds it among other tests' plugins.
	vim := filepath.Join(t.TempDir(), "vim.json")
	if err := os.WriteFile(vim, []byte(`{"name":"v","authUrl":"unix:///var/run/docker.sock","type":"docker.`+name+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return d, vim, cfg
}

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	code := cli.Run(ctx, append([]string{"-timeout", "10s"}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

func TestVimctl(t *testing.T) {
	d, vim, cfg := setup(t)

	tests := []struct {
		doc      string
		args     []string
		code     int
		contains []string
		stderr   []string
	}{
		{doc: "call by VIM type lookup", args: []string{"call", "getType", "--vim", vim}, contains: []string{`"docker.` + cfg.PluginName + `"`}},
		{doc: "call by queue", args: []string{"--queue", cfg.ID(), "call", "getType"}, contains: []string{`"docker"`}},
		{doc: "servers table", args: []string{"--vim", vim, "servers"}, contains: []string{"NAME", "EXTID", "web-1", "c0ffee", "ACTIVE", "private=10.0.0.5"}},
		{doc: "servers json", args: []string{"--vim", vim, "servers", "--json"}, contains: []string{`"extId": "c0ffee"`}},
		{doc: "images", args: []string{"--vim", vim, "images"}, contains: []string{"sha256:1", "busybox:latest"}},
		{doc: "networks", args: []string{"--vim", vim, "networks"}, contains: []string{"private", "net1", "10.0.0.0/24", "bridge"}},
		{doc: "flavors", args: []string{"--vim", vim, "flavors"}, contains: []string{"m1.small"}},
		{doc: "quota", args: []string{"--vim", vim, "quota"}, contains: []string{"cores", "100000"}},
		{doc: "launch", args: []string{"--vim", vim, "launch", "web-2", "sha256:1", "--network", "private"}, contains: []string{"web-2", "10.0.0.6"}},
		{doc: "launch with fixed IP and flavour", args: []string{"--vim", vim, "launch", "-ip", "private=10.0.0.9", "-flavour", "m1.small", "web-3", "sha256:1"}, contains: []string{"web-3"}},
		{doc: "logs", args: []string{"--vim", vim, "logs", "-tail", "5", "c0ffee"}, contains: []string{"line 1\nline 2\n"}},
		{doc: "exception exits 1 with its detailMessage", args: []string{"--vim", vim, "launch", "bad", "x"}, code: 1,
			stderr: []string{"vimctl launch: cannot launch bad"}},
		{doc: "exception as JSON", args: []string{"--vim", vim, "-json", "launch", "bad", "x"}, code: 1, stderr: []string{`"detailMessage"`, "cannot launch bad"}},
		{doc: "exception with a server", args: []string{"--vim", vim, "launch", "partial", "x"}, code: 1,
			stderr: []string{"exited at once", "carries server partial (extId p4rt, ERROR)"}},
		{doc: "unknown method is an exception", args: []string{"--vim", vim, "call", "nope"}, code: 1, stderr: []string{"nope"}},
		{doc: "logs of an unknown server", args: []string{"--vim", vim, "logs", "nope"}, code: 1, stderr: []string{"serverLogs nope: server not found"}},
		{doc: "delete does not wait", args: []string{"--vim", vim, "delete", "c0ffee"}, contains: []string{"sent"}},
		{doc: "non-JSON parameter", args: []string{"--vim", vim, "call", "getType", "not-json"}, code: 2},
		{doc: "unknown command", args: []string{"frobnicate"}, code: 2},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			out, errOut, code := run(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			for _, c := range tc.contains {
				if !strings.Contains(out, c) {
					t.Errorf("stdout lacks %q:\n%s", c, out)
				}
			}
			for _, c := range tc.stderr {
				if !strings.Contains(errOut, c) {
					t.Errorf("stderr lacks %q:\n%s", c, errOut)
				}
			}
			if tc.code == 1 && !slices.Contains(tc.args, "-json") && strings.Contains(errOut, "detailMessage") {
				t.Errorf("without -json the exception is its message, not JSON:\n%s", errOut)
			}
		})
	}

	// launch sent the NFVO's 10 parameters, networks resolved by name.
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.launched) == 0 {
		t.Fatal("no launch recorded")
	}
	p := d.launched[0]
	var cps []map[string]any
	if err := json.Unmarshal(p[5], &cps); err != nil || len(cps) != 1 || cps[0]["virtual_link_reference_id"] != "net1" {
		t.Fatalf("connection points %s", p[5])
	}
	if string(p[6]) != "[]" || string(p[8]) != "{}" || string(p[9]) != "[]" {
		t.Fatalf("security groups %s, floating ips %s, keys %s", p[6], p[8], p[9])
	}
	// -ip and -flavour: the network joins with its fixed IP, the flavour is parameter 3.
	var fixed *plugin.Params
	for i := range d.launched {
		if string(d.launched[i][1]) == `"web-3"` {
			fixed = &d.launched[i]
		}
	}
	if fixed == nil {
		t.Fatal("launch with -ip not recorded")
	}
	if err := json.Unmarshal((*fixed)[5], &cps); err != nil || len(cps) != 1 || cps[0]["fixedIp"] != "10.0.0.9" ||
		cps[0]["virtual_link_reference_id"] != "net1" || string((*fixed)[3]) != `"m1.small"` {
		t.Fatalf("launch -ip -flavour sent flavour %s, connection points %s", (*fixed)[3], (*fixed)[5])
	}
	if len(d.logTails) == 0 || d.logTails[0] != "5" {
		t.Fatalf("serverLogs tails %v, want 5", d.logTails)
	}
}

// TestVimctlServersTableBounded: a long FAILED message is cut in the table
// (whole in -json).
func TestVimctlServersTableBounded(t *testing.T) {
	_, vim, _ := setup(t)
	out, errOut, code := run(t, "--vim", vim, "servers")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, line := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(line) > 200 {
			t.Errorf("line of %d characters:\n%s", utf8.RuneCountInString(line), line)
		}
	}
	if !strings.Contains(out, "broken") || !strings.Contains(out, "…") || strings.Contains(out, "END") {
		t.Errorf("the FAILED message is not cut:\n%s", out)
	}
	if out, _, _ := run(t, "--vim", vim, "-json", "servers"); !strings.Contains(out, "END") {
		t.Errorf("-json cut the message:\n%s", out)
	}
}

// TestVimctlDeleteWait: delete -wait returns once listServer no longer
// lists the server, and fails when it stays.
func TestVimctlDeleteWait(t *testing.T) {
	d, vim, _ := setup(t)
	out, errOut, code := run(t, "--vim", vim, "delete", "-wait", "c0ffee")
	if code != 0 || !strings.Contains(out, "deleted c0ffee") {
		t.Fatalf("delete -wait: exit %d\n%s\n%s", code, out, errOut)
	}
	// Returned only once gone: the very next listing lacks it.
	if out, _, _ := run(t, "--vim", vim, "servers"); strings.Contains(out, "c0ffee") {
		t.Fatalf("delete -wait returned while listServer still lists it:\n%s", out)
	}
	var errb bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	code = cli.Run(ctx, []string{"-timeout", "1500ms", "--vim", vim, "delete", "-wait", "5tuck"}, io.Discard, &errb)
	if code != 1 || !strings.Contains(errb.String(), "still lists it") {
		t.Fatalf("delete -wait of a server that stays: exit %d: %s", code, errb.String())
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !slices.Equal(d.deletes, []string{"c0ffee", "5tuck"}) {
		t.Fatalf("deletes sent: %v", d.deletes)
	}
}

// TestVimctlHelp: vimctl help lists the commands; each command's help
// describes its arguments with an example. No broker is needed.
func TestVimctlHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := cli.Run(t.Context(), []string{"help"}, &out, &errb); code != 0 {
		t.Fatalf("vimctl help: exit %d: %s", code, errb.String())
	}
	for _, c := range []string{"call", "servers", "images", "networks", "flavors", "quota", "launch", "logs", "delete", "nfvo"} {
		if !strings.Contains(out.String(), "  "+c) {
			t.Errorf("help lacks %s:\n%s", c, out.String())
		}
		errb.Reset()
		if code := cli.Run(t.Context(), []string{"help", c}, io.Discard, &errb); code != 0 {
			t.Fatalf("help %s: exit %d", c, code)
		}
		if !strings.Contains(errb.String(), "Example:") || !strings.Contains(errb.String(), "vimctl "+c) {
			t.Errorf("help %s has no example:\n%s", c, errb.String())
		}
	}
	errb.Reset()
	cli.Run(t.Context(), []string{"launch", "-help"}, io.Discard, &errb)
	for _, want := range []string{"HOSTNAME IMAGE", "-ip", "-flavour"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("launch -help lacks %s:\n%s", want, errb.String())
		}
	}
}

func TestVimctlNFVOAnswersRegistrations(t *testing.T) {
	testenv.RabbitMQ(t)
	name := testenv.Name(t)
	queue := nfvo.DefaultManagerQueue + "-" + name
	ctx, cancel := context.WithCancel(t.Context())
	var out, errb testenv.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"nfvo", "--manager-user", "mgr-" + name, "--manager-queue", queue, "--keep-users=false"}, &out, &errb)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("vimctl nfvo exited %d: %s", code, errb.String())
		}
		// -keep-users=false: its own bootstrap user goes too.
		mg := nfvo.NewManagement(testenv.ManagementURL(), "admin", "openbaton", "/")
		if ok, err := mg.UserExists(context.Background(), "mgr-"+name); ok || err != nil {
			t.Errorf("bootstrap user mgr-%s after vimctl nfvo -keep-users=false: exists %v, %v", name, ok, err)
			_ = mg.DeleteUser(context.Background(), "mgr-"+name)
		}
	}()

	cfg := plugin.DefaultConfig()
	cfg.BrokerHost = "127.0.0.1"
	cfg.BrokerUser = "mgr-" + name
	cfg.ManagerQueue = queue
	cfg.PluginName = name
	cfg.Workers, cfg.Connections = 1, 1
	p, err := plugin.New(cfg, newDriver(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	pctx, pcancel := context.WithCancel(context.Background())
	pdone := make(chan error, 1)
	go func() { pdone <- p.Run(pctx) }()
	defer func() {
		pcancel()
		<-pdone
		mg := nfvo.NewManagement(testenv.ManagementURL(), "admin", "openbaton", "/")
		_ = mg.DeleteQueue(context.Background(), cfg.ID())
	}()
	end := time.Now().Add(30 * time.Second)
	for s := p.Server(); s == nil || s.Consuming() != 1; s = p.Server() {
		if time.Now().After(end) {
			t.Fatalf("plugin not registered through vimctl nfvo: %s", errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(errb.String(), "plugin registered") {
		t.Errorf("registration not logged: %s", errb.String())
	}
}
