package docker

import (
	"errors"
	"net/http"
	"testing"

	"github.com/openbaton-docker/obdocker/pop"
)

func TestRemoveContainerForces(t *testing.T) {
	f := newFakeEngine(t)
	f.on("DELETE /containers/c1", noContent)
	if err := f.backend("p").RemoveContainer(t.Context(), "c1"); err != nil {
		t.Fatalf("RemoveContainer: %v", err)
	}
	r, _ := f.find("DELETE /containers/c1")
	if r.Query.Get("force") != "1" || r.Query.Get("v") != "1" {
		t.Errorf("query = %v, want force=1 and v=1", r.Query)
	}
}

func TestRemoveContainerErrors(t *testing.T) {
	tests := []struct {
		doc   string
		code  int
		class error
	}{
		{"gone is not found", http.StatusNotFound, pop.ErrNotFound},
		{"removal in progress is invalid state", http.StatusConflict, pop.ErrInvalidState},
		{"engine failure is internal", http.StatusInternalServerError, pop.ErrInternal},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			f := newFakeEngine(t)
			f.on("DELETE /containers/c1", errResponse(tc.code, "boom"))
			err := f.backend("p").RemoveContainer(t.Context(), "c1")
			if !errors.Is(err, tc.class) || pop.Class(err) != tc.class {
				t.Fatalf("err = %v (class %v), want %v", err, pop.Class(err), tc.class)
			}
		})
	}
}
