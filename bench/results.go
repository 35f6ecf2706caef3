// Package bench holds the performance benchmarks of `make bench`: each
// figure is a ratio against the raw Docker API or bare amqp091, or a count,
// measured in one run on one machine (no test asserts wall-clock time).
// Benchmarks append their figures to the file named by
// OBDOCKER_BENCH_RESULTS (JSON lines); bench/benchtable turns that file into
// the table of docs/benchmarks.md.
package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// ResultsEnv names the JSON-lines file benchmarks append their figures to.
const ResultsEnv = "OBDOCKER_BENCH_RESULTS"

// Result is one figure of one benchmark.
type Result struct {
	// Bench is the benchmark's name; Figure what was measured.
	Bench  string `json:"bench"`
	Figure string `json:"figure"`
	// Value in Unit (ratio, ms, MB, count).
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Target is the bound, "" when the figure is context only;
	// Met says whether Value is within it.
	Target string `json:"target,omitempty"`
	Met    *bool  `json:"met,omitempty"`
	// Note says how it was measured (runs, sizes).
	Note string `json:"note,omitempty"`
}

var writeMu sync.Mutex

// Record appends r to the results file, if one is configured.
func Record(r Result) error {
	path := os.Getenv(ResultsEnv)
	if path == "" {
		return nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	writeMu.Lock()
	defer writeMu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("bench results: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("bench results: %w", err)
	}
	return f.Close()
}

// AtMost builds a Result whose target is an upper bound.
func AtMost(bench, figure string, value float64, unit string, bound float64, note string) Result {
	met := value <= bound
	return Result{Bench: bench, Figure: figure, Value: value, Unit: unit,
		Target: fmt.Sprintf("≤ %g %s", bound, unit), Met: &met, Note: note}
}

// Info builds a Result without a target.
func Info(bench, figure string, value float64, unit, note string) Result {
	return Result{Bench: bench, Figure: figure, Value: value, Unit: unit, Note: note}
}

// Percentile is the p-quantile (0..1) of ds by the nearest-rank method.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1)*p + 0.5)
	return s[i]
}

// MS is d in milliseconds.
func MS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ReadResults reads a results file.
func ReadResults(path string) ([]Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Result
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var r Result
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// Median is the median of xs (the mean of the middle two for an even
// count); lo and hi are the smallest and the largest, the spread a
// reader needs to judge it: one round of 30 samples cannot tell 1.03 from
// 1.10, the median of five can.
func Median(xs []float64) (med, lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}

// Spread formats the per-round ratios of a figure for its note.
func Spread(xs []float64) string {
	med, lo, hi := Median(xs)
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.3f", x)
	}
	return fmt.Sprintf("median %.3f of %d rounds, spread %.3f–%.3f [%s]", med, len(xs), lo, hi, strings.Join(parts, " "))
}
