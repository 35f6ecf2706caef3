package vim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/openbaton-docker/obdocker/pop"
)

// SocketRule grants VIM instances a unix:// endpoint. A socket proves
// nothing about its caller: whoever may register a VIM instance could name
// any socket on the driver's host, so only sockets the operator lists are
// opened, optionally only for the listed NFVO projects.
type SocketRule struct {
	// URL is the normalised endpoint, unix:///abs/path.
	URL string
	// Projects are the NFVO project ids allowed; empty: every project.
	Projects []string
}

// ParseSocketRules reads the operator's allowlist: entries
// "SOCKET[@PROJECT[|PROJECT…]]", SOCKET being unix:///path or /path.
func ParseSocketRules(entries []string) ([]SocketRule, error) {
	rules := make([]SocketRule, 0, len(entries))
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		sock, projects, restricted := strings.Cut(e, "@")
		norm, _, _, err := NormaliseAuthURL(sock, "", false)
		if err != nil {
			return nil, fmt.Errorf("socket %q: %w", e, err)
		}
		if !strings.HasPrefix(norm, SchemeUnix+"://") {
			return nil, fmt.Errorf("socket %q: not a unix socket (want unix:///path or /path; tcp:// and pop:// endpoints are guarded by their credentials)", e)
		}
		r := SocketRule{URL: norm}
		if restricted {
			for _, p := range strings.Split(projects, "|") {
				if p = strings.TrimSpace(p); p != "" {
					r.Projects = append(r.Projects, p)
				}
			}
			if len(r.Projects) == 0 {
				return nil, fmt.Errorf("socket %q: no project after '@' (want SOCKET@PROJECT[|PROJECT…], or SOCKET alone for every project)", e)
			}
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// socketRules is the allowlist in force: the configured one, or the
// default socket for every project.
func (c Config) socketRules() []SocketRule {
	if c.AllowedSockets != nil {
		return c.AllowedSockets
	}
	norm, _, _, err := NormaliseAuthURL(c.DefaultSocket, "", false)
	if err != nil || !strings.HasPrefix(norm, SchemeUnix+"://") {
		return nil
	}
	return []SocketRule{{URL: norm}}
}

// allowSocket refuses a unix:// endpoint the operator did not grant to the
// VIM instance's project. Other schemes pass: their credentials decide.
func (c Config) allowSocket(key EndpointKey, projectID string) error {
	if key.Scheme() != SchemeUnix {
		return nil
	}
	listed := false
	for _, r := range c.socketRules() {
		if r.URL != key.URL {
			continue
		}
		listed = true
		if len(r.Projects) == 0 || projectID != "" && slices.Contains(r.Projects, projectID) {
			return nil
		}
	}
	if !listed {
		return pop.Errorf(pop.ErrUnauthenticated, "authUrl %s: this driver does not open that socket; the operator grants unix sockets with OBDOCKER_ALLOWED_SOCKETS", key.URL)
	}
	if projectID == "" {
		return pop.Errorf(pop.ErrUnauthenticated, "authUrl %s: that socket is granted to listed projects only and this VIM instance carries no projectId", key.URL)
	}
	return pop.Errorf(pop.ErrUnauthenticated, "authUrl %s: that socket is not granted to project %s (OBDOCKER_ALLOWED_SOCKETS)", key.URL, projectID)
}
