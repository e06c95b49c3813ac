# devcache's Makefile wraps the real commands; every target works on a fresh
# Debian machine as root (hack/ installs what is missing). See README.md.

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
REVISION  ?= $(shell git rev-parse HEAD 2>/dev/null)
PKG       := github.com/devcache/devcache
LDFLAGS   := -s -w -X $(PKG)/internal/version.Version=$(VERSION) -X $(PKG)/internal/version.Revision=$(REVISION)
BINARIES  := devcache devcache-frontend devcache-proxy devcache-snapshotter
BIN_DIR   ?= bin

export VERSION REVISION

.PHONY: all build $(BINARIES) ca-bundle test test-short integration lint bench screenshots demo images frontend-image stack-up stack-down stack-status clean help

all: build

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: $(BINARIES) ## build the four static binaries into bin/

$(BINARIES):
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN_DIR)/$@ ./cmd/$@

# The images are FROM scratch: they carry Debian's CA bundle (the
# ca-certificates package, as update-ca-certificates writes it), copied here
# at build time so Go finds it at its default path.
CA_BUNDLE ?= /etc/ssl/certs/ca-certificates.crt
ca-bundle: ## copy Debian's CA bundle into bin/ for the images (needs the ca-certificates package)
	@test -s $(CA_BUNDLE) || { echo "$(CA_BUNDLE) is missing: apt-get install ca-certificates" >&2; exit 1; }
	install -D -m 0644 $(CA_BUNDLE) $(BIN_DIR)/ca-certificates.crt

test: ## the whole suite: unit + integration against the real stack (needs root)
	hack/test

test-short: ## unit tests only, no daemons
	$(GO) test -short -count=1 ./...

integration: ## integration tests only, against the real stack (needs root)
	hack/test ./integration/...

lint: ## gofmt, go vet, golangci-lint (pinned, built once into the tools cache), shellcheck when present
	hack/lint

bench: ## benchmarks, printed as figures and ratios measured side by side in one run
	hack/bench

screenshots: ## regenerate docs/images/prebuild-status.png from a real prebuild serve (needs root)
	hack/screenshot-prebuild-status

demo: ## the main job: a Dev Container built through the cache, cold then warm
	hack/demo

images: build ca-bundle ## build the frontend, proxy and snapshotter images with docker buildx bake
	hack/images

frontend-image: ## build the frontend image and push it to the stack's registry as devcache/frontend:dev
	hack/images --push frontend

stack-up: ## start registry, buildkitd and containerd (prints exports: eval "$$(make -s stack-up)")
	@hack/stack up

stack-down: ## stop the stack's daemons
	hack/stack down

stack-status: ## say which of the stack's daemons run
	hack/stack status

clean: ## remove build outputs (not the tools cache, not the stack's state)
	rm -rf $(BIN_DIR) _output
