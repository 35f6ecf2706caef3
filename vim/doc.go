// Package vim is the Docker VIM driver: the Open Baton catalogue types (JSON
// exactly as the NFVO's Gson writes and reads them) and every VIM driver
// method of the NFVO (protocol spec §3) in terms of pop.Pop. It implements
// plugin.Driver and knows nothing of AMQP.
//
// # Pops
//
// One Pop serves each Docker endpoint, keyed by the VIM instance's
// normalised authUrl (not its id, which the first refresh lacks):
// unix:///path (the default socket when authUrl is empty), tcp://host:port
// (TLS from the instance's ca, cert and dockerKey) and pop://host:port (a
// docker-popd; refused unless Config.OpenRemote is set). Config.Open opens
// them, once per endpoint even under concurrent first calls; a failed open
// is retried by the next call. An endpoint already open keeps its Pop when
// a VIM instance brings other TLS material or credentials for it.
// (*Driver).Close closes them.
//
// # Userdata
//
// The NFVO's Docker calls carry no flavour (it always sends "") and no
// configuration but the userdata script, so the driver reads two things
// from it.
//
// Environment: every `export KEY=VALUE` and every command made only of
// `KEY=VALUE` assignments becomes a container environment variable. Shell
// quoting is understood (single, double, backslash, line continuations),
// comments and here-document bodies are skipped, `KEY=VALUE cmd` (a
// one-command environment) is not taken, and neither are values that need
// the shell ($VAR, $(cmd), `cmd` unquoted or in double quotes) nor invalid
// names (both logged at debug level). Every assignment line counts,
// whatever control flow surrounds it. Precedence in the container: image
// ENV < userdata < metadata (setMetadata).
//
// Directives: lines of the form
//
//	#obdocker:key=value
//
// (a shell comment, so scripts stay valid). Keys:
//
//	#obdocker:flavour=m1.small          a Pop flavour by name (alias "flavor");
//	                                    none means no limits. A non-empty
//	                                    flavour parameter wins over it.
//	#obdocker:cap-add=NET_ADMIN,SYS_TIME capabilities to add (CAP_ prefix
//	                                    optional); each must be in
//	                                    Config.AllowedCaps ("ALL" allows all).
//	#obdocker:sysctl=net.ipv4.ip_forward=1
//	                                    one sysctl per line; its key must be in
//	                                    Config.AllowedSysctls (entries ending
//	                                    in * are prefixes).
//	#obdocker:start=deferred            launchInstanceAndWait creates only and
//	                                    answers BUILD; a VNFM sets metadata and
//	                                    starts it (startServer). "immediate" is
//	                                    the default.
//
// Container settings (the official Docker VNFM's configuration keys, as
// the Docker VNFM writes them; lists are comma-separated and several
// lines add up):
//
//	#obdocker:cmd=/bin/app --fast       the command (image CMD), split at
//	                                    white space; once.
//	#obdocker:hostname=db               the container's hostname only; the
//	                                    Server keeps the launch's hostName.
//	#obdocker:dns=10.0.0.53             resolver addresses.
//	#obdocker:publish=[ip:]H[:C][/udp]  publish container port C (default H)
//	                                    on host port H; H must be in
//	                                    Config.AllowedPublishPorts, and the
//	                                    launch must join a network that is
//	                                    not internal.
//	#obdocker:expose=53/udp             ports declared, not published.
//	#obdocker:volume=/src:/dst[:ro|:rw] a bind mount; /src must be at or
//	                                    below a read-only entry of
//	                                    Config.AllowedBindPrefixes (the
//	                                    mount is then read-only), or be a
//	                                    writable (:rw) entry itself.
//	#obdocker:alias=net:a,b             DNS aliases on network net (its
//	                                    virtual link or network name), which
//	                                    the launch must join.
//	#obdocker:constraint=a==b[;c!=d]    Swarm placement constraints and
//	#obdocker:placement-pref=spread=x   preferences, for a Swarm VIM (VIM
//	                                    metadata obdocker.mode=swarm); a Pop
//	                                    of one engine refuses them at Create.
//
// The Pop records them with the container (over gRPC too): a repeated
// launch compares them, and rebuildServer keeps them.
//
// An unknown key, an empty value or a refused capability, sysctl, path or
// port makes the launch fail with an exception naming the directive and
// its value; a refused launch creates nothing. Directive lines are found
// line by line, even inside here-documents.
//
// # Launch
//
// launchInstanceAndWait makes one Pop container named by the hostname, from
// the image given by extId (an image ID) or tag, with one endpoint per
// connection point in interfaceId order, on the network named by the
// point's virtual_link_reference_id (extId) or virtual_link_reference
// (name), fixed IPs honoured; then starts it and answers it RUNNING. The
// answer's ips are keyed by virtual link name; other Server answers key
// them by network name (the same when the network was made by
// createNetwork for that virtual link). A floating IP is refused with an
// exception (Docker has none); key pair, security groups and keys are
// ignored. A launch whose start fails answers an exception carrying the
// partial Server (the container stays, FAILED, for the NFVO to delete). A
// launch refused before anything ran (a required variable missing) deletes
// the record it made and frees its IPs, and its exception carries no
// Server, so a corrected retry starts afresh. A repeated launch of a
// hostname that asks for the same thing (image, networks, fixed IPs and
// aliases, env, flavour, capabilities, sysctls, container settings: see
// launchInputs) answers the
// existing container (starting it if it is CREATED or FAILED and the
// launch is not deferred), never a second one; a different one replaces a
// FAILED or never started container and is refused, naming the
// differences, while the container runs or has run. A fixed IP that is
// taken is reported as the Pop words it. launchInstance creates only.
//
// Status mapping: RUNNING→ACTIVE, CREATED→BUILD, STOPPING/EXITED→SHUTOFF,
// FAILED→ERROR; extendedStatus is the Pop state (and its reason).
//
// # Methods without a Docker counterpart
//
//   - getNetworkById, getSubnetsExtIds: the network and its one subnet (whose
//     extId is the network's).
//   - updateNetwork, createSubnet, updateSubnet: answer what exists; asking
//     for another subnet or driver is an exception.
//   - deleteSubnet: true for an unknown network, else an exception (delete
//     the network).
//   - updateImage: the image as it is on the host. deleteImage: an exception
//     (remove images on the host).
//   - addFlavor, updateFlavor: the Pop's flavour of that name, else an
//     exception. deleteFlavor: true when unknown, else an exception.
//   - deleteNetwork of a network the Pop did not create, or keeps (its
//     default network): an exception that says so (the NFVO throws on
//     false too, without the reason). It first waits (Config.DeleteNetworkWait) for
//     deleteServerByIdAndWait calls in flight on that network, since the
//     NFVO sends it right after deletes it does not wait for.
//
// # Extension methods (for a VNFM, on the same queue)
//
//	setMetadata(vim, extId, {K: V})  CREATED only; "" deletes a key
//	startServer(vim, extId)          from CREATED, or EXITED as a restart
//	stopServer(vim, extId)
//	serverLogs(vim, extId, tailLines) the last lines as a string
//
// Each answers the Server (serverLogs a string). extId may also be the
// hostname.
package vim
