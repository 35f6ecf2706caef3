// Package plugin is the Open Baton VIM-driver plugin runtime: it registers
// with the NFVO (protocol spec §1.3), serves a Driver on the queue
// vim-drivers.docker.<name> with the private credentials it got (§1.4),
// turns {"methodName","parameters"} requests into Driver calls and their
// results into {"answer"} / {"exception"} replies (§2), re-registers when
// the broker refuses those credentials, and unregisters on shutdown (§1.5).
//
// It knows nothing of Docker. A daemon uses it as:
//
//	cfg, err := plugin.LoadConfig(os.Args[1:]) // OBDOCKER_* env, flags win
//	log, err := plugin.NewLogger(cfg, os.Stderr)
//	err = plugin.Serve(ctx, cfg, driver, log) // returns nil after ctx is cancelled
package plugin
