package vim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/pop"
)

// TestRealDockerHostOptions: through the driver on the real Pop core and
// dockerd, a launch with the directives our VNFM writes for the official
// Docker VNFM's keys gets an allowed bind mount (visible in the
// container) and an allowed published port (answering on 127.0.0.1);
// a path or a port outside the operator's allowlists is an exception
// naming it, and leaves no container. The host options survive a
// rebuildServer. Subnets: 10.207.20.0/24 to 10.207.22.0/24.
func TestRealDockerHostOptions(t *testing.T) {
	if testing.Short() {
		t.Skip("real dockerd")
	}
	raw, popName, open := realDockerPop(t, "10.207.20.0/24", "10.207.21.0/24")
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("mounted "+popName), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	d := New(Config{Open: open, AllowedBindPrefixes: []string{dir}, AllowedPublishPorts: []string{strconv.Itoa(port)}}, testLogger(t))
	t.Cleanup(func() { d.Close() })
	vimJSON := json.RawMessage(fmt.Sprintf(`{"type":"docker","name":"real","authUrl":%q,"id":"r1","hbVersion":0}`, testenv.DockerHost()))
	do := func(name string, ps ...any) (json.RawMessage, error) {
		t.Helper()
		return call(t, d, name, params(t, append([]any{vimJSON}, ps...)...))
	}
	vl := "vl-" + popName
	ans, err := do("createNetwork", map[string]any{"name": vl, "subnet": "10.207.22.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	netID := checkNetwork(t, ans)["extId"].(string)
	cps := []VNFDConnectionPoint{{VirtualLinkReference: vl, VirtualLinkReferenceID: netID}}
	launch := func(host, ud string) (json.RawMessage, error) {
		return call(t, d, "launchInstanceAndWait", params(t, vimJSON, host, testenv.BusyboxImage, "", "", cps, []string{}, ud, map[string]string{}, []Key{}))
	}

	// Refused: nothing is created, the exception names the path or port.
	for _, tc := range []struct{ ud, want string }{
		{"#obdocker:volume=/etc:/host-etc:ro\n", "#obdocker:volume=/etc:/host-etc:ro: host path /etc is not under a bind-mount prefix the operator allows (allowed: " + dir + ")"},
		{"#obdocker:publish=127.0.0.1:22:22\n", "#obdocker:publish=127.0.0.1:22:22: host port 22 is not in a port range the operator allows (allowed: " + strconv.Itoa(port) + ")"},
	} {
		_, err := launch("refused-"+popName, tc.ud)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: exception %v, want %q", tc.ud, err, tc.want)
		}
	}
	cs, err := raw.ContainerList(t.Context(), container.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Labels["org.openbaton-docker.pop"] == popName {
			t.Errorf("a refused launch left container %v", c.Names)
		}
	}

	host := "h-" + popName
	ud := fmt.Sprintf("#obdocker:volume=%s:/www:ro\n#obdocker:publish=127.0.0.1:%d:80\n#obdocker:hostname=web\n#obdocker:alias=%s:web.%s\n", dir, port, vl, vl)
	ans, err = launch(host, ud)
	if err != nil {
		t.Fatal(err)
	}
	m := checkServer(t, ans)
	if m["hostName"] != host || m["status"] != StatusActive {
		t.Fatalf("answer %s", ans)
	}
	get := func() (string, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(port)+"/index.html", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	serve := func(extID string) {
		t.Helper()
		pp, err := d.Pops().Get(t.Context(), EndpointKey{URL: testenv.DockerHost()})
		if err != nil {
			t.Fatal(err)
		}
		c, err := pp.Containers(t.Context(), pop.ByID(extID))
		if err != nil {
			t.Fatal(err)
		}
		ex, err := raw.ContainerExecCreate(t.Context(), c[0].DockerID, container.ExecOptions{Cmd: []string{"/bin/busybox", "httpd", "-p", "80", "-h", "/www"}})
		if err == nil {
			err = raw.ContainerExecStart(t.Context(), ex.ID, container.ExecStartOptions{})
		}
		if err != nil {
			t.Fatalf("exec httpd: %v", err)
		}
		var got string
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			if got, err = get(); (err == nil && got != "") || time.Now().After(deadline) {
				break
			}
		}
		if err != nil || got != "mounted "+popName {
			t.Fatalf("GET on 127.0.0.1:%d: %q %v", port, got, err)
		}
	}
	serve(m["extId"].(string))

	rb, err := do("rebuildServer", m["extId"], testenv.BusyboxImage)
	if err != nil {
		t.Fatal(err)
	}
	serve(checkServer(t, rb)["extId"].(string))
	if _, err := do("deleteServerByIdAndWait", checkServer(t, rb)["extId"]); err != nil {
		t.Fatal(err)
	}
	if _, err := do("deleteNetwork", netID); err != nil {
		t.Error(err)
	}
}
