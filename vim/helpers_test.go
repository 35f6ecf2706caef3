package vim

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testVim is parameter 0 of calls in tests: the default socket.
const testVim = `{"type":"docker","name":"vim-test","authUrl":"unix:///var/run/docker.sock","id":"d4","hbVersion":1}`

func testLogger(t testing.TB) logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(testWriter{t})
	l.SetLevel(logrus.DebugLevel)
	return l
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// newTestDriver is a Driver whose every endpoint is one fake Pop.
func newTestDriver(t testing.TB, cfg Config) (*Driver, *fakePop) {
	t.Helper()
	return newTestDriverLog(t, cfg, testLogger(t))
}

func newTestDriverLog(t testing.TB, cfg Config, log logrus.FieldLogger) (*Driver, *fakePop) {
	t.Helper()
	fp := newFakePop()
	cfg.Open = func(ctx context.Context, key EndpointKey) (pop.Pop, error) { return fp, nil }
	d := New(cfg, log)
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close driver: %v", err)
		}
	})
	return d, fp
}

// params encodes call parameters; a json.RawMessage or string starting
// with { or [ is passed verbatim.
func params(t testing.TB, ps ...any) plugin.Params {
	t.Helper()
	out := make(plugin.Params, len(ps))
	for i, p := range ps {
		switch v := p.(type) {
		case json.RawMessage:
			out[i] = v
		default:
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("param %d: %v", i, err)
			}
			out[i] = b
		}
	}
	return out
}

func method(t testing.TB, d *Driver, name string, arity int) plugin.Method {
	t.Helper()
	for _, m := range d.Methods() {
		if m.Name == name && m.Arity == arity {
			return m
		}
	}
	t.Fatalf("no method %s/%d", name, arity)
	return plugin.Method{}
}

// call runs a method as the plugin would: by (name, len(params)); the
// answer comes back encoded.
func call(t testing.TB, d *Driver, name string, ps plugin.Params) (json.RawMessage, error) {
	t.Helper()
	m := method(t, d, name, len(ps))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // real dockerd under load is slow
	defer cancel()
	ans, err := m.Handle(ctx, ps)
	if err != nil {
		return nil, err
	}
	b, merr := json.Marshal(ans)
	if merr != nil {
		t.Fatalf("%s: encode answer: %v", name, merr)
	}
	if string(b) == "null" {
		t.Fatalf("%s: null answer", name)
	}
	return b, nil
}

func mustCall(t testing.TB, d *Driver, name string, ps ...any) json.RawMessage {
	t.Helper()
	b, err := call(t, d, name, params(t, append([]any{json.RawMessage(testVim)}, ps...)...))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

func callErr(t testing.TB, d *Driver, name string, ps ...any) error {
	t.Helper()
	_, err := call(t, d, name, params(t, append([]any{json.RawMessage(testVim)}, ps...)...))
	if err == nil {
		t.Fatalf("%s: want an error", name)
	}
	return err
}

// fixtureCall runs a PluginMessage fixture from testdata/nfvo.
func fixtureCall(t testing.TB, d *Driver, file string) (json.RawMessage, error) {
	t.Helper()
	var msg struct {
		MethodName string            `json:"methodName"`
		Parameters []json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join("testdata", "nfvo", file)), &msg); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return call(t, d, msg.MethodName, plugin.Params(msg.Parameters))
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares an answer with testdata/golden/name.json (rewritten
// with -update).
func golden(t testing.TB, name string, answer []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, answer, "", "  "); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	buf.WriteByte('\n')
	p := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", name, p, buf.String())
	}
}

func decodeMap(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, b)
	}
	return m
}

func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// checkNoEmptyDates walks v: no date field may be "" (Gson fails the call).
func checkNoEmptyDates(t testing.TB, where string, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if (k == "created" || k == "updated") && e == "" {
				t.Errorf("%s: %s is \"\"", where, k)
			}
			if s, ok := e.(string); ok && (k == "created" || k == "updated") {
				if _, ok := ParseDate(s); !ok {
					t.Errorf("%s: %s %q is no NFVO date", where, k, s)
				}
			}
			checkNoEmptyDates(t, where+"."+k, e)
		}
	case []any:
		for _, e := range x {
			checkNoEmptyDates(t, where+"[]", e)
		}
	}
}

// checkServer checks the §4.5 MUSTs of a Server answer.
func checkServer(t testing.TB, b []byte) map[string]any {
	t.Helper()
	m := decodeMap(t, b)
	ips, ok := m["ips"].(map[string]any)
	if !ok {
		t.Fatalf("server: ips missing or not an object: %s", b)
	}
	for k, v := range ips {
		l, ok := v.([]any)
		if !ok || len(l) == 0 {
			t.Errorf("server: ips[%q] is not a non-empty list: %v", k, v)
		}
	}
	if fi, ok := m["floatingIps"].(map[string]any); !ok {
		t.Errorf("server: floatingIps missing or not an object")
	} else if len(fi) != 0 {
		t.Errorf("server: floatingIps not {}: %v", fi)
	}
	for _, k := range []string{"extId", "name", "hostName", "status"} {
		if s, _ := m[k].(string); s == "" {
			t.Errorf("server: %s empty", k)
		}
	}
	if _, ok := m["flavor"].(map[string]any); !ok {
		t.Errorf("server: no flavor")
	}
	if _, ok := m["image"].(map[string]any); !ok {
		t.Errorf("server: no image")
	}
	checkNoEmptyDates(t, "server", m)
	return m
}

// checkNetwork checks the §4.4 MUSTs of a network answer.
func checkNetwork(t testing.TB, b []byte) map[string]any {
	t.Helper()
	m := decodeMap(t, b)
	if _, ok := m["subnet"]; !ok {
		t.Errorf("network answer has no \"subnet\" key: %s", b)
	}
	if _, ok := m["id"]; ok {
		t.Errorf("network answer has an id: %s", b)
	}
	for _, k := range []string{"name", "extId"} {
		if s, _ := m[k].(string); s == "" {
			t.Errorf("network answer: %s empty: %s", k, b)
		}
	}
	return m
}

func itoa(i int) string { return strconv.Itoa(i) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
