# agentcore: build, test, lint, bench, demo. `make test` is what CI runs (.ci/run).
GO       ?= go
BIN      := bin/agentcore
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION) -X github.com/agentcore/agentcore/local.Version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build test test-windows unit lint fuzz bench demo docs docs-screenshots release clean

build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/agentcore

# The whole suite: formatting, vet, staticcheck, every test (unit, conformance against the
# local endpoint, end-to-end scripts on the real Docker engine, moto), and a short fuzz run.
test: lint unit fuzz

unit:
	$(GO) test -count=1 -timeout 25m ./...

# The Windows tests and agentcore.exe, run as Windows programs under Wine (README, "Every OS").
# Fails, rather than skips, when Wine is not installed (Debian: apt-get install wine64).
test-windows:
	AGENTCORE_WINE=required $(GO) test -count=1 -timeout 20m -run '^TestWindows' -v ./internal/release

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 200000x ./project
	$(GO) test -run '^$$' -fuzz '^FuzzChunkedDecode$$' -fuzztime 40000x ./project
	$(GO) test -run '^$$' -fuzz '^FuzzBind$$' -fuzztime 5000x ./engine
	# The decoders of network input, seeded from the cases of issue 23. Runs are counted in inputs,
	# not seconds: a time limit that ends while an input runs fails the run on a loaded machine.
	$(GO) test -run '^$$' -fuzz '^FuzzUnzip$$' -fuzztime 8000x ./local/control
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime 30000x ./local/auth
	$(GO) test -run '^$$' -fuzz '^FuzzChunked$$' -fuzztime 30000x ./local/s3
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 10000x ./local/internal/awsproto
	$(GO) test -run '^$$' -fuzz '^FuzzServeCBOR$$' -fuzztime 4000x ./local/metrics
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeProto$$' -fuzztime 20000x ./local/otlp
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime 40000x ./local/otlp
	$(GO) test -run '^$$' -fuzz '^FuzzSegment$$' -fuzztime 30000x ./local/logs
	$(GO) test -run '^$$' -fuzz '^FuzzPutManifest$$' -fuzztime 30000x ./local/registry

bench: build
	bash bench/run.sh

# Sets up and runs the main job on the local provider: init, create, invoke, status.
demo: build
	bash scripts/demo.sh

docs: build
	$(BIN) docs > docs/reference.md
	$(BIN) docs toml > docs/toml.md

# Release binaries for every OS and architecture in dist/ (agentcore-VERSION-OS-ARCH[.exe]),
# each target vetted first, with their SHA-256 sums in dist/SHA256SUMS. Static (no cgo).
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

release:
	rm -rf dist && mkdir -p dist
	@set -e; for p in $(PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; ext=; if [ "$$os" = windows ]; then ext=.exe; fi; \
	  echo "vet and build $$os/$$arch"; \
	  GOOS=$$os GOARCH=$$arch $(GO) vet ./...; \
	  GOOS=$$os GOARCH=$$arch CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" \
	    -o dist/agentcore-$(VERSION)-$$os-$$arch$$ext ./cmd/agentcore; \
	done
	cd dist && if command -v sha256sum >/dev/null; then sha256sum agentcore-*; else shasum -a 256 agentcore-*; fi > SHA256SUMS
	@cat dist/SHA256SUMS

clean:
	rm -rf bin dist

# The README's console screenshots, taken by the console's browser test (needs Docker and
# Chromium): docs/console-*.png.
docs-screenshots:
	cd cmd/agentcore && AGENTCORE_CONSOLE_SCREENSHOTS=$(CURDIR)/docs $(GO) test -count=1 -run 'TestScripts/^console$$' .
