package pop

import (
	"context"
	"errors"
)

// Core is the in-process Pop: registry, lifecycle, IPAM, store and status
// tracking over one Backend.
type Core struct {
	cfg     Config
	backend Backend
}


// Open loads the store, reconciles it with Docker, makes sure the default
// network exists and starts status tracking. Close releases it all.
func Open(ctx context.Context, cfg Config, b Backend) (*Core, error) {
	return nil, errors.New("pop: core not implemented yet")
}
