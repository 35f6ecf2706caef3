package docker

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

	"github.com/openbaton-docker/obdocker/pop"
)

// netFixture is a network inspect answer with one IPv4 pool.
func netFixture(id, name, subnet, gw string) func(recorded) *http.Response {
	return okResponse(http.StatusOK, network.Inspect{
		ID: id, Name: name, Driver: "bridge",
		IPAM: network.IPAM{Config: []network.IPAMConfig{{Subnet: subnet, Gateway: gw}}},
	})
}

func twoNetSpec() pop.ContainerSpec {
	return pop.ContainerSpec{
		PopID:     "pop-id-1",
		Name:      "vnf-a",
		Image:     "foo:1",
		Env:       []string{"A=1", "B=two words"},
		Endpoints: []pop.EndpointSpec{{NetworkID: "net1", IPv4: "10.202.1.5"}, {NetworkID: "net2", IPv4: "10.202.2.6"}},
		NanoCPUs:  1_500_000_000,
		MemoryB:   64 << 20,
		CapAdd:    []string{"NET_ADMIN"},
		Sysctls:   map[string]string{"net.ipv4.ip_forward": "1"},
	}
}

func fakeWithNets(t *testing.T) *fakeEngine {
	f := newFakeEngine(t)
	f.on("GET /networks/net1", netFixture("net1", "one", "10.202.1.0/24", "10.202.1.1"))
	f.on("GET /networks/net2", netFixture("net2", "two", "10.202.2.0/24", "10.202.2.1"))
	return f
}

func TestCreateContainerRequestShape(t *testing.T) {
	f := fakeWithNets(t)
	f.on("POST /containers/create", okResponse(http.StatusCreated, container.CreateResponse{ID: "abc123"}))
	f.on("POST /networks/net2/connect", okResponse(http.StatusOK, map[string]any{}))
	b := f.backend("popA")

	id, err := b.CreateContainer(t.Context(), twoNetSpec())
	if err != nil {
		t.Fatalf("CreateContainer: %v", err)
	}
	if id != "abc123" {
		t.Fatalf("id = %q, want abc123", id)
	}

	create, ok := f.find("POST /containers/create")
	if !ok {
		t.Fatal("no create request")
	}
	if got := create.Query["name"]; len(got) != 1 || got[0] != "vnf-a" {
		t.Errorf("name query = %v", got)
	}
	var body struct {
		container.Config
		HostConfig       container.HostConfig
		NetworkingConfig network.NetworkingConfig
	}
	if err := json.Unmarshal(create.Body, &body); err != nil {
		t.Fatalf("create body: %v\n%s", err, create.Body)
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(create.Body, &raw)
	for _, k := range []string{"Cmd", "Entrypoint"} {
		if v, ok := raw[k]; ok && string(v) != "null" && string(v) != "[]" {
			t.Errorf("body overrides %s: %s", k, v)
		}
	}
	if body.Hostname != "vnf-a" || body.Image != "foo:1" {
		t.Errorf("hostname/image = %q/%q", body.Hostname, body.Image)
	}
	if strings.Join(body.Env, "|") != "A=1|B=two words" {
		t.Errorf("env = %q", body.Env)
	}
	wantLabels := map[string]string{LabelPop: "popA", LabelID: "pop-id-1", LabelManaged: "true"}
	for k, v := range wantLabels {
		if body.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, body.Labels[k], v)
		}
	}
	eps := body.NetworkingConfig.EndpointsConfig
	if len(eps) != 1 || eps["net1"] == nil || eps["net1"].IPAMConfig == nil || eps["net1"].IPAMConfig.IPv4Address != "10.202.1.5" {
		t.Errorf("EndpointsConfig = %s, want only net1 with 10.202.1.5", mustJSON(eps))
	}
	hc := body.HostConfig
	if hc.NetworkMode != "net1" {
		t.Errorf("NetworkMode = %q", hc.NetworkMode)
	}
	if hc.NanoCPUs != 1_500_000_000 || hc.Memory != 64<<20 {
		t.Errorf("resources = %d cpu, %d mem", hc.NanoCPUs, hc.Memory)
	}
	if hc.AutoRemove || (hc.RestartPolicy.Name != "" && hc.RestartPolicy.Name != "no") {
		t.Errorf("AutoRemove=%v RestartPolicy=%+v", hc.AutoRemove, hc.RestartPolicy)
	}
	if len(hc.CapAdd) != 1 || !strings.HasSuffix(hc.CapAdd[0], "NET_ADMIN") || hc.Sysctls["net.ipv4.ip_forward"] != "1" {
		t.Errorf("CapAdd=%v Sysctls=%v", hc.CapAdd, hc.Sysctls)
	}

	conn, ok := f.find("POST /networks/net2/connect")
	if !ok {
		t.Fatal("second network not connected")
	}
	var cb network.ConnectOptions
	if err := json.Unmarshal(conn.Body, &cb); err != nil {
		t.Fatalf("connect body: %v", err)
	}
	if cb.Container != "abc123" || cb.EndpointConfig == nil || cb.EndpointConfig.IPAMConfig == nil || cb.EndpointConfig.IPAMConfig.IPv4Address != "10.202.2.6" {
		t.Errorf("connect body = %s", conn.Body)
	}

	// Order: create before connect, and never a start.
	var order []string
	for _, r := range f.requests() {
		if r.Method == http.MethodPost {
			order = append(order, r.Path)
		}
	}
	if strings.Join(order, " ") != "/containers/create /networks/net2/connect" {
		t.Errorf("POSTs = %v", order)
	}
}

func TestCreateContainerErrors(t *testing.T) {
	tests := []struct {
		doc       string
		setup     func(f *fakeEngine)
		spec      func() pop.ContainerSpec
		class     error
		mention   string
		noCreate  bool // the request must not reach create
		removedID string
	}{
		{
			doc: "missing image is not found, naming the image",
			setup: func(f *fakeEngine) {
				f.on("POST /containers/create", errResponse(http.StatusNotFound, "No such image: foo:1"))
				f.on("GET /images/foo:1/json", errResponse(http.StatusNotFound, "No such image: foo:1"))
			},
			class: pop.ErrNotFound, mention: `"foo:1"`,
		},
		{
			doc: "name conflict is already exists, naming the name",
			setup: func(f *fakeEngine) {
				f.on("POST /containers/create", errResponse(http.StatusConflict, `Conflict. The container name "/vnf-a" is already in use`))
			},
			class: pop.ErrAlreadyExists, mention: `"vnf-a"`,
		},
		{
			doc: "failed connect removes the half-made container",
			setup: func(f *fakeEngine) {
				f.on("POST /containers/create", okResponse(http.StatusCreated, container.CreateResponse{ID: "abc123"}))
				f.on("POST /networks/net2/connect", errResponse(http.StatusForbidden, "Address already in use"))
				f.on("DELETE /containers/abc123", noContent)
			},
			class: pop.ErrAlreadyExists, mention: "10.202.2.6", removedID: "abc123",
		},
		{
			doc: "unknown network is not found before create",
			setup: func(f *fakeEngine) {
				f.on("GET /networks/net2", errResponse(http.StatusNotFound, "network net2 not found"))
			},
			class: pop.ErrNotFound, mention: `"net2"`, noCreate: true,
		},
		{
			doc:   "IP outside the network's subnets is invalid",
			setup: func(f *fakeEngine) {},
			spec: func() pop.ContainerSpec {
				s := twoNetSpec()
				s.Endpoints[1].IPv4 = "10.99.0.7"
				return s
			},
			class: pop.ErrInvalidArgument, mention: "10.99.0.7", noCreate: true,
		},
		{
			doc:   "malformed IP is invalid",
			setup: func(f *fakeEngine) {},
			spec: func() pop.ContainerSpec {
				s := twoNetSpec()
				s.Endpoints[0].IPv4 = "10.202.1.300"
				return s
			},
			class: pop.ErrInvalidArgument, mention: "10.202.1.300", noCreate: true,
		},
		{
			doc: "IP held by an attached container is already exists",
			setup: func(f *fakeEngine) {
				f.on("GET /networks/net1", okResponse(http.StatusOK, network.Inspect{
					ID: "net1", Name: "one",
					IPAM:       network.IPAM{Config: []network.IPAMConfig{{Subnet: "10.202.1.0/24"}}},
					Containers: map[string]network.EndpointResource{"other": {IPv4Address: "10.202.1.5/24"}},
				}))
			},
			class: pop.ErrAlreadyExists, mention: "10.202.1.5", noCreate: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.doc, func(t *testing.T) {
			f := fakeWithNets(t)
			tc.setup(f)
			spec := twoNetSpec()
			if tc.spec != nil {
				spec = tc.spec()
			}
			_, err := f.backend("popA").CreateContainer(t.Context(), spec)
			if !errors.Is(err, tc.class) {
				t.Fatalf("err = %v, want class %v", err, tc.class)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("err %q does not mention %s", err, tc.mention)
			}
			if _, created := f.find("POST /containers/create"); created == tc.noCreate {
				t.Errorf("create sent = %v, want %v", created, !tc.noCreate)
			}
			if tc.removedID != "" {
				del, ok := f.find("DELETE /containers/" + tc.removedID)
				if !ok {
					t.Fatal("half-made container not removed")
				}
				if del.Query.Get("force") != "1" {
					t.Errorf("cleanup remove not forced: %v", del.Query)
				}
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
