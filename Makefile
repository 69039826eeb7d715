# crm-pipeline: the two commands a newcomer runs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help deps build install run test test-citus bench-citus stop psql clean bench bench-extract bench-triggers bench-auth bench-compare fuzz

help:
	@echo "make run    install what is missing, build, start the private PostgreSQL, migrate, show the status"
	@echo "make test   the same set-up on a throw-away cluster, then the whole test suite"
	@echo "make install  a release build into \$$PREFIX (default /usr/local): bin/crm-pipeline, for cron"
	@echo "make stop   stop the cluster that make run started"
	@echo "make psql   open psql on that cluster"
	@echo "make clean  stop and delete every cluster of the project (wherever it was placed), the build and .demo/"
	@echo "make test-citus      the Citus tests on a two-node cluster (builds Citus from ../shared/vendor first, ~2 min)"
	@echo "make fuzz            the fuzz tests with 5,000 cases per format instead of 150"
	@echo "make bench           every load compared with the floor, on ~1M generated rows; writes BENCHMARKS.md"
	@echo "make bench-extract   CSV reader MB/s next to a plain byte loop (200 MB file)"
	@echo "make bench-triggers  what the stats and credit triggers cost (1M rows, single rows)"
	@echo "make bench-auth      an import against auth.users with 0 and 200,000 accounts, on a Supabase-shaped database"
	@echo "make bench-compare REV=<commit>  nightly and re-import by REV's build and this tree's, interleaved"
	@echo "make bench-citus     import rate on the two-node Citus cluster next to plain PostgreSQL (needs make test-citus first)"

deps:
	@scripts/ensure-deps.sh

build: deps
	swift build

PREFIX ?= /usr/local

# The Swift runtime linked in, so that a cron host needs no Swift toolchain (libpq, libxml2 come from Debian).
install: deps
	swift build -c release --product crm-pipeline --static-swift-stdlib
	scripts/install.sh "$(DESTDIR)$(PREFIX)" "$$(swift build -c release --show-bin-path)"

run: build
	@scripts/run-demo.sh

test: deps
	@scripts/run-tests.sh

test-citus: deps
	@scripts/run-citus-tests.sh

stop:
	@scripts/pg-cluster.sh stop run

psql:
	@psql "$$(scripts/pg-cluster.sh url run)"

clean:
	@for pointer in .pgcluster/*.location; do \
		[ -e "$$pointer" ] && scripts/pg-cluster.sh remove "$$(basename "$$pointer" .location)"; \
	done; true
	rm -rf .build .pgcluster .demo crm-import-*.rejects.jsonl

bench-extract: deps
	swift build -c release --product extract-benchmark
	"$$(swift build -c release --show-bin-path)/extract-benchmark" 200

bench-triggers: deps
	Benchmarks/trigger-cost.sh

bench-auth: deps
	Benchmarks/auth-users.sh

bench-compare: deps
	Benchmarks/compare-builds.sh "$(REV)"

bench-citus: deps
	Benchmarks/citus-import.sh

bench: deps
	Benchmarks/bench.sh

fuzz: deps
	FUZZ_COUNT=5000 swift test --filter FuzzTests
