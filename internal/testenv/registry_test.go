package testenv

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
)

// TestRegistries starts both registries, pushes the test image to each
// and pulls it back through the engine: the auth registry only with its
// credentials, over TLS to its CA.
func TestRegistries(t *testing.T) {
	cli := Docker(t)
	for _, tc := range []struct {
		name string
		reg  func(testing.TB) *Registry
	}{{"plain", PlainRegistry}, {"auth", AuthRegistry}} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.reg(t)
			repo := "obdtest/" + Name(t) + ":v1"
			digestRef := r.Push(t, cli, BusyboxImage, repo)
			if !strings.Contains(digestRef, "@sha256:") {
				t.Fatalf("digest ref %q", digestRef)
			}
			ref := r.Host + "/" + repo
			t.Cleanup(func() {
				if err := RemoveImage(cli, ref); err != nil {
					t.Error(err)
				}
			})
			pull := func(auth string) error {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				rc, err := cli.ImagePull(ctx, ref, image.PullOptions{RegistryAuth: auth})
				if err != nil {
					return err
				}
				defer rc.Close()
				dec := json.NewDecoder(rc)
				for {
					var m struct {
						Error string `json:"error"`
					}
					if err := dec.Decode(&m); err == io.EOF {
						return nil
					} else if err != nil {
						return err
					}
					if m.Error != "" {
						return errString(m.Error)
					}
				}
			}
			if r.User != "" {
				if err := pull(""); err == nil || !strings.Contains(err.Error(), "no basic auth credentials") && !strings.Contains(err.Error(), "unauthorized") {
					t.Fatalf("pull without credentials: %v", err)
				}
			}
			enc := ""
			if r.User != "" {
				var err error
				enc, err = registry.EncodeAuthConfig(registry.AuthConfig{Username: r.User, Password: r.Password, ServerAddress: r.Host})
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := pull(enc); err != nil {
				t.Fatalf("pull %s: %v\n%s", ref, err, r.Log())
			}
		})
	}
}

type errString string

func (e errString) Error() string { return string(e) }
