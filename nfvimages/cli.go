package nfvimages

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/openbaton-docker/obdocker/pop"
)

// Exit codes of the nfvimage command.
const (
	ExitOK       = 0
	ExitFindings = 1
	ExitError    = 2 // usage, I/O or Docker error
)

// ImageInspector is the one Docker call `nfvimage check` makes
// (*client.Client implements it).
type ImageInspector interface {
	ImageInspect(ctx context.Context, ref string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
}

// ImageFromInspect converts Docker's image inspection to the pop.Image that
// Check takes.
func ImageFromInspect(r image.InspectResponse) pop.Image {
	img := pop.Image{ID: r.ID, Tags: r.RepoTags, Size: r.Size}
	if t, err := time.Parse(time.RFC3339Nano, r.Created); err == nil {
		img.Created = t
	}
	if r.Config != nil {
		img.Labels = r.Config.Labels
		img.Entrypoint = r.Config.Entrypoint
		img.Cmd = r.Config.Cmd
	}
	return img
}

const usage = `usage:
  nfvimage lint DOCKERFILE...   check Dockerfiles against the NFV image conventions
  nfvimage check IMAGE...       check images in the local Docker engine (DOCKER_HOST or the default socket)

Each finding prints as file:line: rule: message (or image: rule: message).
Exit status: 0 no findings, 1 findings, 2 usage, I/O or Docker error.
`

// Main runs the nfvimage command with args (program name excluded) and
// returns its exit code. Findings go to stdout, errors to stderr. docker is
// used by check only.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, docker ImageInspector) int {
	if len(args) == 1 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stdout, usage)
		return ExitOK
	}
	if len(args) < 2 || (args[0] != "lint" && args[0] != "check") {
		fmt.Fprint(stderr, usage)
		return ExitError
	}
	code := ExitOK
	report := func(fs []Finding) {
		for _, f := range fs {
			fmt.Fprintln(stdout, f)
		}
		if len(fs) > 0 && code == ExitOK {
			code = ExitFindings
		}
	}
	fail := func(err error) {
		fmt.Fprintf(stderr, "nfvimage: %v\n", err)
		code = ExitError
	}
	for _, arg := range args[1:] {
		if args[0] == "lint" {
			data, err := os.ReadFile(arg)
			if err != nil {
				fail(fmt.Errorf("lint: %w", err))
				continue
			}
			report(Lint(arg, bytes.NewReader(data)))
			continue
		}
		if docker == nil {
			fail(fmt.Errorf("check %s: no Docker client", arg))
			continue
		}
		r, err := docker.ImageInspect(ctx, arg)
		if err != nil {
			fail(fmt.Errorf("check %s: %w", arg, err))
			continue
		}
		img := ImageFromInspect(r)
		img.Tags = append([]string{arg}, img.Tags...) // name findings as the user did
		report(Check(img))
	}
	return code
}
