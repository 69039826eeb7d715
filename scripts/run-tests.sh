#!/usr/bin/env bash
# make test: build, start a throw-away PostgreSQL cluster, run the whole suite against it, stop it (also on failure).
set -euo pipefail
cd "$(dirname "$0")/.."

swift build --build-tests

cleanup() { scripts/pg-cluster.sh stop test; }
trap cleanup EXIT INT TERM
url=$(scripts/pg-cluster.sh start test --ephemeral)
echo "==> test cluster: $url"

export DATABASE_URL="$url"
export CRM_PIPELINE_BIN="$(swift build --show-bin-path)/crm-pipeline"
swift test
echo "==> make bench, smoke size (BENCH_QUICK=1)"
BENCH_QUICK=1 BENCH_CLUSTER=test BENCH_OUTPUT="$(mktemp)" Benchmarks/bench.sh 200 20 >/dev/null
echo "bench smoke: every load ran"
