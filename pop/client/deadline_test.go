package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
	"github.com/openbaton-docker/obdocker/pop/poptest"
)

// TestDeleteUnderDeadline: a Delete with a 2 s deadline of a running
// container that ignores SIGTERM succeeds and leaves nothing on Docker,
// whether the server removes stopped containers itself or keeps them.
func TestDeleteUnderDeadline(t *testing.T) {
	raw := testenv.Docker(t)
	for _, tc := range []struct {
		name       string
		autoRemove bool
	}{{"auto-remove", true}, {"keep-stopped", false}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := serverConfig(t)
			cfg.AutoRemove = tc.autoRemove
			c, _ := serve(t, cfg)
			ctx := t.Context()
			ct, err := c.Create(ctx, pop.ContainerConfig{Name: testenv.Name(t) + "-it", Image: poptest.Image,
				Metadata: map[string]string{"MODE": "ignore-term"}})
			if err != nil {
				t.Fatal(err)
			}
			if ct, err = c.Start(ctx, pop.ByID(ct.ID)); err != nil {
				t.Fatal(err)
			}
			dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if err := c.Delete(dctx, pop.ByID(ct.ID)); err != nil {
				t.Errorf("delete under a 2 s deadline: %v", err)
			}
			if _, err := raw.ContainerInspect(ctx, ct.DockerID); !client.IsErrNotFound(err) {
				t.Errorf("Docker container %s after the delete: %v (want not found)", ct.DockerID, err)
			}
		})
	}
}
