#!/usr/bin/env bash
# make bench: runs the benchmarks of ./bench against the real Docker engine
# and broker, prints the table and writes it, with a description of this
# machine, to docs/benchmarks.md. Each figure is a ratio or a count from
# this one run (see bench/results.go).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
# The figures (JSON lines) stay for inspection; the table is rebuilt from
# them with: go run ./bench/benchtable RESULTS MACHINE
results=${BENCH_RESULTS:-/tmp/obdocker-bench-results.jsonl}
: >"$results"
machine=$(mktemp /tmp/obdocker-machine-XXXXXX.txt)
trap 'rm -f "$machine"' EXIT

{
	echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') × $(nproc)"
	echo "memory:   $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "kernel:   $(uname -sr)"
	echo "os:       $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
	echo "go:       $($GO version | cut -d' ' -f3-)"
	echo "docker:   $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}}, {{.Server.Os}})' 2>/dev/null || echo unknown)"
	echo "rabbitmq: $(rabbitmqctl -q version 2>/dev/null || echo unknown)"
	echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min, at start)"
} >"$machine"

echo "== machine"; cat "$machine"
echo "== benchmarks (this takes several minutes)"
OBDOCKER_BENCH_RESULTS="$results" $GO test -run '^$' -bench "${BENCH:-.}" -benchtime 1x -timeout 60m ./bench/ 2>&1 | tee bench.out
# The amqpx dedup row measures package internals, so it lives in amqpx
# (no broker needed); run it unless BENCH selects other rows only.
if [[ DedupCost =~ ${BENCH:-.} ]]; then
	OBDOCKER_BENCH_RESULTS="$results" $GO test -run '^$' -bench '^BenchmarkDedupCost$' -benchtime 1x -timeout 10m ./amqpx/ 2>&1 | tee -a bench.out
fi
# The Swarm row makes this engine a swarm manager with a second engine in a
# network namespace for its duration (the disruptive rig of make test), so
# it runs last, on its own.
if [[ SwarmLaunch =~ ${BENCH:-.} ]]; then
	OBDOCKER_DISRUPTIVE=1 OBDOCKER_BENCH_RESULTS="$results" $GO test -run '^$' -bench '^BenchmarkSwarmLaunch$' -benchtime 1x -timeout 20m ./bench/ 2>&1 | tee -a bench.out
fi
$GO run ./bench/benchtable "$results" "$machine" >docs/benchmarks.md
echo "== table (docs/benchmarks.md)"
cat docs/benchmarks.md
