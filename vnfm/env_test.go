package vnfm

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/vim"
)

func mustDecode(t *testing.T, s string) Obj {
	t.Helper()
	o, err := Decode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestEnvName(t *testing.T) {
	for _, c := range []struct{ typ, key, want string }{
		{"server", "ip", "SERVER_IP"},
		{"server", "private", "SERVER_PRIVATE"},
		{"echo-server", "ip", "ECHO_SERVER_IP"},
		{"db", "private_floatingIp", "DB_PRIVATE_FLOATINGIP"},
		{"9lives", "x.y", "_9LIVES_X_Y"},
	} {
		if got := EnvName(c.typ, c.key); got != c.want {
			t.Errorf("EnvName(%q, %q) = %q, want %q", c.typ, c.key, got, c.want)
		}
	}
}

func TestDependencyEnv(t *testing.T) {
	vnfrd := mustDecode(t, `{
	  "target": "client", "idType": {"echo-server": "server"},
	  "parameters": {"server": {"id": "1", "parameters": {"ip": "10.0.0.9", "private": "", "mode": "fast"}}},
	  "vnfcParameters": {"server": {"parameters": {
	     "b-id": {"parameters": {"private": "10.0.0.3", "hostname": "srv-2"}},
	     "a-id": {"parameters": {"private": "10.0.0.2", "hostname": "srv-1"}}
	  }}}}`)
	got := DependencyEnv(vnfrd)
	want := map[string]string{"SERVER_IP": "10.0.0.9", "SERVER_MODE": "fast", "SERVER_PRIVATE": "10.0.0.2", "SERVER_HOSTNAME": "srv-1"}
	if !maps.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if len(DependencyEnv(nil)) != 0 || len(DependencyEnv(Obj{"vnfcParameters": nil})) != 0 {
		t.Fatal("nil dependency gives variables")
	}
}

func TestUserdataIsParsedByTheVIMDriver(t *testing.T) {
	vnfr := mustDecode(t, `{"name": "client", "deployment_flavour_key": "m1.tiny",
	  "configurations": {"configurationParameters": [
	    {"confKey": "SERVER_PORT", "value": "7007"},
	    {"confKey": "GREETING", "value": "it's \"quoted\" $HOME\nand two lines"},
	    {"confKey": "restart_policy", "value": "always"},
	    {"confKey": "bad-key", "value": "x"},
	    {"confKey": "COUNT", "value": 3}
	  ]},
	  "provides": {"configurationParameters": [{"confKey": "ip"}]}}`)
	ud := Userdata(vnfr, "docker-vnfm")
	p := vim.ParseUserdata(ud)
	want := map[string]string{"SERVER_PORT": "7007", "GREETING": "it's \"quoted\" $HOME\nand two lines", "COUNT": "3"}
	if !maps.Equal(p.Env, want) {
		t.Fatalf("env %v, want %v\n%s", p.Env, want, ud)
	}
	opts, err := vim.ParseDirectives(p.Directives)
	if err != nil {
		t.Fatal(err)
	}
	if !opts.Deferred || opts.Flavour != "m1.tiny" {
		t.Fatalf("directives %+v\n%s", opts, ud)
	}
	if strings.Contains(ud, "restart_policy") {
		t.Fatal("reserved key in userdata")
	}
	if restartPolicy(vnfr) != RestartAlways {
		t.Fatal("restart policy not read")
	}
	if restartPolicy(Obj{}) != RestartNo {
		t.Fatal("default restart policy")
	}
}

func TestVNFCEnvAndProvides(t *testing.T) {
	vnfr := mustDecode(t, `{"name": "server",
	  "provides": {"configurationParameters": [{"id": "p1", "confKey": "ip"}, {"confKey": "hostname"}, {"confKey": "mgmt"}, {"confKey": "set", "value": "kept"}]},
	  "vdu": [{"vnfc_instance": [{"hostname": "server-1", "vc_id": "c1",
	     "connection_point": [{"virtual_link_reference": "mgmt", "interfaceId": 1}, {"virtual_link_reference": "private", "interfaceId": 0}],
	     "ips": [{"netName": "mgmt", "ip": "10.1.0.2"}, {"netName": "private", "ip": "10.0.0.2"}]}]}]}`)
	refs := VNFCInstances(vnfr)
	if len(refs) != 1 || refs[0].ExtID() != "c1" {
		t.Fatalf("refs %+v", refs)
	}
	env := vnfcEnv(refs[0])
	want := map[string]string{"HOSTNAME": "server-1", "MGMT": "10.1.0.2", "PRIVATE": "10.0.0.2"}
	if !maps.Equal(env, want) {
		t.Fatalf("vnfc env %v", env)
	}
	fillProvides(vnfr)
	got := map[string]any{}
	for _, p := range List(Sub(vnfr, "provides"), "configurationParameters") {
		got[Str(p, "confKey")] = p["value"]
	}
	if got["ip"] != "10.0.0.2" || got["hostname"] != "server-1" || got["mgmt"] != "10.1.0.2" || got["set"] != "kept" {
		t.Fatalf("provides %v", got)
	}
	// The provides entry kept its id.
	if Str(List(Sub(vnfr, "provides"), "configurationParameters")[0], "id") != "p1" {
		t.Fatal("id lost")
	}
}

func TestNewVNFR(t *testing.T) {
	msg := mustDecode(t, `{"action": "INSTANTIATE", "vnfInstanceName": "client",
	  "vnfd": {"id": "vnfd-1", "hbVersion": 4, "name": "client", "type": "client", "endpoint": "docker-vnfm",
	     "vendor": "v", "version": "1", "vnfPackageLocation": "pkg",
	     "configurations": {"id": "c", "name": "conf", "configurationParameters": [{"id": "x", "confKey": "A", "value": "1"}]},
	     "requires": {"server": {"parameters": ["ip", "private"]}, "db": {"parameters": ["ip"]}},
	     "provides": ["port"],
	     "lifecycle_event": [{"id": "le", "event": "START", "lifecycle_events": ["start.sh"]}],
	     "vdu": [{"id": "vdu-1", "hbVersion": 2, "name": "vdu", "vm_image": ["img"], "scale_in_out": 2,
	        "vnfc": [{"id": "comp", "connection_point": [{"id": "cp", "virtual_link_reference": "private", "interfaceId": 0}]}],
	        "vnfc_instance": [{"id": "old"}]}],
	     "virtual_link": [{"id": "vl", "name": "private"}]},
	  "vnfdf": {"flavour_key": "m1.tiny"},
	  "vlrs": [{"name": "private", "extId": "net-1"}],
	  "extension": {"nsr-id": "nsr-1"},
	  "vimInstances": {"vdu-1": [{"name": "vim-a", "type": "docker"}]}}`)
	vnfr, err := NewVNFR(msg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(vnfr)
	s := string(b)
	for _, bad := range []string{`"id":`, `"hbVersion":`} {
		if strings.Contains(s, bad) {
			t.Errorf("new VNFR carries %s: %s", bad, s)
		}
	}
	checks := map[string]any{
		"name": "client", "type": "client", "endpoint": "docker-vnfm", "status": "NULL",
		"parent_ns_id": "nsr-1", "descriptor_reference": "vnfd-1", "packageId": "pkg", "deployment_flavour_key": "m1.tiny",
	}
	for k, v := range checks {
		if vnfr[k] != v {
			t.Errorf("%s = %v, want %v", k, vnfr[k], v)
		}
	}
	vdu := List(vnfr, "vdu")[0]
	if Str(vdu, "parent_vdu") != "vdu-1" || len(List(vdu, "vnfc_instance")) != 0 || Strings(vdu, "vimInstanceName")[0] != "vim-a" {
		t.Errorf("vdu %v", vdu)
	}
	if _, ok := vdu["vnfc_instance"].([]any); !ok {
		t.Error("vnfc_instance must be an empty array, not absent")
	}
	if len(List(Sub(vnfr, "requires"), "configurationParameters")) != 2 {
		t.Errorf("requires %v", vnfr["requires"])
	}
	if len(List(Sub(vnfr, "provides"), "configurationParameters")) != 1 {
		t.Errorf("provides %v", vnfr["provides"])
	}
	if Str(List(vnfr, "virtual_link")[0], "extId") != "net-1" {
		t.Errorf("virtual link extId %v", vnfr["virtual_link"])
	}
	for _, k := range []string{"vnf_address", "lifecycle_event_history", "auto_scale_policy", "monitoring_parameter", "connection_point"} {
		if _, ok := vnfr[k].([]any); !ok {
			t.Errorf("%s is not an array", k)
		}
	}
	if _, err := NewVNFR(Obj{}); err == nil {
		t.Error("no vnfd accepted")
	}
}

// TestRecordRoundTripIsLossless: what the VNFM decodes and encodes again
// keeps every field and number byte for byte (spec §2.4).
func TestRecordRoundTripIsLossless(t *testing.T) {
	in := `{"id":"v","hbVersion":12345678901234567,"keyPairs":[],"unknownField":{"x":[1.50,2]},"vdu":[{"id":"d","hbVersion":3,"vnfc_instance":[]}]}`
	o := mustDecode(t, in)
	out, _ := json.Marshal(o)
	if !strings.Contains(string(out), `"hbVersion":12345678901234567`) || !strings.Contains(string(out), `1.50`) || !strings.Contains(string(out), `"unknownField"`) {
		t.Fatalf("lossy: %s", out)
	}
	if RecordOf(Obj{"vnfr": o}) == nil || RecordOf(Obj{"virtualNetworkFunctionRecord": o}) == nil {
		t.Fatal("RecordOf misses a key")
	}
}

func TestTargets(t *testing.T) {
	vnfr := mustDecode(t, `{"vdu": [{"vnfc_instance": [{"id": "1", "hostname": "a", "vc_id": "x"}, {"id": "2", "hostname": "b", "vc_id": "y"}]}]}`)
	if len(targets(vnfr, nil)) != 2 {
		t.Fatal("all")
	}
	if r := targets(vnfr, Obj{"id": "2"}); len(r) != 1 || r[0].ExtID() != "y" {
		t.Fatalf("by id: %+v", r)
	}
	if r := targets(vnfr, Obj{"hostname": "a"}); len(r) != 1 || r[0].ExtID() != "x" {
		t.Fatalf("by hostname: %+v", r)
	}
}

func TestErrorMessageShape(t *testing.T) {
	m := errorMessage(nil, "nsr", "boom")
	if RecordOf(m) == nil || Str(Sub(m, "exception"), "detailMessage") != "boom" || Str(m, "action") != ActionError {
		t.Fatalf("%v", m)
	}
}

// TestReservedKeysBecomeDirectives: the official Docker VNFM's keys,
// matched whole and in any case, become VIM driver directives (one per
// item) and no environment; keys that merely contain one (DNS_SERVER,
// publisher) stay environment. The official default aliases
// <vnfr name>.<network up to '_'> come on every network all VNFCs join.
func TestReservedKeysBecomeDirectives(t *testing.T) {
	vnfr := mustDecode(t, `{"name": "db", "deployment_flavour_key": "m1.small",
	  "configurations": {"configurationParameters": [
	    {"confKey": "CMD", "value": "/bin/sh  -c run"},
	    {"confKey": "publish", "value": "8080:80;9000"},
	    {"confKey": "Expose", "value": "53/udp"},
	    {"confKey": "volumes", "value": "/srv/vnf/a:/a:ro;/srv/vnf/b:/b"},
	    {"confKey": "dns", "value": "10.207.0.53,10.207.0.54"},
	    {"confKey": "hostname", "value": "database"},
	    {"confKey": "aliases", "value": "private_net:db1,db2;mgmt:dbm"},
	    {"confKey": "cap_add", "value": "NET_ADMIN"},
	    {"confKey": "restart_policy_condition", "value": "any"},
	    {"confKey": "DNS_SERVER", "value": "10.0.0.2"},
	    {"confKey": "publisher", "value": "me"},
	    {"confKey": "command", "value": "kept"}
	  ]},
	  "vdu": [{"vnfc": [{"connection_point": [{"virtual_link_reference": "private_net"}, {"virtual_link_reference": "mgmt"}]}]},
	          {"vnfc": [{"connection_point": [{"virtual_link_reference": "private_net"}]}]}]}`)
	ud := Userdata(vnfr, "docker")
	p := vim.ParseUserdata(ud)
	wantEnv := map[string]string{"DNS_SERVER": "10.0.0.2", "publisher": "me", "command": "kept"}
	if !maps.Equal(p.Env, wantEnv) {
		t.Errorf("env %v, want %v\n%s", p.Env, wantEnv, ud)
	}
	var got []string
	for _, d := range p.Directives {
		got = append(got, d.Key+"="+d.Value)
	}
	want := []string{"start=deferred", "flavour=m1.small",
		"cmd=/bin/sh -c run", "hostname=database", "dns=10.207.0.53", "dns=10.207.0.54",
		"publish=8080:80", "publish=9000", "expose=53/udp", "volume=/srv/vnf/a:/a:ro", "volume=/srv/vnf/b:/b",
		"alias=private_net:db1,db2", "alias=mgmt:dbm", "cap-add=NET_ADMIN",
		"alias=private_net:db.private"} // mgmt is not joined by the second VDU
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("directives\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	opts, err := vim.ParseDirectives(p.Directives)
	if err != nil {
		t.Fatalf("the driver refuses the VNFM's directives: %v\n%s", err, ud)
	}
	if opts.Host.Hostname != "database" || len(opts.Host.Mounts) != 2 || len(opts.Aliases["private_net"]) != 3 {
		t.Errorf("parsed %+v", opts)
	}
	if restartPolicy(vnfr) != RestartAlways {
		t.Errorf("restart_policy_condition any: %s", restartPolicy(vnfr))
	}

	// Swarm constraints reach the driver as the launch's placement (a
	// Swarm VIM places by them; one engine refuses them at Create).
	c := mustDecode(t, `{"name": "x", "configurations": {"configurationParameters": [{"confKey": "constraints", "value": "node.role==manager;node.labels.a==b"}]}}`)
	if o, err := vim.ParseDirectives(vim.ParseUserdata(Userdata(c, "docker")).Directives); err != nil ||
		!slices.Equal(o.Host.Constraints, []string{"node.role==manager", "node.labels.a==b"}) {
		t.Errorf("constraints: %v %q", err, o.Host.Constraints)
	}
}

func TestRestartPolicyCondition(t *testing.T) {
	for _, tc := range []struct{ params, want string }{
		{`{"confKey": "restart_policy_condition", "value": "on-failure"}`, RestartOnFailure},
		{`{"confKey": "RESTART_POLICY_CONDITION", "value": "Any"}`, RestartAlways},
		{`{"confKey": "restart_policy_condition", "value": "none"}`, RestartNo},
		{`{"confKey": "restart_policy_condition", "value": "sometimes"}`, RestartNo},
		{`{"confKey": "restart_policy_condition", "value": "any"}, {"confKey": "restart_policy", "value": "no"}`, RestartNo},
		{`{"confKey": "restart_policy", "value": "on-failure"}, {"confKey": "restart_policy_condition", "value": "any"}`, RestartOnFailure},
	} {
		vnfr := mustDecode(t, `{"configurations": {"configurationParameters": [`+tc.params+`]}}`)
		if got := restartPolicy(vnfr); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.params, got, tc.want)
		}
		if env, _ := ownConfig(vnfr); len(env) != 0 {
			t.Errorf("%s: env %v", tc.params, env)
		}
	}
}
