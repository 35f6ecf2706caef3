// Package faults is the fault-injection suite (`make faults`): the plugin
// daemon runs as its own process (bench/rig) on the real broker and the
// real Docker engine while its connections are cut, the broker or dockerd
// restarts, the daemon is killed, or it is fed mutated messages. Each test
// logs its outcome as "figure:" lines (load held, faults survived, inputs
// tried, items lost). Tests that restart shared services are named
// TestDisruptive… and run only in the sequential pass (testenv.Disruptive).
//
// IPv4: the suite uses 10.207.0.0/18 only.
package faults
