package docker

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"

	"github.com/openbaton-docker/obdocker/pop"
)

func streamResponse(body string) func(recorded) *http.Response {
	return func(recorded) *http.Response {
		return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body))}
	}
}

func TestLoadImageParsesStream(t *testing.T) {
	f := newFakeEngine(t)
	f.on("POST /images/load", streamResponse(
		`{"stream":"Loaded image: foo:1\n"}`+"\n"+
			`{"stream":"Loaded image: foo:latest\n"}`+"\n"+
			`{"stream":"Loaded image ID: sha256:bbbb\n"}`+"\n"))
	foo := image.InspectResponse{ID: "sha256:aaaa", RepoTags: []string{"foo:1", "foo:latest"}, Created: "2026-01-02T03:04:05Z"}
	f.on("GET /images/foo:1/json", okResponse(http.StatusOK, foo))
	f.on("GET /images/foo:latest/json", okResponse(http.StatusOK, foo))
	f.on("GET /images/sha256:bbbb/json", okResponse(http.StatusOK, image.InspectResponse{ID: "sha256:bbbb", RepoTags: []string{"<none>:<none>"}}))

	imgs, err := f.backend("p").LoadImage(t.Context(), strings.NewReader("tar bytes"))
	if err != nil {
		t.Fatalf("LoadImage: %v", err)
	}
	if len(imgs) != 2 || imgs[0].ID != "sha256:aaaa" || len(imgs[0].Tags) != 2 || imgs[1].ID != "sha256:bbbb" || len(imgs[1].Tags) != 0 {
		t.Errorf("images = %+v", imgs)
	}
	r, _ := f.find("POST /images/load")
	if string(r.Body) != "tar bytes" {
		t.Errorf("archive sent = %q", r.Body)
	}
}

func TestLoadImageErrors(t *testing.T) {
	tests := []struct {
		doc  string
		body string
	}{
		{"error in the stream", `{"errorDetail":{"message":"Error processing tar file(exit status 1): unexpected EOF"},"error":"Error processing tar file(exit status 1): unexpected EOF"}`},
		{"no image in the archive", `{"stream":"nothing here\n"}`},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			f := newFakeEngine(t)
			f.on("POST /images/load", streamResponse(tc.body))
			if _, err := f.backend("p").LoadImage(t.Context(), strings.NewReader("x")); !errors.Is(err, pop.ErrInvalidArgument) {
				t.Errorf("err = %v, want invalid argument", err)
			}
		})
	}
}

func TestPullImageStreamError(t *testing.T) {
	f := newFakeEngine(t)
	f.on("GET /images/example.org/x:1/json", errResponse(http.StatusNotFound, "No such image"))
	f.on("POST /images/create", streamResponse(`{"status":"Pulling from x"}`+"\n"+`{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}`))
	_, err := f.backend("p").PullImage(t.Context(), "example.org/x:1")
	if err == nil || !strings.Contains(err.Error(), "manifest unknown") || !strings.Contains(err.Error(), `"example.org/x:1"`) ||
		!strings.Contains(err.Error(), "registry example.org") {
		t.Errorf("err = %v", err)
	}
	r, _ := f.find("POST /images/create")
	if r.Query.Get("fromImage") != "example.org/x" || r.Query.Get("tag") != "1" {
		t.Errorf("pull query = %v", r.Query)
	}
}
