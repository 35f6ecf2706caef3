package vim

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCatalogueRoundTrip decodes the spec's example objects (hand-written
// fixtures) and checks that encoding gives back the same JSON.
func TestCatalogueRoundTrip(t *testing.T) {
	tests := []struct {
		doc  string
		file string
		v    any
	}{
		{"vim instance as sent", "vim-instance.json", &VimInstance{}},
		{"server example of §4.5", "server.json", &Server{}},
		{"quota example of §4.6", "quota.json", &Quota{}},
		{"flavour example of §4.3", "flavour.json", &DeploymentFlavour{}},
		{"docker network example of §4.4", "docker-network.json", &DockerNetwork{}},
		{"docker image example of §4.2", "docker-image.json", &DockerImage{}},
		{"openstack network", "openstack-network.json", &Network{}},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			in := readFile(t, filepath.Join("testdata", "nfvo", tc.file))
			if err := json.Unmarshal(in, tc.v); err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, in, out) {
				t.Errorf("round trip differs:\n in: %s\nout: %s", in, out)
			}
		})
	}
}

// TestVimInstanceKeepsUnknownFields: the first refresh (no id, no images or
// networks) with keys we do not know (tenant, a future field) echoes them
// all, and images/networks become arrays.
func TestVimInstanceKeepsUnknownFields(t *testing.T) {
	in := readFile(t, filepath.Join("testdata", "nfvo", "vim-instance-first.json"))
	var v VimInstance
	if err := json.Unmarshal(in, &v); err != nil {
		t.Fatal(err)
	}
	if v.Type != "docker.local" || v.AuthURL != "tcp://Docker-Host.example:2376" || v.Location == nil || v.Location.Name != "Berlin" {
		t.Fatalf("decoded %+v", v)
	}
	if _, ok := v.Extra["futureField"]; !ok {
		t.Fatalf("futureField not kept: %v", v.Extra)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeMap(t, out)
	want := decodeMap(t, in)
	want["images"], want["networks"] = []any{}, []any{}
	if !jsonEqual(t, mustJSON(t, want), out) {
		t.Errorf("echo differs:\nwant %s\n got %s", mustJSON(t, want), out)
	}
	if _, ok := m["id"]; ok {
		t.Errorf("an id appeared")
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVimInstanceType(t *testing.T) {
	for _, tc := range []struct {
		typ string
		ok  bool
	}{{"docker", true}, {"docker.local", true}, {"docker.", true}, {"openstack", false}, {"dockerx", false}, {"", false}} {
		v := VimInstance{Name: "v", Type: tc.typ}
		if err := v.checkType(); (err == nil) != tc.ok {
			t.Errorf("type %q: err %v", tc.typ, err)
		}
	}
}

func TestDates(t *testing.T) {
	want := time.Date(2018, 9, 11, 11, 56, 47, 0, time.UTC)
	for _, s := range []string{
		"Sep 11, 2018 11:56:47 AM",
		"Sep 11, 2018, 11:56:47 AM",      // JDK ≥ 9
		"Sep 11, 2018, 11:56:47\u202fAM", // JDK ≥ 20
		"Sep 11, 2018 11:56:47 AM",       // go-openbaton
		"2018-09-11T11:56:47Z",           // RFC 3339
		" Sep 11, 2018 11:56:47 AM ",     // padded
	} {
		got, ok := ParseDate(s)
		if !ok || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v, %v", s, got, ok)
		}
	}
	pm, ok := ParseDate("Jan 2, 2006 3:4:5 PM")
	if !ok || pm.Hour() != 15 {
		t.Errorf("single digits: %v %v", pm, ok)
	}

	// Encoding: the DEFAULT layout; the zero Date is omitted, never "".
	type holder struct {
		D Date `json:"d,omitzero"`
	}
	b, _ := json.Marshal(holder{D: NewDate(want)})
	if string(b) != `{"d":"Sep 11, 2018 11:56:47 AM"}` {
		t.Errorf("encode: %s", b)
	}
	b, _ = json.Marshal(holder{})
	if string(b) != `{}` {
		t.Errorf("zero date: %s", b)
	}
	b, _ = json.Marshal(Date{})
	if string(b) != `null` {
		t.Errorf("bare zero date: %s", b)
	}

	// Decoding: "" and null are zero; junk is kept verbatim, not an error.
	for _, in := range []string{`{"d":""}`, `{"d":null}`, `{}`} {
		var h holder
		if err := json.Unmarshal([]byte(in), &h); err != nil || !h.D.IsZero() {
			t.Errorf("%s: %v %v", in, h.D, err)
		}
		if out, _ := json.Marshal(h); string(out) != `{}` {
			t.Errorf("%s re-encodes as %s", in, out)
		}
	}
	var h holder
	if err := json.Unmarshal([]byte(`{"d":"someday"}`), &h); err != nil {
		t.Fatal(err)
	}
	if out, _ := json.Marshal(h); string(out) != `{"d":"someday"}` {
		t.Errorf("junk date echo: %s", out)
	}
}

// TestDockerNetworkAlwaysHasSubnet: the discriminator key survives an
// empty subnet.
func TestDockerNetworkAlwaysHasSubnet(t *testing.T) {
	var n DockerNetwork
	n.Name, n.ExtID = "x", "y"
	b, _ := json.Marshal(n)
	if !strings.Contains(string(b), `"subnet":""`) {
		t.Errorf("%s", b)
	}
}
