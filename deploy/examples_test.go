package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/nfvimages"
	"github.com/openbaton-docker/obdocker/vim"
)

func exampleFiles(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "deploy", "examples", pattern))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// decodeVim decodes a VIM instance example as the plugin does, refusing
// keys the catalogue type does not know (Gson would drop them silently:
// the docs' old "tenant"/"username"/"password" are such keys).
func decodeVim(t *testing.T, path string) vim.VimInstance {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v vim.VimInstance
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	if len(v.Extra) > 0 {
		keys := make([]string, 0, len(v.Extra))
		for k := range v.Extra {
			keys = append(keys, k)
		}
		t.Errorf("%s: keys %v are not DockerVimInstance fields: the NFVO drops them", filepath.Base(path), keys)
	}
	if v.Location != nil && len(v.Location.Extra) > 0 {
		t.Errorf("%s: unknown location keys", filepath.Base(path))
	}
	return v
}

func TestExampleVimInstances(t *testing.T) {
	want := map[string]struct {
		url string
		tls bool
		pop bool
	}{
		"vim-docker.json":     {url: "unix:///var/run/docker.sock"},
		"vim-docker-tls.json": {url: "tcp://docker-host.example.org:2376", tls: true},
		"vim-docker-pop.json": {url: "pop://docker-popd:60000", pop: true},
	}
	files := exampleFiles(t, "vim-*.json")
	if len(files) != len(want) {
		t.Errorf("examples %v: want %d VIM instances", files, len(want))
	}
	names := map[string]bool{}
	for _, f := range files {
		base := filepath.Base(f)
		w, ok := want[base]
		if !ok {
			t.Errorf("unexpected example %s", base)
			continue
		}
		v := decodeVim(t, f)
		if v.Type != vim.VimType && !strings.HasPrefix(v.Type, vim.VimType+".") {
			t.Errorf("%s: type %q: want docker or docker.<name>", base, v.Type)
		}
		if v.Name == "" || names[v.Name] {
			t.Errorf("%s: name %q empty or repeated", base, v.Name)
		}
		names[v.Name] = true
		if v.Location == nil || v.Location.Name == "" {
			t.Errorf("%s: no location (the dashboard's map needs one)", base)
		}
		if v.ID != "" || v.HbVersion != nil {
			t.Errorf("%s: carries id/hbVersion: the NFVO assigns them", base)
		}
		key, err := vim.EndpointOf(&v, "")
		if err != nil {
			t.Errorf("%s: authUrl: %v", base, err)
			continue
		}
		if key.URL != w.url {
			t.Errorf("%s: endpoint %s, want %s", base, key.URL, w.url)
		}
		if key.TLS() != w.tls && !w.pop {
			t.Errorf("%s: TLS %v, want %v", base, key.TLS(), w.tls)
		}
		if w.tls {
			for field, pem := range map[string]string{"ca": v.CA, "cert": v.Cert, "dockerKey": v.DockerKey} {
				if !strings.HasPrefix(pem, "-----BEGIN ") {
					t.Errorf("%s: %s is not PEM", base, field)
				}
			}
		}
		if w.pop {
			// The plugin takes pop credentials from dockerKey as user:password.
			if u, p, ok := strings.Cut(v.DockerKey, ":"); !ok || u == "" || p == "" {
				t.Errorf("%s: dockerKey %q: want user:password", base, v.DockerKey)
			}
		}
		// What refresh echoes back must still be the same instance.
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var back vim.VimInstance
		if err := json.Unmarshal(out, &back); err != nil || back.AuthURL != v.AuthURL || back.Name != v.Name {
			t.Errorf("%s: does not survive a round trip: %s", base, out)
		}
	}
}

// nsd is the part of an NSD the NFVO needs from us (the NFVO's own
// catalogue is far larger; unknown keys are ignored, as Gson does).
type nsd struct {
	Name    string `json:"name"`
	Vendor  string `json:"vendor"`
	Version string `json:"version"`
	VLD     []struct {
		Name string `json:"name"`
		CIDR string `json:"cidr"`
	} `json:"vld"`
	VNFD []vnfd `json:"vnfd"`
	// vnf_dependency is the other way to say requires.
	Dependencies []struct {
		Source     json.RawMessage `json:"source"`
		Target     json.RawMessage `json:"target"`
		Parameters []string        `json:"parameters"`
	} `json:"vnf_dependency"`
}

type vnfd struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Endpoint string   `json:"endpoint"`
	Vendor   string   `json:"vendor"`
	Version  string   `json:"version"`
	Provides []string `json:"provides"`
	Requires map[string]struct {
		Parameters []string `json:"parameters"`
	} `json:"requires"`
	Configurations *struct {
		Name       string `json:"name"`
		Parameters []struct {
			Key   string `json:"confKey"`
			Value string `json:"value"`
		} `json:"configurationParameters"`
	} `json:"configurations"`
	VDU []struct {
		Name            string   `json:"name"`
		Images          []string `json:"vm_image"`
		VimInstanceName []string `json:"vimInstanceName"`
		ScaleInOut      int      `json:"scale_in_out"`
		VNFC            []struct {
			ConnectionPoints []vim.VNFDConnectionPoint `json:"connection_point"`
		} `json:"vnfc"`
	} `json:"vdu"`
	VirtualLinks []struct {
		Name string `json:"name"`
	} `json:"virtual_link"`
	Flavours []struct {
		Key string `json:"flavour_key"`
	} `json:"deployment_flavour"`
}

var typeNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// imageLabels reads the labels of an example image from its Dockerfile,
// for "obdocker/<name>:latest" built from images/<name>.
func imageLabels(t *testing.T, image string) (map[string]string, bool) {
	t.Helper()
	name, ok := strings.CutPrefix(image, "obdocker/")
	if !ok {
		return nil, false
	}
	name, _, _ = strings.Cut(name, ":")
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "images", name, "Dockerfile"))
	if err != nil {
		t.Errorf("image %s: not an image of this project (images/%s/Dockerfile): %v", image, name, err)
		return nil, false
	}
	df, err := nfvimages.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("images/%s/Dockerfile: %v", name, err)
	}
	labels := map[string]string{}
	for _, st := range df.Stages {
		for _, inst := range st.Instructions {
			if inst.Keyword != "LABEL" {
				continue
			}
			pairs, err := inst.Pairs(df.Escape)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pairs {
				labels[p.Key] = p.Value
			}
		}
	}
	return labels, true
}

// TestExampleNSDs checks every deploy/examples/nsd*.json for what the NFVO
// and the Docker VIM need at onboarding and deployment: VNFDs bound to a
// VNFM endpoint, images the VIM can list, connection points on declared
// virtual links with valid cidrs, no floating IPs (Docker has none),
// dependencies on VNFDs of the NSD, VIM names of the VIM examples, and
// every variable an image requires provided by the configuration or a
// dependency (as UPPER(type)_UPPER(key), docs/nfv-images.md).
func TestExampleNSDs(t *testing.T) {
	files := exampleFiles(t, "nsd*.json")
	if len(files) == 0 {
		t.Skip("no deploy/examples/nsd*.json yet")
	}
	vims := map[string]bool{}
	for _, f := range exampleFiles(t, "vim-*.json") {
		vims[decodeVim(t, f).Name] = true
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var d nsd
			if err := json.Unmarshal(b, &d); err != nil {
				t.Fatal(err)
			}
			checkNSD(t, d, vims)
		})
	}
}

func checkNSD(t *testing.T, d nsd, vims map[string]bool) {
	errorf := func(format string, args ...any) { t.Helper(); t.Errorf(format, args...) }
	if d.Name == "" || d.Vendor == "" || d.Version == "" {
		errorf("name/vendor/version must be set")
	}
	links := map[string]bool{}
	for _, l := range d.VLD {
		if l.Name == "" {
			errorf("a vld has no name")
		}
		links[l.Name] = true
		if l.CIDR != "" {
			p, err := netip.ParsePrefix(l.CIDR)
			if err != nil || !p.Addr().Is4() || p.Masked() != p {
				errorf("vld %s: cidr %q is not an IPv4 network address/prefix", l.Name, l.CIDR)
			}
		}
	}
	if len(links) == 0 {
		errorf("no vld")
	}
	if len(d.VNFD) < 2 {
		errorf("%d VNFDs: the example has a server and a client", len(d.VNFD))
	}
	byName := map[string]vnfd{}
	for _, v := range d.VNFD {
		byName[v.Name] = v
	}
	for _, v := range d.VNFD {
		where := "vnfd " + v.Name
		if v.Name == "" || v.Vendor == "" || v.Version == "" {
			errorf("%s: name/vendor/version must be set", where)
		}
		if v.Endpoint == "" {
			errorf("%s: no endpoint: the NFVO would look for a VNFM of type %q", where, v.Type)
		}
		if !typeNameRE.MatchString(v.Type) {
			errorf("%s: type %q: dependents see its parameters as UPPER(type)_KEY, which needs [A-Za-z0-9_]", where, v.Type)
		}
		if len(v.Flavours) == 0 || v.Flavours[0].Key == "" {
			errorf("%s: no deployment_flavour", where)
		}
		env := map[string]string{}
		if v.Configurations != nil {
			for _, p := range v.Configurations.Parameters {
				env[p.Key] = p.Value
			}
		}
		for src, req := range v.Requires {
			s, ok := byName[src]
			if !ok {
				errorf("%s requires %s, which is not a VNFD of this NSD", where, src)
				continue
			}
			for _, k := range req.Parameters {
				if k == "" {
					errorf("%s: empty required parameter of %s", where, src)
				}
				env[strings.ToUpper(s.Type)+"_"+strings.ToUpper(k)] = "<from " + src + ">"
			}
		}
		if len(v.VDU) == 0 {
			errorf("%s: no vdu", where)
		}
		for _, vdu := range v.VDU {
			if len(vdu.Images) == 0 {
				errorf("%s: vdu %s has no vm_image", where, vdu.Name)
			}
			if vdu.ScaleInOut < 1 {
				errorf("%s: vdu %s scale_in_out %d", where, vdu.Name, vdu.ScaleInOut)
			}
			for _, n := range vdu.VimInstanceName {
				if !vims[n] {
					errorf("%s: vimInstanceName %q is none of the VIM examples %v", where, n, keys(vims))
				}
			}
			for _, img := range vdu.Images {
				labels, ok := imageLabels(t, img)
				if !ok {
					continue
				}
				if missing := nfvimages.MissingEnv(labels, env); len(missing) > 0 {
					errorf("%s: image %s requires %v, which neither configurations nor requires provide", where, img, missing)
				}
			}
			if len(vdu.VNFC) == 0 {
				errorf("%s: vdu %s has no vnfc", where, vdu.Name)
			}
			for _, c := range vdu.VNFC {
				if len(c.ConnectionPoints) == 0 {
					errorf("%s: a vnfc has no connection_point", where)
				}
				for _, cp := range c.ConnectionPoints {
					if !links[cp.VirtualLinkReference] {
						errorf("%s: connection point on %q, which is no vld", where, cp.VirtualLinkReference)
					}
					if cp.FloatingIP != "" {
						errorf("%s: floatingIp %q: Docker VIMs have no floating IPs", where, cp.FloatingIP)
					}
					if cp.FixedIP != "" {
						if _, err := netip.ParseAddr(cp.FixedIP); err != nil {
							errorf("%s: fixedIp %q: %v", where, cp.FixedIP, err)
						}
					}
				}
			}
		}
	}
	for _, dep := range d.Dependencies {
		for _, end := range []json.RawMessage{dep.Source, dep.Target} {
			if n := endpointName(end); byName[n].Name == "" {
				errorf("vnf_dependency names %s, which is not a VNFD of this NSD", end)
			}
		}
	}
}

// endpointName reads a vnf_dependency end: "name" or {"name": "..."}.
func endpointName(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.Name
	}
	return fmt.Sprintf("%s", raw)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
