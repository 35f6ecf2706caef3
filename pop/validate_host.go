package pop

import (
	"net/netip"
	"path"
	"regexp"
	"strconv"
	"strings"
)

var (
	// RFC 1123 labels; Linux keeps at most 64 bytes of a hostname.
	hostnameRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$`)
	// Docker's network-scoped aliases are DNS names its resolver answers.
	aliasRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$`)
)

// ValidHostname reports whether s can be a container's hostname.
func ValidHostname(s string) bool { return len(s) <= 64 && hostnameRE.MatchString(s) }

// ValidAlias reports whether s can be a network alias.
func ValidAlias(s string) bool { return len(s) <= 253 && aliasRE.MatchString(s) }

// ValidProtocol reports whether p names a port protocol ("" is tcp).
func ValidProtocol(p string) bool { return p == "" || p == "tcp" || p == "udp" }

// CleanAbsPath reports whether p is an absolute path written without
// "." or ".." elements, repeated or trailing slashes: the form whose
// prefixes an allowlist can compare.
func CleanAbsPath(p string) bool {
	return strings.HasPrefix(p, "/") && path.Clean(p) == p && !strings.ContainsRune(p, 0)
}

// ParseDNSServer reads a resolver address. One with an IPv6 zone is
// refused: netip takes any text after '%' as the zone, and Docker writes
// the address verbatim into the container's /etc/resolv.conf, so a zone
// such as "x options ndots:15" (or one with a newline) would add resolver
// options or lines.
func ParseDNSServer(s string) (string, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", Errorf(ErrInvalidArgument, "DNS server %q is not an IP address", s)
	}
	if a.Zone() != "" {
		return "", Errorf(ErrInvalidArgument, "DNS server %q: an address with a zone (%%…) is not taken; give the address without it", s)
	}
	return a.String(), nil
}

// ParseExposed reads "port" or "port/proto" (tcp or udp) and writes it as
// Docker does, "80/tcp".
func ParseExposed(s string) (string, error) {
	p, proto, _ := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "/")
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || !ValidProtocol(proto) {
		return "", Errorf(ErrInvalidArgument, "exposed port %q: want port or port/tcp or port/udp, port 1-65535", s)
	}
	if proto == "" {
		proto = "tcp"
	}
	return strconv.Itoa(n) + "/" + proto, nil
}

// validateHostOptions checks the form of what Create records beyond env
// (not policy: which host paths or ports may be used is the caller's).
func validateHostOptions(cfg ContainerConfig) error {
	h := cfg.HostOptions
	if h.Hostname != "" && !ValidHostname(h.Hostname) {
		return Errorf(ErrInvalidArgument, "invalid hostname %q: use letters, digits, '-' and '.', at most 64 characters", h.Hostname)
	}
	for _, a := range h.Cmd {
		if strings.ContainsRune(a, 0) {
			return Errorf(ErrInvalidArgument, "command argument %q contains a NUL byte", a)
		}
	}
	for _, d := range h.DNS {
		if _, err := ParseDNSServer(d); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, p := range h.Ports {
		if p.HostPort < 1 || p.HostPort > 65535 || p.ContainerPort < 1 || p.ContainerPort > 65535 || !ValidProtocol(p.Protocol) {
			return Errorf(ErrInvalidArgument, "published port %d:%d/%s: want ports 1-65535 and protocol tcp or udp", p.HostPort, p.ContainerPort, p.Protocol)
		}
		if p.HostIP != "" {
			if _, err := netip.ParseAddr(p.HostIP); err != nil {
				return Errorf(ErrInvalidArgument, "published port %d: host address %q is not an IP address", p.HostPort, p.HostIP)
			}
		}
		k := p.HostIP + "|" + strconv.Itoa(p.HostPort) + "|" + cmpProto(p.Protocol)
		if seen[k] {
			return Errorf(ErrInvalidArgument, "host port %d/%s is published twice", p.HostPort, cmpProto(p.Protocol))
		}
		seen[k] = true
	}
	for _, e := range h.Expose {
		if _, err := ParseExposed(e); err != nil {
			return err
		}
	}
	for _, m := range h.Mounts {
		if !CleanAbsPath(m.Source) || !CleanAbsPath(m.Target) {
			return Errorf(ErrInvalidArgument, "bind mount %s:%s: both paths must be absolute, without '.' or '..' elements", m.Source, m.Target)
		}
	}
	for _, ep := range cfg.Endpoints {
		for _, a := range ep.Aliases {
			if !ValidAlias(a) {
				return Errorf(ErrInvalidArgument, "invalid alias %q on network %q: use letters, digits, '_', '.' and '-'", a, ep.Network)
			}
		}
	}
	return nil
}

func cmpProto(p string) string {
	if p == "" {
		return "tcp"
	}
	return p
}
