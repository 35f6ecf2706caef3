# The README's commands: `make demo` (end to end) and `make test` (all tests).
GO      ?= go
PKGS    := ./...
BIN     := bin
export GOFLAGS := -buildvcs=false
# The version every binary reports (-version, startup line, build_info
# metric). GOFLAGS above leaves Go's VCS stamp out, so it is set here.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X github.com/openbaton-docker/obdocker/internal/version.Version=$(VERSION)

.PHONY: all deps build test test-images lint vet fmt unit bench proto clean

all: build

deps: ## install and start Docker, RabbitMQ (+management), busybox-static
	@bash scripts/deps.sh

build:
	@mkdir -p $(BIN)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...

test-images: deps
	@bash scripts/test-images.sh

test: deps test-images images lint
	$(GO) test -race -count=1 -timeout 40m $(PKGS)
	@# Tests that restart or cut shared services, or compare the whole engine and broker before and after, run alone, one package at a time.
	OBDOCKER_DISRUPTIVE=1 $(GO) test -race -count=1 -p 1 -timeout 20m -run 'Disruptive|Serial' $(PKGS)

unit: ## tests that need no service
	$(GO) test -race -count=1 -short $(PKGS)

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)

# proto: regenerate pop/proto from pop/proto/pop.proto. Installs what it needs
# when missing or at another version (idempotent): Debian's protoc, and the Go
# plugins into bin/tools.
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.5.1
PROTO_TOOLS                := $(abspath $(BIN))/tools

proto:
	@command -v protoc >/dev/null 2>&1 || { \
	  s=; [ "$$(id -u)" = 0 ] || s=sudo; \
	  $$s apt-get update -qq && $$s apt-get install -y -qq protobuf-compiler; }
	@mkdir -p $(PROTO_TOOLS)
	@"$(PROTO_TOOLS)/protoc-gen-go" --version 2>/dev/null | grep -qx 'protoc-gen-go $(PROTOC_GEN_GO_VERSION)' || \
	  GOBIN=$(PROTO_TOOLS) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	@"$(PROTO_TOOLS)/protoc-gen-go-grpc" --version 2>/dev/null | grep -qx 'protoc-gen-go-grpc $(patsubst v%,%,$(PROTOC_GEN_GO_GRPC_VERSION))' || \
	  GOBIN=$(PROTO_TOOLS) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	protoc -I pop/proto \
	  --plugin=protoc-gen-go=$(PROTO_TOOLS)/protoc-gen-go \
	  --plugin=protoc-gen-go-grpc=$(PROTO_TOOLS)/protoc-gen-go-grpc \
	  --go_out=pop/proto --go_opt=paths=source_relative \
	  --go-grpc_out=pop/proto --go-grpc_opt=paths=source_relative \
	  pop/proto/pop.proto

.PHONY: images
images: ## build the example NFV images obdocker/echo-server and obdocker/echo-client
	@bash scripts/images.sh

bench: deps test-images ## performance figures (ratios against raw Docker / bare amqp091), table in docs/benchmarks.md
	@GO=$(GO) bash scripts/bench.sh

.PHONY: faults
faults: deps test-images ## fault-injection suite (figures logged as "figure:"), then its disruptive tests alone
	$(GO) test -race -count=1 -timeout 30m -v ./faults/
	OBDOCKER_DISRUPTIVE=1 $(GO) test -race -count=1 -p 1 -timeout 30m -v -run 'Disruptive' ./faults/

.PHONY: image
image: ## build the deploy images obdocker/docker-vim-driver, docker-vnfm and docker-popd (FROM scratch, nothing pulled)
	@VERSION='$(VERSION)' bash deploy/build-image.sh

demo: deps test-images images ## the main job end to end: the plugin deploys containers over RabbitMQ
	@bash scripts/demo.sh

.PHONY: demo-vnfm
demo-vnfm: deps build images ## deploy the echo NSD through the Docker VNFM, printing the states
	$(BIN)/vnfm-demo -driver $(BIN)/docker-vim-driver -vnfm $(BIN)/docker-vnfm -nsd deploy/examples/nsd-echo.json
