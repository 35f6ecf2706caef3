// Package vnfm is the Docker VNFM: it registers with the Open Baton NFVO
// as a VNFM (protocol spec openbaton-vnfm-protocol.md §1; type "docker",
// what VNFDs name, on the endpoint queue "docker-vnfm" by default; never
// the queue "docker"), serves the NFVO's
// lifecycle commands on its endpoint queue, and drives the containers
// through the Docker VIM driver plugin, which it calls exactly as the NFVO
// does (package nfvo's Call; it knows no Docker).
//
// # Flow (NFVO allocate path, spec §4)
//
//	INSTANTIATE  build the VNFR → addImage of every vm_image on every VIM
//	             INSTANTIATE lists for its VDU (the grant checks them)
//	             → GRANT_OPERATION → ALLOCATE_RESOURCES with
//	             userdata = the VNF's configuration as `export K='v'` lines
//	             + `#obdocker:start=deferred` + `#obdocker:flavour=<key>`
//	             + one directive per item of the reserved keys cmd, hostname,
//	             dns, publish, expose, volumes, aliases, constraints, cap_add
//	             (the official Docker VNFM's meanings, matched whole in any
//	             case; the driver checks and applies them) + the default
//	             aliases <vnfr name>.<net up to '_'>:
//	             the VIM driver creates the containers (IPs allocated) but
//	             starts none; the VNFM sets HOSTNAME and UPPER(<net>)=<ip>
//	             on each VNFC (setMetadata), fills the VNFR's provides
//	             (ip, hostname, <net>) and answers INSTANTIATE.
//	MODIFY       each dependency parameter becomes UPPER(sourceType)_UPPER(key)
//	             (EnvName) on every VNFC of the target (setMetadata).
//	START        startServer on every VNFC (or the one named); ACTIVE once
//	             all run; then the VNFCs are watched.
//	STOP         stopServer, answered once down; a later START restarts
//	             them with the same IPs.
//	RELEASE_RESOURCES  answered at once: the NFVO deletes the containers
//	             through the VIM driver.
//	LOG_REQUEST  serverLogs.  SCALE_OUT  SCALING (NFVO allocates), then
//	             configured and started like the others; answers SCALED.
//	HEAL         starts the VNFC again.  ERROR, SCALE_IN, EXECUTE, unknown
//	             actions: logged, answered null.
//
// Every command is acked on receipt and handled in its own goroutine (a
// redelivered INSTANTIATE would make a second GRANT and a duplicate VNFR),
// and answered exactly once on its reply_to. Records are lossless JSON
// trees (Obj): ids, hbVersions and collections go back as received.
//
// # Failures and the restart policy
//
// A started VNFC that stops running without a STOP is reported with an
// ERROR message on vnfm.nfvo.actions (after an UPDATEVNFR fetches the
// NFVO's current record, so the report carries a fresh hbVersion). The
// VNFD configuration parameter restart_policy (not passed as environment;
// else restart_policy_condition in Swarm's words: any, on-failure, none)
// then decides: "no" (default), "on-failure" (restart when the plugin
// reports ERROR: non-zero exit, OOM kill, container gone) or "always"; a
// restarted VNFC keeps its IPs and a HEAL message sets the VNFR ACTIVE
// again.
package vnfm
