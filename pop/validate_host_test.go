package pop

import (
	"errors"
	"strings"
	"testing"
)

// TestCreateRefusesDNSWithZone: an IPv6 zone is free text to
// netip.ParseAddr, and Docker writes each DNS server verbatim into the
// container's /etc/resolv.conf, so "fe80::1%x\noptions ndots:15" (which
// gRPC carries as is) would add resolver options. Create refuses any zone
// and records nothing.
func TestCreateRefusesDNSWithZone(t *testing.T) {
	b := newFakeBackend()
	c := openFake(t, b, Config{})
	for _, dns := range []string{"fe80::1%eth0", "fe80::1%x\noptions ndots:15 rotate", "fe80::1%x options ndots:15"} {
		_, err := c.Create(t.Context(), ContainerConfig{Name: "zoned", Image: "busybox:latest", HostOptions: HostOptions{DNS: []string{dns}}})
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), "a zone") {
			t.Errorf("DNS %q: error %v, want an invalid argument about the zone", dns, err)
		}
	}
	for _, bad := range []ContainerConfig{
		{Name: "h1", Image: "busybox:latest", HostOptions: HostOptions{Hostname: "a\nb"}},
		{Name: "h2", Image: "busybox:latest", Endpoints: []EndpointConfig{{Network: "private", Aliases: []string{"a\nnameserver 1.2.3.4"}}}},
	} {
		if _, err := c.Create(t.Context(), bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%+v: error %v, want invalid argument", bad, err)
		}
	}
	if cs, _ := c.Containers(t.Context(), Filter{}); len(cs) != 0 {
		t.Errorf("refused creates recorded %d containers", len(cs))
	}
	if _, err := c.Create(t.Context(), ContainerConfig{Name: "plain", Image: "busybox:latest", HostOptions: HostOptions{DNS: []string{"fe80::1", "10.0.0.53"}}}); err != nil {
		t.Errorf("DNS without a zone: %v", err)
	}
}
