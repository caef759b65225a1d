# Build, test and package the T1102.003 detection. Targets are named for
# what users do; see README.md.

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
# Executables shipped in the app (search commands, the alert action), and host-only tools.
COMMANDS  := t1102score t1102correlate t1102_forward
TOOLS     := splunkdemu mkpackage testsummary
PLATFORMS := linux_x86_64 windows_x86_64 darwin_x86_64
FUZZTIME  ?= 60s
FUZZPARALLEL ?= 2

export CGO_ENABLED := 0

.PHONY: build test bench lint demo release package fuzz clean

## build: host executables in bin/
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ $(addprefix ./src/cmd/,$(COMMANDS) $(TOOLS))

## test: every test, including process-level tests through the emulator, fuzz seeds and the offline check of the package;
## ends with a count of passed, failed and skipped tests and every skip with its reason (exit status 1 on any failure)
test: build package
	GO=$(GO) bin/testsummary ./src/...

## bench: benchmarks (throughput through real processes and pipes, allocations)
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./src/...

## lint: gofmt and go vet
lint:
	@out="$$(gofmt -l src)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./src/...

## demo: the bundled Atomic Red Team events through the saved search's commands (t1102correlate, map on 3 simulated indexers, then reduce), driven by the splunkd emulator
demo: build
	bin/splunkdemu -input testdata/events/atomic.csv -indexers 3 -chunk-rows 4 \
		-fields host,Image,is_legit_webservice,t1102_domains,t1102_seen_in,connection_count,poll_interval,is_polling,is_encoded,is_service_spawn,risk_score,t1102_reasons \
		-- bin/t1102correlate

## release: cross-compiled command binaries (CGO off) in Splunk's platform layout under build/
release:
	@for p in $(PLATFORMS); do \
		case $$p in \
		linux_x86_64) os=linux; ext= ;; \
		windows_x86_64) os=windows; ext=.exe ;; \
		darwin_x86_64) os=darwin; ext= ;; \
		esac; \
		for c in $(COMMANDS); do \
			echo "build/$$p/bin/$$c$$ext"; \
			GOOS=$$os GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o build/$$p/bin/$$c$$ext ./src/cmd/$$c || exit 1; \
		done; \
	done

## package: the installable Splunk app, dist/<id>-<version>.tgz (same input, same bytes)
package: release
	$(GO) run ./src/cmd/mkpackage -root . -build build -out dist

## fuzz: run every fuzz target for FUZZTIME each (crashers land in testdata/fuzz/)
fuzz:
	@for pkg in ./src/chunked ./src/splunkd ./src/detect ./src/sysmon ./src/appcheck ./src/correlate ./src/forward; do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -parallel $(FUZZPARALLEL) $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf build dist
	find bin -type f ! -name README.md -delete
