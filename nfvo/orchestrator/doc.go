// Package orchestrator is the VNFM side of the NFVO stand-in: it plays the
// NFVO 6.0 network-service lifecycle of the NFVO ⇄ VNFM protocol (spec
// openbaton-vnfm-protocol.md §4) on a real RabbitMQ, calling the VIM
// driver plugin through package nfvo exactly as the NFVO does.
//
// Deploy sends INSTANTIATE to the VNFM of every VNFD at once; the
// VNFM→NFVO requests (GRANT_OPERATION, ALLOCATE_RESOURCES, SCALING,
// UPDATEVNFR) are answered on the actions-reply queue, and every command
// reply runs the NFVO's task for it: INITIALIZED, dependency filling and
// MODIFY of targets, START, ACTIVE; Delete sends RELEASE_RESOURCES, deletes
// the servers through the plugin and then the networks it made.
//
// Records are kept as JSON trees with the NFVO's persistence rules: every
// save checks and bumps the VNFR's hbVersion (a stale one fails, as JPA's
// optimistic locking does), new entities get ids, and an
// ALLOCATE_RESOURCES without keyPairs is dropped unanswered (the NFVO
// NPEs). It is a test and demo tool, not an NFVO: one VIM instance per
// deployment, no quota, no ordered start.
package orchestrator
