package nfvimages

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseDockerfile: any input either fails with a ParseError or parses
// into instructions with sane lines that Format writes back to the same
// instructions; Lint never panics.
func FuzzParseDockerfile(f *testing.F) {
	for _, p := range []string{"../images/echo-server/Dockerfile", "../images/echo-client/Dockerfile",
		"../testdata/images/busybox/Dockerfile"} {
		if data, err := os.ReadFile(filepath.FromSlash(p)); err == nil {
			f.Add(string(data))
		}
	}
	f.Add("# escape=`\nFROM scratch AS a\nLABEL a=\"b c\" `\n d='e'\nENV X 1\nARG Y\nFROM a\nENTRYPOINT [\"/x\"]\n")
	f.Add("FROM scratch\nRUN a \\\n# c\n\n b\nCMD /x\n")
	f.Add("ARG A\nFROM --platform=x b\nRUN -- --x\nLABEL k v w\n")
	f.Fuzz(func(t *testing.T, src string) {
		_ = Lint("fuzz", strings.NewReader(src))
		d, err := Parse(strings.NewReader(src))
		if err != nil {
			return
		}
		nlines := strings.Count(src, "\n") + 1
		prev := 0
		check := func(inst Instruction) {
			if inst.Line <= prev || inst.EndLine < inst.Line || inst.EndLine > nlines {
				t.Fatalf("%s: lines %d-%d after %d in a %d-line file", inst.Keyword, inst.Line, inst.EndLine, prev, nlines)
			}
			prev = inst.EndLine
		}
		trailingEscape := false
		visit := func(inst Instruction) {
			check(inst)
			trailingEscape = trailingEscape || strings.HasSuffix(inst.Value, string(d.Escape))
		}
		for _, a := range d.Args {
			visit(a)
		}
		for _, st := range d.Stages {
			visit(st.From)
			for _, inst := range st.Instructions {
				visit(inst)
			}
		}
		if trailingEscape {
			return // the file ended inside a continuation: not representable on one line
		}
		out := d.Format()
		d2, err := Parse(strings.NewReader(out))
		if err != nil {
			t.Fatalf("Parse(Format()) = %v\ninput:\n%q\nformatted:\n%q", err, src, out)
		}
		if !sameInstructions(d, d2) {
			t.Fatalf("Format() does not round-trip\ninput:\n%q\nformatted:\n%q", src, out)
		}
	})
}
