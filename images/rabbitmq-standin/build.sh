#!/usr/bin/env bash
# Builds a local stand-in for rabbitmq:3-management, for machines that
# cannot pull (the compose test, deploy/compose_e2e_test.go): Debian
# bookworm's rabbitmq-server with the management plugin, in a root made by
# debootstrap from Debian's mirror and imported with `docker import`.
#
# Its entry point (entrypoint.sh) honours RABBITMQ_DEFAULT_USER/PASS and
# keeps the data under /var/lib/rabbitmq/mnesia/rabbit@<hostname>; the
# compose file's health check (rabbitmq-diagnostics -q
# check_port_connectivity) runs in it.
#
# The tag is a hash of this directory's files (and the suite, mirror and
# architecture): a second run with the recipe unchanged finds the image
# and returns at once. Package versions follow the mirror on the day of
# the build; the image's label records the hash, not the versions. Prints the image
# name as its last line.
#
# Usage: images/rabbitmq-standin/build.sh   (root; needs debootstrap and docker)
# MIRROR=<url> overrides http://deb.debian.org/debian.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=obdocker-test/rabbitmq-standin
mirror=${MIRROR:-http://deb.debian.org/debian}
suite=bookworm

# The recipe's files, by name and content, and the suite and mirror.
hash=$( (cd "$here" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; echo "$suite $mirror $(dpkg --print-architecture)") | sha256sum | cut -c1-16)
image="$repo:$hash"
if docker image inspect "$image" >/dev/null 2>&1; then
	echo "$image"
	exit 0
fi

for tool in debootstrap docker; do
	command -v "$tool" >/dev/null || { echo "rabbitmq-standin: $tool missing (run \`make deps\`)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "rabbitmq-standin: debootstrap needs root" >&2; exit 1; }

root=$(mktemp -d /tmp/rabbitmq-standin.XXXXXX)
cleanup() {
	for m in proc sys dev/pts dev; do umount "$root/$m" 2>/dev/null || true; done
	rm -rf "$root"
}
trap cleanup EXIT

log() { echo "rabbitmq-standin: $*" >&2; }
log "debootstrap $suite into $root"
if ! out=$(debootstrap --variant=minbase "$suite" "$root" "$mirror" 2>&1); then
	echo "$out" | tail -20 >&2
	exit 1
fi
# No service may start inside the chroot while packages install.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
log "installing rabbitmq-server"
if ! out=$(chroot "$root" /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq &&
	apt-get install -y -qq --no-install-recommends rabbitmq-server && apt-get clean' 2>&1); then
	echo "$out" | tail -20 >&2
	exit 1
fi
umount "$root/proc"
rm -f "$root/usr/sbin/policy-rc.d"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
# The management plugin, enabled offline as rabbitmq-plugins would.
echo '[rabbitmq_management].' >"$root/etc/rabbitmq/enabled_plugins"
install -m 0755 "$here/entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
# An empty data directory, owned by the broker, for a named volume to copy.
rm -rf "$root/var/lib/rabbitmq/mnesia" "$root/var/lib/rabbitmq/.erlang.cookie"
chroot "$root" chown rabbitmq:rabbitmq /var/lib/rabbitmq

log "importing $image"
tar -C "$root" -c . | docker import \
	--change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
	--change 'EXPOSE 5672 15672' \
	--change 'VOLUME ["/var/lib/rabbitmq"]' \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
	--change "LABEL org.opencontainers.image.description=stand-in-for-rabbitmq:3-management recipe.hash=$hash" \
	- "$image" >/dev/null
# Earlier recipes' images are not used again.
docker image ls --format '{{.Repository}}:{{.Tag}}' "$repo" | grep -vx "$image" | xargs -r docker image rm >/dev/null 2>&1 || true
echo "$image"
