package vim

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/openbaton-docker/obdocker/pop"
)

// knownDirectives lists the directive keys, for the unknown-key error.
var knownDirectives = []string{DirectiveFlavour, DirectiveCapAdd, DirectiveSysctl, DirectiveStart,
	DirectiveCmd, DirectiveHostname, DirectiveDNS, DirectivePublish, DirectiveExpose, DirectiveVolume,
	DirectiveAlias, DirectiveConstraint, DirectivePlacementPref}

// DirectivePlacementPref is a Swarm placement preference
// (spread=<node attribute>), for a Swarm VIM.
const DirectivePlacementPref = "placement-pref"

// listItems splits a comma-separated value (spaces around items ignored).
func listItems(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseHost reads the container-setting directives into o; handled is
// false for a key that is none of them. Errors name what is wrong with
// the value; the caller adds the line.
func (o *LaunchOptions) parseHost(d Directive) (handled bool, err error) {
	h := &o.Host
	switch d.Key {
	case DirectiveCmd:
		if h.Cmd != nil {
			return true, fmt.Errorf("a second %s directive (one command per launch)", DirectiveCmd)
		}
		// Split at white space, no quoting: the official Docker VNFM's rule.
		h.Cmd = strings.Fields(d.Value)
	case DirectiveHostname:
		if h.Hostname != "" {
			return true, fmt.Errorf("a second %s directive", DirectiveHostname)
		}
		if !pop.ValidHostname(d.Value) {
			return true, fmt.Errorf("invalid hostname: use letters, digits, '-' and '.', at most 64 characters")
		}
		h.Hostname = d.Value
	case DirectiveDNS:
		for _, s := range listItems(d.Value) {
			a, err := pop.ParseDNSServer(s)
			if err != nil {
				return true, err
			}
			h.DNS = append(h.DNS, a)
		}
	case DirectivePublish:
		for _, s := range listItems(d.Value) {
			p, err := parsePublish(s)
			if err != nil {
				return true, err
			}
			h.Ports = append(h.Ports, p)
			o.refs.ports = append(o.refs.ports, directiveRef{Directive: d})
		}
	case DirectiveExpose:
		for _, s := range listItems(d.Value) {
			e, err := pop.ParseExposed(s)
			if err != nil {
				return true, fmt.Errorf("exposed port %q: want port, port/tcp or port/udp", s)
			}
			h.Expose = append(h.Expose, e)
		}
	case DirectiveVolume:
		m, modeGiven, err := parseVolume(d.Value)
		if err != nil {
			return true, err
		}
		h.Mounts = append(h.Mounts, m)
		o.refs.mounts = append(o.refs.mounts, directiveRef{Directive: d, modeGiven: modeGiven})
	case DirectiveAlias:
		net, names, ok := strings.Cut(d.Value, ":")
		net = strings.TrimSpace(net)
		if !ok || net == "" {
			return true, fmt.Errorf("want %s=<network>:<name>[,<name>…]", DirectiveAlias)
		}
		items := listItems(names)
		if len(items) == 0 {
			return true, fmt.Errorf("no alias for network %q", net)
		}
		for _, a := range items {
			if !pop.ValidAlias(a) {
				return true, fmt.Errorf("invalid alias %q: use letters, digits, '_', '.' and '-'", a)
			}
			if o.Aliases == nil {
				o.Aliases = map[string][]string{}
			}
			if !contains(o.Aliases[net], a) {
				o.Aliases[net] = append(o.Aliases[net], a)
			}
		}
	case DirectiveConstraint:
		// Recorded for the Pop: a Swarm Pop places by it, a Pop of one
		// engine refuses it at Create (nothing to choose between).
		for _, c := range strings.Split(d.Value, ";") {
			if c = strings.TrimSpace(c); c == "" {
				continue
			}
			if !strings.Contains(c, "==") && !strings.Contains(c, "!=") {
				return true, fmt.Errorf("placement constraint %q: want <attribute>==<value> or <attribute>!=<value>, e.g. node.labels.zone==a", c)
			}
			h.Constraints = append(h.Constraints, c)
		}
	case DirectivePlacementPref:
		if kind, desc, ok := strings.Cut(d.Value, "="); !ok || kind != "spread" || desc == "" {
			return true, fmt.Errorf("placement preference %q: want spread=<node attribute>, e.g. spread=node.labels.rack", d.Value)
		}
		h.PlacementPrefs = append(h.PlacementPrefs, d.Value)
	default:
		return false, nil
	}
	return true, nil
}

// parsePublish reads [hostIP:]hostPort[:containerPort][/proto]. A single
// port publishes that port of the container on the same host port, as the
// official Docker VNFM did.
func parsePublish(s string) (pop.PortBinding, error) {
	bad := func(why string) (pop.PortBinding, error) {
		return pop.PortBinding{}, fmt.Errorf("published port %q: %s (want [hostIP:]hostPort[:containerPort][/tcp|/udp])", s, why)
	}
	spec, proto, _ := strings.Cut(strings.ToLower(s), "/")
	if !pop.ValidProtocol(proto) {
		return bad("protocol must be tcp or udp")
	}
	parts := strings.Split(spec, ":")
	var p pop.PortBinding
	p.Protocol = proto
	if proto == "tcp" {
		p.Protocol = ""
	}
	switch len(parts) {
	case 1, 2:
	case 3:
		a, err := netip.ParseAddr(parts[0])
		if err != nil || !a.Is4() {
			return bad("host address is not an IPv4 address")
		}
		p.HostIP = a.String()
		parts = parts[1:]
	default:
		return bad("too many ':'")
	}
	port := func(x string) int {
		n, err := strconv.Atoi(x)
		if err != nil || n < 1 || n > 65535 {
			return 0
		}
		return n
	}
	p.HostPort = port(parts[0])
	p.ContainerPort = p.HostPort
	if len(parts) == 2 {
		p.ContainerPort = port(parts[1])
	}
	if p.HostPort == 0 || p.ContainerPort == 0 {
		return bad("ports must be 1-65535")
	}
	return p, nil
}

// parseVolume reads hostPath:containerPath[:ro|:rw], the official Docker
// VNFM's form (a bind mount; named volumes are not taken). modeGiven says
// whether the line chose ro or rw: without it, the mode is the host
// policy's (read-only under a read-only prefix).
func parseVolume(s string) (m pop.BindMount, modeGiven bool, err error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return m, false, fmt.Errorf("want %s=<host path>:<container path>[:ro|:rw]", DirectiveVolume)
	}
	m = pop.BindMount{Source: strings.TrimSpace(parts[0]), Target: strings.TrimSpace(parts[1])}
	if len(parts) == 3 {
		modeGiven = true
		switch strings.ToLower(strings.TrimSpace(parts[2])) {
		case "ro":
			m.ReadOnly = true
		case "rw":
		default:
			return m, false, fmt.Errorf("mode %q: want ro or rw", parts[2])
		}
	}
	if !pop.CleanAbsPath(m.Source) {
		return m, false, fmt.Errorf("host path %q must be absolute, without '.' or '..' elements (named volumes are not supported)", m.Source)
	}
	if !pop.CleanAbsPath(m.Target) {
		return m, false, fmt.Errorf("container path %q must be absolute, without '.' or '..' elements", m.Target)
	}
	return m, modeGiven, nil
}

// PortRange is an inclusive range of host ports.
type PortRange = pop.PortRange

// ParsePortRanges reads the operator's published-port allowlist: entries
// "N" or "N-M", ports 1-65535.
func ParsePortRanges(entries []string) ([]PortRange, error) { return pop.ParsePortRanges(entries) }

// CheckBindPrefixes checks the operator's bind-mount allowlist: absolute,
// clean paths, each optionally PATH:rw, and no read-only prefix at or
// below a writable one (pop.ParseBindPrefixes).
func CheckBindPrefixes(entries []string) error {
	_, err := pop.ParseBindPrefixes(entries)
	return err
}

// checkHostAllowed refuses bind mounts and published ports outside the
// operator's allowlists, naming the line and its value, and makes mounts
// under a read-only prefix that gave no mode read-only.
func (o *LaunchOptions) checkHostAllowed(bindPrefixes, publishPorts []string) error {
	p, err := pop.NewHostPolicy(bindPrefixes, publishPorts, nil, nil, policySettings)
	if err != nil {
		return err
	}
	for i, m := range o.Host.Mounts {
		var ref directiveRef
		if i < len(o.refs.mounts) {
			ref = o.refs.mounts[i]
		}
		if ref.Key == "" {
			// Not from userdata: the mount as the options give it.
			ref = directiveRef{Directive: Directive{Key: DirectiveVolume, Value: volumeString(m)}, modeGiven: true}
		}
		m, err := p.CheckMount(m, ref.modeGiven)
		if err != nil {
			return fmt.Errorf("%s%w", ref.prefix(), err)
		}
		o.Host.Mounts[i] = m
	}
	for i, b := range o.Host.Ports {
		var ref directiveRef
		if i < len(o.refs.ports) {
			ref = o.refs.ports[i]
		}
		// One line may publish several ports: name the one refused.
		ref.Key, ref.Value = DirectivePublish, publishString(b)
		if err := p.CheckPort(b); err != nil {
			return fmt.Errorf("%s%w", ref.prefix(), err)
		}
	}
	return nil
}

func volumeString(m pop.BindMount) string {
	s := m.Source + ":" + m.Target
	if m.ReadOnly {
		s += ":ro"
	}
	return s
}

func publishString(p pop.PortBinding) string {
	s := strconv.Itoa(p.HostPort) + ":" + strconv.Itoa(p.ContainerPort)
	if p.HostIP != "" {
		s = p.HostIP + ":" + s
	}
	if p.Protocol != "" {
		s += "/" + p.Protocol
	}
	return s
}
