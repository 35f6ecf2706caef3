package docker

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCredsFor: the auths entry of the image's registry, matched by
// host[:port] whatever the key's form; errors never quote the file.
func TestCredsFor(t *testing.T) {
	auth := base64.StdEncoding.EncodeToString([]byte("alice:s3cr3t-pw"))
	p := writeConfig(t, `{"auths": {"https://index.docker.io/v1/": {"auth": "`+auth+`"},
		"reg.example:5000": {"auth": "`+auth+`"}, "other:1": {"username": "bob", "password": "pw2"}},
		"credsStore": "desktop"}`)
	for host, want := range map[string]string{"docker.io": "alice", "reg.example:5000": "alice", "REG.example:5000": "alice", "other:1": "bob", "reg.example": ""} {
		c, ok, err := credsFor(p, host)
		if err != nil {
			t.Fatal(err)
		}
		if ok != (want != "") || c.cfg.Username != want {
			t.Errorf("%s: %v %q, want %q", host, ok, c.cfg.Username, want)
		}
	}
	c, _, _ := credsFor(p, "reg.example:5000")
	enc, err := c.encoded()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := registry.DecodeAuthConfig(enc)
	if err != nil || dec.Username != "alice" || dec.Password != "s3cr3t-pw" {
		t.Fatalf("encoded auth: %+v %v", dec, err)
	}

	for name, body := range map[string]string{
		"json":   `{"auths": {"r:1": {"auth": "s3cr3t-pw`,
		"base64": `{"auths": {"r:1": {"auth": "s3cr3t-pw!"}}}`,
		"colon":  `{"auths": {"r:1": {"auth": "` + base64.StdEncoding.EncodeToString([]byte("s3cr3t-pw")) + `"}}}`,
		"shape":  `{"auths": ["s3cr3t-pw"]}`,
	} {
		_, _, err := credsFor(writeConfig(t, body), "r:1")
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		t.Logf("%s: %v", name, err)
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: the error quotes the file: %v", name, err)
		}
	}
	if _, _, err := credsFor(filepath.Join(t.TempDir(), "none.json"), "r:1"); err == nil || !strings.Contains(err.Error(), "none.json") {
		t.Errorf("missing file: %v", err)
	}
	if got := redact("Head x: user alice:s3cr3t-pw refused", c.secrets()); strings.Contains(got, "s3cr3t") {
		t.Errorf("redact: %s", got)
	}
}

// TestPullProgress: a layer done is one debug line; the byte-by-byte
// download messages make no line of their own.
func TestPullProgress(t *testing.T) {
	l, hook := test.NewNullLogger()
	l.SetLevel(logrus.DebugLevel)
	p := newPullProgress(l)
	for _, id := range []string{"a", "b"} {
		p.add(jsonmessage.JSONMessage{ID: id, Status: "Pulling fs layer"})
	}
	for i := range 1000 {
		p.add(jsonmessage.JSONMessage{ID: "a", Status: "Downloading", Progress: &jsonmessage.JSONProgress{Current: int64(i), Total: 1000}})
	}
	p.add(jsonmessage.JSONMessage{ID: "a", Status: "Pull complete"})
	p.add(jsonmessage.JSONMessage{ID: "b", Status: "Already exists"})
	debug := 0
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.DebugLevel {
			debug++
		}
	}
	if debug != 2 || len(hook.AllEntries()) > 3 {
		t.Fatalf("%d lines, %d debug, want 2 debug and at most one summary", len(hook.AllEntries()), debug)
	}
	// Once progressEvery has passed, the next message logs a summary.
	p.lastInfo = p.lastInfo.Add(-progressEvery)
	p.add(jsonmessage.JSONMessage{ID: "a", Status: "Downloading", Progress: &jsonmessage.JSONProgress{Current: 1000, Total: 1000}})
	last := hook.LastEntry()
	if last.Level != logrus.InfoLevel || last.Data["layers_done"] != 2 || last.Data["layers"] != 2 {
		t.Fatalf("summary: %v %v", last.Level, last.Data)
	}
}
