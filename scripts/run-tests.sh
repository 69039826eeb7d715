#!/usr/bin/env bash
# make test: build, start a throw-away PostgreSQL cluster, run the whole suite against it; then build a
# Supabase-shaped cluster from Supabase's own SQL and run the database suites again on it, as Supabase's
# roles; stop both (also on failure).
set -euo pipefail
cd "$(dirname "$0")/.."

# The shared test material (conformance cases, Supabase's SQL) lives beside the checkout, never in it. A
# clone from a public host has none: the tests that need it are skipped, each saying so in one line.
shared=${CRM_SHARED_DIR:-$(cd .. && pwd)/shared}
if [ ! -d "$shared/conformance" ]; then
    echo "make test: no shared test material at $shared: the tests of the conformance cases and the Supabase-shaped" \
         "database are skipped (clone this repository beside the shared folder, or set CRM_SHARED_DIR)"
fi

swift build --build-tests

# Every file and folder the tests write goes to a temporary folder of this run, removed at the end.
test_tmp=$(mktemp -d /tmp/crm-pipeline-tests.XXXXXX)
supabase_base=""
supabase_build="$shared/vendor/supabase/build.sh"
supabase_port=55433
cleanup() {
    scripts/pg-cluster.sh stop test
    rm -rf "$test_tmp"
    if [ -n "$supabase_base" ]; then
        "$supabase_build" "$supabase_base" "$supabase_port" stop >/dev/null || true
        rm -rf "$supabase_base"
    fi
}
trap cleanup EXIT INT TERM
url=$(scripts/pg-cluster.sh start test --ephemeral)
echo "==> test cluster: $url"

export DATABASE_URL="$url" TMPDIR="$test_tmp"
export CRM_PIPELINE_BIN="$(swift build --show-bin-path)/crm-pipeline"
swift test

if [ -x "$supabase_build" ]; then
    supabase_base=$(mktemp -d /tmp/crm-supabase.XXXXXX)
    chmod 755 "$supabase_base"
    echo "==> building the Supabase-shaped cluster from $shared/vendor/supabase"
    "$supabase_build" "$supabase_base" "$supabase_port" >"$supabase_base.log" 2>&1 \
        || { cat "$supabase_base.log" >&2; exit 1; }
    rm -f "$supabase_base.log"
    admin="postgresql://supabase_admin@/postgres?host=$supabase_base/sock&port=$supabase_port"
    # PostgREST's authenticator preloads Supabase's safeupdate extension, which stock PostgreSQL lacks (like
    # the other extensions build.sh leaves out): without this no test could connect as authenticator.
    psql -X -q -d "$admin" -c "ALTER ROLE authenticator RESET session_preload_libraries"
    echo "==> the database suites again, on the Supabase-shaped database as Supabase's roles"
    CRM_TEST_PLATFORM=supabase CRM_TEST_SUPABASE_URL="$admin" \
        swift test --skip-build --filter 'SchemaTests|CRMSchemaTests|ImportTests|LoadTests|ReportTests|MigrateTests|CLITests|PipelineTests'
else
    echo "skipped: the suites on the Supabase-shaped database (needs $shared/vendor/supabase/build.sh)"
fi

echo "==> make bench, smoke size (BENCH_QUICK=1)"
BENCH_QUICK=1 BENCH_CLUSTER=test BENCH_OUTPUT="$(mktemp)" Benchmarks/bench.sh 200 20 >/dev/null
echo "bench smoke: every load ran"
