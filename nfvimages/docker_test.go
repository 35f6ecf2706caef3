package nfvimages_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/openbaton-docker/obdocker/internal/testenv"
	"github.com/openbaton-docker/obdocker/nfvimages"
)

const (
	serverImage = "obdocker/echo-server:latest"
	clientImage = "obdocker/echo-client:latest"
)

// requireImages builds the example images with scripts/images.sh (what
// `make images` runs) unless both are present.
func requireImages(t *testing.T, cli *client.Client) {
	t.Helper()
	missing := false
	for _, ref := range []string{serverImage, clientImage} {
		if _, err := cli.ImageInspect(t.Context(), ref); err != nil {
			missing = true
		}
	}
	if !missing {
		return
	}
	cmd := exec.CommandContext(t.Context(), "bash", "../scripts/images.sh")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/images.sh: %v\n%s", err, out)
	}
}

// testNetwork creates a bridge network on a random /24 of this package's
// range, 10.205.0.0/16, retrying when a parallel run holds the subnet, and
// returns its name and the subnet's first three octets.
func testNetwork(t *testing.T, cli *client.Client) (name, prefix string) {
	t.Helper()
	name = testenv.Name(t)
	var err error
	for range 8 {
		prefix = fmt.Sprintf("10.205.%d", 1+rand.IntN(254))
		_, err = cli.NetworkCreate(t.Context(), name, network.CreateOptions{
			Driver: "bridge",
			IPAM:   &network.IPAM{Config: []network.IPAMConfig{{Subnet: prefix + ".0/24", Gateway: prefix + ".1"}}},
		})
		if err == nil {
			t.Cleanup(func() {
				ctx, cancel := cleanupCtx()
				defer cancel()
				if err := cli.NetworkRemove(ctx, name); err != nil {
					t.Logf("remove network %s: %v", name, err)
				}
			})
			return name, prefix
		}
	}
	t.Fatalf("create network %s: %v", name, err)
	return "", ""
}

// cleanupCtx bounds a cleanup; t.Context is already done when cleanups run.
func cleanupCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// runContainer creates and starts a container on net at ip with env, and
// removes it (forcibly) when the test ends.
func runContainer(t *testing.T, cli *client.Client, ref, net, ip string, env []string) string {
	t.Helper()
	name := testenv.Name(t)
	created, err := cli.ContainerCreate(t.Context(), &container.Config{Image: ref, Env: env}, nil,
		&network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			net: {IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: ip}},
		}}, nil, name)
	if err != nil {
		t.Fatalf("create %s from %s: %v", name, ref, err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := cli.ContainerRemove(ctx, created.ID, container.RemoveOptions{Force: true}); err != nil {
			t.Logf("remove container %s: %v", name, err)
		}
	})
	if err := cli.ContainerStart(t.Context(), created.ID, container.StartOptions{}); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	return created.ID
}

// logs returns a container's stdout and stderr so far.
func logs(t *testing.T, cli *client.Client, id string) string {
	t.Helper()
	rc, err := cli.ContainerLogs(t.Context(), id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatalf("logs of %s: %v", id, err)
	}
	defer rc.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, rc); err != nil {
		t.Fatalf("logs of %s: %v", id, err)
	}
	return out.String()
}

func TestEchoImagesOverDockerNetwork(t *testing.T) {
	cli := testenv.Docker(t)
	requireImages(t, cli)
	net, prefix := testNetwork(t, cli)
	serverIP := prefix + ".10"

	// Configuration flows only through the environment: a non-default port
	// on both sides, and the server's address as the VNFM would set it.
	clientEnv := map[string]string{"SERVER_IP": serverIP, "SERVER_PORT": "7007", "ECHO_INTERVAL": "200ms"}
	ci, err := cli.ImageInspect(t.Context(), clientImage)
	if err != nil {
		t.Fatal(err)
	}
	if missing := nfvimages.MissingEnv(ci.Config.Labels, clientEnv); len(missing) != 0 {
		t.Fatalf("MissingEnv(client labels, %v) = %v, want none", clientEnv, missing)
	}
	if missing := nfvimages.MissingEnv(ci.Config.Labels, nil); strings.Join(missing, ",") != "SERVER_IP" {
		t.Fatalf("MissingEnv(client labels, nil) = %v, want [SERVER_IP]", missing)
	}

	server := runContainer(t, cli, serverImage, net, serverIP, []string{"ECHO_PORT=7007"})
	var env []string
	for k, v := range clientEnv {
		env = append(env, k+"="+v)
	}
	clientC := runContainer(t, cli, clientImage, net, prefix+".20", env)

	// Three good round trips to the server's address on the Docker network.
	want := regexp.MustCompile(`round trip (\d+) to ` + regexp.QuoteMeta(serverIP+":7007") + `: \d+\.\d+ms ok`)
	deadline := time.Now().Add(30 * time.Second)
	var out string
	for {
		out = logs(t, cli, clientC)
		if len(want.FindAllString(out, -1)) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("client logged fewer than 3 round trips to %s:7007 in 30s:\n%s\nserver:\n%s", serverIP, out, logs(t, cli, server))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("client log:\n%s", out)
	if s := logs(t, cli, server); !strings.Contains(s, "echoing to new peer "+prefix+".20:") {
		t.Errorf("server log does not show the client %s.20:\n%s", prefix, s)
	}
}

func TestEchoClientWithoutServerIPExits(t *testing.T) {
	cli := testenv.Docker(t)
	requireImages(t, cli)
	net, prefix := testNetwork(t, cli)
	id := runContainer(t, cli, clientImage, net, prefix+".30", nil)
	waitC, errC := cli.ContainerWait(t.Context(), id, container.WaitConditionNotRunning)
	select {
	case w := <-waitC:
		if w.StatusCode != 1 {
			t.Fatalf("exit code %d, want 1", w.StatusCode)
		}
	case err := <-errC:
		t.Fatalf("wait: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the client without SERVER_IP did not exit in 30s")
	}
	if out := logs(t, cli, id); !strings.Contains(out, "SERVER_IP") {
		t.Fatalf("log does not name SERVER_IP:\n%s", out)
	}
}

// buildVariant builds a one-line variant of the busybox test image with the
// legacy builder (nothing is pulled) and removes it when the test ends.
func buildVariant(t *testing.T, cli *client.Client, dockerfile string) string {
	t.Helper()
	tag := "obdocker-test/" + testenv.Name(t) + ":latest"
	var ctxTar bytes.Buffer
	tw := tar.NewWriter(&ctxTar)
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile))}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(tw, dockerfile); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	resp, err := cli.ImageBuild(t.Context(), &ctxTar, build.ImageBuildOptions{
		Tags: []string{tag}, Version: build.BuilderV1, Remove: true, ForceRemove: true,
	})
	if err != nil {
		t.Fatalf("build %s: %v", tag, err)
	}
	defer resp.Body.Close()
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if _, err := cli.ImageRemove(ctx, tag, image.RemoveOptions{PruneChildren: true}); err != nil {
			t.Logf("remove image %s: %v", tag, err)
		}
	})
	// The build reports failure in its JSON stream, not in the status.
	dec := json.NewDecoder(resp.Body)
	for {
		var msg struct {
			Stream string `json:"stream"`
			Error  string `json:"error"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("build %s: %v", tag, err)
		}
		if msg.Error != "" {
			t.Fatalf("build %s: %s", tag, msg.Error)
		}
	}
	return tag
}

func TestCheckCommandOnRealImages(t *testing.T) {
	cli := testenv.Docker(t)
	requireImages(t, cli)
	// The busybox image declares only optional variables; a variant that adds
	// the required label (declaring none) conforms, one that adds only a
	// doc label still lacks it.
	complete := buildVariant(t, cli, "FROM "+testenv.BusyboxImage+"\nLABEL "+nfvimages.LabelRequired+"=\"\"\n")
	noRequired := buildVariant(t, cli, "FROM "+testenv.BusyboxImage+"\nLABEL "+nfvimages.LabelDocPrefix+"MODE=\"behaviour: exit, ignore-term or run\"\n")

	tests := []struct {
		doc      string
		images   []string
		wantCode int
		wantOut  string
	}{
		{doc: "the example images conform", images: []string{serverImage, clientImage}, wantCode: nfvimages.ExitOK},
		{doc: "the busybox variant with both labels conforms", images: []string{complete}, wantCode: nfvimages.ExitOK},
		{doc: "the busybox variant without the required label fails env-labels", images: []string{noRequired},
			wantCode: nfvimages.ExitFindings,
			wantOut:  noRequired + ": env-labels: missing label " + nfvimages.LabelRequired},
		{doc: "a missing image is an error", images: []string{"obdocker-test/" + testenv.Name(t) + ":absent"},
			wantCode: nfvimages.ExitError},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := nfvimages.Main(t.Context(), append([]string{"check"}, tc.images...), &stdout, &stderr, cli)
			if code != tc.wantCode {
				t.Fatalf("nfvimage check %v = %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.images, code, tc.wantCode, stdout.String(), stderr.String())
			}
			if tc.wantOut != "" && strings.TrimSpace(stdout.String()) != tc.wantOut+" (space-separated variable names; an empty value declares none)" {
				t.Fatalf("stdout = %q, want the one finding %q", stdout.String(), tc.wantOut)
			}
		})
	}
}
