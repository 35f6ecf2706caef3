package docker

import (
	"net/http"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
)

func TestListContainersShape(t *testing.T) {
	f := newFakeEngine(t)
	f.on("GET /containers/json", okResponse(http.StatusOK, []container.Summary{
		{
			ID: "c1", Names: []string{"/vnf-a"}, State: container.StateExited, Status: "Exited (3) 2 seconds ago",
			Labels: map[string]string{LabelPop: "popA", LabelID: "p1"},
			// Never started: Docker knows the network by name only.
			NetworkSettings: &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{
				"one": {IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: "10.202.1.5"}},
			}},
		},
		{
			ID: "c2", Names: []string{"/vnf-b"}, State: container.StateRunning, Status: "Up 3 minutes",
			Labels: map[string]string{LabelPop: "popA", LabelID: "p2"},
			NetworkSettings: &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{
				"two": {NetworkID: "net2", IPAddress: "10.202.2.6", MacAddress: "02:42:0a:ca:02:06", EndpointID: "ep2"},
			}},
		},
		{ID: "c3", Names: []string{"/other"}, State: container.StateRunning, Labels: map[string]string{LabelPop: "popB"}},
	}))
	f.on("GET /networks", okResponse(http.StatusOK, []network.Summary{{ID: "net1", Name: "one"}, {ID: "net2", Name: "two"}}))

	list, err := f.backend("popA").ListContainers(t.Context())
	if err != nil {
		t.Fatalf("ListContainers: %v", err)
	}
	r, _ := f.find("GET /containers/json")
	if r.Query.Get("all") != "1" || !strings.Contains(r.Query.Get("filters"), `"label":{"`+LabelPop+`=popA":true}`) {
		t.Errorf("query = %v", r.Query)
	}
	if len(list) != 2 {
		t.Fatalf("list = %+v, want only popA's two", list)
	}
	a, b := list[0], list[1]
	if a.Name != "vnf-a" || a.PopID != "p1" || a.Status != "exited" || a.Running || a.ExitCode != 3 {
		t.Errorf("c1 = %+v", a)
	}
	if ep, ok := a.Networks["net1"]; !ok || ep.NetworkID != "net1" || ep.IPv4 != "10.202.1.5" {
		t.Errorf("c1 networks = %+v, want net1 resolved from its name", a.Networks)
	}
	if ep := b.Networks["net2"]; !b.Running || ep.IPv4 != "10.202.2.6" || ep.EndpointID != "ep2" || ep.MAC == "" {
		t.Errorf("c2 = %+v", b)
	}
}

func TestExitCodeFromStatus(t *testing.T) {
	for status, want := range map[string]int{
		"Exited (0) 5 seconds ago":  0,
		"Exited (137) 1 minute ago": 137,
		"Up 3 minutes":              0,
		"Created":                   0,
		"":                          0,
	} {
		if got := exitCodeFromStatus(status); got != want {
			t.Errorf("exitCodeFromStatus(%q) = %d, want %d", status, got, want)
		}
	}
}
