package vim

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/openbaton-docker/obdocker/pop"
)

func memoServers(n int) []Server {
	created := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	ss := make([]Server, n)
	for i := range ss {
		img := nfvImageOf(pop.Image{ID: "sha256:img", Tags: []string{"busybox:latest"}, Created: created}, "")
		f := flavourOf(pop.Flavour{ID: "m1.tiny", Name: "m1.tiny", CPUs: 1, MemoryMB: 512})
		ss[i] = Server{
			Name: fmt.Sprintf("s%d", i), HostName: fmt.Sprintf("s%d", i), ExtID: fmt.Sprintf("id-%d", i),
			Status: StatusActive, ExtendedStatus: "RUNNING", Image: &img, Flavor: &f,
			IPs:         map[string][]string{"private": {fmt.Sprintf("10.0.0.%d", i+2)}},
			FloatingIPs: map[string]string{}, Created: NewDate(created),
		}
	}
	return ss
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestServerMemoEncodesLikeMarshal: every listing encodes exactly as
// json.Marshal of the whole list would, whatever changed since the last
// one, and unchanged servers reuse their bytes.
func TestServerMemoEncodesLikeMarshal(t *testing.T) {
	var m serverMemo
	ss := memoServers(6)
	check := func(step string, ss []Server) {
		t.Helper()
		got, err := m.encode("pool", ss)
		if err != nil {
			t.Fatal(err)
		}
		if want := mustMarshal(t, ss); string(got) != want {
			t.Fatalf("%s:\n got %s\nwant %s", step, got, want)
		}
	}
	check("first listing", ss)
	first := m.m["pool"]["id-1"].enc

	ss = memoServers(6)
	ss[0].Status, ss[0].ExtendedStatus = StatusShutoff, "EXITED: exit code 0"
	ss[2].IPs["private"] = append(ss[2].IPs["private"], "10.0.0.99")
	ss[3].IPs = nil // null, not {}
	ss[4].Updated = Date{raw: "Wed Nov 25 10:00:00 UTC 2026"}
	img := *ss[5].Image
	img.Name = "other:1"
	ss[5].Image = &img
	check("after changes", ss)
	if again := m.m["pool"]["id-1"].enc; &again[0] != &first[0] {
		t.Error("an unchanged server was encoded again")
	}

	ss = append(memoServers(3), Server{Name: "no-id", IPs: map[string][]string{}, FloatingIPs: map[string]string{}})
	ss[1].IPs["private"] = []string{} // [] stays [], not the remembered list
	check("removals, a server without id, an empty list", ss)
	if len(m.m["pool"]) != 3 {
		t.Errorf("memo keeps %d servers; want the 3 listed with an id", len(m.m["pool"]))
	}
	check("empty", []Server{})
	if len(m.m["pool"]) != 0 {
		t.Errorf("memo keeps %d servers after an empty listing", len(m.m["pool"]))
	}
}

// TestListServerSeesChanges: a server's new state, IPs and image show in
// the next listServer (nothing stale from the memo).
func TestListServerSeesChanges(t *testing.T) {
	d, fp := newTestDriver(t, Config{})
	c, err := fp.Create(t.Context(), pop.ContainerConfig{Name: "one", Image: "nginx:latest"})
	if err != nil {
		t.Fatal(err)
	}
	status := func() string {
		var ss []Server
		if err := json.Unmarshal(mustCall(t, d, "listServer"), &ss); err != nil || len(ss) != 1 {
			t.Fatalf("listServer: %v %v", ss, err)
		}
		return ss[0].Status
	}
	if got := status(); got != StatusBuild {
		t.Fatalf("created: status %s", got)
	}
	if _, err := fp.Start(t.Context(), pop.ByID(c.ID)); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != StatusActive {
		t.Errorf("started: status %s; want %s", got, StatusActive)
	}
}

func BenchmarkServerMemo(b *testing.B) {
	ss := memoServers(1000)
	b.Run("marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(ss); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("memo", func(b *testing.B) {
		var m serverMemo
		for b.Loop() {
			if _, err := m.encode("p", ss); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// fullServer has every field of Server, and of what it points to, set.
func fullServer() *Server {
	i64 := func(v int64) *int64 { return &v }
	yes := func() *bool { v := true; return &v }
	hb := 3
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	be := func() BaseEntity {
		h := hb
		return BaseEntity{ID: "id", HbVersion: &h, ProjectID: "p", Shared: yes(), Metadata: map[string]string{"k": "v"}}
	}
	return &Server{
		Name: "n", Status: StatusActive, ExtendedStatus: "RUNNING", ExtID: "x", HostName: "h",
		HypervisorHostName: "hv", InstanceName: "i", Created: NewDate(at), Updated: NewDate(at),
		IPs: map[string][]string{"private": {"10.0.0.2"}}, FloatingIPs: map[string]string{"private": "1.2.3.4"},
		Image: &NFVImage{
			BaseNfvImage: BaseNfvImage{BaseEntity: be(), ExtID: "sha256:1", Created: NewDate(at)},
			Name:         "busybox", MinRAM: i64(1), MinDiskSpace: i64(2), MinCPU: "1", IsPublic: yes(),
			DiskFormat: "raw", ContainerFormat: "docker", Updated: NewDate(at), Status: ImageStatusActive,
			URL: "u", Hash: "h", IsInImageRepo: yes(), StoredLocally: yes(),
		},
		Flavor: &DeploymentFlavour{BaseEntity: be(), FlavourKey: "m1.tiny", ExtID: "m1.tiny", RAM: 512, Disk: 1, VCPUs: 1},
	}
}

// mutations lists every way to change one value reachable from v (an
// addressable Server field or deeper), each as a func applied to a fresh
// fullServer. It fails the test on a zero field: fullServer must set every
// field, or a field added later would go unchecked.
func mutations(t *testing.T, path string, get func(*Server) reflect.Value, typ reflect.Type, v reflect.Value) map[string]func(*Server) {
	out := map[string]func(*Server){}
	set := func(name string, f func(reflect.Value)) {
		out[path+name] = func(s *Server) { f(get(s)) }
	}
	if v.IsZero() {
		t.Errorf("fullServer leaves %s zero: set it", path)
		return out
	}
	switch {
	case typ == reflect.TypeFor[Date]():
		set(" (other time)", func(x reflect.Value) { x.Set(reflect.ValueOf(NewDate(time.Unix(1, 0)))) })
		set(" (raw text)", func(x reflect.Value) { x.Set(reflect.ValueOf(Date{raw: "Jan 1, 2026 1:00:00 PM"})) })
		set(" (zero)", func(x reflect.Value) { x.Set(reflect.Zero(typ)) })
		return out
	}
	switch typ.Kind() {
	case reflect.String:
		set("", func(x reflect.Value) { x.SetString(x.String() + "+") })
	case reflect.Int, reflect.Int64:
		set("", func(x reflect.Value) { x.SetInt(x.Int() + 1) })
	case reflect.Bool:
		set("", func(x reflect.Value) { x.SetBool(!x.Bool()) })
	case reflect.Pointer:
		set(" (nil)", func(x reflect.Value) { x.Set(reflect.Zero(typ)) })
		for k, f := range mutations(t, path+".*", func(s *Server) reflect.Value { return get(s).Elem() }, typ.Elem(), v.Elem()) {
			out[k] = f
		}
	case reflect.Struct:
		for i := range typ.NumField() {
			f := typ.Field(i)
			for k, m := range mutations(t, path+"."+f.Name, func(s *Server) reflect.Value { return get(s).Field(i) }, f.Type, v.Field(i)) {
				out[k] = m
			}
		}
	case reflect.Map:
		set(" (nil)", func(x reflect.Value) { x.Set(reflect.Zero(typ)) })
		set(" (empty)", func(x reflect.Value) { x.Set(reflect.MakeMap(typ)) })
		set(" (new key)", func(x reflect.Value) { x.SetMapIndex(reflect.ValueOf("new-key"), reflect.Zero(typ.Elem())) })
		for _, key := range v.MapKeys() {
			ev := v.MapIndex(key)
			switch typ.Elem().Kind() {
			case reflect.String:
				set("["+key.String()+"]", func(x reflect.Value) { x.SetMapIndex(key, reflect.ValueOf(x.MapIndex(key).String()+"+")) })
			case reflect.Slice:
				set("["+key.String()+"] (nil)", func(x reflect.Value) { x.SetMapIndex(key, reflect.Zero(typ.Elem())) })
				set("["+key.String()+"] (empty)", func(x reflect.Value) { x.SetMapIndex(key, reflect.MakeSlice(typ.Elem(), 0, 0)) })
				set("["+key.String()+"] (longer)", func(x reflect.Value) { x.SetMapIndex(key, reflect.Append(x.MapIndex(key), ev.Index(0))) })
				set("["+key.String()+"][0]", func(x reflect.Value) {
					c := reflect.MakeSlice(typ.Elem(), ev.Len(), ev.Len())
					reflect.Copy(c, x.MapIndex(key))
					c.Index(0).SetString(c.Index(0).String() + "+")
					x.SetMapIndex(key, c)
				})
			default:
				t.Errorf("%s: map of %s: teach mutations (and serverEqual) about it", path, typ.Elem())
			}
		}
	default:
		t.Errorf("%s: kind %s: teach mutations (and serverEqual) about it", path, typ.Kind())
	}
	return out
}

// TestServerEqualSeesEveryField changes each value reachable from a
// Server, one at a time: serverEqual must tell any two of these servers
// apart whenever their JSON differs, and say equal for identical copies.
func TestServerEqualSeesEveryField(t *testing.T) {
	base := fullServer()
	if !serverEqual(base, fullServer()) {
		t.Fatal("two identical servers are not equal")
	}
	ms := mutations(t, "Server", func(s *Server) reflect.Value { return reflect.ValueOf(s).Elem() }, reflect.TypeFor[Server](), reflect.ValueOf(base).Elem())
	if len(ms) < 60 {
		t.Fatalf("only %d mutations: the walk is broken", len(ms))
	}
	// Every pair, not only base against each change: nil against empty
	// only shows between two changed servers.
	type variant struct {
		name string
		s    *Server
		json string
	}
	vs := []variant{{"unchanged", base, mustMarshal(t, base)}}
	for name, mutate := range ms {
		s := fullServer()
		mutate(s)
		vs = append(vs, variant{name, s, mustMarshal(t, s)})
	}
	for i, a := range vs {
		for _, b := range vs[i+1:] {
			if a.json != b.json && (serverEqual(a.s, b.s) || serverEqual(b.s, a.s)) {
				t.Errorf("serverEqual says equal: %s / %s", a.name, b.name)
			}
		}
	}
}
