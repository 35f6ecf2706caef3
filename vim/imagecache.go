package vim

import (
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/openbaton-docker/obdocker/pop"
)

// imageCacheTTL bounds how stale the image details inside Server answers
// may be. Listing the engine's images is most of a large listServer's cost,
// and those details (name, created) are informative only: refresh and
// listImages always ask the engine.
const imageCacheTTL = 2 * time.Second

// imageCache keeps each endpoint's image list for Server answers.
type imageCache struct {
	mu sync.Mutex
	m  map[string]cachedImages
}

type cachedImages struct {
	at   time.Time
	imgs []pop.Image
}

func (c *imageCache) get(ctx context.Context, t *target) ([]pop.Image, error) {
	k := t.key.poolKey()
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok && time.Since(e.at) < imageCacheTTL {
		return e.imgs, nil
	}
	imgs, err := t.pop.Images(ctx, pop.Filter{})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cachedImages{}
	}
	// An unchanged list keeps its slice: listServer's answer cache knows
	// the images by that slice, and nothing changed for it.
	if old, ok := c.m[k]; ok && reflect.DeepEqual(old.imgs, imgs) {
		imgs = old.imgs
	}
	c.m[k] = cachedImages{at: time.Now(), imgs: imgs}
	c.mu.Unlock()
	return imgs, nil
}

// forget drops an endpoint's list after this driver changed its images.
func (c *imageCache) forget(t *target) {
	c.mu.Lock()
	delete(c.m, t.key.poolKey())
	c.mu.Unlock()
}
