// Package wire converts between the Pop domain types (package pop) and the
// generated protocol messages (package proto), and maps error classes to gRPC
// status codes and back with one table, so that server and client agree by
// construction. It is hand-written; package proto holds generated code only.
package wire
