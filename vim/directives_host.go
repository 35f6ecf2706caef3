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
	DirectiveAlias, DirectiveConstraint}

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
			a, err := netip.ParseAddr(s)
			if err != nil {
				return true, fmt.Errorf("DNS server %q is not an IP address", s)
			}
			h.DNS = append(h.DNS, a.String())
		}
	case DirectivePublish:
		for _, s := range listItems(d.Value) {
			p, err := parsePublish(s)
			if err != nil {
				return true, err
			}
			h.Ports = append(h.Ports, p)
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
		m, err := parseVolume(d.Value)
		if err != nil {
			return true, err
		}
		h.Mounts = append(h.Mounts, m)
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
		// Swarm places a service's tasks by constraints; a Docker VIM is
		// one engine, so there is nothing to choose between. Refused, not
		// ignored: a VNF whose placement matters must not land anywhere.
		return true, fmt.Errorf("placement constraints are for Docker Swarm services; this Docker VIM is one engine, where every container runs: remove the constraint (VNFD configuration key constraints)")
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
// VNFM's form (a bind mount; named volumes are not taken).
func parseVolume(s string) (pop.BindMount, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return pop.BindMount{}, fmt.Errorf("want %s=<host path>:<container path>[:ro|:rw]", DirectiveVolume)
	}
	m := pop.BindMount{Source: strings.TrimSpace(parts[0]), Target: strings.TrimSpace(parts[1])}
	if len(parts) == 3 {
		switch strings.ToLower(strings.TrimSpace(parts[2])) {
		case "ro":
			m.ReadOnly = true
		case "rw":
		default:
			return pop.BindMount{}, fmt.Errorf("mode %q: want ro or rw", parts[2])
		}
	}
	if !pop.CleanAbsPath(m.Source) {
		return pop.BindMount{}, fmt.Errorf("host path %q must be absolute, without '.' or '..' elements (named volumes are not supported)", m.Source)
	}
	if !pop.CleanAbsPath(m.Target) {
		return pop.BindMount{}, fmt.Errorf("container path %q must be absolute, without '.' or '..' elements", m.Target)
	}
	return m, nil
}

// PortRange is an inclusive range of host ports.
type PortRange struct{ From, To int }

// ParsePortRanges reads the operator's published-port allowlist: entries
// "N" or "N-M", ports 1-65535.
func ParsePortRanges(entries []string) ([]PortRange, error) {
	var out []PortRange
	for _, e := range entries {
		a, b, isRange := strings.Cut(strings.TrimSpace(e), "-")
		from, err1 := strconv.Atoi(strings.TrimSpace(a))
		to := from
		var err2 error
		if isRange {
			to, err2 = strconv.Atoi(strings.TrimSpace(b))
		}
		if err1 != nil || err2 != nil || from < 1 || to > 65535 || from > to {
			return nil, fmt.Errorf("port range %q: want N or N-M with 1 <= N <= M <= 65535", e)
		}
		out = append(out, PortRange{from, to})
	}
	return out, nil
}

// CheckBindPrefixes checks the operator's bind-mount allowlist: absolute,
// clean paths.
func CheckBindPrefixes(entries []string) error {
	for _, e := range entries {
		if !pop.CleanAbsPath(e) {
			return fmt.Errorf("bind-mount prefix %q: want an absolute path without '.', '..' or a trailing '/'", e)
		}
	}
	return nil
}

// underPrefix reports whether p is prefix or lies below it, by whole path
// elements (/data allows /data/x, not /database).
func underPrefix(p, prefix string) bool {
	return prefix == "/" || p == prefix || strings.HasPrefix(p, prefix+"/")
}

// checkHostAllowed refuses bind mounts and published ports outside the
// operator's allowlists, naming the directive and its value.
func (o LaunchOptions) checkHostAllowed(bindPrefixes, publishPorts []string) error {
	for _, m := range o.Host.Mounts {
		ok := false
		for _, pre := range bindPrefixes {
			ok = ok || underPrefix(m.Source, pre)
		}
		if !ok {
			return pop.Errorf(pop.ErrInvalidArgument, "%s%s=%s: host path %s is not under a bind-mount prefix the operator allows (allowed: %s)",
				DirectivePrefix, DirectiveVolume, volumeString(m), m.Source, listOrNone(bindPrefixes))
		}
	}
	ranges, err := ParsePortRanges(publishPorts)
	if err != nil {
		return pop.Wrap(pop.ErrInvalidArgument, err, "the operator's published-port allowlist")
	}
	for _, p := range o.Host.Ports {
		ok := false
		for _, r := range ranges {
			ok = ok || p.HostPort >= r.From && p.HostPort <= r.To
		}
		if !ok {
			return pop.Errorf(pop.ErrInvalidArgument, "%s%s=%s: host port %d is not in a port range the operator allows (allowed: %s)",
				DirectivePrefix, DirectivePublish, publishString(p), p.HostPort, listOrNone(publishPorts))
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
