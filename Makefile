# agentcore: build, test, lint, bench, demo. `make test` is what CI runs (.ci/run).
GO       ?= go
BIN      := bin/agentcore
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION) -X github.com/agentcore/agentcore/local.Version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build test unit lint fuzz bench demo docs clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/agentcore

# The whole suite: formatting, vet, staticcheck, every test (unit, conformance against the
# local endpoint, end-to-end scripts on the real Docker engine, moto), and a short fuzz run.
test: lint unit fuzz

unit:
	$(GO) test -count=1 -timeout 25m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 10s ./project
	$(GO) test -run '^$$' -fuzz '^FuzzChunkedDecode$$' -fuzztime 5s ./project
	$(GO) test -run '^$$' -fuzz '^FuzzBind$$' -fuzztime 10s ./engine
	# The decoders of network input, seeded from the cases of issue 23 (about 55 s in all; 80 s with the two above and FuzzChunkedDecode).
	$(GO) test -run '^$$' -fuzz '^FuzzUnzip$$' -fuzztime 10s ./local/control
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime 5s ./local/auth
	$(GO) test -run '^$$' -fuzz '^FuzzChunked$$' -fuzztime 5s ./local/s3
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 5s ./local/internal/awsproto
	$(GO) test -run '^$$' -fuzz '^FuzzServeCBOR$$' -fuzztime 5s ./local/metrics
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeProto$$' -fuzztime 5s ./local/otlp
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime 5s ./local/otlp
	$(GO) test -run '^$$' -fuzz '^FuzzSegment$$' -fuzztime 5s ./local/logs
	$(GO) test -run '^$$' -fuzz '^FuzzPutManifest$$' -fuzztime 5s ./local/registry

bench: build
	bash bench/run.sh

# Sets up and runs the main job on the local provider: init, create, invoke, status.
demo: build
	bash scripts/demo.sh

docs: build
	$(BIN) docs > docs/reference.md

clean:
	rm -rf bin
