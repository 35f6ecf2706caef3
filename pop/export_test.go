package pop

// Test-only access to internals for pop_test (compiled into tests only).

// WithCommitHook returns cfg with a hook that runs before (before=true) and
// after each commit of container records; n counts the Core's commits.
func WithCommitHook(cfg Config, hook func(before bool, n int)) Config {
	cfg.commitHook = func(p commitPoint, n int) { hook(p == beforeCommit, n) }
	return cfg
}

// Settle waits until every record write queued so far is on disk: it
// queues the deletion of a record that never exists, and commits land in
// order.
func Settle(c *Core) error { return c.w.del("settle-" + c.cfg.PopName).wait() }

// Commits is how many commits the Core's writer has made.
func Commits(c *Core) int {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	return c.w.commits
}
