# Build, test and package the T1102.003 detection. Targets are named for
# what users do; see README.md.

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
# Executables shipped in the app (search commands, the alert action), and host-only tools.
COMMANDS  := t1102score t1102correlate t1102_forward
TOOLS     := splunkdemu mkpackage testsummary fleetgen
PLATFORMS := linux_x86_64 windows_x86_64 darwin_x86_64
FUZZTIME  ?= 60s
FUZZPARALLEL ?= 2

export CGO_ENABLED := 0

.PHONY: build test bench bench-all lint demo release package fuzz clean help

## build: host executables in bin/
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ $(addprefix ./src/cmd/,$(COMMANDS) $(TOOLS))

## test: every test, with the race detector (needs gcc, which the Go machines carry), including process-level tests through the emulator, fuzz seeds and the offline check of the package;
## ends with a count of passed, failed and skipped tests and every skip with its reason (exit status 1 on any failure).
## -vet=off: go test's vet checks are a subset of make lint's go vet (CI runs both), not worth compiling twice on a cold cache
test: build package
	CGO_ENABLED=1 GO=$(GO) bin/testsummary -race -vet=off ./src/...

## bench: the speed and memory targets in one table: t1102score against a pass-through echo (ratios of rows/s, both alternated in each run), t1102score's peak memory per chunk and over many chunks, and t1102correlate's past its caps (both fail the run past their bounds: make test leaves these measurements here), t1102correlate's reduce peak memory and events/s, and the state searches over 10,000 hosts' day; BENCHCOUNT runs each (range shown)
BENCHCOUNT ?= 3
bench: build
	@{ $(GO) test ./src/score -run '^$$' -bench 'Throughput/(emulator|emulator-filter|driver|driver-filter)$$|MemoryPerChunk|MemoryFlatInChunks' -benchtime 5x -count $(BENCHCOUNT) && \
	   $(GO) test ./src/correlate -run '^$$' -bench 'MapReduce|StateSearches|MemoryBoundedByCaps' -benchtime 1x -count $(BENCHCOUNT) || echo "FAIL: go test"; } | awk ' \
	function keep(k, v) { if (!(k in lo) || v < lo[k]) lo[k] = v; if (!(k in hi) || v > hi[k]) hi[k] = v; n[k]++ } \
	function span(k, f) { return (k in lo) ? sprintf(f "-" f " (%d runs)", lo[k], hi[k], n[k]) : "not run" } \
	{ print } \
	/^FAIL/ { failed = 1 } \
	/^BenchmarkThroughput\// { split($$1, p, "/"); sub(/-[0-9]+$$/, "", p[2]); for (i = 3; i < NF; i++) if ($$(i+1) == "ratio") keep(p[2], $$i) } \
	/^BenchmarkMapReduce/ { for (i = 3; i < NF; i++) { if ($$(i+1) == "events/s") keep("events", $$i); if ($$(i+1) == "reduce-peak-MiB") keep("reduce", $$i); if ($$(i+1) == "map-peak-MiB") keep("map", $$i) } } \
	/^BenchmarkMemoryFlatInChunks/ { for (i = 3; i < NF; i++) if ($$(i+1) == "100/10-chunks") keep("flat", $$i) } \
	/^BenchmarkMemoryBoundedByCaps/ { for (i = 3; i < NF; i++) { if ($$(i+1) == "map-4x/1x") keep("capmap", $$i); if ($$(i+1) == "reduce-4x/1x") keep("capreduce", $$i) } } \
	/^BenchmarkMemoryPerChunk\// { split($$1, p, "/"); sub(/-[0-9]+$$/, "", p[2]); for (i = 3; i < NF; i++) if ($$(i+1) == "peak/body") keep("mem-" p[2], $$i) } \
	/^BenchmarkStateSearches\// { split($$1, p, "/"); sub(/-[0-9]+$$/, "", p[2]); for (i = 3; i < NF; i++) { if ($$(i+1) == "s/run") keep(p[2] "-s", $$i); if ($$(i+1) == "peak-MiB") keep(p[2] "-peak", $$i); if ($$(i+1) == "state-in-MiB") keep("state", $$i) } } \
	END { \
		print ""; \
		printf "%-72s %-26s %s\n", "target", "measured", "goal"; \
		printf "%-72s %-26s %s\n", "t1102score filter=false / echo, rows/s, strict emulator, 100k rows", span("emulator", "%.2f"), ">= 0.5"; \
		printf "%-72s %-26s %s\n", "t1102score filter=true / echo, rows/s, strict emulator", span("emulator-filter", "%.2f"), ">= 0.8"; \
		printf "%-72s %-26s %s\n", "t1102score filter=false / echo, rows/s, lean driver (the commands alone)", span("driver", "%.2f"), "(for reference)"; \
		printf "%-72s %-26s %s\n", "t1102score filter=true / echo, rows/s, lean driver", span("driver-filter", "%.2f"), "(for reference)"; \
		printf "%-72s %-26s %s\n", "t1102score / the original logic on splunklib (Python SDK)", "not measured: no splunklib", ">= 10 (splunklib cannot be installed on this machine)"; \
		printf "%-72s %-26s %s\n", "t1102score peak RSS / chunk body, one 60 MB chunk, annotating", span("mem-annotate", "%.1f"), "a small multiple: < 11"; \
		printf "%-72s %-26s %s\n", "t1102score peak RSS / chunk body, filter=true", span("mem-filter", "%.1f"), "a small multiple: < 8"; \
		printf "%-72s %-26s %s\n", "t1102score peak RSS, 100 chunks / 10 chunks of 2,000 rows", span("flat", "%.2f"), "< 1.5"; \
		printf "%-72s %-26s %s\n", "t1102correlate reduce peak MiB, 1M events / 20k processes, 3 indexers", span("reduce", "%.0f"), "< 300"; \
		printf "%-72s %-26s %s\n", "t1102correlate map peak MiB (each of 3)", span("map", "%.0f"), "(for reference)"; \
		printf "%-72s %-26s %s\n", "t1102correlate events/s end to end", span("events", "%.0f"), ">= 105000"; \
		printf "%-72s %-26s %s\n", "t1102correlate past its caps, peak at 400k / at 100k events, map", span("capmap", "%.2f"), "< 1.5"; \
		printf "%-72s %-26s %s\n", "t1102correlate past its caps, peak at 400k / at 100k events, reduce", span("capreduce", "%.2f"), "< 1.5"; \
		printf "%-72s %-26s %s\n", "state of 10,000 hosts over 24 h (60,000 activities), MiB as a lookup", span("state", "%.1f"), "(for reference)"; \
		printf "%-72s %-26s %s\n", "alert step 2, merge the state (input=state output=state), s", span("merge-s", "%.1f"), "(for reference)"; \
		printf "%-72s %-26s %s\n", "alert step 3, judge against the baseline (input=state), s", span("judge-s", "%.1f"), "(for reference)"; \
		printf "%-72s %-26s %s\n", "fleet baseline search (input=state output=fleet), s", span("fleet-s", "%.1f"), "(for reference)"; \
		printf "%-72s %-26s %s\n", "peak MiB of merge / judge / fleet", span("merge-peak", "%.0f") " " span("judge-peak", "%.0f") " " span("fleet-peak", "%.0f"), "(for reference)"; \
		if (failed) { print "FAIL: a benchmark failed (above)"; exit 1 } \
	}'

## bench-all: every benchmark of every package, with allocations
bench-all: build
	$(GO) test -run '^$$' -bench . -benchmem ./src/...

## lint: gofmt, go vet and staticcheck (its version pinned in go.mod as a tool: go tool staticcheck)
lint:
	@out="$$(gofmt -l src)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./src/...
	$(GO) tool staticcheck ./src/...

## demo: (1) the bundled Atomic Red Team events through the alert's correlation (t1102correlate, map on 3 simulated indexers, then reduce), driven by the splunkd emulator;
## (2) three days of a simulated 52-host fleet (testdata/fleet/actors.csv) through the shipped schedule with the backtest: the backfill once, then the hourly alert and baseline; prints the alerts raised and when
FLEETFROM := 2026-11-02T00:00:00Z
FLEETTO   := 2026-11-05T00:00:00Z
demo: build
	bin/splunkdemu -input testdata/events/atomic.csv -indexers 3 -chunk-rows 4 \
		-fields host,Image,is_legit_webservice,t1102_domains,t1102_seen_in,connection_count,poll_interval,is_polling,is_encoded,is_service_spawn,risk_score,t1102_reasons \
		-- bin/t1102correlate
	@mkdir -p build
	bin/fleetgen -actors testdata/fleet/actors.csv -from $(FLEETFROM) -days 3 -out build/fleet.csv
	bin/splunkdemu backtest -app . -events build/fleet.csv -from $(FLEETFROM) -to $(FLEETTO) -indexers 3 \
		-first "T1102.003 - Fleet baseline backfill" -search "T1102.003 - Web Service One-Way C2" -search "T1102.003 - Fleet baseline" \
		-fields dest,process_name,is_legit_webservice,poll_interval,risk_score

## release: cross-compiled command binaries (CGO off) in Splunk's platform layout under build/ (one go build per platform, the platforms side by side: the cores stay busy)
release:
	@pids=; for p in $(PLATFORMS); do \
		case $$p in \
		linux_x86_64) os=linux; ext= ;; \
		windows_x86_64) os=windows; ext=.exe ;; \
		darwin_x86_64) os=darwin; ext= ;; \
		esac; \
		for c in $(COMMANDS); do echo "build/$$p/bin/$$c$$ext"; done; \
		mkdir -p build/$$p/bin || exit 1; \
		GOOS=$$os GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o build/$$p/bin/ $(addprefix ./src/cmd/,$(COMMANDS)) & pids="$$pids $$!"; \
	done; \
	status=0; for pid in $$pids; do wait $$pid || status=1; done; exit $$status

## package: the installable Splunk app, dist/<id>-<version>.tgz (same input, same bytes)
## (-trimpath as make build: go run then reuses its compiled packages)
package: release
	$(GO) run -trimpath ./src/cmd/mkpackage -root . -build build -out dist

## fuzz: run every fuzz target for FUZZTIME each (crashers land in testdata/fuzz/)
fuzz:
	@for pkg in ./src/chunked ./src/splunkd ./src/detect ./src/fieldmap ./src/internal/sysmon ./src/internal/appcheck ./src/correlate ./src/forward ./src/backtest; do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -parallel $(FUZZPARALLEL) $$pkg || exit 1; \
		done; \
	done

## clean: remove build/, dist/ and the executables in bin/
clean:
	rm -rf build dist
	find bin -type f ! -name README.md -delete

## help: these targets and their comments (the ## lines of this Makefile)
help:
	@awk '/^## [a-z-]+:/ { t = $$2; sub(/:$$/, "", t); s = $$0; sub(/^## [a-z-]+: */, "", s); printf "%-10s %s\n", t, s; next } \
	     /^## / { s = $$0; sub(/^## /, "", s); printf "%-10s %s\n", "", s }' $(firstword $(MAKEFILE_LIST))
