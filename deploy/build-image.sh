#!/usr/bin/env bash
# Builds the deploy images with the local Docker engine (legacy builder,
# nothing pulled: both are FROM scratch):
#   obdocker/docker-vim-driver:latest  cmd/docker-vim-driver + obdocker-health
#   obdocker/docker-popd:latest        cmd/docker-popd + obdocker-health
#   obdocker/docker-vnfm:latest        cmd/docker-vnfm + obdocker-health
# and, on demand only, for the compose test (deploy/compose_e2e_test.go):
#   obdocker/nfvo-standin:latest       cmd/nfvo-standin (NFVO stand-in)
# Usage: deploy/build-image.sh [vim-driver|popd|vnfm|nfvo-standin]...
# (default: the three deploy images)
# TAG=<tag> overrides "latest". VERSION=<v> overrides the version the
# binaries report (-version, logs, metrics), by default git describe.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
TAG=${TAG:-latest}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
ldflags="-s -w -X github.com/openbaton-docker/obdocker/internal/version.Version=$VERSION"
export CGO_ENABLED=0
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(vim-driver popd vnfm)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

build() { # name binary-package dockerfile
	local name=$1 pkg=$2 dockerfile=$3 ctx="$tmp/$1"
	mkdir -p "$ctx/state"
	"$GO" build -trimpath -ldflags="$ldflags" -o "$ctx/$(basename "$pkg")" "$pkg"
	[ "$name" = nfvo-standin ] || "$GO" build -trimpath -ldflags="$ldflags" -o "$ctx/obdocker-health" ./deploy/healthcheck
	cp "$dockerfile" "$ctx/Dockerfile"
	# The legacy builder warns that it is deprecated on every build: show
	# its output only when the build fails.
	local out
	if ! out=$(DOCKER_BUILDKIT=0 docker build -q --label "org.opencontainers.image.version=$VERSION" -t "obdocker/$name:$TAG" "$ctx" 2>&1); then
		echo "$out" >&2
		exit 1
	fi
	echo "image: obdocker/$name:$TAG ($(docker image inspect -f '{{.Size}}' "obdocker/$name:$TAG") bytes)"
}

for t in "${targets[@]}"; do
	case $t in
	vim-driver) build docker-vim-driver ./cmd/docker-vim-driver deploy/docker-vim-driver.Dockerfile ;;
	popd) build docker-popd ./cmd/docker-popd deploy/docker-popd.Dockerfile ;;
	vnfm) build docker-vnfm ./cmd/docker-vnfm deploy/docker-vnfm.Dockerfile ;;
	nfvo-standin) build nfvo-standin ./cmd/nfvo-standin deploy/nfvo-standin.Dockerfile ;;
	*) echo "build-image.sh: unknown image $t (want vim-driver, popd, vnfm or nfvo-standin)" >&2; exit 2 ;;
	esac
done
