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
	// refs are the lines behind what the host policy checks, so that a
	// refusal names the line and the value as written.
	refs directiveRefs
}

// directiveRefs locate the directives behind Host.Mounts and Host.Ports
// (by index), CapAdd and Sysctls (by name).
type directiveRefs struct {
	mounts, ports []directiveRef
	caps, sysctls map[string]directiveRef
}

type directiveRef struct {
	Directive
	modeGiven bool // a volume line with :ro or :rw
}

// prefix is "userdata line N: #obdocker:key=value: ", or "" for options
// that were not parsed from userdata.
func (r directiveRef) prefix() string {
	if r.Key == "" {
		return ""
	}
	return fmt.Sprintf("userdata line %d: %s%s=%s: ", r.Line, DirectivePrefix, r.Key, r.Value)
}

func (r *directiveRefs) add(m *map[string]directiveRef, k string, d Directive) {
	if *m == nil {
		*m = map[string]directiveRef{}
	}
	(*m)[k] = directiveRef{Directive: d}
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
					o.refs.add(&o.refs.caps, c, d)
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
			o.refs.add(&o.refs.sysctls, k, d)
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
func NormaliseCap(c string) string { return pop.NormaliseCap(c) }

// policySettings name the driver's allowlists in refusals.
var policySettings = pop.HostPolicySettings{
	BindPrefixes: "OBDOCKER_ALLOWED_BIND_PREFIXES",
	PublishPorts: "OBDOCKER_ALLOWED_PUBLISH_PORTS",
	Caps:         "OBDOCKER_ALLOWED_CAPS",
	Sysctls:      "OBDOCKER_ALLOWED_SYSCTLS",
}

// checkAllowed refuses capabilities and sysctls the operator did not allow,
// naming the first one refused, its line and what is allowed.
func (o LaunchOptions) checkAllowed(caps, sysctls []string) error {
	p := pop.HostPolicy{Caps: make([]string, len(caps)), Sysctls: sysctls, Settings: policySettings}
	for i, c := range caps {
		p.Caps[i] = pop.NormaliseCap(c)
	}
	for _, c := range o.CapAdd {
		if err := p.CheckCap(c); err != nil {
			return fmt.Errorf("%s%w", o.refs.caps[c].prefix(), err)
		}
	}
	keys := make([]string, 0, len(o.Sysctls))
	for k := range o.Sysctls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := p.CheckSysctl(k); err != nil {
			return fmt.Errorf("%s%w", o.refs.sysctls[k].prefix(), err)
		}
	}
	return nil
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
