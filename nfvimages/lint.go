package nfvimages

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Lint parses a Dockerfile and checks it against the NFV image conventions.
// name is what findings call the source (usually the file name). A
// Dockerfile that does not parse gives one RuleParse finding.
func Lint(name string, r io.Reader) []Finding {
	d, err := Parse(r)
	if err != nil {
		f := Finding{Source: name, Rule: RuleParse, Message: err.Error()}
		var pe *ParseError
		if errors.As(err, &pe) {
			f.Line, f.Message = pe.Line, pe.Msg
		}
		return []Finding{f}
	}
	fs := d.Lint()
	for i := range fs {
		fs[i].Source = name
	}
	return fs
}

// Lint checks a parsed Dockerfile. Only the final stage and the stages it
// is built FROM matter: builder stages may do anything.
func (d *Dockerfile) Lint() []Finding {
	chain := d.chain()
	final := chain[len(chain)-1]
	var fs []Finding
	fs = append(fs, d.lintEntrypoint(chain, final)...)

	labels, labelLine := map[string]string{}, map[string]int{}
	envLine, argLine := map[string]int{}, map[string]int{}
	for _, st := range chain {
		for _, inst := range st.Instructions {
			if inst.Keyword != "LABEL" && inst.Keyword != "ENV" && inst.Keyword != "ARG" {
				continue
			}
			pairs, _ := inst.Pairs(d.Escape) // Parse validated them
			for _, p := range pairs {
				switch inst.Keyword {
				case "LABEL":
					labels[p.Key], labelLine[p.Key] = p.Value, inst.Line
				case "ENV":
					envLine[p.Key] = inst.Line
				case "ARG":
					argLine[p.Key] = inst.Line
				}
			}
		}
	}
	lfs := checkLabels(labels, func(k string) int { return labelLine[k] }, final.Line)
	if root := chain[0]; len(lfs) > 0 && !strings.EqualFold(root.Base, "scratch") {
		for i, f := range lfs {
			if strings.HasPrefix(f.Message, "missing label") {
				lfs[i].Message += fmt.Sprintf("; labels of the base image %s are not visible here, so declare them in this Dockerfile", root.Base)
			}
		}
	}
	fs = append(fs, lfs...)

	required := map[string]bool{}
	for _, n := range RequiredEnv(labels) {
		required[n] = true
		if l, ok := envLine[n]; ok {
			fs = append(fs, Finding{Rule: RuleRequiredDefault, Line: l, Message: fmt.Sprintf(
				"%s is required but ENV gives it a default, so it is never missing: drop the ENV or declare it optional", n)})
		}
	}
	for _, n := range append(RequiredEnv(labels), OptionalEnv(labels)...) {
		l, isArg := argLine[n]
		if _, isEnv := envLine[n]; isArg && !isEnv {
			fs = append(fs, Finding{Rule: RuleArgConfig, Line: l, Message: fmt.Sprintf(
				"%s is a build argument only: ARG values are gone when the container runs, and configuration comes from the environment (use ENV for a default)", n)})
		}
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Line < fs[j].Line })
	return fs
}

// chain returns the final stage and the stages it is built FROM, root first.
func (d *Dockerfile) chain() []*Stage {
	cur := &d.Stages[len(d.Stages)-1]
	chain := []*Stage{cur}
	for {
		var parent *Stage
		for i := cur.Index - 1; i >= 0; i-- {
			if d.Stages[i].Name != "" && strings.EqualFold(d.Stages[i].Name, cur.Base) {
				parent = &d.Stages[i]
				break
			}
		}
		if parent == nil {
			break
		}
		chain = append([]*Stage{parent}, chain...)
		cur = parent
	}
	return chain
}

// lintEntrypoint replays ENTRYPOINT and CMD along the chain as the builder
// does (an ENTRYPOINT resets a CMD inherited from an earlier stage) and
// checks that exactly one of them is left, in exec form.
func (d *Dockerfile) lintEntrypoint(chain []*Stage, final *Stage) []Finding {
	var fs []Finding
	add := func(l int, format string, args ...any) {
		fs = append(fs, Finding{Rule: RuleEntrypoint, Line: l, Message: fmt.Sprintf(format, args...)})
	}
	var ep, cmd *Instruction
	for _, st := range chain {
		firstInStage := map[string]int{}
		cmdInStage := false
		for i := range st.Instructions {
			inst := &st.Instructions[i]
			if inst.Keyword != "ENTRYPOINT" && inst.Keyword != "CMD" {
				continue
			}
			if l, ok := firstInStage[inst.Keyword]; ok {
				add(inst.Line, "%s again (first at line %d): Docker keeps the last one, the convention wants exactly one", inst.Keyword, l)
			} else {
				firstInStage[inst.Keyword] = inst.Line
			}
			set := inst
			if inst.Value == "" || (inst.JSON && len(inst.Exec) == 0) {
				set = nil // `ENTRYPOINT []` unsets it
			}
			if inst.Keyword == "ENTRYPOINT" {
				ep = set
				if !cmdInStage {
					cmd = nil
				}
			} else {
				cmd, cmdInStage = set, true
			}
		}
	}
	switch {
	case ep == nil && cmd == nil:
		msg := "the final stage sets no ENTRYPOINT or CMD"
		if root := chain[0]; !strings.EqualFold(root.Base, "scratch") {
			msg += fmt.Sprintf(" (one inherited from %s is not visible here: set it in this Dockerfile)", root.Base)
		}
		add(final.Line, "%s", msg)
	case ep != nil && cmd != nil:
		later := max(ep.Line, cmd.Line)
		add(later, "both ENTRYPOINT (line %d) and CMD (line %d) are set: the image must run one command with no arguments, so keep only one", ep.Line, cmd.Line)
	}
	for _, inst := range []*Instruction{ep, cmd} {
		if inst == nil || inst.JSON {
			continue
		}
		msg := fmt.Sprintf("%s is in shell form: write it as a JSON array (exec form) so the process is PID 1, receives docker stop's SIGTERM and needs no /bin/sh", inst.Keyword)
		if strings.HasPrefix(inst.Value, "[") {
			msg = fmt.Sprintf("%s starts with [ but is not a JSON array of strings (double quotes only), so Docker runs it through /bin/sh -c", inst.Keyword)
		}
		fs = append(fs, Finding{Rule: RuleExecForm, Line: inst.Line, Message: msg})
	}
	return fs
}
