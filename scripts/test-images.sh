#!/usr/bin/env bash
# Builds the local test images FROM scratch with Debian's busybox-static.
# Nothing is pulled. Idempotent: docker's build cache makes reruns instant.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x /bin/busybox ] || { echo "test-images: /bin/busybox missing (make deps installs busybox-static)" >&2; exit 1; }

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/bin"
cp /bin/busybox "$ctx/bin/busybox"
# Applet symlinks point at /bin/busybox, which exists inside the image.
for a in sh sleep env cat echo ls ps kill ip ifconfig hostname nc wget true false date; do
	ln -s /bin/busybox "$ctx/bin/$a"
done
cp testdata/images/busybox/run.sh "$ctx/run.sh"
cp testdata/images/busybox/Dockerfile "$ctx/Dockerfile"
# Debian's docker has no buildx, so the legacy builder warns that it is
# deprecated on every build: show its output only when the build fails.
if ! out=$(DOCKER_BUILDKIT=0 docker build -q -t obdocker-test/busybox:latest "$ctx" 2>&1); then
	echo "$out" >&2
	exit 1
fi
echo "test-images: obdocker-test/busybox:latest"
