GO ?= go
PKGS := ./...

# The ARI reference data beside the checkout (see ../shared/ari/README.md); the ARI
# conformance and trace tests skip only when these are unset.
ARI_SPEC_DIR ?= $(wildcard $(abspath ../shared/ari/api-docs))
ARI_TRACES_DIR ?= $(wildcard $(abspath ../shared/ari/traces))
export ARI_SPEC_DIR ARI_TRACES_DIR

# The browser tests (cmd/switchboard) save their screenshots here.
SCREENSHOT_DIR ?= $(abspath artifacts/screenshots)
export SCREENSHOT_DIR

.PHONY: test deps vet build bench fuzz demo

build:
	$(GO) build -o bin/ ./cmd/...

# test installs what the tests need when missing, then runs vet and every test.
test: deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -timeout 14m $(PKGS)

deps:
	@bash internal/tools/deps.sh

bench:
	$(GO) test -run '^$$' -bench 'Route|AgentStateChange' -benchmem ./acd/
	$(GO) test -run '^$$' -bench WaitingCallMemory -benchtime 3x ./acd/

demo: deps build
	./bin/switchboard demo
