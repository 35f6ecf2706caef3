package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const operatorGuide = "docs/operator-guide.md"

// TestOperatorGuide keeps docs/operator-guide.md true to the files it
// describes: the paths it names exist, every variable the compose file
// reads is in its table, and the NFVO's known failure messages (protocol
// spec §1.2, §2.2, §3.1, §4.4) have an entry.
func TestOperatorGuide(t *testing.T) {
	guide := string(readFile(t, operatorGuide))
	root := repoRoot(t)

	for _, m := range regexp.MustCompile("(?:deploy|docs)/[A-Za-z0-9_./-]+\\.(?:json|yml|toml|md|sh)").FindAllString(guide, -1) {
		if _, err := os.Stat(filepath.Join(root, m)); err != nil {
			t.Errorf("%s names %s, which does not exist", operatorGuide, m)
		}
	}
	for _, m := range regexp.MustCompile(`\]\(([a-z-]+\.md)\)`).FindAllStringSubmatch(guide, -1) {
		if _, err := os.Stat(filepath.Join(root, "docs", m[1])); err != nil {
			t.Errorf("%s links %s, which does not exist", operatorGuide, m[1])
		}
	}

	compose := string(readFile(t, composePath))
	seen := map[string]bool{}
	for _, m := range interpRE.FindAllStringSubmatch(compose, -1) {
		name := m[1]
		if seen[name] {
			continue
		}
		seen[name] = true
		if !strings.Contains(guide, "`"+name+"`") {
			t.Errorf("compose variable %s is not documented in %s", name, operatorGuide)
		}
	}

	for _, msg := range []string{
		"no plugin found with name",
		"Plugin did not responded after",
		"Plugin with id: ",
		"None of the images",
		"ClassCastException",
		"invalid IPv4 subnet",
		"is not registered or not enabled or not active",
		"missing required environment variable",
		"#obdocker:start=deferred",
		"#obdocker:cap-add=",
		"#obdocker:sysctl=",
		"#obdocker:flavour=",
		"dockerKey",
		"docker.<name>",
	} {
		if !strings.Contains(guide, msg) {
			t.Errorf("%s does not cover %q", operatorGuide, msg)
		}
	}
}
