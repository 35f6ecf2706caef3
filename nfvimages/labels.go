package nfvimages

import (
	"fmt"
	"sort"
	"strings"

	"github.com/openbaton-docker/obdocker/pop"
)

// The labels an NFV image declares its configuration with.
const (
	// LabelRequired lists, space-separated, the variables the image cannot
	// run without. An empty value says "none".
	LabelRequired = "org.openbaton-docker.nfv.env.required"
	// LabelOptional lists, space-separated, the variables the image also
	// reads. An empty value says "none".
	LabelOptional = "org.openbaton-docker.nfv.env.optional"
	// LabelDocPrefix + VAR is one line saying what VAR means.
	LabelDocPrefix = "org.openbaton-docker.nfv.env.doc."
)

// ValidEnvName reports whether s is a portable environment variable name
// ([A-Za-z_][A-Za-z0-9_]*): the names a shell, the NFVO's userdata and the
// VNFM's UPPER(type)_UPPER(key) mapping can all carry.
func ValidEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// names splits a declaration label's value, dropping repeats but keeping
// the first-seen order.
func names(v string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range strings.Fields(v) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// RequiredEnv returns the variables an image's labels declare required, in
// declaration order. An image without the label requires nothing: the VIM
// driver runs any image, and only NFV images promise to declare.
func RequiredEnv(labels map[string]string) []string { return names(labels[LabelRequired]) }

// OptionalEnv returns the variables an image's labels declare optional.
func OptionalEnv(labels map[string]string) []string { return names(labels[LabelOptional]) }

// MissingEnv returns the required variables (RequiredEnv) that env does not
// set, in declaration order, or nil. A variable set to the empty string is
// missing too: an empty peer address or port is no configuration.
func MissingEnv(labels map[string]string, env map[string]string) []string {
	var missing []string
	for _, n := range RequiredEnv(labels) {
		if env[n] == "" {
			missing = append(missing, n)
		}
	}
	return missing
}

// RequireEnv is MissingEnv as an error for callers that refuse to start a
// container: nil when nothing is missing, otherwise a pop.ErrInvalidArgument
// error naming image and every missing variable, so the VNFD author fixes
// them all at once.
func RequireEnv(image string, labels map[string]string, env map[string]string) error {
	missing := MissingEnv(labels, env)
	if len(missing) == 0 {
		return nil
	}
	word := "variable"
	if len(missing) > 1 {
		word = "variables"
	}
	return pop.Errorf(pop.ErrInvalidArgument, "image %s: missing required environment %s %s",
		image, word, strings.Join(missing, ", "))
}

// checkLabels validates the declaration labels. line gives the Dockerfile
// line that set a key (0 when unknown or for built images), and absentLine
// the line to blame for a missing key.
func checkLabels(labels map[string]string, line func(key string) int, absentLine int) []Finding {
	var fs []Finding
	add := func(l int, format string, args ...any) {
		fs = append(fs, Finding{Rule: RuleEnvLabels, Line: l, Message: fmt.Sprintf(format, args...)})
	}
	declared := map[string]string{} // name -> label that declared it first
	for _, key := range []string{LabelRequired, LabelOptional} {
		v, ok := labels[key]
		if !ok {
			add(absentLine, "missing label %s (space-separated variable names; an empty value declares none)", key)
			continue
		}
		seen := map[string]bool{}
		for _, n := range strings.Fields(v) {
			switch {
			case !ValidEnvName(n):
				add(line(key), "%s: %q is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)", key, n)
			case seen[n]:
				add(line(key), "%s: %s is listed twice", key, n)
			case declared[n] != "":
				add(line(key), "%s is both required and optional", n)
			}
			seen[n] = true
			if declared[n] == "" {
				declared[n] = key
			}
		}
	}
	var docs []string
	for k := range labels {
		if strings.HasPrefix(k, LabelDocPrefix) {
			docs = append(docs, k)
		}
	}
	sort.Strings(docs)
	for _, k := range docs {
		n, v := strings.TrimPrefix(k, LabelDocPrefix), labels[k]
		switch {
		case declared[n] == "":
			add(line(k), "%s documents %q, which neither %s nor %s declares", k, n, LabelRequired, LabelOptional)
		case strings.TrimSpace(v) == "":
			add(line(k), "%s is empty (one line saying what %s means)", k, n)
		case strings.ContainsAny(v, "\r\n"):
			add(line(k), "%s must be one line", k)
		}
	}
	return fs
}
