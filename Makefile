# The README's commands: `make demo` (end to end) and `make test` (all tests).
GO      ?= go
PKGS    := ./...
BIN     := bin
export GOFLAGS := -buildvcs=false

.PHONY: all deps build test test-images lint vet fmt unit bench proto clean

all: build

deps: ## install and start Docker, RabbitMQ (+management), busybox-static
	@bash scripts/deps.sh

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...

test-images: deps
	@bash scripts/test-images.sh

test: deps test-images lint
	$(GO) test -race -count=1 -timeout 40m $(PKGS)

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
