// Package settings reads a daemon's environment variables into a struct,
// field by field, so that every variable that does not parse is reported
// at once, and describes those variables for -help.
//
// A field is a variable when it has an envconfig tag (its name after the
// prefix; the tag name is envconfig's, which the daemons used before):
//
//	Workers int `envconfig:"WORKERS" default:"10" flag:"workers" desc:"requests served at the same time"`
//
// default is the value when the variable is unset; flag, if any, names the
// command-line flag that overrides it; desc is the meaning shown by -help
// (docs/configuration.md gives the same words, checked by deploy tests);
// secret:"true" keeps the value out of every message. Field types: string,
// bool, int, time.Duration and []string (comma-separated).
package settings

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Var describes one variable.
type Var struct {
	Name    string // full name, e.g. OBDOCKER_WORKERS
	Default string // the default tag; "" when there is none
	Flag    string // the overriding flag without its dash; "" when none
	Desc    string // meaning
	Secret  bool   // the value is never echoed
	Field   string // Go field name, for messages about the code
	index   int
}

// Vars lists the variables of struct v (a value or a pointer), in field
// order.
func Vars(prefix string, v any) []Var {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []Var
	for i := range t.NumField() {
		f := t.Field(i)
		name, ok := f.Tag.Lookup("envconfig")
		if !ok || !f.IsExported() || f.Tag.Get("ignored") == "true" {
			continue
		}
		out = append(out, Var{
			Name:    prefix + "_" + name,
			Default: f.Tag.Get("default"),
			Flag:    f.Tag.Get("flag"),
			Desc:    f.Tag.Get("desc"),
			Secret:  f.Tag.Get("secret") == "true",
			Field:   t.Name() + "." + f.Name,
			index:   i,
		})
	}
	return out
}

// Problems collects what is wrong with a configuration, one entry per
// problem, each naming its variable.
type Problems struct {
	list []problem
}

type problem struct {
	name, text string
}

// Add records a problem of variable name; text names it too.
func (p *Problems) Add(name, format string, args ...any) {
	p.list = append(p.list, problem{name: name, text: fmt.Sprintf(format, args...)})
}

// AddErr records err as a problem of variable name, prefixing the name
// unless the text already starts with it.
func (p *Problems) AddErr(name string, err error) {
	text := err.Error()
	if !strings.HasPrefix(text, name) {
		text = name + ": " + text
	}
	p.list = append(p.list, problem{name: name, text: text})
}

// Drop forgets the problems of variable name (its flag overrode it).
func (p *Problems) Drop(name string) {
	kept := p.list[:0]
	for _, q := range p.list {
		if q.name != name {
			kept = append(kept, q)
		}
	}
	p.list = kept
}

// Has reports whether variable name already has a problem.
func (p *Problems) Has(name string) bool {
	for _, q := range p.list {
		if q.name == name {
			return true
		}
	}
	return false
}

// Merge appends q's problems.
func (p *Problems) Merge(q *Problems) { p.list = append(p.list, q.list...) }

// Err is nil without problems, else one error naming every one.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	texts := make([]string, len(p.list))
	for i, q := range p.list {
		texts[i] = q.text
	}
	return &Error{Problems: texts}
}

// Error is an invalid configuration.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	return "invalid configuration: " + strings.Join(e.Problems, "; ")
}

// Load sets every variable field of *dst from lookup (os.LookupEnv in the
// daemons): the variable's value when set, else its default tag. A value
// that does not parse is a problem, and the field keeps its default so
// that later checks do not pile up on it.
func Load(prefix string, dst any, lookup func(string) (string, bool)) *Problems {
	p := &Problems{}
	rv := reflect.ValueOf(dst).Elem()
	for _, v := range Vars(prefix, dst) {
		f := rv.Field(v.index)
		if v.Default != "" {
			if err := set(f, v.Default); err != nil {
				// A default that does not parse is a bug of the code, not
				// of the environment; say so rather than blame the operator.
				p.Add(v.Name, "%s: default %q of %s: %v", v.Name, v.Default, v.Field, err)
				continue
			}
		}
		val, ok := lookup(v.Name)
		if !ok {
			continue
		}
		if val == "" && f.Kind() != reflect.String && f.Kind() != reflect.Slice {
			def := "no default"
			if v.Default != "" {
				def = "the default " + v.Default
			}
			p.Add(v.Name, "%s is set but empty: want %s, or unset it for %s", v.Name, kindName(f), def)
			continue
		}
		save := reflect.New(f.Type()).Elem()
		save.Set(f)
		if err := set(f, val); err != nil {
			f.Set(save)
			p.Add(v.Name, "%s: %s", quote(v, val), err)
		}
	}
	return p
}

// quote renders NAME="value", or NAME alone for a secret.
func quote(v Var, val string) string {
	if v.Secret {
		return v.Name
	}
	const max = 80
	if len(val) > max {
		val = val[:max] + "…"
	}
	return fmt.Sprintf("%s=%q", v.Name, val)
}

var durationType = reflect.TypeOf(time.Duration(0))

func kindName(f reflect.Value) string {
	switch {
	case f.Type() == durationType:
		return "a duration such as 5s or 1m30s"
	case f.Kind() == reflect.Int:
		return "an integer"
	case f.Kind() == reflect.Bool:
		return "true or false"
	}
	return "a value"
}

// set parses s into f according to f's type.
func set(f reflect.Value, s string) error {
	switch {
	case f.Type() == durationType:
		d, err := time.ParseDuration(s)
		if err != nil {
			return errors.New("not a duration (want e.g. 5s, 1m30s)")
		}
		f.SetInt(int64(d))
	case f.Kind() == reflect.String:
		f.SetString(s)
	case f.Kind() == reflect.Int:
		n, err := strconv.ParseInt(s, 10, 0)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return errors.New("out of range")
			}
			return errors.New("not an integer")
		}
		f.SetInt(n)
	case f.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("not a boolean (want true or false)")
		}
		f.SetBool(b)
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
		// Set but empty is an empty list, not "unset": it can mean
		// "allow none" where unset means a default.
		list := []string{}
		if strings.TrimSpace(s) != "" {
			for _, e := range strings.Split(s, ",") {
				if e = strings.TrimSpace(e); e != "" { // "a,b," as envconfig read it
					list = append(list, e)
				}
			}
		}
		f.Set(reflect.ValueOf(list))
	default:
		return fmt.Errorf("unsupported field type %s", f.Type())
	}
	return nil
}

// BindFlags registers a flag for every variable of *dst with a flag tag.
// A flag's default is the field's current value (load the environment
// first), so a flag given on the command line wins over the variable.
func BindFlags(fs *flag.FlagSet, prefix string, dst any) {
	rv := reflect.ValueOf(dst).Elem()
	for _, v := range Vars(prefix, dst) {
		if v.Flag == "" {
			continue
		}
		fs.Var(fieldValue{f: rv.Field(v.index), secret: v.Secret}, v.Flag, v.Desc+" ("+v.Name+")")
	}
}

// SetFlags returns the variables whose flag was given on the command line.
func SetFlags(fs *flag.FlagSet, prefix string, v any) []string {
	byFlag := map[string]string{}
	for _, x := range Vars(prefix, v) {
		if x.Flag != "" {
			byFlag[x.Flag] = x.Name
		}
	}
	var out []string
	fs.Visit(func(f *flag.Flag) {
		if name, ok := byFlag[f.Name]; ok {
			out = append(out, name)
		}
	})
	return out
}

// fieldValue is a flag.Value over a struct field.
type fieldValue struct {
	f      reflect.Value
	secret bool
}

func (v fieldValue) String() string {
	if !v.f.IsValid() {
		return ""
	}
	if v.secret && v.f.String() != "" {
		return "xxxxx"
	}
	switch {
	case v.f.Kind() == reflect.Slice:
		return strings.Join(v.f.Interface().([]string), ",")
	default:
		return fmt.Sprint(v.f.Interface())
	}
}

func (v fieldValue) Set(s string) error { return set(v.f, s) }

// IsBoolFlag lets a bool flag be given without a value (-keep-stopped).
func (v fieldValue) IsBoolFlag() bool { return v.f.IsValid() && v.f.Kind() == reflect.Bool }

// WriteHelp lists vars for -help, each with its flag, default and meaning.
func WriteHelp(w io.Writer, vars []Var) error {
	var b strings.Builder
	for _, v := range vars {
		b.WriteString("  " + v.Name)
		if v.Flag != "" {
			b.WriteString(" (-" + v.Flag + ")")
		}
		if v.Default != "" {
			b.WriteString("  default " + v.Default)
		} else {
			b.WriteString("  default (none)")
		}
		b.WriteString("\n        " + v.Desc + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
