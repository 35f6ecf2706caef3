package vim

import (
	"reflect"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/pop"
)

// TestParseHostDirectives: the container-setting directives (the official
// Docker VNFM's configuration keys, as our VNFM writes them) parse into
// host options and per-network aliases.
func TestParseHostDirectives(t *testing.T) {
	u := ParseUserdata(`#!/bin/sh
#obdocker:cmd=/bin/sh  -c   run
#obdocker:hostname=db-1.example
#obdocker:dns=10.207.0.53, 10.207.0.54
#obdocker:publish=8080:80,9000/udp
#obdocker:publish=127.0.0.1:8443:443
#obdocker:expose=53/UDP,80
#obdocker:volume=/srv/vnf/data:/data:ro
#obdocker:volume=/srv/vnf/log:/log
#obdocker:alias=private:db,db.private
#obdocker:alias=private:db
#obdocker:alias=mgmt:db-mgmt
`)
	o, err := ParseDirectives(u.Directives)
	if err != nil {
		t.Fatal(err)
	}
	want := pop.HostOptions{
		Cmd:      []string{"/bin/sh", "-c", "run"},
		Hostname: "db-1.example",
		DNS:      []string{"10.207.0.53", "10.207.0.54"},
		Ports: []pop.PortBinding{{HostPort: 8080, ContainerPort: 80}, {HostPort: 9000, ContainerPort: 9000, Protocol: "udp"},
			{HostIP: "127.0.0.1", HostPort: 8443, ContainerPort: 443}},
		Expose: []string{"53/udp", "80/tcp"},
		Mounts: []pop.BindMount{{Source: "/srv/vnf/data", Target: "/data", ReadOnly: true}, {Source: "/srv/vnf/log", Target: "/log"}},
	}
	if !reflect.DeepEqual(o.Host, want) {
		t.Errorf("host options\n got %+v\nwant %+v", o.Host, want)
	}
	if !reflect.DeepEqual(o.Aliases, map[string][]string{"private": {"db", "db.private"}, "mgmt": {"db-mgmt"}}) {
		t.Errorf("aliases %v", o.Aliases)
	}

	for _, tc := range []struct{ line, want string }{
		{"#obdocker:cmd=a\n#obdocker:cmd=b", "line 2: #obdocker:cmd=b: a second cmd"},
		{"#obdocker:hostname=bad_name", "#obdocker:hostname=bad_name: invalid hostname"},
		{"#obdocker:dns=ns.example", `DNS server "ns.example" is not an IP address`},
		{"#obdocker:publish=80:0", `published port "80:0"`},
		{"#obdocker:publish=70000", `published port "70000"`},
		{"#obdocker:publish=80/sctp", "protocol must be tcp or udp"},
		{"#obdocker:publish=::1:80:80", "too many ':'"},
		{"#obdocker:expose=http", `exposed port "http"`},
		{"#obdocker:volume=data:/data", `host path "data" must be absolute`},
		{"#obdocker:volume=/srv/../etc:/data", `host path "/srv/../etc" must be absolute, without '.' or '..'`},
		{"#obdocker:volume=/srv:/data:rx", `mode "rx"`},
		{"#obdocker:volume=/srv", "want volume=<host path>:<container path>"},
		{"#obdocker:alias=db", "want alias=<network>:<name>"},
		{"#obdocker:alias=private:bad name", `invalid alias "bad name"`},
		{"#obdocker:constraint=zone", `placement constraint "zone"`},
	} {
		_, err := ParseDirectives(ParseUserdata(tc.line).Directives)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to say %q", tc.line, err, tc.want)
		}
		if err != nil && pop.Class(err) != pop.ErrInvalidArgument {
			t.Errorf("%q: class %v", tc.line, pop.Class(err))
		}
	}
}

// TestHostAllowlists: bind mounts and published ports reach the engine's
// host, so each must be allowed by the operator; a refusal names the
// directive, its value and what is allowed.
func TestHostAllowlists(t *testing.T) {
	opts := func(ud string) LaunchOptions {
		t.Helper()
		o, err := ParseDirectives(ParseUserdata(ud).Directives)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	for _, tc := range []struct {
		doc, ud         string
		prefixes, ports []string
		want            string // "" allowed
	}{
		{"prefix itself", "#obdocker:volume=/srv/vnf:/d", []string{"/srv/vnf"}, nil, ""},
		{"below a prefix", "#obdocker:volume=/srv/vnf/a/b:/d:ro", []string{"/opt", "/srv/vnf"}, nil, ""},
		{"root allows all", "#obdocker:volume=/etc:/d", []string{"/"}, nil, ""},
		{"whole elements only", "#obdocker:volume=/srv/vnfx:/d", []string{"/srv/vnf"}, nil,
			"#obdocker:volume=/srv/vnfx:/d: host path /srv/vnfx is not under a bind-mount prefix the operator allows (allowed: /srv/vnf)"},
		{"no prefix by default", "#obdocker:volume=/etc:/host-etc:ro", nil, nil,
			"#obdocker:volume=/etc:/host-etc:ro: host path /etc is not under a bind-mount prefix the operator allows (allowed: none)"},
		{"port in a range", "#obdocker:publish=9050:80", nil, []string{"8080", "9000-9099"}, ""},
		{"single port", "#obdocker:publish=8080", nil, []string{"8080"}, ""},
		{"port outside", "#obdocker:publish=127.0.0.1:9100:80/udp", nil, []string{"8080", "9000-9099"},
			"#obdocker:publish=127.0.0.1:9100:80/udp: host port 9100 is not in a port range the operator allows (allowed: 8080, 9000-9099)"},
		{"no port by default", "#obdocker:publish=80", nil, nil, "host port 80 is not in a port range the operator allows (allowed: none)"},
		{"no mount, no port", "#obdocker:cmd=x\n#obdocker:dns=1.1.1.1\n#obdocker:alias=n:a", nil, nil, ""},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			o := opts(tc.ud)
			err := o.checkHostAllowed(tc.prefixes, tc.ports)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			case err != nil && pop.Class(err) != pop.ErrInvalidArgument:
				t.Fatalf("class %v", pop.Class(err))
			}
		})
	}
	if _, err := ParsePortRanges([]string{"80", "1000-2000"}); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"0", "9-8", "70000", "http", "1-"} {
		if _, err := ParsePortRanges([]string{bad}); err == nil {
			t.Errorf("port range %q accepted", bad)
		}
	}
	for _, bad := range []string{"srv", "/srv/", "/srv/../etc", "/srv/./x"} {
		if err := CheckBindPrefixes([]string{bad}); err == nil {
			t.Errorf("bind prefix %q accepted", bad)
		}
	}
}

// TestLaunchHostOptions: a launch passes its host options and aliases to
// the Pop, refuses what the operator did not allow (naming it, creating
// nothing), refuses an alias for a network it does not join, and a
// relaunch that asks for other host options is refused, naming them.
func TestLaunchHostOptions(t *testing.T) {
	d, fp := newTestDriver(t, Config{AllowedBindPrefixes: []string{"/srv/vnf"}, AllowedPublishPorts: []string{"8000-8099"}})
	ud := "#obdocker:cmd=sleep 9\n#obdocker:hostname=db\n#obdocker:dns=10.207.0.53\n#obdocker:publish=8080:80\n" +
		"#obdocker:expose=53/udp\n#obdocker:volume=/srv/vnf/x:/x:ro\n#obdocker:alias=private:db.private,db\n"
	mustLaunch(t, d, "ho", busyboxID, []VNFDConnectionPoint{cp("private", "", 0)}, ud)
	cs, err := fp.Containers(t.Context(), pop.ByName("ho"))
	if err != nil {
		t.Fatal(err)
	}
	c := cs[0]
	if strings.Join(c.Cmd, " ") != "sleep 9" || c.Hostname != "db" || len(c.DNS) != 1 || len(c.Ports) != 1 ||
		len(c.Expose) != 1 || len(c.Mounts) != 1 || strings.Join(c.Endpoints[0].Aliases, ",") != "db.private,db" {
		t.Fatalf("record %+v", c)
	}
	// The same launch again answers the same container.
	mustLaunch(t, d, "ho", busyboxID, []VNFDConnectionPoint{cp("private", "", 0)}, ud)

	_, err = launch10(t, d, "ho", busyboxID, []VNFDConnectionPoint{cp("private", "", 0)},
		strings.Replace(strings.Replace(ud, "8080:80", "8081:80", 1), "db.private,db", "db", 1))
	if err == nil || !strings.Contains(err.Error(), "published ports 8080:80 (this launch: 8081:80)") ||
		!strings.Contains(err.Error(), "aliases on private db.private,db (this launch: db)") {
		t.Fatalf("relaunch with other ports and aliases: %v", err)
	}

	before := fp.creates
	for _, tc := range []struct{ ud, want string }{
		{"#obdocker:volume=/etc:/etc2", "#obdocker:volume=/etc:/etc2: host path /etc is not under a bind-mount prefix the operator allows (allowed: /srv/vnf)"},
		{"#obdocker:publish=22", "#obdocker:publish=22:22: host port 22 is not in a port range the operator allows (allowed: 8000-8099)"},
		{"#obdocker:alias=mgmt:db", `#obdocker:alias=mgmt:db: this launch does not join network "mgmt" (its networks: private)`},
	} {
		_, err := launch10(t, d, "refused", busyboxID, []VNFDConnectionPoint{cp("private", "", 0)}, tc.ud)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.ud, err, tc.want)
		}
	}
	if fp.creates != before {
		t.Errorf("refused launches created %d containers", fp.creates-before)
	}
}

// TestBindPrefixModes: a VNF must never write where a later launch may
// bind-mount from, or it plants a symbolic link (ln -s / x) that dockerd
// follows on the host. So mounts under a read-only prefix are read-only
// (made so when the line gives no mode, refused when it asks rw), and a
// writable prefix (":rw") may be mounted only as a whole.
func TestBindPrefixModes(t *testing.T) {
	d, fp := newTestDriver(t, Config{AllowedBindPrefixes: []string{"/srv/vnf", "/srv/scratch:rw"}})
	cps := []VNFDConnectionPoint{cp("private", "", 0)}
	// The attack's two launches: the first may no longer write, the second
	// (the link) gets a read-only mount at most.
	mustLaunch(t, d, "first", busyboxID, cps, "#!/bin/sh\n#obdocker:volume=/srv/vnf:/mnt\n")
	mustLaunch(t, d, "second", busyboxID, cps, "#obdocker:volume=/srv/vnf/evil:/host\n")
	mustLaunch(t, d, "scratch", busyboxID, cps, "#obdocker:volume=/srv/scratch:/s\n")
	for host, want := range map[string]pop.BindMount{
		"first":   {Source: "/srv/vnf", Target: "/mnt", ReadOnly: true},
		"second":  {Source: "/srv/vnf/evil", Target: "/host", ReadOnly: true},
		"scratch": {Source: "/srv/scratch", Target: "/s"},
	} {
		cs, err := fp.Containers(t.Context(), pop.ByName(host))
		if err != nil {
			t.Fatal(err)
		}
		if len(cs[0].Mounts) != 1 || cs[0].Mounts[0] != want {
			t.Errorf("%s: mounts %+v, want %+v", host, cs[0].Mounts, want)
		}
	}
	before := fp.creates
	for _, tc := range []struct{ ud, want string }{
		{"#!/bin/sh\n#obdocker:volume=/srv/vnf/data:/data:rw\n",
			"userdata line 2: #obdocker:volume=/srv/vnf/data:/data:rw: host path /srv/vnf/data is under the read-only bind-mount prefix /srv/vnf, so it is mounted read-only: ask for :ro, or have the operator list a directory as writable (PATH:rw) in OBDOCKER_ALLOWED_BIND_PREFIXES and mount that directory itself"},
		{"#obdocker:volume=/srv/scratch/evil:/host:ro\n",
			"userdata line 1: #obdocker:volume=/srv/scratch/evil:/host:ro: host path /srv/scratch/evil lies below the writable bind-mount prefix /srv/scratch:rw, which may only be mounted as a whole (a container writing there could have planted a symbolic link)"},
		{"#obdocker:volume=/etc:/e:ro\n",
			"userdata line 1: #obdocker:volume=/etc:/e:ro: host path /etc is not under a bind-mount prefix the operator allows (allowed: /srv/vnf, /srv/scratch:rw), set by OBDOCKER_ALLOWED_BIND_PREFIXES"},
	} {
		_, err := launch10(t, d, "refused", busyboxID, cps, tc.ud)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v\nwant %q", tc.ud, err, tc.want)
		}
	}
	if fp.creates != before {
		t.Errorf("refused launches created %d containers", fp.creates-before)
	}
	for _, tc := range []struct {
		entries []string
		want    string
	}{
		{[]string{"/srv/a:rw", "/srv/a/b"}, "read-only bind-mount prefix /srv/a/b lies at or below the writable prefix /srv/a:rw"},
		{[]string{"/srv/a", "/srv/a:rw"}, "read-only bind-mount prefix /srv/a lies at or below the writable prefix /srv/a:rw"},
		{[]string{"/srv/a:rw", "/srv/a/b:rw"}, "writable bind-mount prefix /srv/a/b:rw lies below the writable prefix /srv/a:rw"},
		{[]string{"/srv/a:rx"}, `bind-mount prefix "/srv/a:rx": want an absolute path`},
	} {
		if err := CheckBindPrefixes(tc.entries); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.entries, err, tc.want)
		}
	}
	if err := CheckBindPrefixes([]string{"/srv", "/srv/scratch:rw", "/opt:ro"}); err != nil {
		t.Errorf("a writable prefix under a read-only one: %v", err)
	}
}

// TestDNSAndNamesRefuseInjection: a DNS address with an IPv6 zone parses
// as an address but would be written verbatim into the container's
// /etc/resolv.conf (zone "x options ndots:15"); aliases and hostnames are
// DNS labels only.
func TestDNSAndNamesRefuseInjection(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"#obdocker:dns=fe80::1%eth0", `DNS server "fe80::1%eth0": an address with a zone (%…) is not taken`},
		{"#obdocker:dns=fe80::1%x options ndots:15 rotate", `DNS server "fe80::1%x options ndots:15 rotate"`},
		{"#obdocker:alias=private:a b", `invalid alias "a b"`},
		{"#obdocker:alias=private:a;b", `invalid alias "a;b"`},
		{"#obdocker:alias=private:a%b", `invalid alias "a%b"`},
		{"#obdocker:hostname=a b", "invalid hostname"},
		{"#obdocker:hostname=a\tb", "invalid hostname"},
		{"#obdocker:hostname=a%b", "invalid hostname"},
		{"#obdocker:hostname=a_b", "invalid hostname"},
	} {
		_, err := ParseDirectives(ParseUserdata(tc.line).Directives)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.line, err, tc.want)
		}
	}
	for _, s := range []string{"a\nb", "a\n", "a\x00", "a/b", "a:b"} {
		if pop.ValidAlias(s) || pop.ValidHostname(s) {
			t.Errorf("%q is taken as an alias or a hostname", s)
		}
	}
}
