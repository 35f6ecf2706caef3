package vimdriver

import (
	"strings"
	"testing"
)

// The start-up line for a socket the container's user cannot open names
// the socket, the group it needs and DOCKER_GID, the compose variable that
// gives it (the compose test sees it from a real container).
func TestSocketDeniedNamesSocketAndDockerGID(t *testing.T) {
	msg := socketDenied("/var/run/docker.sock", 65532, []int{65532, 4242}, 998)
	for _, want := range []string{"/var/run/docker.sock", "permission denied", "uid 65532", "[65532 4242]", "group 998", "DOCKER_GID", "stat -c %g /var/run/docker.sock"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}
