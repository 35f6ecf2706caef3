#!/usr/bin/env bash
# make demo: the main job end to end. Starts the plugin daemon, lets a
# stand-in NFVO register it over RabbitMQ, then plays the NFVO 6.0
# deployment sequence with vimctl (calls exactly as the NFVO makes them):
# refresh, createNetwork x2, launchInstanceAndWait of an echo server and an
# echo client configured through userdata, listServer, getQuota, the
# client's logs, deleteServerByIdAndWait, deleteNetwork. Cleans up after.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=bin
STATE=$(mktemp -d /tmp/obdocker-demo.XXXXXX)
POP=obdocker-demo
PLUGIN=demo
QUEUE=vim-drivers.docker.$PLUGIN
LOGS=$STATE/logs
mkdir -p "$LOGS"
nfvo_pid=
plugin_pid=

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
vimctl() { "$BIN/vimctl" -queue "$QUEUE" "$@"; }
# summary prints the hostName and status of a Server answer.
summary() {
	local flat
	flat=$(echo "$1" | tr -d '\n')
	printf 'answered: %s %s\n' "$(echo "$flat" | grep -o '"hostName": *"[^"]*"' | head -1 | cut -d'"' -f4)" \
		"$(echo "$flat" | grep -o '"status": *"[^"]*"' | head -1 | cut -d'"' -f4)"
}

# stop PID: SIGTERM, then wait for the process to exit.
stop() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# field NAME JSON prints the first string value of key NAME.
field() { echo "$2" | grep -o "\"$1\": *\"[^\"]*\"" | head -1 | cut -d'"' -f4; }

# text prints a JSON string answer as the text it holds (serverLogs).
text() {
	local s
	# \\ is set aside first so that \" and \/ are read right; printf %b
	# then expands \n, \t, \uXXXX and the set-aside backslashes.
	s=$(printf '%s' "$1" | sed -e 's/^[[:space:]]*"//' -e 's/"[[:space:]]*$//' \
		-e 's/\\\\/\x01/g' -e 's/\\"/"/g' -e 's/\\\//\//g' -e 's/\x01/\\\\/g')
	printf '%b' "$s"
}

cleanup() {
	set +e
	say "cleaning up"
	# The plugin first: at SIGTERM it unregisters, and the stand-in, still
	# running, deletes its broker user. Stopped together, nobody would
	# process the unregister and the user would stay.
	stop "$plugin_pid"
	if [ -n "$plugin_pid" ]; then
		for _ in $(seq 1 30); do
			curl -fsS -o /dev/null -u admin:openbaton "http://127.0.0.1:15672/api/users/$QUEUE" 2>/dev/null || break
			sleep 0.5
		done
		if curl -fsS -o /dev/null -u admin:openbaton "http://127.0.0.1:15672/api/users/$QUEUE" 2>/dev/null; then
			echo "the plugin's unregistration was not processed: deleting broker user $QUEUE"
			curl -fsS -o /dev/null -u admin:openbaton -X DELETE "http://127.0.0.1:15672/api/users/$QUEUE"
		fi
	fi
	stop "$nfvo_pid"
	# Anything left by an interrupted run: only this demo's Pop.
	ids=$(docker ps -aq --filter "label=org.openbaton-docker.pop=$POP")
	[ -z "$ids" ] || docker rm -f $ids >/dev/null
	nets=$(docker network ls -q --filter "label=org.openbaton-docker.pop=$POP")
	[ -z "$nets" ] || docker network rm $nets >/dev/null
	rm -rf "$STATE"
}
trap cleanup EXIT

say "building"
mkdir -p "$BIN"
go build -o "$BIN/" ./cmd/docker-vim-driver ./cmd/vimctl

say "starting a stand-in NFVO (registration side) and the plugin daemon"
"$BIN/vimctl" nfvo >"$LOGS/nfvo.log" 2>&1 &
nfvo_pid=$!
sleep 1
OBDOCKER_PLUGIN_NAME=$PLUGIN OBDOCKER_POP_NAME=$POP OBDOCKER_STATE_DIR="$STATE/state" \
	OBDOCKER_DEFAULT_NETWORK=$POP-private OBDOCKER_DEFAULT_SUBNET=10.98.255.0/24 \
	OBDOCKER_NETWORK_POOL=10.98.0.0/17 \
	"$BIN/docker-vim-driver" >"$LOGS/plugin.log" 2>&1 &
plugin_pid=$!
for _ in $(seq 1 60); do
	if curl -fsS -u admin:openbaton "http://127.0.0.1:15672/api/queues/%2F/$QUEUE" >/dev/null 2>&1; then break; fi
	sleep 0.5
done
curl -fsS -u admin:openbaton "http://127.0.0.1:15672/api/queues/%2F/$QUEUE" >/dev/null ||
	{ echo "the plugin did not register; its log:"; cat "$LOGS/plugin.log"; exit 1; }
echo "plugin registered and serving on queue $QUEUE"

say "1. refresh (VIM registration): the VIM instance as refresh answers it, with the Pop's images and networks"
ref=$(vimctl call refresh | tr -d '\n')
# The VIM's own name, not its location's.
printf 'VIM instance %s, authUrl %s\n' "$(field name "$(echo "$ref" | sed 's/"location": *{[^}]*}//')")" "$(field authUrl "$ref")"
echo "images:"
echo "$ref" | grep -o '"tags": *\[[^]]*\]' | grep -o '"[^"[:space:]]*:[^"[:space:]]*"' | tr -d '"' |
	grep -E 'echo|busybox' | sed 's/^/  /' || true
echo "networks:"
echo "$ref" | grep -o '{[^{}]*"subnet"[^{}]*}' | while read -r n; do
	printf '  %s %s\n' "$(field name "$n")" "$(field subnet "$n")"
done || true

say "2. createNetwork for two virtual links (one with a cidr, one from the pool)"
vimctl call createNetwork '{"name":"demo-data","subnet":"10.98.200.0/24","metadata":{}}' >/dev/null
vimctl call createNetwork '{"name":"demo-mgmt","metadata":{}}' >/dev/null
vimctl networks

cps='[{"virtual_link_reference":"demo-data","interfaceId":0,"fixedIp":"FIXED"},{"virtual_link_reference":"demo-mgmt","interfaceId":1}]'
say "3. launchInstanceAndWait: echo server (fixed IP 10.98.200.10, ECHO_PORT=7 from userdata)"
srv=$(vimctl call launchInstanceAndWait '"echo-server-demo"' '"obdocker/echo-server:latest"' '""' '""' \
	"${cps/FIXED/10.98.200.10}" '[]' '"#!/bin/bash\nexport ECHO_PORT=7\n"' '{}' '[]')
summary "$srv"
say "4. launchInstanceAndWait: echo client, its server's IP in its userdata"
cli=$(vimctl call launchInstanceAndWait '"echo-client-demo"' '"obdocker/echo-client:latest"' '""' '""' \
	"${cps/,\"fixedIp\":\"FIXED\"/}" '[]' '"#!/bin/bash\nexport SERVER_IP=10.98.200.10\nexport ECHO_INTERVAL=300ms\n#obdocker:flavour=m1.tiny\n"' '{}' '[]')
summary "$cli"
srv_id=$(echo "$srv" | sed -n 's/.*"extId": *"\([^"]*\)".*/\1/p' | head -1)
cli_id=$(echo "$cli" | sed -n 's/.*"extId": *"\([^"]*\)".*/\1/p' | head -1)

say "5. listServer (what the NFVO and its dashboard see)"
vimctl servers

say "6. what Docker says (containers carry the Pop's labels)"
docker ps --filter "label=org.openbaton-docker.pop=$POP" --format 'table {{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Networks}}'
for c in echo-server-demo echo-client-demo; do
	printf '%s: ' "$c"
	docker inspect "$c" --format '{{range $n, $e := .NetworkSettings.Networks}}{{$n}}={{$e.IPAddress}} {{end}}| env: {{range .Config.Env}}{{.}} {{end}}'
done

say "7. the client's log: round trips to the server over the Docker network"
sleep 2
text "$(vimctl call serverLogs "\"$cli_id\"" 5)"

say "8. getQuota (the engine's CPUs and memory in MB, and the instance figure)"
# Only the resource rows: the Quota's version is no limit.
vimctl quota | grep -vE '^(id|version|tenant)[[:space:]]'

say "9. deleteServerByIdAndWait (fire and forget, as the NFVO does), then deleteNetwork"
vimctl delete "$srv_id"
vimctl delete "$cli_id"
for n in demo-data demo-mgmt; do
	ext=$(docker network inspect "$n" --format '{{.Id}}')
	printf 'deleteNetwork %s: ' "$n"
	vimctl call deleteNetwork "\"$ext\""
done

left=$(docker ps -aq --filter "label=org.openbaton-docker.pop=$POP" | wc -l)
say "done: $left containers left with the demo Pop's labels"
[ "$left" -eq 0 ]
