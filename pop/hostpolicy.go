package pop

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// HostPolicy is an operator's allowlist of what a container may take from
// the engine's host: bind mounts, published ports, capabilities and
// sysctls. The core applies none (policy belongs to the caller); the VIM
// driver checks its launches with one and docker-popd every Create, so
// both use this one type. The zero HostPolicy allows nothing.
type HostPolicy struct {
	BindPrefixes []BindPrefix
	PublishPorts []PortRange
	// Caps are capability names without CAP_, upper case; ALL allows all.
	Caps []string
	// Sysctls are keys, or prefixes ending in "*" ("*" allows all).
	Sysctls []string
	// Settings name the allowlists in refusals (an environment variable,
	// a configuration key), so a refusal says what to change.
	Settings HostPolicySettings
}

// HostPolicySettings are the names of a HostPolicy's settings.
type HostPolicySettings struct {
	BindPrefixes, PublishPorts, Caps, Sysctls string
}

// BindPrefix is a host path that bind mounts may use. A read-only prefix
// allows any path at or below it, always mounted read-only: no container
// can write there, so none can plant a symbolic link that dockerd would
// follow on the host when a later mount names it. A writable prefix may
// be mounted only as a whole, since below it a container may have written
// anything.
type BindPrefix struct {
	Path     string
	Writable bool
}

func (b BindPrefix) String() string {
	if b.Writable {
		return b.Path + ":rw"
	}
	return b.Path
}

// PortRange is an inclusive range of host ports.
type PortRange struct{ From, To int }

func (r PortRange) String() string {
	if r.From == r.To {
		return strconv.Itoa(r.From)
	}
	return strconv.Itoa(r.From) + "-" + strconv.Itoa(r.To)
}

// NewHostPolicy parses the four allowlists as an operator writes them
// (bind prefixes PATH or PATH:rw, ports N or N-M, capabilities with or
// without CAP_, sysctl keys or prefixes ending in *), naming the setting
// of each problem.
func NewHostPolicy(bindPrefixes, publishPorts, caps, sysctls []string, names HostPolicySettings) (HostPolicy, error) {
	p := HostPolicy{Settings: names}
	var errs []error
	var err error
	if p.BindPrefixes, err = ParseBindPrefixes(bindPrefixes); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", names.BindPrefixes, err))
	}
	if p.PublishPorts, err = ParsePortRanges(publishPorts); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", names.PublishPorts, err))
	}
	if p.Caps, err = ParseCapList(caps); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", names.Caps, err))
	}
	if err := CheckSysctlList(sysctls); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", names.Sysctls, err))
	}
	p.Sysctls = append([]string(nil), sysctls...)
	if len(errs) > 0 {
		return HostPolicy{}, Wrap(ErrInvalidArgument, errors.Join(errs...), "host policy")
	}
	return p, nil
}

// ParseBindPrefixes reads a bind-mount allowlist: absolute clean paths,
// each optionally followed by ":rw" (writable) or ":ro" (the default). A
// read-only prefix at or below a writable one, or a writable one below
// another, is refused: a container could replace what it names by a link.
func ParseBindPrefixes(entries []string) ([]BindPrefix, error) {
	var out []BindPrefix
	for _, e := range entries {
		e = strings.TrimSpace(e)
		b := BindPrefix{Path: e}
		if p, mode, ok := strings.Cut(e, ":"); ok {
			switch mode {
			case "rw":
				b = BindPrefix{Path: p, Writable: true}
			case "ro":
				b = BindPrefix{Path: p}
			default:
				b.Path = "" // refused below
			}
		}
		if !CleanAbsPath(b.Path) {
			return nil, fmt.Errorf("bind-mount prefix %q: want an absolute path without '.', '..' or a trailing '/', optionally followed by :rw (writable) or :ro", e)
		}
		out = append(out, b)
	}
	for _, w := range out {
		if !w.Writable {
			continue
		}
		for _, b := range out {
			switch {
			case !b.Writable && underPath(b.Path, w.Path):
				return nil, fmt.Errorf("read-only bind-mount prefix %s lies at or below the writable prefix %s: containers may write there, so it is not read-only; drop one of them", b, w)
			case b.Writable && b.Path != w.Path && underPath(b.Path, w.Path):
				return nil, fmt.Errorf("writable bind-mount prefix %s lies below the writable prefix %s: a container given %s could replace it by a symbolic link; drop one of them", b, w, w.Path)
			}
		}
	}
	return out, nil
}

// ParsePortRanges reads a published-port allowlist: entries "N" or "N-M",
// ports 1-65535.
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

var (
	capEntryRE    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	sysctlEntryRE = regexp.MustCompile(`^(\*|[a-z0-9_][a-z0-9_./-]*\*?)$`)
)

// ParseCapList reads a capability allowlist into Docker's form.
func ParseCapList(entries []string) ([]string, error) {
	var out, bad []string
	for _, c := range entries {
		if !capEntryRE.MatchString(strings.TrimSpace(c)) {
			bad = append(bad, strconv.Quote(c))
		}
		out = append(out, NormaliseCap(c))
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s: want capability names such as NET_ADMIN or CAP_NET_ADMIN, or ALL", strings.Join(bad, ", "))
	}
	return out, nil
}

// CheckSysctlList checks a sysctl allowlist's form.
func CheckSysctlList(entries []string) error {
	var bad []string
	for _, s := range entries {
		if !sysctlEntryRE.MatchString(s) {
			bad = append(bad, strconv.Quote(s))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: want sysctl keys such as net.ipv4.ip_forward, or prefixes ending in * (net.ipv4.*)", strings.Join(bad, ", "))
	}
	return nil
}

// NormaliseCap writes a capability as Docker's CapAdd wants it: upper
// case, without the CAP_ prefix.
func NormaliseCap(c string) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(c)), "CAP_")
}

// underPath reports whether p is prefix or lies below it, by whole path
// elements (/data covers /data/x, not /database).
func underPath(p, prefix string) bool {
	return prefix == "/" || p == prefix || strings.HasPrefix(p, prefix+"/")
}

// CheckMount returns m as it may be mounted, or why it may not. When
// modeGiven is false (the asker wrote no :ro or :rw), a mount under a
// read-only prefix is made read-only; when it is true, asking for a
// writable mount there is refused.
func (p HostPolicy) CheckMount(m BindMount, modeGiven bool) (BindMount, error) {
	if !CleanAbsPath(m.Source) {
		// "/srv/vnf/../etc" lies "under" /srv/vnf as text only.
		return m, Errorf(ErrInvalidArgument, "host path %q is not an absolute, clean path (no ., .. or trailing /)", m.Source)
	}
	var ro *BindPrefix
	for i, b := range p.BindPrefixes {
		switch {
		case b.Writable && m.Source == b.Path:
			return m, nil
		case b.Writable && underPath(m.Source, b.Path):
			return m, Errorf(ErrInvalidArgument, "host path %s lies below the writable bind-mount prefix %s, which may only be mounted as a whole (a container writing there could have planted a symbolic link): mount %s itself",
				m.Source, b, b.Path)
		case !b.Writable && ro == nil && underPath(m.Source, b.Path):
			ro = &p.BindPrefixes[i]
		}
	}
	if ro == nil {
		return m, Errorf(ErrInvalidArgument, "host path %s is not under a bind-mount prefix the operator allows (allowed: %s), set by %s",
			m.Source, joinOrNone(stringsOf(p.BindPrefixes)), p.Settings.BindPrefixes)
	}
	if !m.ReadOnly && modeGiven {
		return m, Errorf(ErrInvalidArgument, "host path %s is under the read-only bind-mount prefix %s, so it is mounted read-only: ask for :ro, or have the operator list a directory as writable (PATH:rw) in %s and mount that directory itself",
			m.Source, ro, p.Settings.BindPrefixes)
	}
	m.ReadOnly = true
	return m, nil
}

// CheckPort refuses a host port outside the allowed ranges.
func (p HostPolicy) CheckPort(b PortBinding) error {
	for _, r := range p.PublishPorts {
		if b.HostPort >= r.From && b.HostPort <= r.To {
			return nil
		}
	}
	return Errorf(ErrInvalidArgument, "host port %d is not in a port range the operator allows (allowed: %s), set by %s",
		b.HostPort, joinOrNone(stringsOf(p.PublishPorts)), p.Settings.PublishPorts)
}

// CheckCap refuses a capability the policy does not list.
func (p HostPolicy) CheckCap(c string) error {
	c = NormaliseCap(c)
	for _, a := range p.Caps {
		if a == "ALL" || a == c {
			return nil
		}
	}
	return Errorf(ErrInvalidArgument, "capability %s is not allowed by the operator (allowed: %s), set by %s", c, joinOrNone(p.Caps), p.Settings.Caps)
}

// CheckSysctl refuses a sysctl key the policy does not list.
func (p HostPolicy) CheckSysctl(k string) error {
	for _, a := range p.Sysctls {
		if a == k || strings.HasSuffix(a, "*") && strings.HasPrefix(k, strings.TrimSuffix(a, "*")) {
			return nil
		}
	}
	return Errorf(ErrInvalidArgument, "sysctl %s is not allowed by the operator (allowed: %s), set by %s", k, joinOrNone(p.Sysctls), p.Settings.Sysctls)
}

// Check refuses a ContainerConfig asking for anything the policy does not
// allow, naming the first such value. Every mount's mode counts as given:
// a writable mount under a read-only prefix is refused, not changed.
func (p HostPolicy) Check(cfg ContainerConfig) error {
	for _, m := range cfg.Mounts {
		if _, err := p.CheckMount(m, true); err != nil {
			return fmt.Errorf("bind mount %s: %w", MountString(m), err)
		}
	}
	for _, b := range cfg.Ports {
		if err := p.CheckPort(b); err != nil {
			return fmt.Errorf("published port %s: %w", PortString(b), err)
		}
	}
	for _, c := range cfg.CapAdd {
		if err := p.CheckCap(c); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(cfg.Sysctls))
	for k := range cfg.Sysctls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := p.CheckSysctl(k); err != nil {
			return err
		}
	}
	return nil
}

// MountString writes m as docker run -v does: source:target[:ro].
func MountString(m BindMount) string {
	s := m.Source + ":" + m.Target
	if m.ReadOnly {
		s += ":ro"
	}
	return s
}

// PortString writes b as docker run -p does: [ip:]host:container[/udp].
func PortString(b PortBinding) string {
	s := strconv.Itoa(b.HostPort) + ":" + strconv.Itoa(b.ContainerPort)
	if b.HostIP != "" {
		s = b.HostIP + ":" + s
	}
	if b.Protocol != "" && b.Protocol != "tcp" {
		s += "/" + b.Protocol
	}
	return s
}

func joinOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

func stringsOf[T fmt.Stringer](l []T) []string {
	s := make([]string, len(l))
	for i, x := range l {
		s[i] = x.String()
	}
	return s
}
