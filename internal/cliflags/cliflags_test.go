package cliflags

import (
	"flag"
	"io"
	"slices"
	"testing"
)

func TestParseInterleaved(t *testing.T) {
	for _, tc := range []struct {
		args, pos []string
		v         string
	}{
		{[]string{"a", "-v", "x", "b"}, []string{"a", "b"}, "x"},
		{[]string{"-v", "x", "a"}, []string{"a"}, "x"},
		{[]string{"a", "--", "-1", "-v"}, []string{"a", "-1", "-v"}, ""},
		{nil, nil, ""},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		v := fs.String("v", "", "")
		pos, err := ParseInterleaved(fs, tc.args)
		if err != nil || !slices.Equal(pos, tc.pos) || *v != tc.v {
			t.Errorf("%q: %q %q %v, want %q %q", tc.args, pos, *v, err, tc.pos, tc.v)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := ParseInterleaved(fs, []string{"a", "-nope"}); err == nil {
		t.Error("unknown flag accepted")
	}
}
