// Package amqpx is the RabbitMQ plumbing the plugin runtime and the NFVO
// stand-in share: supervised connections that redial by themselves, an RPC
// server (N workers, one channel each, prefetch 1, ack after the reply is
// confirmed) and an RPC client (server-named reply queue, correlation ids).
//
// It knows nothing of Open Baton or Docker: queue names, declarations and
// message bodies come from its callers.
package amqpx
