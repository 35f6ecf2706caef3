package pop

import (
	"time"
)

// track keeps RUNNING states true: Docker's event stream reports deaths at
// once, and a periodic full resync covers anything the stream missed (and
// every reconnect of the stream).
func (c *Core) track() {
	defer c.wg.Done()
	tick := time.NewTicker(c.cfg.ResyncInterval)
	defer tick.Stop()
	since := time.Now()
	for {
		evs, errs := c.b.Events(c.ctx, since)
		// Deaths between the last event seen and this subscription.
		c.resyncNow()
	stream:
		for {
			select {
			case <-c.ctx.Done():
				return
			case ev, ok := <-evs:
				if !ok {
					break stream
				}
				if !ev.Time.IsZero() {
					since = ev.Time
				}
				switch ev.Action {
				case "die", "oom", "destroy", "stop", "kill":
					if e := c.reg.get(ev.PopID); e != nil {
						c.wg.Add(1)
						go func(id string) {
							defer c.wg.Done()
							c.handleDeath(c.ctx, e, id)
						}(ev.DockerID)
					}
				}
			case err, ok := <-errs:
				if ok && err != nil {
					c.log.WithError(err).Warn("docker event stream broke; reopening")
				}
				break stream
			case <-tick.C:
				c.resyncNow()
			case <-c.resync:
				c.resyncNow()
			}
		}
		select {
		case <-c.ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// resyncNow compares every record with Docker and fixes what drifted.
func (c *Core) resyncNow() {
	docker, err := c.b.ListContainers(c.ctx)
	if err != nil {
		if c.ctx.Err() == nil {
			c.log.WithError(err).Warn("resync: list containers")
		}
		return
	}
	c.apply(c.ctx, plan(c.records(), docker, true))
}
