package vim

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/openbaton-docker/obdocker/pop"
)

// launchInputs is what a launch asks for, resolved. A repeated launch is
// compared with the container's record, whose Create-time fields are the
// earlier launch's inputs: image, flavour, endpoints (with their aliases),
// env (the userdata; metadata set later is kept apart), capabilities,
// sysctls and the host options (command, hostname, DNS, published and
// exposed ports, volumes). A record from before the host options and
// aliases existed holds none of them, which is what it was launched with.
//
// Two inputs are not recorded: whether an address was fixed or assigned,
// and start=deferred. So the question asked is "does the existing container
// satisfy this request?": a fixed IP must be the container's address on
// that network, a request without one accepts any; start=deferred says
// when to start, not what to run, and is not compared.
type launchInputs struct {
	imageRef  string // as the request wrote it
	image     pop.Image
	flavour   string // the flavour's name; empty: none
	endpoints []pop.EndpointConfig
	netNames  []string // the endpoints' network names
	env       map[string]string
	capAdd    []string
	sysctls   map[string]string
	host      pop.HostOptions // endpoint aliases are in endpoints
}

// differences says how c differs from the request, one phrase per input,
// naming variables but never their values (they may be secrets).
func (w launchInputs) differences(ctx context.Context, pp pop.Pop, c pop.Container) ([]string, error) {
	var out []string
	if c.Image != w.image.ID && c.ImageID != w.image.ID {
		img, err := resolveImage(ctx, pp, c.Image)
		switch {
		case errors.Is(err, pop.ErrNotFound):
			out = append(out, fmt.Sprintf("image (this launch: %s)", w.imageRef))
		case err != nil:
			return nil, err
		case img.ID != w.image.ID:
			out = append(out, fmt.Sprintf("image (this launch: %s)", w.imageRef))
		}
	}
	if c.Flavour != w.flavour {
		same := false
		if c.Flavour != "" && w.flavour != "" {
			// An older record may name its flavour by ID.
			if f, err := resolveFlavour(ctx, pp, c.Flavour); err == nil && f.Name == w.flavour {
				same = true
			}
		}
		if !same {
			out = append(out, fmt.Sprintf("flavour %s (this launch: %s)", orNone(c.Flavour), orNone(w.flavour)))
		}
	}
	defaultNet := ""
	if len(w.endpoints) == 0 {
		// Only the Pop knows its default network's name.
		inf, err := pp.Info(ctx)
		if err != nil {
			return nil, err
		}
		defaultNet = inf.DefaultNetwork
	}
	out = append(out, w.endpointDifferences(c, defaultNet)...)
	if keys := differentKeys(c.Env, w.env); len(keys) > 0 {
		out = append(out, fmt.Sprintf("env (%s)", strings.Join(keys, ", ")))
	}
	have, want := slices.Sorted(slices.Values(c.CapAdd)), slices.Sorted(slices.Values(w.capAdd))
	if !slices.Equal(have, want) {
		out = append(out, fmt.Sprintf("capabilities %s (this launch: %s)", orNone(strings.Join(have, ",")), orNone(strings.Join(want, ","))))
	}
	if keys := differentKeys(c.Sysctls, w.sysctls); len(keys) > 0 {
		out = append(out, fmt.Sprintf("sysctls (%s)", strings.Join(keys, ", ")))
	}
	out = append(out, hostDifferences(c.HostOptions, w.host)...)
	return out, nil
}

// endpointDifferences compares networks in order, and fixed IPs. A
// request without endpoints asks for defaultNet ("" when the Pop does not
// say which: then any one network passes).
func (w launchInputs) endpointDifferences(c pop.Container, defaultNet string) []string {
	have := make([]string, len(c.Endpoints))
	for i, ep := range c.Endpoints {
		have[i] = ep.NetName
	}
	if len(w.endpoints) == 0 {
		if len(c.Endpoints) != 1 || defaultNet != "" && c.Endpoints[0].NetName != defaultNet {
			return []string{fmt.Sprintf("networks %s (this launch: the default network %s)", strings.Join(have, ", "), defaultNet)}
		}
		return nil
	}
	same := len(c.Endpoints) == len(w.endpoints)
	for i := 0; same && i < len(w.endpoints); i++ {
		ep := c.Endpoints[i]
		same = ep.NetID == w.endpoints[i].Network || ep.NetName == w.netNames[i]
	}
	if !same {
		return []string{fmt.Sprintf("networks %s (this launch: %s)", strings.Join(have, ", "), strings.Join(w.netNames, ", "))}
	}
	var out []string
	for i, ep := range w.endpoints {
		if ep.IPv4 != "" && c.Endpoints[i].IPv4 != ep.IPv4 {
			out = append(out, fmt.Sprintf("address on %s %s (this launch: fixed IP %s)", w.netNames[i], orNone(c.Endpoints[i].IPv4), ep.IPv4))
		}
		if !slices.Equal(c.Endpoints[i].Aliases, ep.Aliases) {
			out = append(out, fmt.Sprintf("aliases on %s %s (this launch: %s)", w.netNames[i],
				orNone(strings.Join(c.Endpoints[i].Aliases, ",")), orNone(strings.Join(ep.Aliases, ","))))
		}
	}
	return out
}

// hostDifferences compares the container settings of the host options,
// one phrase per setting (none of them is secret).
func hostDifferences(have, want pop.HostOptions) []string {
	var out []string
	diff := func(what string, equal bool, h, w string) {
		if !equal {
			out = append(out, fmt.Sprintf("%s %s (this launch: %s)", what, orNone(h), orNone(w)))
		}
	}
	diff("command", slices.Equal(have.Cmd, want.Cmd), strings.Join(have.Cmd, " "), strings.Join(want.Cmd, " "))
	diff("hostname", have.Hostname == want.Hostname, have.Hostname, want.Hostname)
	diff("DNS servers", slices.Equal(have.DNS, want.DNS), strings.Join(have.DNS, ","), strings.Join(want.DNS, ","))
	ports := func(ps []pop.PortBinding) string {
		s := make([]string, len(ps))
		for i, p := range ps {
			s[i] = publishString(p)
		}
		return strings.Join(s, ",")
	}
	diff("published ports", slices.Equal(have.Ports, want.Ports), ports(have.Ports), ports(want.Ports))
	diff("exposed ports", slices.Equal(have.Expose, want.Expose), strings.Join(have.Expose, ","), strings.Join(want.Expose, ","))
	mounts := func(ms []pop.BindMount) string {
		s := make([]string, len(ms))
		for i, m := range ms {
			s[i] = volumeString(m)
		}
		return strings.Join(s, ",")
	}
	diff("volumes", slices.Equal(have.Mounts, want.Mounts), mounts(have.Mounts), mounts(want.Mounts))
	return out
}

// differentKeys lists, sorted, the keys whose values differ between a and b
// (nil and empty maps are equal).
func differentKeys(a, b map[string]string) []string {
	if maps.Equal(a, b) {
		return nil
	}
	var keys []string
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			keys = append(keys, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// imageName names c's image as people write it: its first tag, else the
// reference the record holds.
func imageName(ctx context.Context, pp pop.Pop, c pop.Container) string {
	if img, err := resolveImage(ctx, pp, c.Image); err == nil && len(img.Tags) > 0 {
		return img.Tags[0]
	}
	return c.Image
}
