#!/usr/bin/env bash
# Installs and starts everything the tests and the demo need, idempotently.
# Run as root on Debian. A quick no-op when Docker and RabbitMQ already answer.
set -euo pipefail

log() { echo "deps: $*" >&2; }

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		log "must run as root to install packages and start services (try: sudo make deps)"
		exit 1
	fi
}

docker_ok() { timeout 5 docker info >/dev/null 2>&1; }
rabbit_ok() {
	timeout 10 rabbitmqctl -q status >/dev/null 2>&1 &&
		timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/15672' 2>/dev/null &&
		timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5672' 2>/dev/null
}

# Quick path: everything already up.
if command -v dockerd >/dev/null && command -v rabbitmqctl >/dev/null && command -v ip >/dev/null &&
	command -v docker-compose >/dev/null && command -v docker-registry >/dev/null &&
	command -v debootstrap >/dev/null &&
	[ -x /bin/busybox ] && docker_ok && rabbit_ok; then
	exit 0
fi

need_root

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v rabbitmq-server >/dev/null || missing+=(rabbitmq-server)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
command -v curl >/dev/null || missing+=(curl)
command -v ip >/dev/null || missing+=(iproute2)
# Runs deploy/docker-compose.yml in the compose test.
command -v docker-compose >/dev/null || missing+=(docker-compose)
# Builds the compose test's RabbitMQ image from Debian's packages
# (images/rabbitmq-standin): no registry to pull rabbitmq:3-management from.
command -v debootstrap >/dev/null || missing+=(debootstrap)
# The registry the image-pull tests push to and pull from (distribution 2.8).
command -v docker-registry >/dev/null || missing+=(docker-registry)
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Do not let package scripts start services through systemd: there may be none.
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! docker_ok; then
	log "starting dockerd"
	mkdir -p /var/log
	if ! pgrep -x dockerd >/dev/null; then
		nohup dockerd >/var/log/dockerd.log 2>&1 &
	fi
	for _ in $(seq 1 60); do
		docker_ok && break
		sleep 1
	done
	docker_ok || { log "dockerd did not answer within 60 s; see /var/log/dockerd.log"; tail -20 /var/log/dockerd.log >&2; exit 1; }
fi

if ! rabbit_ok; then
	log "starting rabbitmq-server"
	if ! timeout 10 rabbitmqctl -q status >/dev/null 2>&1; then
		rabbitmq-server -detached >/dev/null 2>&1 || true
	fi
	for _ in $(seq 1 90); do
		timeout 10 rabbitmqctl -q status >/dev/null 2>&1 && break
		sleep 1
	done
	timeout 60 rabbitmqctl -q wait --timeout 60 /var/lib/rabbitmq/mnesia/rabbit@$(hostname -s).pid >/dev/null 2>&1 || true
	rabbitmq-plugins -q enable rabbitmq_management >/dev/null
	for _ in $(seq 1 60); do
		rabbit_ok && break
		sleep 1
	done
	rabbit_ok || { log "rabbitmq did not become ready within the bound"; exit 1; }
fi

# The NFVO's admin user (the stand-in logs in with it). guest only works on loopback.
# list_users can fail just after a start; then add_user finds admin there.
if ! rabbitmqctl -q list_users 2>/dev/null | grep -q '^admin'; then
	if ! out=$(rabbitmqctl -q add_user admin openbaton 2>&1); then
		case "$out" in
		*"already exists"*) ;;
		*) log "adding the rabbitmq user admin failed: $out"; exit 1 ;;
		esac
	fi
	rabbitmqctl -q set_user_tags admin administrator >/dev/null
	rabbitmqctl -q set_permissions -p / admin '.*' '.*' '.*' >/dev/null
fi
log "docker and rabbitmq are up"
