#!/usr/bin/env bash
# Builds the example NFV images obdocker/echo-server:latest and
# obdocker/echo-client:latest: static Go binaries (CGO_ENABLED=0) in images
# FROM scratch, with the local engine's legacy builder. Nothing is pulled.
# Each Dockerfile is linted before its build and each image checked after it
# (cmd/nfvimage), so an image that breaks the conventions fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

CGO_ENABLED=0 "$GO" build -o "$tmp/nfvimage" ./cmd/nfvimage
for name in echo-server echo-client; do
	"$tmp/nfvimage" lint "images/$name/Dockerfile"
	ctx="$tmp/$name"
	mkdir -p "$ctx"
	CGO_ENABLED=0 "$GO" build -trimpath -ldflags='-s -w' -o "$ctx/$name" "./images/$name"
	cp "images/$name/Dockerfile" "$ctx/Dockerfile"
	old=$(docker image inspect -f '{{.Id}}' "obdocker/$name:latest" 2>/dev/null || true)
	# The legacy builder warns that it is deprecated on every build: show its
	# output only when the build fails.
	if ! out=$(DOCKER_BUILDKIT=0 docker build -q -t "obdocker/$name:latest" "$ctx" 2>&1); then
		echo "$out" >&2
		exit 1
	fi
	# A changed image leaves the one it replaces untagged: remove it (in
	# use by a container, it stays).
	new=$(docker image inspect -f '{{.Id}}' "obdocker/$name:latest")
	if [[ -n $old && $old != "$new" ]]; then
		docker image rm "$old" >/dev/null 2>&1 || true
	fi
	"$tmp/nfvimage" check "obdocker/$name:latest"
	echo "images: obdocker/$name:latest ($(docker image inspect -f '{{.Size}}' "obdocker/$name:latest") bytes)"
done
