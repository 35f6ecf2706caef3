package vim

import (
	"encoding/json"
	"maps"
	"slices"
	"sync"

	"github.com/openbaton-docker/obdocker/plugin"
	"github.com/openbaton-docker/obdocker/pop"
)

// serverMemo keeps, per Pop, the encoded Server of every container of the
// last listServer, so the next one re-encodes only the servers that
// changed: encoding/json going over a thousand unchanged servers was half
// of a large listServer's time in the daemon.
type serverMemo struct {
	mu sync.Mutex
	// pool key → container ID → its last Server and that Server's JSON.
	// Each listing replaces its pool's map, so it holds only live servers.
	m map[string]map[string]memoServer
	// pool key → the last whole answer, valid while its key holds.
	last map[string]wholeAnswer
}

// wholeKey says what a whole listServer answer was made from: the Pop's
// record generation and the image list (by identity: the image cache
// hands out the same slice until it lists again).
type wholeKey struct {
	gen    uint64
	images imagesID
}

type imagesID struct {
	first *pop.Image
	n     int
}

func imagesIdentity(imgs []pop.Image) imagesID {
	if len(imgs) == 0 {
		return imagesID{}
	}
	return imagesID{first: &imgs[0], n: len(imgs)}
}

type wholeAnswer struct {
	key wholeKey
	enc plugin.Encoded
}

// whole answers the pool's last listing if it was made from key.
func (m *serverMemo) whole(pool string, key wholeKey) (plugin.Encoded, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w, ok := m.last[pool]
	if !ok || w.key != key {
		return nil, false
	}
	return w.enc, true
}

// keepWhole remembers enc as the listing made from key. Callers share the
// bytes: nobody writes to an encoded answer.
func (m *serverMemo) keepWhole(pool string, key wholeKey, enc plugin.Encoded) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		m.last = map[string]wholeAnswer{}
	}
	m.last[pool] = wholeAnswer{key: key, enc: enc}
}

type memoServer struct {
	s   Server
	enc []byte
}

// encode renders ss as the compact JSON array json.Marshal(ss) would give,
// reusing the bytes remembered for a container when its Server equals the
// remembered one (serverEqual; reflect.DeepEqual costs as much as the
// encoding it would save).
func (m *serverMemo) encode(pool string, ss []Server) (plugin.Encoded, error) {
	m.mu.Lock()
	old := m.m[pool]
	m.mu.Unlock()
	next := make(map[string]memoServer, len(ss))
	size := 2
	for _, ms := range old {
		size += len(ms.enc) + 1
	}
	buf := make([]byte, 0, size)
	buf = append(buf, '[')
	for i, s := range ss {
		if i > 0 {
			buf = append(buf, ',')
		}
		ms, ok := old[s.ExtID]
		if !ok || !serverEqual(&ms.s, &s) {
			b, err := json.Marshal(s)
			if err != nil {
				return nil, err
			}
			ms = memoServer{s: s, enc: b}
		}
		if s.ExtID != "" {
			next[s.ExtID] = ms
		}
		buf = append(buf, ms.enc...)
	}
	buf = append(buf, ']')
	m.mu.Lock()
	if m.m == nil {
		m.m = map[string]map[string]memoServer{}
	}
	m.m[pool] = next
	m.mu.Unlock()
	return buf, nil
}

// serverEqual reports whether a and b encode to the same JSON. It tells nil
// from empty (null from [] or {}); TestServerEqualSeesEveryField fails when
// a field of Server or of what it holds is not compared here.
func serverEqual(a, b *Server) bool {
	return a.Name == b.Name && a.Status == b.Status && a.ExtendedStatus == b.ExtendedStatus &&
		a.ExtID == b.ExtID && a.HostName == b.HostName && a.HypervisorHostName == b.HypervisorHostName &&
		a.InstanceName == b.InstanceName && a.Created == b.Created && a.Updated == b.Updated &&
		ptrEqual(a.Image, b.Image, nfvImageEqual) && ptrEqual(a.Flavor, b.Flavor, flavourEqual) &&
		sameNil(a.IPs, b.IPs) && maps.EqualFunc(a.IPs, b.IPs, stringsEqual) &&
		sameNil(a.FloatingIPs, b.FloatingIPs) && maps.Equal(a.FloatingIPs, b.FloatingIPs)
}

func nfvImageEqual(a, b *NFVImage) bool {
	return baseEntityEqual(&a.BaseEntity, &b.BaseEntity) && a.ExtID == b.ExtID && a.Created == b.Created &&
		a.Name == b.Name && ptrEqual(a.MinRAM, b.MinRAM, valueEqual) &&
		ptrEqual(a.MinDiskSpace, b.MinDiskSpace, valueEqual) && a.MinCPU == b.MinCPU &&
		ptrEqual(a.IsPublic, b.IsPublic, valueEqual) && a.DiskFormat == b.DiskFormat &&
		a.ContainerFormat == b.ContainerFormat && a.Updated == b.Updated && a.Status == b.Status &&
		a.URL == b.URL && a.Hash == b.Hash && ptrEqual(a.IsInImageRepo, b.IsInImageRepo, valueEqual) &&
		ptrEqual(a.StoredLocally, b.StoredLocally, valueEqual)
}

func flavourEqual(a, b *DeploymentFlavour) bool {
	return baseEntityEqual(&a.BaseEntity, &b.BaseEntity) && a.FlavourKey == b.FlavourKey &&
		a.ExtID == b.ExtID && a.RAM == b.RAM && a.Disk == b.Disk && a.VCPUs == b.VCPUs
}

func baseEntityEqual(a, b *BaseEntity) bool {
	return a.ID == b.ID && ptrEqual(a.HbVersion, b.HbVersion, valueEqual) && a.ProjectID == b.ProjectID &&
		ptrEqual(a.Shared, b.Shared, valueEqual) && sameNil(a.Metadata, b.Metadata) && maps.Equal(a.Metadata, b.Metadata)
}

func ptrEqual[T any](a, b *T, eq func(a, b *T) bool) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a == b || eq(a, b)
}

func valueEqual[T comparable](a, b *T) bool { return *a == *b }

func sameNil[K comparable, V any](a, b map[K]V) bool { return (a == nil) == (b == nil) }

func stringsEqual(a, b []string) bool { return (a == nil) == (b == nil) && slices.Equal(a, b) }
