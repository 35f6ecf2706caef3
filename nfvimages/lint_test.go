package nfvimages

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// labels is a conforming declaration block for test Dockerfiles.
const labels = `LABEL org.openbaton-docker.nfv.env.required="SERVER_IP" \
      org.openbaton-docker.nfv.env.optional="SERVER_PORT"
`

// got renders findings as rule:line, the pair each case asserts.
func ruleLines(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s:%d", f.Rule, f.Line))
	}
	return out
}

func TestLint(t *testing.T) {
	tests := []struct {
		doc        string
		dockerfile string
		want       []string // rule:line, in line order
	}{
		{doc: "a conforming image has no findings",
			dockerfile: "FROM scratch\nCOPY x /x\n" + labels + `ENTRYPOINT ["/x"]` + "\n",
			want:       []string{}},
		{doc: "one CMD instead of an ENTRYPOINT conforms",
			dockerfile: "FROM scratch\n" + labels + `CMD ["/x"]`,
			want:       []string{}},
		{doc: "lower-case instructions, CRLF line ends and blank lines conform",
			dockerfile: "from scratch\r\n\r\n" + strings.ReplaceAll(labels, "\n", "\r\n") + "entrypoint [\"/x\"]\r\n",
			want:       []string{}},
		{doc: "no ENTRYPOINT or CMD is blamed on the final FROM",
			dockerfile: "FROM scratch\n" + labels,
			want:       []string{"entrypoint:1"}},
		{doc: "a second ENTRYPOINT is blamed on its own line",
			dockerfile: "FROM scratch\n" + labels + "ENTRYPOINT [\"/a\"]\nENTRYPOINT [\"/b\"]\n",
			want:       []string{"entrypoint:5"}},
		{doc: "a second CMD is blamed on its own line",
			dockerfile: "FROM scratch\n" + labels + "CMD [\"/a\"]\nCMD [\"/b\"]\n",
			want:       []string{"entrypoint:5"}},
		{doc: "ENTRYPOINT and CMD together are blamed on the later one",
			dockerfile: "FROM scratch\n" + labels + "ENTRYPOINT [\"/a\"]\nCMD [\"-v\"]\n",
			want:       []string{"entrypoint:5"}},
		{doc: "a shell-form ENTRYPOINT breaks exec-form",
			dockerfile: "FROM scratch\n" + labels + "ENTRYPOINT /x -v\n",
			want:       []string{"exec-form:4"}},
		{doc: "a shell-form CMD breaks exec-form",
			dockerfile: "FROM scratch\n" + labels + "CMD /x -v\n",
			want:       []string{"exec-form:4"}},
		{doc: "single quotes are not JSON, so Docker uses shell form",
			dockerfile: "FROM scratch\n" + labels + "ENTRYPOINT ['/x']\n",
			want:       []string{"exec-form:4"}},
		{doc: "a shell-form ENTRYPOINT over continuation lines is blamed on its first line",
			dockerfile: "FROM scratch\n" + labels + "ENTRYPOINT /x \\\n  # a comment inside\n  -v \\\n\n  -w\n",
			want:       []string{"exec-form:4"}},
		{doc: "an exec-form ENTRYPOINT over continuation lines conforms",
			dockerfile: "FROM scratch\n" + labels + "ENTRYPOINT [\"/x\", \\\n   \"-v\"]\n",
			want:       []string{}},
		{doc: "the escape directive changes the continuation character",
			dockerfile: "# escape=`\nFROM scratch\nLABEL org.openbaton-docker.nfv.env.required=\"\" `\n  org.openbaton-docker.nfv.env.optional=\"A\"\nENTRYPOINT [\"C:\\\\x.exe\"]\n",
			want:       []string{}},
		{doc: "builder stages may do anything; only the final stage counts",
			dockerfile: "FROM golang:1.26 AS build\nRUN go build -o /x .\nCMD go version\nCMD again\n" +
				"FROM scratch\nCOPY --from=build /x /x\n" + labels + "ENTRYPOINT [\"/x\"]\n",
			want: []string{}},
		{doc: "ENTRYPOINT and labels are inherited from the stage FROM names",
			dockerfile: "FROM scratch AS base\n" + labels + "ENTRYPOINT [\"/x\"]\nFROM base\nCOPY y /y\n",
			want:       []string{}},
		{doc: "stage names compare case-insensitively",
			dockerfile: "FROM scratch AS Base\n" + labels + "ENTRYPOINT [\"/x\"]\nFROM bAsE\n",
			want:       []string{}},
		{doc: "a CMD after an inherited ENTRYPOINT makes both",
			dockerfile: "FROM scratch AS base\n" + labels + "ENTRYPOINT [\"/x\"]\nFROM base\nCMD [\"-v\"]\n",
			want:       []string{"entrypoint:6"}},
		{doc: "an ENTRYPOINT resets a CMD inherited from an earlier stage",
			dockerfile: "FROM scratch AS base\n" + labels + "CMD [\"/x\"]\nFROM base\nENTRYPOINT [\"/y\"]\n",
			want:       []string{}},
		{doc: "ENTRYPOINT [] unsets the entrypoint",
			dockerfile: "FROM scratch AS base\n" + labels + "ENTRYPOINT [\"/x\"]\nFROM base\nENTRYPOINT []\n",
			want:       []string{"entrypoint:5"}},
		{doc: "an image FROM another image must set its own ENTRYPOINT",
			dockerfile: "FROM alpine:3\n" + labels,
			want:       []string{"entrypoint:1"}},
		{doc: "ONBUILD instructions do not count",
			dockerfile: "FROM scratch\n" + labels + "ONBUILD ENTRYPOINT /y\nENTRYPOINT [\"/x\"]\n",
			want:       []string{}},
		{doc: "missing declaration labels are blamed on the final FROM",
			dockerfile: "FROM scratch AS a\nFROM scratch\nENTRYPOINT [\"/x\"]\n",
			want:       []string{"env-labels:2", "env-labels:2"}},
		{doc: "only the optional label is one finding",
			dockerfile: "FROM scratch\nLABEL org.openbaton-docker.nfv.env.optional=\"A\"\nENTRYPOINT [\"/x\"]\n",
			want:       []string{"env-labels:1"}},
		{doc: "empty declarations conform",
			dockerfile: "FROM scratch\nLABEL org.openbaton-docker.nfv.env.required=\"\" org.openbaton-docker.nfv.env.optional=''\nENTRYPOINT [\"/x\"]\n",
			want:       []string{}},
		{doc: "the legacy LABEL key value form is read",
			dockerfile: "FROM scratch\nLABEL org.openbaton-docker.nfv.env.required A B\nLABEL org.openbaton-docker.nfv.env.optional=C\nENTRYPOINT [\"/x\"]\n",
			want:       []string{}},
		{doc: "an invalid variable name is blamed on its LABEL",
			dockerfile: "FROM scratch\nLABEL org.openbaton-docker.nfv.env.required=\"SERVER-IP 1X\"\nLABEL org.openbaton-docker.nfv.env.optional=\"\"\nENTRYPOINT [\"/x\"]\n",
			want:       []string{"env-labels:2", "env-labels:2"}},
		{doc: "a name listed twice is a finding",
			dockerfile: "FROM scratch\nLABEL org.openbaton-docker.nfv.env.required=\"A A\"\nLABEL org.openbaton-docker.nfv.env.optional=\"\"\nENTRYPOINT [\"/x\"]\n",
			want:       []string{"env-labels:2"}},
		{doc: "a name both required and optional is blamed on the optional label",
			dockerfile: "FROM scratch\nLABEL org.openbaton-docker.nfv.env.required=\"A\"\nLABEL org.openbaton-docker.nfv.env.optional=\"B A\"\nENTRYPOINT [\"/x\"]\n",
			want:       []string{"env-labels:3"}},
		{doc: "a later LABEL overrides an earlier one, as in Docker",
			dockerfile: "FROM scratch\nLABEL org.openbaton-docker.nfv.env.required=\"bad-name\"\n" + labels + "ENTRYPOINT [\"/x\"]\n",
			want:       []string{}},
		{doc: "docs for declared variables conform",
			dockerfile: "FROM scratch\n" + labels + "LABEL org.openbaton-docker.nfv.env.doc.SERVER_IP=\"the server's address\"\nENTRYPOINT [\"/x\"]\n",
			want:       []string{}},
		{doc: "a doc for an undeclared variable is blamed on its LABEL",
			dockerfile: "FROM scratch\n" + labels + "LABEL org.openbaton-docker.nfv.env.doc.OTHER=\"something\"\nENTRYPOINT [\"/x\"]\n",
			want:       []string{"env-labels:4"}},
		{doc: "an empty doc is a finding",
			dockerfile: "FROM scratch\n" + labels + "LABEL org.openbaton-docker.nfv.env.doc.SERVER_IP=\"\"\nENTRYPOINT [\"/x\"]\n",
			want:       []string{"env-labels:4"}},
		{doc: "a declared variable set only by ARG is arg-config",
			dockerfile: "FROM scratch\n" + labels + "ARG SERVER_PORT=7\nENTRYPOINT [\"/x\"]\n",
			want:       []string{"arg-config:4"}},
		{doc: "an ARG carried into ENV is a default, not arg-config",
			dockerfile: "FROM scratch\n" + labels + "ARG SERVER_PORT=7\nENV SERVER_PORT=$SERVER_PORT\nENTRYPOINT [\"/x\"]\n",
			want:       []string{}},
		{doc: "undeclared build arguments are fine",
			dockerfile: "ARG VERSION=1\nFROM scratch\nARG VERSION\n" + labels + "ENTRYPOINT [\"/x\"]\n",
			want:       []string{}},
		{doc: "an ENV default for an optional variable conforms",
			dockerfile: "FROM scratch\n" + labels + "ENV SERVER_PORT=7\nENTRYPOINT [\"/x\"]\n",
			want:       []string{}},
		{doc: "an ENV default for a required variable is required-default",
			dockerfile: "FROM scratch\n" + labels + "ENV OTHER=1 SERVER_IP=10.0.0.1\nENTRYPOINT [\"/x\"]\n",
			want:       []string{"required-default:4"}},
		{doc: "a legacy-form ENV default for a required variable is required-default",
			dockerfile: "FROM scratch\n" + labels + "ENV SERVER_IP 10.0.0.1\nENTRYPOINT [\"/x\"]\n",
			want:       []string{"required-default:4"}},
		{doc: "findings of several rules come in line order",
			dockerfile: "FROM scratch\nENTRYPOINT /x\nENTRYPOINT /y\n",
			want:       []string{"env-labels:1", "env-labels:1", "entrypoint:3", "exec-form:3"}},

		{doc: "an unknown instruction is a parse error at its line",
			dockerfile: "FROM scratch\nCOPY a b\nRUNN x\n",
			want:       []string{"parse:3"}},
		{doc: "an instruction before FROM is a parse error",
			dockerfile: "LABEL a=b\nFROM scratch\n",
			want:       []string{"parse:1"}},
		{doc: "an empty file is a parse error",
			dockerfile: "# only a comment\n",
			want:       []string{"parse:1"}},
		{doc: "an unterminated quote in a LABEL is a parse error at the LABEL",
			dockerfile: "FROM scratch\nLABEL a=\"b \\\n  c\nENTRYPOINT [\"/x\"]\n",
			want:       []string{"parse:2"}},
		{doc: "a LABEL word without = is a parse error",
			dockerfile: "FROM scratch\nLABEL a=b c\n",
			want:       []string{"parse:2"}},
		{doc: "a legacy LABEL without value is a parse error",
			dockerfile: "FROM scratch\nLABEL a\n",
			want:       []string{"parse:2"}},
		{doc: "FROM with two words is a parse error",
			dockerfile: "FROM scratch base\n",
			want:       []string{"parse:1"}},
		{doc: "a stage name used twice is a parse error",
			dockerfile: "FROM scratch AS a\nFROM scratch AS A\n",
			want:       []string{"parse:2"}},
		{doc: "an unknown directive is a comment that ends the directives",
			dockerfile: "# note=x\n# escape=`\nFROM scratch\n" + labels + "ENTRYPOINT [\"/x\"]\n",
			want:       []string{}},
		{doc: "a directive given twice is a parse error",
			dockerfile: "# escape=`\n# escape=\\\nFROM scratch\n",
			want:       []string{"parse:2"}},
		{doc: "an invalid escape directive is a parse error",
			dockerfile: "# escape=x\nFROM scratch\n",
			want:       []string{"parse:1"}},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			fs := Lint("Dockerfile", strings.NewReader(tc.dockerfile))
			if got := ruleLines(fs); !slices.Equal(got, tc.want) {
				t.Errorf("Lint() rule:line = %v, want %v", got, tc.want)
				for _, f := range fs {
					t.Logf("  %s", f)
				}
			}
			for _, f := range fs {
				if f.Source != "Dockerfile" || f.Message == "" {
					t.Errorf("finding %+v: want Source Dockerfile and a message", f)
				}
			}
		})
	}
}

// TestLintRepositoryDockerfiles keeps the example images conforming and
// shows what the shared busybox test image lacks.
func TestLintRepositoryDockerfiles(t *testing.T) {
	tests := []struct {
		doc  string
		path string
		want []string
	}{
		{doc: "echo-server conforms", path: "../images/echo-server/Dockerfile", want: []string{}},
		{doc: "echo-client conforms", path: "../images/echo-client/Dockerfile", want: []string{}},
		{doc: "the busybox test image declares no required variables", path: "../testdata/images/busybox/Dockerfile",
			want: []string{"env-labels:2"}},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			data, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			fs := Lint(tc.path, strings.NewReader(string(data)))
			if got := ruleLines(fs); !slices.Equal(got, tc.want) {
				t.Errorf("Lint(%s) = %v, want %v", tc.path, fs, tc.want)
			}
		})
	}
}

func TestLintMessages(t *testing.T) {
	tests := []struct {
		doc        string
		dockerfile string
		want       string // in the one finding's String()
	}{
		{doc: "a missing label names the label",
			dockerfile: "FROM scratch\nLABEL org.openbaton-docker.nfv.env.optional=\"\"\nENTRYPOINT [\"/x\"]\n",
			want:       "Dockerfile:1: env-labels: missing label org.openbaton-docker.nfv.env.required"},
		{doc: "a missing label FROM another image says labels are not inherited visibly",
			dockerfile: "FROM alpine:3\nLABEL org.openbaton-docker.nfv.env.optional=\"\"\nENTRYPOINT [\"/x\"]\n",
			want:       "base image alpine:3"},
		{doc: "a duplicate ENTRYPOINT names the first one's line",
			dockerfile: "FROM scratch\n" + labels + "ENTRYPOINT [\"/a\"]\nENTRYPOINT [\"/b\"]\n",
			want:       "(first at line 4)"},
		{doc: "a bad name is quoted",
			dockerfile: "FROM scratch\nLABEL org.openbaton-docker.nfv.env.required=\"SERVER-IP\" org.openbaton-docker.nfv.env.optional=\"\"\nENTRYPOINT [\"/x\"]\n",
			want:       `"SERVER-IP" is not a valid environment variable name`},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			fs := Lint("Dockerfile", strings.NewReader(tc.dockerfile))
			if len(fs) != 1 || !strings.Contains(fs[0].String(), tc.want) {
				t.Fatalf("Lint() = %v, want one finding containing %q", fs, tc.want)
			}
		})
	}
}
