package vim

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/pop"
)

func TestListImages(t *testing.T) {
	d, _ := newTestDriver(t, Config{})
	ans := mustCall(t, d, "listImages")
	golden(t, "listImages", ans)
	checkNoEmptyDates(t, "listImages", decodeMapOrList(t, ans))
}

func decodeMapOrList(t *testing.T, b []byte) any {
	var v any
	if err := jsonUnmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAddImage(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	ans, err := fixtureCall(t, d, "add-image-request.json")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "addImage", ans)
	m := decodeMap(t, ans)
	if m["extId"] != "sha256:0000000000000000000000000000000000000000000000000000000000000aaa" || m["name"] != "mongo" || m["diskFormat"] != "QCOW2" || m["status"] != "ACTIVE" {
		t.Errorf("%s", ans)
	}
	if _, err := fp.Images(t.Context(), pop.ByName("mongo:latest")); err != nil {
		t.Errorf("not pulled: %v", err)
	}

	// A local image just answers; the 4-argument form ignores the token.
	ans = mustCall(t, d, "addImage", map[string]any{"name": "nginx"}, "nginx:latest", "repo-token")
	if decodeMap(t, ans)["extId"] != "sha256:1b2c3d0000000000000000000000000000000000000000000000000000000002" {
		t.Errorf("%s", ans)
	}
	err = callErr(t, d, "addImage", map[string]any{}, "ghost:1")
	if !errors.Is(err, pop.ErrNotFound) || !strings.Contains(err.Error(), "ghost:1") {
		t.Errorf("%v", err)
	}

	// The byte[] form: a base64 tar archive is loaded, not pulled.
	tarball := make([]byte, 1024)
	copy(tarball[257:], "ustar")
	ans = mustCall(t, d, "addImage", map[string]any{"name": "loaded"}, base64.StdEncoding.EncodeToString(tarball))
	if m := decodeMap(t, ans); m["extId"] != "sha256:0000000000000000000000000000000000000000000000000000000000000400" || m["name"] != "loaded" {
		t.Errorf("%s", ans)
	}
	ans = mustCall(t, d, "copyImage", map[string]any{}, tarball) // []byte → base64, as Gson
	if m := decodeMap(t, ans); m["name"] != "loaded/image:latest" {
		t.Errorf("%s", ans)
	}
}

func TestImageArchiveDetection(t *testing.T) {
	tarball := make([]byte, 600)
	copy(tarball[257:], "ustar")
	for _, tc := range []struct {
		s  string
		ok bool
	}{
		{"alpine12", false},
		{"mongo:latest", false},
		{"YWxwaW5lMTIzNDU2Nzg5MA==", false}, // base64, but no archive inside
		{base64.StdEncoding.EncodeToString(tarball), true},
		{base64.StdEncoding.EncodeToString([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6}), true},
	} {
		if _, ok := imageArchive(tc.s); ok != tc.ok {
			t.Errorf("%.20q: %v", tc.s, ok)
		}
	}
}

func TestUpdateDeleteImage(t *testing.T) {
	d, _ := newTestDriver(t, Config{})
	ans := mustCall(t, d, "updateImage", map[string]any{"tags": []string{"nginx"}, "id": "x", "hbVersion": 1})
	golden(t, "updateImage", ans)
	if m := decodeMap(t, ans); m["extId"] != "sha256:1b2c3d0000000000000000000000000000000000000000000000000000000002" || m["id"] != "x" {
		t.Errorf("%s", ans)
	}
	callErr(t, d, "updateImage", map[string]any{"name": "ghost"})
	err := callErr(t, d, "deleteImage", map[string]any{"extId": "sha256:abc"})
	if !strings.Contains(err.Error(), "sha256:abc") || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("%v", err)
	}
}
