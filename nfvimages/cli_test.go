package nfvimages

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// fakeDocker answers ImageInspect from a map; unknown references fail.
type fakeDocker map[string]image.InspectResponse

func (f fakeDocker) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	r, ok := f[ref]
	if !ok {
		return image.InspectResponse{}, errors.New("no such image: " + ref)
	}
	return r, nil
}

func inspected(entrypoint []string, labels map[string]string) image.InspectResponse {
	return image.InspectResponse{
		ID:       "sha256:0123",
		RepoTags: []string{"x:latest"},
		Created:  "2026-11-25T07:00:00.123456789Z",
		Config: &dockerspec.DockerOCIImageConfig{ImageConfig: ocispec.ImageConfig{
			Entrypoint: entrypoint, Labels: labels}},
	}
}

func TestMainCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(good, []byte("FROM scratch\n"+labels+"ENTRYPOINT [\"/x\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("FROM scratch\n"+labels+"ENTRYPOINT /x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	docker := fakeDocker{
		"good": inspected([]string{"/x"}, map[string]string{LabelRequired: "", LabelOptional: ""}),
		"bad":  inspected([]string{"/x"}, map[string]string{LabelOptional: ""}),
	}
	tests := []struct {
		doc        string
		args       []string
		wantCode   int
		wantStdout []string // each line must appear
		wantStderr string
	}{
		{doc: "lint of a conforming file", args: []string{"lint", good}, wantCode: ExitOK},
		{doc: "lint findings print file:line: rule: message", args: []string{"lint", good, bad}, wantCode: ExitFindings,
			wantStdout: []string{bad + ":4: exec-form: ENTRYPOINT is in shell form"}},
		{doc: "an unreadable file is an I/O error, and the others are still linted", args: []string{"lint", bad, filepath.Join(dir, "nope")},
			wantCode: ExitError, wantStdout: []string{bad + ":4: exec-form:"}, wantStderr: "nope"},
		{doc: "check of a conforming image", args: []string{"check", "good"}, wantCode: ExitOK},
		{doc: "check findings print image: rule: message", args: []string{"check", "good", "bad"}, wantCode: ExitFindings,
			wantStdout: []string{"bad: env-labels: missing label " + LabelRequired}},
		{doc: "a missing image is an error", args: []string{"check", "missing"}, wantCode: ExitError, wantStderr: "check missing: no such image"},
		{doc: "no arguments is a usage error", args: nil, wantCode: ExitError, wantStderr: "usage:"},
		{doc: "no files is a usage error", args: []string{"lint"}, wantCode: ExitError, wantStderr: "usage:"},
		{doc: "an unknown command is a usage error", args: []string{"build", "x"}, wantCode: ExitError, wantStderr: "usage:"},
		{doc: "help is not an error", args: []string{"help"}, wantCode: ExitOK, wantStdout: []string{"usage:"}},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(t.Context(), tc.args, &stdout, &stderr, docker)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, stdout.String(), stderr.String())
			}
			for _, w := range tc.wantStdout {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
			if len(tc.wantStdout) == 0 && stdout.Len() > 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
			if !strings.Contains(stderr.String(), tc.wantStderr) || (tc.wantStderr == "" && stderr.Len() > 0) {
				t.Errorf("stderr = %q, want %q", stderr.String(), tc.wantStderr)
			}
		})
	}
}

func TestImageFromInspect(t *testing.T) {
	img := ImageFromInspect(inspected([]string{"/x"}, map[string]string{"a": "b"}))
	if img.ID != "sha256:0123" || img.Tags[0] != "x:latest" || img.Entrypoint[0] != "/x" || img.Labels["a"] != "b" || img.Created.IsZero() {
		t.Fatalf("ImageFromInspect() = %+v", img)
	}
	if img := ImageFromInspect(image.InspectResponse{ID: "i"}); img.ID != "i" {
		t.Fatalf("ImageFromInspect without Config = %+v", img)
	}
}
