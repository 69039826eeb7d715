# crm-pipeline: the two commands a newcomer runs are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help deps build run test test-citus bench-citus stop psql clean bench bench-extract bench-triggers bench-auth fuzz

help:
	@echo "make run    install what is missing, build, start the private PostgreSQL, migrate, show the status"
	@echo "make test   the same set-up on a throw-away cluster, then the whole test suite"
	@echo "make stop   stop the cluster that make run started"
	@echo "make psql   open psql on that cluster"
	@echo "make clean  stop it and delete the build and the cluster"
	@echo "make test-citus      the Citus tests on a two-node cluster (builds Citus from ../shared/vendor first, ~2 min)"
	@echo "make fuzz            the fuzz tests with 5,000 cases per format instead of 150"
	@echo "make bench           every load compared with the floor, on ~1M generated rows; writes BENCHMARKS.md"
	@echo "make bench-extract   CSV reader MB/s next to a plain byte loop (200 MB file)"
	@echo "make bench-triggers  what the stats and credit triggers cost (1M rows, single rows)"
	@echo "make bench-auth      an import against auth.users with 0 and 200,000 accounts, on a Supabase-shaped database"
	@echo "make bench-citus     import rate on the two-node Citus cluster next to plain PostgreSQL (needs make test-citus first)"

deps:
	@scripts/ensure-deps.sh

build: deps
	swift build

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

clean: stop
	rm -rf .build .pgcluster

bench-extract: deps
	swift build -c release --product extract-benchmark
	"$$(swift build -c release --show-bin-path)/extract-benchmark" 200

bench-triggers: deps
	Benchmarks/trigger-cost.sh

bench-auth: deps
	Benchmarks/auth-users.sh

bench-citus: deps
	Benchmarks/citus-import.sh

bench: deps
	Benchmarks/bench.sh

fuzz: deps
	FUZZ_COUNT=5000 swift test --filter FuzzTests
