package vim

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestRefresh: the VIM instance comes back with every field it had (id,
// hbVersion, type, name, authUrl, location, metadata, TLS, unknown keys),
// its images and networks replaced by the Pop's.
func TestRefresh(t *testing.T) {
	for _, file := range []string{"vim-instance.json", "vim-instance-first.json"} {
		t.Run(file, func(t *testing.T) {
			d, _ := newTestDriver(t, Config{})
			in := readFile(t, filepath.Join("testdata", "nfvo", file))
			ans, err := call(t, d, "refresh", params(t, json.RawMessage(in)))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "refresh-"+file[:len(file)-len(".json")], ans)

			got, sent := decodeMap(t, ans), decodeMap(t, in)
			for k, v := range sent {
				if k == "images" || k == "networks" {
					continue
				}
				if !jsonEqual(t, mustJSON(t, v), mustJSON(t, got[k])) {
					t.Errorf("%s not echoed: sent %v, got %v", k, v, got[k])
				}
			}
			imgs, ok := got["images"].([]any)
			if !ok || len(imgs) != 2 {
				t.Fatalf("images: %v", got["images"])
			}
			for _, i := range imgs {
				im := i.(map[string]any)
				if _, ok := im["tags"].([]any); !ok || im["extId"] == "" {
					t.Errorf("image %v", im)
				}
				if _, ok := im["id"]; ok {
					t.Errorf("image with id: %v", im)
				}
			}
			nets, ok := got["networks"].([]any)
			if !ok || len(nets) != 2 {
				t.Fatalf("networks: %v", got["networks"])
			}
			for _, n := range nets {
				checkNetwork(t, mustJSON(t, n))
			}
			checkNoEmptyDates(t, "refresh", got)
		})
	}
}

// TestRefreshImageTags: every tag, the bare alias of :latest, the image ID
// as extId; untagged images are left out.
func TestRefreshImageTags(t *testing.T) {
	d, _ := newTestDriver(t, Config{})
	var imgs []DockerImage
	if err := json.Unmarshal(mustCall(t, d, "listImages"), &imgs); err != nil {
		t.Fatal(err)
	}
	byID := map[string][]string{}
	for _, i := range imgs {
		byID[i.ExtID] = i.Tags
	}
	want := map[string][]string{
		"sha256:1b2c3d0000000000000000000000000000000000000000000000000000000001": {"obdocker-test/busybox:latest", "obdocker-test/busybox"},
		"sha256:1b2c3d0000000000000000000000000000000000000000000000000000000002": {"nginx:1.25", "nginx:latest", "nginx"},
	}
	if !jsonEqual(t, mustJSON(t, want), mustJSON(t, byID)) {
		t.Errorf("tags %v, want %v", byID, want)
	}
}

func TestRefreshRefusesOtherTypes(t *testing.T) {
	d, _ := newTestDriver(t, Config{})
	_, err := call(t, d, "refresh", params(t, json.RawMessage(`{"type":"openstack","name":"os"}`)))
	if err == nil {
		t.Fatal("openstack VIM accepted")
	}
	t.Log(err)
	_, err = call(t, d, "refresh", params(t, nil))
	if err == nil {
		t.Fatal("null VIM accepted")
	}
	t.Log(err)
}
