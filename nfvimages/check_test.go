package nfvimages

import (
	"slices"
	"strings"
	"testing"

	"github.com/openbaton-docker/obdocker/pop"
)

func TestCheck(t *testing.T) {
	declared := map[string]string{LabelRequired: "SERVER_IP", LabelOptional: "SERVER_PORT",
		LabelDocPrefix + "SERVER_IP": "the server's address"}
	with := func(extra map[string]string, drop ...string) map[string]string {
		l := map[string]string{}
		for k, v := range declared {
			l[k] = v
		}
		for k, v := range extra {
			l[k] = v
		}
		for _, k := range drop {
			delete(l, k)
		}
		return l
	}
	tests := []struct {
		doc  string
		img  pop.Image
		want []string // rules, in order
	}{
		{doc: "an exec-form ENTRYPOINT with declarations conforms",
			img: pop.Image{Entrypoint: []string{"/x"}, Labels: declared}, want: []string{}},
		{doc: "a CMD alone conforms",
			img: pop.Image{Cmd: []string{"/x", "-v"}, Labels: declared}, want: []string{}},
		{doc: "no ENTRYPOINT or CMD",
			img: pop.Image{Labels: declared}, want: []string{RuleEntrypoint}},
		{doc: "ENTRYPOINT and CMD together",
			img: pop.Image{Entrypoint: []string{"/x"}, Cmd: []string{"-v"}, Labels: declared}, want: []string{RuleEntrypoint}},
		{doc: "a shell-form ENTRYPOINT",
			img: pop.Image{Entrypoint: []string{"/bin/sh", "-c", "/x -v"}, Labels: declared}, want: []string{RuleExecForm}},
		{doc: "a shell-form CMD",
			img: pop.Image{Cmd: []string{"/bin/sh", "-c", "/x"}, Labels: declared}, want: []string{RuleExecForm}},
		{doc: "a script run by sh is exec form",
			img: pop.Image{Entrypoint: []string{"/bin/sh", "/run.sh"}, Labels: declared}, want: []string{}},
		{doc: "no labels at all",
			img: pop.Image{Entrypoint: []string{"/x"}}, want: []string{RuleEnvLabels, RuleEnvLabels}},
		{doc: "the required label removed",
			img:  pop.Image{Entrypoint: []string{"/x"}, Labels: with(nil, LabelRequired, LabelDocPrefix+"SERVER_IP")},
			want: []string{RuleEnvLabels}},
		{doc: "an empty required label declares none",
			img:  pop.Image{Entrypoint: []string{"/x"}, Labels: with(map[string]string{LabelRequired: ""}, LabelDocPrefix+"SERVER_IP")},
			want: []string{}},
		{doc: "an invalid name",
			img:  pop.Image{Entrypoint: []string{"/x"}, Labels: with(map[string]string{LabelOptional: "SERVER_PORT 9LIVES"})},
			want: []string{RuleEnvLabels}},
		{doc: "a variable both required and optional",
			img:  pop.Image{Entrypoint: []string{"/x"}, Labels: with(map[string]string{LabelOptional: "SERVER_IP"})},
			want: []string{RuleEnvLabels}},
		{doc: "a doc for an undeclared variable",
			img:  pop.Image{Entrypoint: []string{"/x"}, Labels: with(map[string]string{LabelDocPrefix + "NOPE": "x"})},
			want: []string{RuleEnvLabels}},
		{doc: "a doc of two lines",
			img:  pop.Image{Entrypoint: []string{"/x"}, Labels: with(map[string]string{LabelDocPrefix + "SERVER_IP": "a\nb"})},
			want: []string{RuleEnvLabels}},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			tc.img.ID = "sha256:abc"
			fs := Check(tc.img)
			got := []string{}
			for _, f := range fs {
				got = append(got, f.Rule)
				if f.Source != "sha256:abc" || f.Line != 0 || !strings.HasPrefix(f.String(), "sha256:abc: "+f.Rule+": ") {
					t.Errorf("finding %q: want source = the image ID, no line", f)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Check() rules = %v, want %v; findings %v", got, tc.want, fs)
			}
		})
	}
}

func TestCheckNamesImageByTag(t *testing.T) {
	fs := Check(pop.Image{ID: "sha256:abc", Tags: []string{"obdocker/x:latest", "other:1"}})
	if len(fs) == 0 || fs[0].Source != "obdocker/x:latest" {
		t.Fatalf("Check() = %v, want findings naming the first tag", fs)
	}
}
