#!/usr/bin/env bash
# make test: build, start a throw-away PostgreSQL cluster, run the whole suite against it, stop it (also on failure).
set -euo pipefail
cd "$(dirname "$0")/.."

# The conformance cases the tests must use live beside the checkout, never in it: say so at once rather
# than after the build, in dozens of failures.
shared=${CRM_SHARED_DIR:-$(cd .. && pwd)/shared}
if [ ! -d "$shared/conformance" ]; then
    echo "make test: the shared test material is not at $shared/conformance; clone this repository next to the" \
         "shared folder (../shared), or set CRM_SHARED_DIR to it" >&2
    exit 66
fi

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
