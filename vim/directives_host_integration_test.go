package vim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
)

// TestRealDockerBindSymlinkEscape replays the escape on the real dockerd:
// a VNF given a bind mount plants `ln -s / x` in it and a later launch asks
// for PREFIX/x, which dockerd would follow on the host. Under a read-only
// prefix the first mount is read-only (the line gave no mode), so the link
// cannot be made; under a writable prefix it can, and the driver refuses a
// mount below that prefix, creating nothing. Subnets 10.207.40-41.0/24.
func TestRealDockerBindSymlinkEscape(t *testing.T) {
	if testing.Short() {
		t.Skip("real dockerd")
	}
	raw, popName, open := realDockerPop(t, "10.207.40.0/24", "10.207.41.0/24")
	ro, scratch := t.TempDir(), t.TempDir()
	d := New(Config{Open: open, AllowedBindPrefixes: []string{ro, scratch + ":rw"}}, testLogger(t))
	t.Cleanup(func() { d.Close() })
	vimJSON := json.RawMessage(fmt.Sprintf(`{"type":"docker","name":"real","authUrl":%q,"id":"r1","hbVersion":0}`, testenv.DockerHost()))
	launch := func(host, ud string) (json.RawMessage, error) {
		return call(t, d, "launchInstanceAndWait", params(t, vimJSON, host, testenv.BusyboxImage, "", "", []VNFDConnectionPoint{}, []string{}, ud, map[string]string{}, []Key{}))
	}
	// plant runs ln -s / LINK in the container and answers its exit code
	// and output.
	plant := func(ans json.RawMessage, link string) (int, string) {
		t.Helper()
		pp, err := d.Pops().Get(t.Context(), EndpointKey{URL: testenv.DockerHost()})
		if err != nil {
			t.Fatal(err)
		}
		cs, err := pp.Containers(t.Context(), pop.ByID(checkServer(t, ans)["extId"].(string)))
		if err != nil {
			t.Fatal(err)
		}
		ex, err := raw.ContainerExecCreate(t.Context(), cs[0].DockerID, container.ExecOptions{Cmd: []string{"/bin/busybox", "ln", "-s", "/", link},
			AttachStdout: true, AttachStderr: true})
		if err != nil {
			t.Fatal(err)
		}
		hj, err := raw.ContainerExecAttach(t.Context(), ex.ID, container.ExecAttachOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		_, _ = stdcopy.StdCopy(&out, &out, hj.Reader)
		hj.Close()
		in, err := raw.ContainerExecInspect(t.Context(), ex.ID)
		if err != nil {
			t.Fatal(err)
		}
		return in.ExitCode, out.String()
	}

	ans, err := launch("ro-"+popName, "#obdocker:volume="+ro+":/mnt\n")
	if err != nil {
		t.Fatal(err)
	}
	if code, out := plant(ans, "/mnt/evil"); code == 0 || !strings.Contains(out, "Read-only file system") {
		t.Errorf("ln -s / /mnt/evil under a read-only prefix: exit %d %q, want a read-only file system", code, out)
	}
	if _, err := os.Lstat(filepath.Join(ro, "evil")); err == nil {
		t.Errorf("a container planted %s/evil under a read-only prefix", ro)
	}

	ans, err = launch("rw-"+popName, "#obdocker:volume="+scratch+":/s\n")
	if err != nil {
		t.Fatalf("the writable prefix itself: %v", err)
	}
	if code, out := plant(ans, "/s/evil"); code != 0 {
		t.Fatalf("ln under a writable prefix: exit %d %q", code, out)
	}
	if fi, err := os.Lstat(filepath.Join(scratch, "evil")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the planted link: %v %v", fi, err)
	}
	_, err = launch("escape-"+popName, "#obdocker:volume="+scratch+"/evil:/host:ro\n")
	if want := "host path " + scratch + "/evil lies below the writable bind-mount prefix " + scratch + ":rw"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("a mount of the planted link: %v, want %q", err, want)
	}
	cs, err := raw.ContainerList(t.Context(), container.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Labels["org.openbaton-docker.pop"] == popName && strings.Contains(strings.Join(c.Names, ","), "escape") {
			t.Errorf("the refused launch left container %v", c.Names)
		}
	}
}
