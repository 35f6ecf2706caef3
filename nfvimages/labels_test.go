package nfvimages

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/pop"
)

func TestValidEnvName(t *testing.T) {
	for name, want := range map[string]bool{
		"SERVER_IP": true, "_x": true, "a1": true, "A": true,
		"": false, "1A": false, "SERVER-IP": false, "A.B": false, "A=B": false, "Ä": false,
	} {
		if got := ValidEnvName(name); got != want {
			t.Errorf("ValidEnvName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestRequiredAndMissingEnv(t *testing.T) {
	tests := []struct {
		doc          string
		labels       map[string]string
		env          map[string]string
		wantRequired []string
		wantMissing  []string
	}{
		{doc: "an image without labels requires nothing", labels: nil, env: nil},
		{doc: "an empty declaration requires nothing", labels: map[string]string{LabelRequired: " "}},
		{doc: "all set", labels: map[string]string{LabelRequired: "A B"}, env: map[string]string{"A": "1", "B": "2"},
			wantRequired: []string{"A", "B"}},
		{doc: "missing ones in declaration order", labels: map[string]string{LabelRequired: "C A B"},
			env: map[string]string{"A": "1"}, wantRequired: []string{"C", "A", "B"}, wantMissing: []string{"C", "B"}},
		{doc: "an empty value is missing", labels: map[string]string{LabelRequired: "A"},
			env: map[string]string{"A": ""}, wantRequired: []string{"A"}, wantMissing: []string{"A"}},
		{doc: "repeats and extra blanks count once", labels: map[string]string{LabelRequired: "\tA  A\nB "},
			wantRequired: []string{"A", "B"}, wantMissing: []string{"A", "B"}},
		{doc: "optional variables are never missing", labels: map[string]string{LabelOptional: "O"}},
		{doc: "names are case-sensitive", labels: map[string]string{LabelRequired: "A"},
			env: map[string]string{"a": "1"}, wantRequired: []string{"A"}, wantMissing: []string{"A"}},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			if got := RequiredEnv(tc.labels); !slices.Equal(got, tc.wantRequired) {
				t.Errorf("RequiredEnv() = %q, want %q", got, tc.wantRequired)
			}
			if got := MissingEnv(tc.labels, tc.env); !slices.Equal(got, tc.wantMissing) {
				t.Errorf("MissingEnv() = %q, want %q", got, tc.wantMissing)
			}
			err := RequireEnv("img", tc.labels, tc.env)
			if (err != nil) != (len(tc.wantMissing) > 0) {
				t.Fatalf("RequireEnv() = %v, want an error iff something is missing", err)
			}
			if err != nil {
				if !errors.Is(err, pop.ErrInvalidArgument) {
					t.Errorf("RequireEnv() = %v, want class ErrInvalidArgument", err)
				}
				for _, n := range tc.wantMissing {
					if !strings.Contains(err.Error(), n) {
						t.Errorf("RequireEnv() = %q, want it to name %s", err, n)
					}
				}
			}
		})
	}
}

func TestRequireEnvMessage(t *testing.T) {
	err := RequireEnv("obdocker/echo-client:latest", map[string]string{LabelRequired: "SERVER_IP SERVER_KEY"}, nil)
	want := "image obdocker/echo-client:latest: missing required environment variables SERVER_IP, SERVER_KEY"
	if err == nil || err.Error() != want {
		t.Fatalf("RequireEnv() = %v, want %q", err, want)
	}
	err = RequireEnv("i", map[string]string{LabelRequired: "SERVER_IP"}, nil)
	if want := "image i: missing required environment variable SERVER_IP"; err == nil || err.Error() != want {
		t.Fatalf("RequireEnv() = %v, want %q", err, want)
	}
	if got := OptionalEnv(map[string]string{LabelOptional: "B A"}); !slices.Equal(got, []string{"B", "A"}) {
		t.Fatalf("OptionalEnv() = %q", got)
	}
}
