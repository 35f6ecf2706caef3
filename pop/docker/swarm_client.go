package docker

import "github.com/docker/docker/client"

// Client is the backend's engine client, for pop/swarm: a Swarm Pop
// drives services on the same connection (and TLS) as its engine calls.
func (b *Backend) Client() *client.Client { return b.cli }
