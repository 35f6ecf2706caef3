package vim

import (
	"context"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/openbaton-docker/obdocker/pop"
)

// StatusOf maps a Pop state to Open Baton's Server.status.
func StatusOf(s pop.State) string {
	switch s {
	case pop.StateRunning:
		return StatusActive
	case pop.StateCreated:
		return StatusBuild
	case pop.StateStopping, pop.StateExited:
		return StatusShutoff
	}
	return StatusError // FAILED, UNAVAILABLE
}

// serverView resolves a container's image and flavour for Server answers.
// It is built once per call; a failed lookup only makes answers less rich.
type serverView struct {
	images   map[string]pop.Image // by ID and by every tag
	flavours []pop.Flavour
}

func (d *Driver) view(ctx context.Context, t *target) serverView {
	return d.viewWith(ctx, t, d.serverImages(ctx, t))
}

// serverImages is the image list Server answers take their image details
// from (cached for imageCacheTTL; the same slice while cached).
func (d *Driver) serverImages(ctx context.Context, t *target) []pop.Image {
	imgs, err := d.images.get(ctx, t)
	if err != nil {
		t.log.WithError(err).Debug("list images for server answers")
	}
	return imgs
}

func (d *Driver) viewWith(ctx context.Context, t *target, imgs []pop.Image) serverView {
	var v serverView
	var err error
	// Indexed once: listServer resolves one image per container.
	v.images = make(map[string]pop.Image, 2*len(imgs))
	for _, img := range imgs {
		for _, tag := range img.Tags {
			if _, taken := v.images[tag]; !taken {
				v.images[tag] = img
			}
		}
	}
	for _, img := range imgs {
		v.images[img.ID] = img
	}
	if v.flavours, err = t.pop.Flavours(ctx, pop.Filter{}); err != nil {
		t.log.WithError(err).Debug("list flavours for server answers")
	}
	return v
}

func (v serverView) image(ref string) (pop.Image, bool) {
	img, ok := v.images[ref]
	return img, ok
}

func (v serverView) flavour(ref string) (pop.Flavour, bool) {
	for _, f := range v.flavours {
		if f.ID == ref || f.Name == ref {
			return f, true
		}
	}
	return pop.Flavour{}, false
}

// noFlavour is the flavour of a container without limits. Servers always
// carry one: the NFVO's quota maths reads flavor.ram and flavor.vcpus.
var noFlavour = pop.Flavour{ID: "docker.container", Name: "docker.container"}

// server builds the Server answer of c. vlr maps network IDs to the names
// the answer's ips are keyed by (a launch's virtual links); other networks
// are keyed by their name.
func (v serverView) server(c pop.Container, vlr map[string]string) Server {
	s := Server{
		Name:           c.Name,
		HostName:       c.Name,
		InstanceName:   c.Name,
		ExtID:          c.ID,
		Status:         StatusOf(c.State),
		ExtendedStatus: c.State.String(),
		IPs:            map[string][]string{},
		FloatingIPs:    map[string]string{},
		Created:        NewDate(c.Created),
	}
	if c.ExtendedStatus != "" {
		s.ExtendedStatus += ": " + c.ExtendedStatus
	}
	if u := later(c.Started, c.Finished); !u.IsZero() {
		s.Updated = NewDate(u)
	}
	for _, ep := range c.Endpoints {
		if ep.IPv4 == "" {
			continue // never an empty list: the NFVO takes the first element
		}
		key := vlr[ep.NetID]
		if key == "" {
			key = ep.NetName
		}
		if key == "" {
			key = ep.NetID
		}
		s.IPs[key] = append(s.IPs[key], ep.IPv4)
	}

	ref := c.ImageID
	if ref == "" {
		ref = c.Image
	}
	img := NFVImage{Name: c.Image, Status: ImageStatusActive}
	img.ExtID = ref
	if pi, ok := v.image(ref); ok {
		img = nfvImageOf(pi, "")
	} else if pi, ok := v.image(c.Image); ok {
		img = nfvImageOf(pi, "")
	}
	s.Image = &img

	f := noFlavour
	if c.Flavour != "" {
		if pf, ok := v.flavour(c.Flavour); ok {
			f = pf
		} else {
			f = pop.Flavour{ID: c.Flavour, Name: c.Flavour}
		}
	}
	df := flavourOf(f)
	s.Flavor = &df
	return s
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// flavourOf maps a Pop flavour to a DeploymentFlavour (ram in MB, disk in
// GB, whole vCPUs rounded up).
func flavourOf(f pop.Flavour) DeploymentFlavour {
	return DeploymentFlavour{
		FlavourKey: f.Name,
		ExtID:      f.ID,
		RAM:        int(f.MemoryMB),
		Disk:       int(f.DiskGB),
		VCPUs:      int(math.Ceil(f.CPUs)),
	}
}

// nfvImageOf maps a Pop image to an NFVImage named name (else its first tag).
func nfvImageOf(img pop.Image, name string) NFVImage {
	if name == "" && len(img.Tags) > 0 {
		name = img.Tags[0]
	}
	if name == "" {
		name = img.ID
	}
	n := NFVImage{Name: name, Status: ImageStatusActive}
	n.ExtID = img.ID
	n.Created = NewDate(img.Created)
	return n
}

// imageTags are the tags the NFVO may match a VDU vm_image against: the
// repo tags, plus the bare name of every :latest tag ("nginx" for
// "nginx:latest"). Dangling tags are left out.
func imageTags(img pop.Image) []string {
	tags := []string{}
	for _, t := range img.Tags {
		if t == "" || t == "<none>:<none>" || t == "<none>@<none>" {
			continue
		}
		if !contains(tags, t) {
			tags = append(tags, t)
		}
	}
	for _, t := range append([]string(nil), tags...) {
		if bare, ok := strings.CutSuffix(t, ":latest"); ok && !contains(tags, bare) {
			tags = append(tags, bare)
		}
	}
	return tags
}

// dockerImages lists the tagged images as DockerImages (never nil).
func dockerImages(imgs []pop.Image) []DockerImage {
	out := []DockerImage{}
	for _, img := range imgs {
		tags := imageTags(img)
		if len(tags) == 0 {
			continue // nothing the NFVO could match
		}
		di := DockerImage{Tags: tags}
		di.ExtID = img.ID
		di.Created = NewDate(img.Created)
		out = append(out, di)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Tags[0] < out[j].Tags[0] })
	return out
}

// dockerNetworkOf maps a Pop network.
func dockerNetworkOf(n pop.Network) DockerNetwork {
	dn := DockerNetwork{Driver: n.Driver, Gateway: n.Gateway, Subnet: n.Subnet, Scope: "local"}
	if n.Driver == "overlay" {
		dn.Scope = "swarm"
	}
	dn.Name = n.Name
	dn.ExtID = n.ID
	return dn
}

func dockerNetworks(ns []pop.Network) []DockerNetwork {
	out := make([]DockerNetwork, 0, len(ns))
	for _, n := range ns {
		out = append(out, dockerNetworkOf(n))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
