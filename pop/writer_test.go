package pop

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/sirupsen/logrus"
)

// TestDeleteWithClosedStoreTouchesNothing: a Delete whose record deletion
// cannot be written leaves the Docker container alone (before the
// write-behind writer's fix, the container was stopped and removed and the
// record stayed RUNNING on disk).
func TestDeleteWithClosedStoreTouchesNothing(t *testing.T) {
	b := newFakeBackend()
	c := openFake(t, b, Config{StorePath: filepath.Join(t.TempDir(), "pop.db")})
	ctx := t.Context()
	ct, err := c.Create(ctx, ContainerConfig{Name: "kept", Image: "busybox:latest"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(ctx, ByID(ct.ID)); err != nil {
		t.Fatal(err)
	}
	c.w.close() // the store takes no more writes
	err = c.Delete(ctx, ByID(ct.ID))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("delete with a closed store: %v, want ErrUnavailable", err)
	}
	if n := b.countCalls("stop") + b.countCalls("remove"); n != 0 {
		t.Errorf("%d stop/remove calls reached Docker", n)
	}
	cs, err := c.Containers(ctx, ByID(ct.ID))
	if err != nil || cs[0].State != StateRunning {
		t.Errorf("after the refused delete: %+v, %v; want RUNNING", cs, err)
	}
}

// TestWriterCoalescesAndOrders: the latest write of a record wins, writes
// nobody waits for still land, and a deletion after a put is not undone.
func TestWriterCoalescesAndOrders(t *testing.T) {
	st, err := openBoltStore(filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	w := newWriter(st, logrus.New(), nil)
	for i := range 50 {
		w.put(Container{ID: "a", Name: "a", ExitCode: i})
	}
	w.put(Container{ID: "b", Name: "b"})
	w.del("b")
	if err := w.put(Container{ID: "c", Name: "c"}).wait(); err != nil {
		t.Fatal(err)
	}
	w.close()
	if err := w.put(Container{ID: "d"}).wait(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("a write after close: %v, want ErrUnavailable", err)
	}
	cs, _, err := st.load()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, c := range cs {
		got[c.ID] = c.ExitCode
	}
	if len(got) != 2 || got["a"] != 49 {
		t.Errorf("store holds %v, want a (49) and c", got)
	}
}
