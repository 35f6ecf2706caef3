package vim

import (
	"fmt"
	"sort"
	"strings"

	"github.com/openbaton-docker/obdocker/pop"
)

// Directive keys (see doc.go).
const (
	DirectiveFlavour = "flavour"
	DirectiveCapAdd  = "cap-add"
	DirectiveSysctl  = "sysctl"
	DirectiveStart   = "start"
	// Container settings (directives_host.go).
	DirectiveCmd        = "cmd"
	DirectiveHostname   = "hostname"
	DirectiveDNS        = "dns"
	DirectivePublish    = "publish"
	DirectiveExpose     = "expose"
	DirectiveVolume     = "volume"
	DirectiveAlias      = "alias"
	DirectiveConstraint = "constraint"
)

// Values of the start directive.
const (
	StartImmediate = "immediate"
	StartDeferred  = "deferred"
)

// LaunchOptions are what the directives of a userdata ask for.
type LaunchOptions struct {
	Flavour  string
	CapAdd   []string          // normalised: upper case, no CAP_ prefix
	Sysctls  map[string]string // nil when none
	Deferred bool              // create only, start later (for a VNFM)
	// Host holds cmd, hostname, dns, publish, expose and volume.
	Host pop.HostOptions
	// Aliases are the alias directives' names by network (a virtual link
	// or network name), in order.
	Aliases map[string][]string
}

// ParseDirectives turns directive lines into options. An unknown key, an
// empty value or a malformed one is an error naming the line: a typo must
// not silently launch something else.
func ParseDirectives(ds []Directive) (LaunchOptions, error) {
	var o LaunchOptions
	for _, d := range ds {
		bad := func(format string, args ...any) error {
			return pop.Errorf(pop.ErrInvalidArgument, "userdata line %d: %s%s=%s: %s", d.Line, DirectivePrefix, d.Key, d.Value, fmt.Sprintf(format, args...))
		}
		if d.Value == "" {
			return o, bad("empty value")
		}
		switch d.Key {
		case DirectiveFlavour, "flavor":
			o.Flavour = d.Value
		case DirectiveCapAdd:
			for _, c := range strings.FieldsFunc(d.Value, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
				c = NormaliseCap(c)
				if !ValidEnvName(c) {
					return o, bad("invalid capability %q", c)
				}
				if !contains(o.CapAdd, c) {
					o.CapAdd = append(o.CapAdd, c)
				}
			}
		case DirectiveSysctl:
			k, v, ok := strings.Cut(d.Value, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" {
				return o, bad("want sysctl=<key>=<value>")
			}
			if o.Sysctls == nil {
				o.Sysctls = map[string]string{}
			}
			o.Sysctls[k] = v
		case DirectiveStart:
			switch strings.ToLower(d.Value) {
			case StartDeferred:
				o.Deferred = true
			case StartImmediate:
				o.Deferred = false
			default:
				return o, bad("want %q or %q", StartImmediate, StartDeferred)
			}
		default:
			handled, err := o.parseHost(d)
			if err != nil {
				return o, bad("%v", err)
			}
			if !handled {
				return o, bad("unknown directive (known: %s)", strings.Join(knownDirectives, ", "))
			}
		}
	}
	return o, nil
}

// NormaliseCap writes a capability as Docker's CapAdd wants it: upper case,
// without the CAP_ prefix.
func NormaliseCap(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	return strings.TrimPrefix(c, "CAP_")
}

// checkAllowed refuses capabilities and sysctls the operator did not allow,
// naming the first one refused and what is allowed.
func (o LaunchOptions) checkAllowed(caps, sysctls []string) error {
	allowedCaps := map[string]bool{}
	for _, c := range caps {
		allowedCaps[NormaliseCap(c)] = true
	}
	for _, c := range o.CapAdd {
		if !allowedCaps["ALL"] && !allowedCaps[c] {
			return pop.Errorf(pop.ErrInvalidArgument, "capability %s is not allowed by the operator (allowed: %s)", c, listOrNone(caps))
		}
	}
	keys := make([]string, 0, len(o.Sysctls))
	for k := range o.Sysctls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !sysctlAllowed(k, sysctls) {
			return pop.Errorf(pop.ErrInvalidArgument, "sysctl %s is not allowed by the operator (allowed: %s)", k, listOrNone(sysctls))
		}
	}
	return nil
}

func sysctlAllowed(k string, allowed []string) bool {
	for _, a := range allowed {
		if a == k || strings.HasSuffix(a, "*") && strings.HasPrefix(k, strings.TrimSuffix(a, "*")) {
			return true
		}
	}
	return false
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
