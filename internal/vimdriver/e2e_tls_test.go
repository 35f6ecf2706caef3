package vimdriver_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/openbaton-docker/obdocker/internal/testenv"
)

// TestEndToEndTLSEngineCredentials: VIM instances of several projects name
// one Docker engine that demands client certificates (dockerd --tlsverify).
// The first opens the engine's Pop; the others get that Pop only when the
// engine itself accepts their own material. Forged, missing or untrusting
// material is an exception that names the authUrl, and opens nothing.
func TestEndToEndTLSEngineCredentials(t *testing.T) {
	eng := testenv.TLSDocker(t)
	raw, err := client.NewClientWithOpts(client.WithHost(eng.Socket), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	r := startRig(t, "10.201.197.0/24", "10.201.196.0/24")
	t.Cleanup(func() {
		if err := testenv.RemovePopObjects(raw, r.popName); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	c := eng.Certs
	vimOf := func(name, project, ca, cert, key string) jsonMap {
		return jsonMap{"name": name + "-" + r.popName, "authUrl": eng.Host, "type": "docker", "id": name + "-" + r.popName,
			"projectId": project, "location": jsonMap{"name": "tls"}, "ca": ca, "cert": cert, "dockerKey": key}
	}
	good := vimOf("good", "project-a", string(c.CA.CA.PEM), string(c.Client.Cert.PEM), string(c.Client.Key.PEM))
	other := c.CA.ClientCert(t, "client-of-project-c")
	legit := vimOf("legit", "project-c", string(c.CA.CA.PEM), string(other.Cert.PEM), string(other.Key.PEM))
	refused := map[string]jsonMap{
		"forged client certificate": vimOf("forged", "project-b", string(c.CA.CA.PEM), string(c.ForgedClient.Cert.PEM), string(c.ForgedClient.Key.PEM)),
		"no client certificate":     vimOf("nocert", "project-b", string(c.CA.CA.PEM), "", ""),
		"CA that does not sign the engine": vimOf("untrusting", "project-b", string(c.Forged.CA.PEM),
			string(c.Client.Cert.PEM), string(c.Client.Key.PEM)),
	}

	callErr := func(method string, params ...any) error {
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		_, err := r.nfvo.Call(ctx, r.queue, method, params...)
		return err
	}
	imageOf := func(ref jsonMap) string {
		for _, im := range ref["images"].([]any) {
			for _, tag := range im.(jsonMap)["tags"].([]any) {
				if tag == testenv.BusyboxImage {
					return im.(jsonMap)["extId"].(string)
				}
			}
		}
		t.Fatalf("refresh lists no %s", testenv.BusyboxImage)
		return ""
	}

	// The rightful owner opens the engine and launches on it.
	img := imageOf(decode(t, r.call("refresh", good)))
	net0 := "private-" + strings.TrimPrefix(r.popName, "e2e-")
	launch := func(vim jsonMap, name string) (jsonMap, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		ans, err := r.nfvo.Call(ctx, r.queue, "launchInstanceAndWait", vim, name, img, "", "",
			[]any{jsonMap{"virtual_link_reference": net0, "interfaceId": 0}}, []any{}, "export A=1\n", jsonMap{}, []any{})
		if err != nil {
			return nil, err
		}
		var m jsonMap
		return m, json.Unmarshal(ans, &m)
	}
	srv, err := launch(good, "tls-good-"+r.popName)
	if err != nil || srv["status"] != "ACTIVE" {
		t.Fatalf("launch with valid material: %v %v", srv, err)
	}

	// Others with material the engine refuses get nothing of the open Pop.
	for doc, vim := range refused {
		t.Run(doc, func(t *testing.T) {
			for _, m := range []string{"refresh", "listServer"} {
				err := callErr(m, vim)
				if err == nil {
					t.Fatalf("%s answered: the open Pop was lent to credentials the engine refuses", m)
				}
				if !strings.Contains(err.Error(), eng.Host) {
					t.Errorf("%s: the exception does not name the authUrl %s: %v", m, eng.Host, err)
				}
				if !strings.Contains(err.Error(), "do not open this engine") {
					t.Errorf("%s: the exception does not say the credentials were refused: %v", m, err)
				}
				t.Logf("%s: %v", m, err)
			}
			name := "tls-" + vim["id"].(string)
			if _, err := launch(vim, name); err == nil {
				t.Fatal("launch answered")
			}
			if _, err := raw.ContainerInspect(t.Context(), name); err == nil {
				t.Errorf("container %s exists: the launch reached the engine", name)
			}
		})
	}

	// Another project with its own valid certificate shares the one Pop
	// (one IPAM per engine): it sees the same servers and launches beside.
	var listed []jsonMap
	if err := json.Unmarshal(r.call("listServer", legit), &listed); err != nil || len(listed) != 1 {
		t.Fatalf("listServer with other valid material: %v %v", listed, err)
	}
	if s, err := launch(legit, "tls-legit-"+r.popName); err != nil || s["status"] != "ACTIVE" {
		t.Fatalf("launch with other valid material: %v %v", s, err)
	}

	// No key material in the plugin's log.
	logs := r.logs.String()
	for _, k := range []testenv.PEMFile{c.Client.Key, c.ForgedClient.Key, other.Key} {
		body := strings.Split(string(k.PEM), "\n")[1]
		if strings.Contains(logs, body) {
			t.Errorf("a private key reached the plugin log")
		}
	}
}
