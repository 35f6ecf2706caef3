package settings

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

type sample struct {
	Name     string        `envconfig:"NAME" default:"n" flag:"name" desc:"a name"`
	Workers  int           `envconfig:"WORKERS" default:"10" flag:"workers" desc:"workers"`
	Timeout  time.Duration `envconfig:"TIMEOUT" default:"5s" desc:"timeout"`
	Keep     bool          `envconfig:"KEEP" default:"false" flag:"keep" desc:"keep"`
	List     []string      `envconfig:"LIST" desc:"list"`
	Password string        `envconfig:"PASSWORD" default:"pw" secret:"true" desc:"secret"`
	Port     int           `envconfig:"PORT" default:"1" secret:"true" desc:"secret number"`
	internal int
	Other    string `ignored:"true"`
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadDefaultsAndValues(t *testing.T) {
	var s sample
	if err := Load("X", &s, env(nil)).Err(); err != nil {
		t.Fatal(err)
	}
	if s.Name != "n" || s.Workers != 10 || s.Timeout != 5*time.Second || s.Keep || s.List != nil || s.Password != "pw" {
		t.Fatalf("defaults: %+v", s)
	}
	s = sample{}
	err := Load("X", &s, env(map[string]string{"X_NAME": "", "X_WORKERS": "3", "X_TIMEOUT": "1m", "X_KEEP": "true", "X_LIST": "a, b"})).Err()
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "" || s.Workers != 3 || s.Timeout != time.Minute || !s.Keep || len(s.List) != 2 || s.List[1] != "b" {
		t.Fatalf("values: %+v", s)
	}
	s = sample{}
	if err := Load("X", &s, env(map[string]string{"X_LIST": ""})).Err(); err != nil || s.List == nil || len(s.List) != 0 {
		t.Fatalf("set but empty list must be an empty list: %#v %v", s.List, err)
	}
}

// TestLoadReportsEveryBadVariable: each bad value is named with its value
// and why, all in one error; a secret's value is never echoed; fields that
// failed keep their default.
func TestLoadReportsEveryBadVariable(t *testing.T) {
	var s sample
	err := Load("X", &s, env(map[string]string{
		"X_WORKERS": "abc", "X_TIMEOUT": "5", "X_KEEP": "yes please", "X_PORT": "s3cr3t",
	})).Err()
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		`X_WORKERS="abc": not an integer`,
		`X_TIMEOUT="5": not a duration`,
		`X_KEEP="yes please": not a boolean`,
		`X_PORT: not an integer`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "s3cr3t") {
		t.Errorf("secret echoed: %q", msg)
	}
	if s.Workers != 10 || s.Timeout != 5*time.Second {
		t.Errorf("failed fields must keep their defaults: %+v", s)
	}
	err = Load("X", &s, env(map[string]string{"X_WORKERS": ""})).Err()
	if err == nil || !strings.Contains(err.Error(), "X_WORKERS is set but empty: want an integer, or unset it for the default 10") {
		t.Fatalf("%v", err)
	}
}

func TestFlagsOverride(t *testing.T) {
	var s sample
	p := Load("X", &s, env(map[string]string{"X_WORKERS": "abc", "X_NAME": "env"}))
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	BindFlags(fs, "X", &s)
	if err := fs.Parse([]string{"-workers", "4", "-keep"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range SetFlags(fs, "X", &s) {
		p.Drop(name)
	}
	if err := p.Err(); err != nil || s.Workers != 4 || !s.Keep || s.Name != "env" {
		t.Fatalf("%+v %v", s, err)
	}
	if err := fs.Parse([]string{"-workers", "many"}); err == nil {
		t.Fatal("-workers many accepted")
	}
}

func TestWriteHelp(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHelp(&b, Vars("X", sample{})); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"X_NAME (-name)  default n\n        a name\n", "X_LIST  default (none)\n        list\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Other") || strings.Contains(out, "internal") {
		t.Errorf("help lists a field that is no variable:\n%s", out)
	}
}
