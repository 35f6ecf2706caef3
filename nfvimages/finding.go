package nfvimages

import "fmt"

// The rules. Each Finding names one of them, so tests and tools branch on
// the rule, never on the message.
const (
	// RuleParse: the Dockerfile does not parse.
	RuleParse = "parse"
	// RuleEntrypoint: the image must run exactly one ENTRYPOINT or exactly
	// one CMD (never both, never none, never the same one twice).
	RuleEntrypoint = "entrypoint"
	// RuleExecForm: ENTRYPOINT and CMD must be JSON arrays, so the process is
	// PID 1 (it gets docker stop's SIGTERM) and no /bin/sh is needed.
	RuleExecForm = "exec-form"
	// RuleEnvLabels: the env declaration labels must be present and
	// well-formed.
	RuleEnvLabels = "env-labels"
	// RuleArgConfig: a declared variable set only by ARG is gone at run time.
	RuleArgConfig = "arg-config"
	// RuleRequiredDefault: a required variable with an ENV default in the
	// image is never missing, so it is optional in fact.
	RuleRequiredDefault = "required-default"
)

// Finding is one convention violation.
type Finding struct {
	// Source is the Dockerfile's name (Lint) or the image's name (Check).
	Source string
	Rule   string
	// Line is the Dockerfile line (1-based); 0 for built images.
	Line    int
	Message string
}

// String formats the finding as `source:line: rule: message`, or
// `source: rule: message` when there is no line.
func (f Finding) String() string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", f.Source, f.Line, f.Rule, f.Message)
	}
	return fmt.Sprintf("%s: %s: %s", f.Source, f.Rule, f.Message)
}
