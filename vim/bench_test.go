package vim

import (
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/sirupsen/logrus"
)

// BenchmarkLaunchDelete measures the driver's own cost of a launch
// (userdata parse, lookups, single flight, answer encoding) and delete
// over the in-memory fake Pop.
func BenchmarkLaunchDelete(b *testing.B) {
	quiet := logrus.New()
	quiet.SetOutput(io.Discard)
	d, _ := newTestDriverLog(b, Config{}, quiet)
	ud := readFixtureUserdata()
	cps := []VNFDConnectionPoint{cp("private", privateID, 0)}
	launch := method(b, d, "launchInstanceAndWait", 10)
	del := method(b, d, "deleteServerByIdAndWait", 2)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		host := fmt.Sprintf("bench-%d", i)
		ans, err := launch.Handle(b.Context(), params(b, json.RawMessage(testVim), host, busyboxID, "", "", cps, []string{}, ud, map[string]string{}, []Key{}))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(ans); err != nil {
			b.Fatal(err)
		}
		if _, err := del.Handle(b.Context(), params(b, json.RawMessage(testVim), ans.(Server).ExtID)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseUserdata parses the fixture's launch userdata.
func BenchmarkParseUserdata(b *testing.B) {
	ud := readFixtureUserdata()
	b.ReportAllocs()
	for b.Loop() {
		ParseUserdata(ud)
	}
}
