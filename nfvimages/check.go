package nfvimages

import (
	"fmt"

	"github.com/openbaton-docker/obdocker/pop"
)

// Check checks a built image against the conventions: it runs exactly one
// of Entrypoint or Cmd, not through a shell, and its env declaration labels
// are present and well-formed. Findings have no line; their Source is the
// image's first tag, or its ID.
func Check(img pop.Image) []Finding {
	src := img.ID
	if len(img.Tags) > 0 {
		src = img.Tags[0]
	}
	var fs []Finding
	switch {
	case len(img.Entrypoint) == 0 && len(img.Cmd) == 0:
		fs = append(fs, Finding{Rule: RuleEntrypoint, Message: "the image has no ENTRYPOINT or CMD"})
	case len(img.Entrypoint) > 0 && len(img.Cmd) > 0:
		fs = append(fs, Finding{Rule: RuleEntrypoint, Message: fmt.Sprintf(
			"the image sets both ENTRYPOINT %q and CMD %q: it must run one command with no arguments, so keep only one",
			img.Entrypoint, img.Cmd)})
	}
	for _, c := range []struct {
		kw   string
		args []string
	}{{"ENTRYPOINT", img.Entrypoint}, {"CMD", img.Cmd}} {
		if viaShell(c.args) {
			fs = append(fs, Finding{Rule: RuleExecForm, Message: fmt.Sprintf(
				"%s %q runs through a shell (shell form): use exec form so the process is PID 1 and receives docker stop's SIGTERM",
				c.kw, c.args)})
		}
	}
	fs = append(fs, checkLabels(img.Labels, func(string) int { return 0 }, 0)...)
	for i := range fs {
		fs[i].Source = src
	}
	return fs
}

// viaShell recognises what the builder makes of a shell-form instruction:
// [/bin/sh -c "command line"].
func viaShell(args []string) bool {
	return len(args) == 3 && args[0] == "/bin/sh" && args[1] == "-c"
}
