package pop

import (
	"errors"
	"strings"
	"testing"
)

// TestHostPolicyCheck: the one policy the driver and docker-popd share.
// Every mode counts as given in Check (a writable mount under a read-only
// prefix is refused, not changed); ALL and "*" allow everything of their
// kind; each refusal names the value and the setting.
func TestHostPolicyCheck(t *testing.T) {
	names := HostPolicySettings{"B", "P", "C", "S"}
	p, err := NewHostPolicy([]string{"/srv", "/srv/scratch:rw", "/opt:ro"}, []string{"80", "9000-9099"}, []string{"cap_net_admin"}, []string{"net.ipv4.*"}, names)
	if err != nil {
		t.Fatal(err)
	}
	ok := ContainerConfig{CapAdd: []string{"NET_ADMIN"}, Sysctls: map[string]string{"net.ipv4.ip_forward": "1"},
		HostOptions: HostOptions{Ports: []PortBinding{{HostPort: 9050, ContainerPort: 80}},
			Mounts: []BindMount{{Source: "/srv/a/b", Target: "/x", ReadOnly: true}, {Source: "/srv/scratch", Target: "/s"}, {Source: "/opt", Target: "/o", ReadOnly: true}}}}
	if err := p.Check(ok); err != nil {
		t.Fatalf("allowed: %v", err)
	}
	for _, tc := range []struct {
		cfg  ContainerConfig
		want string
	}{
		{ContainerConfig{HostOptions: HostOptions{Mounts: []BindMount{{Source: "/srv/a", Target: "/x"}}}}, "bind mount /srv/a:/x: host path /srv/a is under the read-only bind-mount prefix /srv, so it is mounted read-only"},
		{ContainerConfig{HostOptions: HostOptions{Mounts: []BindMount{{Source: "/srv/scratch/l", Target: "/x", ReadOnly: true}}}}, "below the writable bind-mount prefix /srv/scratch:rw"},
		{ContainerConfig{HostOptions: HostOptions{Mounts: []BindMount{{Source: "/", Target: "/x", ReadOnly: true}}}}, "(allowed: /srv, /srv/scratch:rw, /opt), set by B"},
		{ContainerConfig{HostOptions: HostOptions{Ports: []PortBinding{{HostPort: 81, ContainerPort: 80, Protocol: "udp"}}}}, "published port 81:80/udp: host port 81 is not in a port range the operator allows (allowed: 80, 9000-9099), set by P"},
		{ContainerConfig{CapAdd: []string{"sys_admin"}}, "capability SYS_ADMIN is not allowed by the operator (allowed: NET_ADMIN), set by C"},
		// Under /srv as text only: Check does not rely on its callers cleaning paths.
		{ContainerConfig{HostOptions: HostOptions{Mounts: []BindMount{{Source: "/srv/../etc", Target: "/x", ReadOnly: true}}}}, `host path "/srv/../etc" is not an absolute, clean path`},
		{ContainerConfig{HostOptions: HostOptions{Mounts: []BindMount{{Source: "/srv/a/", Target: "/x", ReadOnly: true}}}}, "not an absolute, clean path"},
		{ContainerConfig{Sysctls: map[string]string{"net.ipv6.conf.all.forwarding": "1"}}, "sysctl net.ipv6.conf.all.forwarding is not allowed by the operator (allowed: net.ipv4.*), set by S"},
	} {
		if err := p.Check(tc.cfg); !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v\nwant %q", err, tc.want)
		}
	}
	if err := (HostPolicy{}).Check(ContainerConfig{CapAdd: []string{"CHOWN"}}); err == nil {
		t.Error("the zero policy allowed a capability")
	}
	all, err := NewHostPolicy([]string{"/"}, nil, []string{"ALL"}, []string{"*"}, names)
	if err != nil {
		t.Fatal(err)
	}
	if err := all.Check(ContainerConfig{CapAdd: []string{"SYS_ADMIN"}, Sysctls: map[string]string{"kernel.x": "1"},
		HostOptions: HostOptions{Mounts: []BindMount{{Source: "/etc", Target: "/e", ReadOnly: true}}}}); err != nil {
		t.Errorf("ALL, * and /: %v", err)
	}
	if m, err := all.CheckMount(BindMount{Source: "/etc", Target: "/e"}, false); err != nil || !m.ReadOnly {
		t.Errorf("a mount without a mode under a read-only prefix: %+v %v", m, err)
	}
	_, err = NewHostPolicy([]string{"srv", "/a:rw", "/a/b"}, []string{"0"}, []string{"NET ADMIN"}, []string{"Net.*"}, names)
	for _, w := range []string{"B: ", `"srv"`, "P: ", "C: ", "S: "} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not say %q", err, w)
		}
	}
}
