package vim

import (
	"strings"
	"testing"
)

func TestParseUserdataEnv(t *testing.T) {
	tests := []struct {
		doc    string
		script string
		want   map[string]string
	}{
		{"plain", "A=1\nB=two", map[string]string{"A": "1", "B": "two"}},
		{"export", "export A=1\nexport  B=2 C=3", map[string]string{"A": "1", "B": "2", "C": "3"}},
		{"single quotes", `export A='x y $HOME "q"'`, map[string]string{"A": `x y $HOME "q"`}},
		{"double quotes", `A="x y \"q\" \\ \$ \a"`, map[string]string{"A": `x y "q" \ $ \a`}},
		{"backslash", `A=x\ y\'z`, map[string]string{"A": `x y'z`}},
		{"mixed quoting", `A=a'b c'"d e"f`, map[string]string{"A": "ab cd ef"}},
		{"empty value", "A=\nB=''", map[string]string{"A": "", "B": ""}},
		{"later wins", "A=1\nA=2", map[string]string{"A": "2"}},
		{"equals in value", "A=b=c", map[string]string{"A": "b=c"}},
		{"comment after", "A=1 # note\n# B=2\n  #C=3", map[string]string{"A": "1"}},
		{"hash inside word", "A=x#y", map[string]string{"A": "x#y"}},
		{"separators", "A=1; B=2 && C=3 || D=4 & E=5", map[string]string{"A": "1", "B": "2", "C": "3", "D": "4", "E": "5"}},
		{"crlf", "A=1\r\nB=2\r\n", map[string]string{"A": "1", "B": "2"}},
		{"multi-line quote", "A='line1\nline2'\nB=3", map[string]string{"A": "line1\nline2", "B": "3"}},
		{"continuation", "export A=1 \\\n  B=2", map[string]string{"A": "1", "B": "2"}},
		{"one-command env is not taken", "A=1 make install\nB=2 ./run.sh", map[string]string{}},
		{"commands ignored", "#!/bin/bash\napt-get update\necho A=1\nsudo X=2 cmd", map[string]string{}},
		{"expansion skipped", "A=$HOME\nB=\"$(id -u)\"\nC=`date`\nD=${X:-1}\nE='$lit'", map[string]string{"E": "$lit"}},
		{"expansion with separators", "A=$(a; B=2)\nC=3", map[string]string{"C": "3"}},
		{"invalid names", "1A=1\nA-B=2\nexport ok_1=3 -x=4", map[string]string{"ok_1": "3"}},
		{"export options and bare names", "export -n A\nexport B\nexport -p\nexport C=1", map[string]string{"C": "1"}},
		{"heredoc skipped", "cat > /etc/x <<EOF\nA=1\nEOF\nB=2", map[string]string{"B": "2"}},
		{"heredoc quoted, tabs", "cat <<-'END'\n\tA=1\n\tEND\nB=2", map[string]string{"B": "2"}},
		{"redirect is a command", "A=1 > /tmp/f", map[string]string{}},
		{"nfvo hostname line", "#!/bin/bash\nHostname=vnf-1-1234567\n", map[string]string{"Hostname": "vnf-1-1234567"}},
		{"control flow lines count", "if true; then\n  A=1\nfi\nfor x in 1; do B=2; done", map[string]string{"A": "1"}},
		{"unterminated quote", "A='abc", map[string]string{"A": "abc"}},
		{"trailing backslash", "A=x\\", map[string]string{"A": "x\\"}},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			u := ParseUserdata(tc.script)
			if !jsonEqual(t, mustJSON(t, u.Env), mustJSON(t, tc.want)) {
				t.Errorf("env %q, want %q (skipped %+v)", u.Env, tc.want, u.Skipped)
			}
		})
	}
}

func TestParseUserdataSkippedAreReported(t *testing.T) {
	u := ParseUserdata("export 1A=1\nB=$HOME\n")
	if len(u.Skipped) != 2 || u.Skipped[0].Line != 1 || !strings.Contains(u.Skipped[0].Reason, "invalid") || u.Skipped[1].Line != 2 {
		t.Errorf("%+v", u.Skipped)
	}
}

func TestParseDirectives(t *testing.T) {
	u := ParseUserdata("#!/bin/sh\n#obdocker:flavour=m1.small\n  #obdocker: cap-add = NET_ADMIN, cap_sys_time\n#obdocker:cap-add=NET_ADMIN\n#obdocker:sysctl=net.ipv4.ip_forward=1\n#obdocker:start=deferred\necho hi\n")
	o, err := ParseDirectives(u.Directives)
	if err != nil {
		t.Fatal(err)
	}
	if o.Flavour != "m1.small" || !o.Deferred || strings.Join(o.CapAdd, ",") != "NET_ADMIN,SYS_TIME" || o.Sysctls["net.ipv4.ip_forward"] != "1" {
		t.Errorf("%+v", o)
	}
	if len(u.Env) != 0 {
		t.Errorf("directives leaked into env: %v", u.Env)
	}
	for _, bad := range []string{
		"#obdocker:colour=blue", "#obdocker:flavour=", "#obdocker:start=later",
		"#obdocker:sysctl=novalue", "#obdocker:cap-add=NET-ADMIN",
	} {
		_, err := ParseDirectives(ParseUserdata(bad).Directives)
		if err == nil {
			t.Errorf("%s accepted", bad)
			continue
		}
		if !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if o, err := ParseDirectives(ParseUserdata("#obdocker:flavor=m1.tiny\n#obdocker:start=immediate").Directives); err != nil || o.Flavour != "m1.tiny" || o.Deferred {
		t.Errorf("%+v %v", o, err)
	}
}

func TestAllowlist(t *testing.T) {
	o := LaunchOptions{CapAdd: []string{"NET_ADMIN"}, Sysctls: map[string]string{"net.ipv4.ip_forward": "1"}}
	if err := o.checkAllowed([]string{"cap_net_admin"}, []string{"net.ipv4.*"}); err != nil {
		t.Error(err)
	}
	if err := o.checkAllowed([]string{"ALL"}, []string{"net.ipv4.ip_forward"}); err != nil {
		t.Error(err)
	}
	if err := o.checkAllowed(nil, []string{"net.*"}); err == nil || !strings.Contains(err.Error(), "NET_ADMIN") || !strings.Contains(err.Error(), "none") {
		t.Errorf("%v", err)
	}
	if err := o.checkAllowed([]string{"NET_ADMIN"}, []string{"net.ipv6.*"}); err == nil || !strings.Contains(err.Error(), "net.ipv4.ip_forward") {
		t.Errorf("%v", err)
	}
}

// FuzzParseUserdata: any script parses without panicking; every variable
// taken has a valid name and no NUL; rendering the environment and parsing
// it back gives the same environment.
func FuzzParseUserdata(f *testing.F) {
	for _, s := range []string{
		"export A=1\nB='x y'\nC=\"q\\\"\"", "A=$(x)\ncat <<EOF\nZ=1\nEOF\n", "#obdocker:flavour=m1.small\nA=1 cmd",
		"A='unterminated", "A=`x", "A=${x", "<<", "<<-", "x <<E\n", "export", "A=\\", "A=\"\\", "\x00A=1",
		readFixtureUserdata(),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		u := ParseUserdata(script)
		for k, v := range u.Env {
			if !ValidEnvName(k) {
				t.Fatalf("invalid name %q taken", k)
			}
			if strings.ContainsRune(v, 0) {
				t.Fatalf("NUL in %s", k)
			}
		}
		back := ParseUserdata(RenderEnv(u.Env))
		if len(back.Env) != len(u.Env) || len(back.Skipped) != 0 {
			t.Fatalf("round trip: %q → %q (skipped %v)", u.Env, back.Env, back.Skipped)
		}
		for k, v := range u.Env {
			if back.Env[k] != v {
				t.Fatalf("round trip of %s: %q → %q", k, v, back.Env[k])
			}
		}
		for _, d := range u.Directives {
			if d.Line < 1 {
				t.Fatalf("directive line %d", d.Line)
			}
		}
		_, _ = ParseDirectives(u.Directives)
	})
}

func readFixtureUserdata() string {
	return "#!/bin/bash\n#obdocker:flavour=m1.small\nexport SERVER_IP='10.204.0.5'\nexport GREETING=\"hello world\"\nPORT=5201\nHostname=iperf-client-7654321\napt-get install -y iperf\n"
}
