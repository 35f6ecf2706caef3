package nfvimages

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseInstructions(t *testing.T) {
	src := "# syntax=docker/dockerfile:1\n" + // a directive, ignored
		"ARG BASE=scratch\n" +
		"FROM --platform=linux/amd64 golang AS build\n" +
		"RUN go build \\\n" +
		"    # dropped comment\n" +
		"\n" +
		"    -o /x .\n" +
		"FROM scratch\n" +
		"COPY --from=build --chmod=755 /x /x\n" +
		"ENTRYPOINT [\"/x\", \"-v\"]\n" +
		"CMD [not json\n"
	d, err := Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Args) != 1 || d.Args[0].Value != "BASE=scratch" || d.Args[0].Line != 2 {
		t.Fatalf("Args = %+v, want the ARG at line 2", d.Args)
	}
	if len(d.Stages) != 2 {
		t.Fatalf("%d stages, want 2", len(d.Stages))
	}
	build, final := d.Stages[0], d.Stages[1]
	if build.Base != "golang" || build.Name != "build" || build.Line != 3 || !slices.Equal(build.From.Flags, []string{"--platform=linux/amd64"}) {
		t.Errorf("build stage = %+v", build)
	}
	run := build.Instructions[0]
	if run.Keyword != "RUN" || run.Line != 4 || run.EndLine != 7 || run.Value != "go build     -o /x ." || run.JSON {
		t.Errorf("RUN = %+v, want lines 4-7, continuation joined without the comment", run)
	}
	if final.Base != "scratch" || final.Name != "" || final.Index != 1 {
		t.Errorf("final stage = %+v", final)
	}
	cp := final.Instructions[0]
	if !slices.Equal(cp.Flags, []string{"--from=build", "--chmod=755"}) || cp.Value != "/x /x" {
		t.Errorf("COPY = %+v", cp)
	}
	ep := final.Instructions[1]
	if !ep.JSON || !slices.Equal(ep.Exec, []string{"/x", "-v"}) {
		t.Errorf("ENTRYPOINT = %+v, want exec form [/x -v]", ep)
	}
	cmd := final.Instructions[2]
	if cmd.JSON || cmd.Value != "[not json" {
		t.Errorf("CMD = %+v, want shell form", cmd)
	}
}

func TestParseError(t *testing.T) {
	_, err := Parse(strings.NewReader("FROM scratch\n\nBOGUS x\n"))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 3 || !strings.Contains(pe.Msg, "BOGUS") {
		t.Fatalf("Parse() error = %v, want a ParseError at line 3 naming BOGUS", err)
	}
}

func TestWords(t *testing.T) {
	tests := []struct {
		doc    string
		in     string
		escape byte
		want   []string
	}{
		{doc: "blanks split", in: "a  b\tc", escape: '\\', want: []string{"a", "b", "c"}},
		{doc: "double quotes keep blanks", in: `k="a b" c`, escape: '\\', want: []string{"k=a b", "c"}},
		{doc: "escaped quote inside double quotes", in: `"a\"b"`, escape: '\\', want: []string{`a"b`}},
		{doc: "other escapes inside double quotes stay", in: `"a\nb"`, escape: '\\', want: []string{`a\nb`}},
		{doc: "single quotes are literal", in: `'a\ "b'`, escape: '\\', want: []string{`a\ "b`}},
		{doc: "escape outside quotes protects a blank", in: `a\ b`, escape: '\\', want: []string{"a b"}},
		{doc: "empty quotes are an empty word", in: `k="" ''`, escape: '\\', want: []string{"k=", ""}},
		{doc: "backtick escape leaves backslashes alone", in: "C:\\x `\"q", escape: '`', want: []string{`C:\x`, `"q`}},
		{doc: "nothing gives no words", in: "   ", escape: '\\', want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			got, err := Words(tc.in, tc.escape)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("Words(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
	for _, bad := range []string{`"open`, `'open`, `a="b`} {
		if _, err := Words(bad, '\\'); err == nil {
			t.Errorf("Words(%q): want an unterminated quote error", bad)
		}
	}
}

func TestPairs(t *testing.T) {
	tests := []struct {
		doc  string
		line string
		want []Pair
	}{
		{doc: "LABEL pairs with quotes", line: `LABEL a=1 "b.c"="x y" d=''`,
			want: []Pair{{"a", "1", true}, {"b.c", "x y", true}, {"d", "", true}}},
		{doc: "legacy ENV keeps the rest of the line", line: `ENV PATH /bin:/usr/bin  "and more"`,
			want: []Pair{{"PATH", "/bin:/usr/bin  and more", true}}},
		{doc: "ARG with and without defaults", line: `ARG A B=2`,
			want: []Pair{{"A", "", false}, {"B", "2", true}}},
		{doc: "= inside a value stays", line: `ENV A=b=c`,
			want: []Pair{{"A", "b=c", true}}},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			d, err := Parse(strings.NewReader("FROM scratch\n" + tc.line + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Stages[0].Instructions[0].Pairs(d.Escape)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("Pairs() = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestFormatRoundTrip(t *testing.T) {
	src := "# escape=`\nARG V\nfrom --platform=x base as b\nRUN a `\n b\nFROM b\nRUN -- --not-a-flag\nLABEL k=\"v w\"\nENTRYPOINT [\"/x\"]\n"
	d, err := Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	out := d.Format()
	d2, err := Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("Parse(Format()) = %v\n%s", err, out)
	}
	if !sameInstructions(d, d2) {
		t.Fatalf("Format() does not round-trip:\n%s", out)
	}
}

// sameInstructions compares two parses, ignoring line numbers.
func sameInstructions(a, b *Dockerfile) bool {
	strip := func(d *Dockerfile) []Instruction {
		var all []Instruction
		all = append(all, d.Args...)
		for _, st := range d.Stages {
			all = append(all, st.From)
			all = append(all, st.Instructions...)
		}
		for i := range all {
			all[i].Line, all[i].EndLine = 0, 0
		}
		return all
	}
	x, y := strip(a), strip(b)
	return a.Escape == b.Escape && slices.EqualFunc(x, y, func(p, q Instruction) bool {
		return p.Keyword == q.Keyword && p.Value == q.Value && p.JSON == q.JSON &&
			slices.Equal(p.Flags, q.Flags) && slices.Equal(p.Exec, q.Exec)
	})
}
