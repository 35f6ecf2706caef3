package docker

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/pop"
)

func TestStopContainerTimeout(t *testing.T) {
	tests := []struct {
		doc     string
		timeout time.Duration
		want    string
	}{
		{"whole seconds pass through", 3 * time.Second, "3"},
		{"fractions round up", 2500 * time.Millisecond, "3"},
		{"a millisecond is one second", time.Millisecond, "1"},
		{"zero kills at once", 0, "0"},
		{"negative is zero, never wait forever", -time.Second, "0"},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			f := newFakeEngine(t)
			f.on("POST /containers/c1/stop", noContent)
			if err := f.backend("p").StopContainer(t.Context(), "c1", tc.timeout); err != nil {
				t.Fatalf("StopContainer: %v", err)
			}
			r, ok := f.find("POST /containers/c1/stop")
			if !ok {
				t.Fatal("no stop request")
			}
			if got := r.Query["t"]; len(got) != 1 || got[0] != tc.want {
				t.Errorf("t = %v, want %s", got, tc.want)
			}
		})
	}
}

func TestStopContainerNotFound(t *testing.T) {
	f := newFakeEngine(t)
	f.on("POST /containers/c1/stop", errResponse(http.StatusNotFound, "No such container: c1"))
	err := f.backend("p").StopContainer(t.Context(), "c1", time.Second)
	if !errors.Is(err, pop.ErrNotFound) {
		t.Fatalf("err = %v, want not found", err)
	}
}

func TestStopContainerNotRunningIsFine(t *testing.T) {
	f := newFakeEngine(t)
	f.on("POST /containers/c1/stop", func(recorded) *http.Response {
		r := noContent(recorded{})
		r.StatusCode, r.Status = http.StatusNotModified, "304 Not Modified"
		return r
	})
	if err := f.backend("p").StopContainer(t.Context(), "c1", time.Second); err != nil {
		t.Fatalf("stop of a stopped container: %v", err)
	}
}
