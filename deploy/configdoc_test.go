package deploy

import (
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/vimdriver"
	"github.com/openbaton-docker/obdocker/plugin"
)

const configDoc = "docs/configuration.md"

// configVar is one OBDOCKER_* variable as the code declares it.
type configVar struct {
	Name, Default, Field string
}

// configVars reads the envconfig tags of every configuration struct the
// daemon loads: each struct field of vimdriver.Config (the plugin's, the
// driver's, the metrics' settings, and whatever is added next), so a new
// field is a new variable the docs must cover.
func configVars(t testing.TB) []configVar {
	t.Helper()
	var out []configVar
	top := reflect.TypeOf(vimdriver.Config{})
	for i := range top.NumField() {
		typ := top.Field(i).Type
		if typ.Kind() != reflect.Struct {
			t.Fatalf("vimdriver.Config.%s is not a struct: teach configVars about it", top.Field(i).Name)
		}
		for j := range typ.NumField() {
			f := typ.Field(j)
			if !f.IsExported() || f.Tag.Get("ignored") == "true" {
				continue
			}
			name := f.Tag.Get("envconfig")
			if name == "" {
				// envconfig's own rule for untagged fields: the field
				// name, upper-cased.
				name = strings.ToUpper(f.Name)
			}
			out = append(out, configVar{
				Name:    plugin.EnvPrefix + "_" + name,
				Default: f.Tag.Get("default"),
				Field:   typ.Name() + "." + f.Name,
			})
		}
	}
	if len(out) == 0 {
		t.Fatal("no configuration fields found")
	}
	return out
}

// docRowRE matches a table row of docs/configuration.md:
// | `OBDOCKER_NAME` | `default` or (none) | ... |
var docRowRE = regexp.MustCompile("^\\|\\s*`(OBDOCKER_[A-Z0-9_]+)`\\s*\\|\\s*([^|]*?)\\s*\\|")

// documentedVars parses the variable tables of docs/configuration.md into
// name → default as written ("" for "(none)").
func documentedVars(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i, line := range strings.Split(string(readFile(t, configDoc)), "\n") {
		m := docRowRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		def := m[2]
		switch {
		case def == "(none)":
			def = ""
		case len(def) >= 2 && strings.HasPrefix(def, "`") && strings.HasSuffix(def, "`"):
			def = def[1 : len(def)-1]
		default:
			t.Errorf("%s:%d: default %q of %s: want `value` or (none)", configDoc, i+1, def, m[1])
		}
		if _, dup := out[m[1]]; dup {
			t.Errorf("%s:%d: %s documented twice", configDoc, i+1, m[1])
		}
		out[m[1]] = def
	}
	return out
}

// TestConfigurationDocumented keeps docs/configuration.md and the code in
// step: every variable the daemon reads is documented with its real
// default, and nothing else is.
func TestConfigurationDocumented(t *testing.T) {
	docs := documentedVars(t)
	vars := configVars(t)
	inCode := map[string]bool{}
	for _, v := range vars {
		inCode[v.Name] = true
		def, ok := docs[v.Name]
		if !ok {
			t.Errorf("%s (%s) is not documented in %s", v.Name, v.Field, configDoc)
			continue
		}
		if def != v.Default {
			t.Errorf("%s: %s says default %q, the code says %q", v.Name, configDoc, def, v.Default)
		}
	}
	var extra []string
	for name := range docs {
		if !inCode[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		t.Errorf("%s documents %s, which no configuration field reads", configDoc, name)
	}
}

// TestConfigurationDefaultsLoad checks the documented defaults are what the
// daemon really runs with (envconfig applies the tags; DefaultConfig
// repeats them for the plugin).
func TestConfigurationDefaultsLoad(t *testing.T) {
	for _, v := range configVars(t) {
		t.Setenv(v.Name, "")
	}
	// t.Setenv("") leaves variables set but empty, which envconfig treats
	// as unset only for some types: unset them for real.
	for _, v := range configVars(t) {
		unsetenv(t, v.Name)
	}
	cfg, err := vimdriver.LoadConfig(nil)
	if err != nil {
		t.Fatalf("defaults do not load: %v", err)
	}
	if !reflect.DeepEqual(cfg.Plugin, plugin.DefaultConfig()) {
		t.Errorf("plugin defaults %+v differ from plugin.DefaultConfig %+v", cfg.Plugin, plugin.DefaultConfig())
	}
}
