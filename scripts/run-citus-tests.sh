#!/usr/bin/env bash
# make test-citus: the Citus tests (Tests/CitusTests) on a two-node Citus cluster next to a plain
# PostgreSQL cluster, both throw-away. Builds and installs Citus from ../shared/vendor when it is
# missing (test material, never copied into this repository); skips with a message when the archive
# is not there.
set -euo pipefail
cd "$(dirname "$0")/.."

vendor=${CITUS_VENDOR:-../shared/vendor}
if [ ! -f "$(pg_config --pkglibdir)/citus.so" ]; then
    if [ ! -f "$vendor/citus-13.2.2.tar.gz" ]; then
        echo "make test-citus: skipped, Citus is not installed and $vendor/citus-13.2.2.tar.gz is not there"
        exit 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "make test-citus: Citus is not installed; building it needs root (apt-get, make install)" >&2
        exit 77
    fi
    echo "==> building Citus 13.2.2 from $vendor (about 2 minutes)"
    bash "$vendor/build-citus.sh"
fi

swift build --build-tests

cleanup() {
    scripts/citus-cluster.sh stop || true
    scripts/pg-cluster.sh stop citus-plain || true
}
trap cleanup EXIT INT TERM
plain=$(scripts/pg-cluster.sh start citus-plain --ephemeral)
{ read -r coordinator; read -r worker; } < <(scripts/citus-cluster.sh start)
echo "==> plain PostgreSQL: $plain"
echo "==> Citus coordinator: $coordinator, worker: $worker"

export DATABASE_URL="$plain" CITUS_URL="$coordinator" CITUS_WORKER_URL="$worker"
export CRM_PIPELINE_BIN="$(swift build --show-bin-path)/crm-pipeline"
swift test --skip-build --filter "${CITUS_TEST_FILTER:-CitusTests}"
