package deploy

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/internal/settings"
	"github.com/openbaton-docker/obdocker/internal/vimdriver"
	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/vnfm"
)

const configDoc = "docs/configuration.md"

// configVars lists the variables each daemon reads, from the same tags as
// its -help: docker-vim-driver's (every struct of vimdriver.Config, so a
// new field is a new variable the docs must cover) and docker-vnfm's. The
// keys are the sections of docs/configuration.md that document them.
func configVars(t testing.TB) map[string][]settings.Var {
	t.Helper()
	top := reflect.TypeOf(vimdriver.Config{})
	n := 0
	for i := range top.NumField() {
		n += len(settings.Vars(plugin.EnvPrefix, reflect.New(top.Field(i).Type).Interface()))
	}
	vars := vimdriver.Vars()
	if len(vars) != n || n == 0 {
		t.Fatalf("vimdriver.Vars lists %d variables, the structs of vimdriver.Config hold %d: add the new struct to Vars", len(vars), n)
	}
	return map[string][]settings.Var{"docker-vim-driver": vars, "docker-vnfm": vnfm.Vars()}
}

// docVar is one documented variable.
type docVar struct {
	Default, Flag, Meaning string
	Line                   int
}

// cells splits a markdown table row on its pipes, except escaped ones.
func cells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var out []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteString(`\|`)
			i++
		case line[i] == '|':
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	return append(out, strings.TrimSpace(cur.String()))
}

// documentedVars parses the variable tables of docs/configuration.md into
// section → name → its default as written ("" for "(none)"), flag
// (without its dash) and meaning.
func documentedVars(t testing.TB) map[string]map[string]docVar {
	t.Helper()
	out := map[string]map[string]docVar{}
	section := ""
	var header []string
	for i, line := range strings.Split(string(readFile(t, configDoc)), "\n") {
		if strings.HasPrefix(line, "## ") {
			section = strings.TrimPrefix(line, "## ")
			continue
		}
		if !strings.HasPrefix(line, "|") {
			header = nil
			continue
		}
		row := cells(line)
		if header == nil {
			header = row
			continue
		}
		if len(row) == 0 || !strings.HasPrefix(row[0], "`OBDOCKER_") {
			continue
		}
		name := strings.Trim(row[0], "`")
		if len(row) != len(header) {
			t.Errorf("%s:%d: %s has %d cells, the table %d", configDoc, i+1, name, len(row), len(header))
			continue
		}
		v := docVar{Line: i + 1}
		for j, h := range header {
			switch h {
			case "default":
				v.Default = row[j]
			case "flag":
				v.Flag = strings.TrimPrefix(strings.Trim(row[j], "`"), "-")
			case "meaning":
				v.Meaning = row[j]
			}
		}
		switch {
		case v.Default == "(none)":
			v.Default = ""
		case len(v.Default) >= 2 && strings.HasPrefix(v.Default, "`") && strings.HasSuffix(v.Default, "`"):
			v.Default = v.Default[1 : len(v.Default)-1]
		default:
			t.Errorf("%s:%d: default %q of %s: want `value` or (none)", configDoc, i+1, v.Default, name)
		}
		if out[section] == nil {
			out[section] = map[string]docVar{}
		}
		if _, dup := out[section][name]; dup {
			t.Errorf("%s:%d: %s documented twice", configDoc, i+1, name)
		}
		out[section][name] = v
	}
	return out
}

// plain drops markdown code quotes and escapes, so that the docs' meaning
// and the -help text compare as words.
func plain(s string) string {
	return strings.NewReplacer("`", "", "\\|", "|").Replace(s)
}

// TestConfigurationDocumented keeps docs/configuration.md, the code and
// -help in step: every variable a daemon reads is documented in its
// section with its real default and flag, the first sentence of its
// meaning is what -help prints (the desc tag), and nothing else is
// documented.
func TestConfigurationDocumented(t *testing.T) {
	docs := documentedVars(t)
	for section, vars := range configVars(t) {
		inCode := map[string]bool{}
		for _, v := range vars {
			inCode[v.Name] = true
			d, ok := docs[section][v.Name]
			if !ok {
				t.Errorf("%s (%s) is not documented in the %s section of %s", v.Name, v.Field, section, configDoc)
				continue
			}
			if d.Default != v.Default {
				t.Errorf("%s:%d: %s: the docs say default %q, the code says %q", configDoc, d.Line, v.Name, d.Default, v.Default)
			}
			if d.Flag != v.Flag {
				t.Errorf("%s:%d: %s: the docs say flag %q, the code says %q", configDoc, d.Line, v.Name, d.Flag, v.Flag)
			}
			m := plain(d.Meaning)
			if v.Desc == "" || (m != v.Desc && !strings.HasPrefix(m, v.Desc+". ")) {
				t.Errorf("%s:%d: %s: the meaning must start with the sentence -help prints (desc tag of %s):\n  help: %q\n  docs: %q",
					configDoc, d.Line, v.Name, v.Field, v.Desc, m)
			}
		}
		var extra []string
		for name := range docs[section] {
			if !inCode[name] {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		for _, name := range extra {
			t.Errorf("%s documents %s under %s, which no configuration field of that daemon reads", configDoc, name, section)
		}
	}
	for section := range docs {
		if section != "docker-vim-driver" && section != "docker-vnfm" {
			t.Errorf("%s documents OBDOCKER_* variables under %q, which is no daemon's section", configDoc, section)
		}
	}
}

// TestConfigurationDefaultsLoad checks the documented defaults are what the
// daemon really runs with (envconfig applies the tags; DefaultConfig
// repeats them for the plugin).
func TestConfigurationDefaultsLoad(t *testing.T) {
	vars := configVars(t)
	for _, section := range vars {
		for _, v := range section {
			// Setenv restores the variable at the end; unset it meanwhile
			// (set but empty is an error for numbers).
			t.Setenv(v.Name, "")
			unsetenv(t, v.Name)
		}
	}
	cfg, err := vimdriver.LoadConfig(nil)
	if err != nil {
		t.Fatalf("defaults do not load: %v", err)
	}
	if !reflect.DeepEqual(cfg.Plugin, plugin.DefaultConfig()) {
		t.Errorf("plugin defaults %+v differ from plugin.DefaultConfig %+v", cfg.Plugin, plugin.DefaultConfig())
	}
	if _, err := vnfm.LoadConfig(); err != nil {
		t.Fatalf("docker-vnfm defaults do not load: %v", err)
	}
}
