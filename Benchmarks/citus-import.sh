#!/usr/bin/env bash
# make bench-citus [USERS]: the import rate on the two-node Citus cluster next to plain PostgreSQL on
# the same machine, same generated export, same settings (both throw-away clusters, fsync off).
# Needs Citus installed (make test-citus builds it). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-20000}
swift build -c release --product crm-pipeline >/dev/null
bin="$(swift build -c release --show-bin-path)/crm-pipeline"
# shellcheck source=Benchmarks/common.sh
source Benchmarks/common.sh

work=$(mktemp -d)
cleanup() {
    scripts/citus-cluster.sh stop || true
    scripts/pg-cluster.sh stop bench-citus-plain || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
plain=$(scripts/pg-cluster.sh start bench-citus-plain --ephemeral)
{ read -r coordinator; read -r _; } < <(scripts/citus-cluster.sh start)
"$bin" generate --users "$users" --seed 7 --out "$work/export" >/dev/null
rows=$(( $(cat "$work"/export/*.csv | wc -l) - $(ls "$work"/export/*.csv | wc -l) ))

reset() {  # reset URL: empty CRM tables, migrated (with --citus on the coordinator)
    "$bin" migrate "${@:2}" --database-url "$1" --log-level warning >/dev/null
    psql -X -q -d "$1" -c 'SET client_min_messages = warning' -c 'TRUNCATE "digital_resume_by_CRM", profiles, auth.users, crm_private.crm_import_runs CASCADE' -c CHECKPOINT >/dev/null
}
measure() {  # measure URL [import options…]: seconds of one import of the export
    local started
    started=$(now)
    "$bin" import "$work/export" --database-url "$1" --reject-file "$work/rejects.jsonl" --log-level warning "${@:2}" >/dev/null
    calc "$(now) - $started"
}

echo "Import of $users generated users ($rows rows), plain PostgreSQL vs a two-node Citus 13.2 cluster (coordinator + 1 worker, shards on both) on this machine:"
echo
echo "| load | plain s | Citus s | plain rows/s | Citus rows/s | Citus / plain |"
echo "|---|---|---|---|---|---|"
for mode in nightly "backfill --jobs 2"; do
    reset "$plain"
    p=$(measure "$plain" --mode $mode)
    reset "$coordinator" --citus
    c=$(measure "$coordinator" --mode $mode)
    echo "| $mode | $p | $c | $(calc "$rows / $p" 0) | $(calc "$rows / $c" 0) | $(calc "$p / $c" 2)× |"
done
catch_up() {  # catch_up URL: seconds of one crm_private.crm_profiles_catch_up() over every user
    local started
    started=$(now)
    psql -X -q -d "$1" -Atc 'SELECT count(*) FROM crm_private.crm_profiles_catch_up()' >/dev/null
    calc "$(now) - $started"
}
p=$(catch_up "$plain")
c=$(catch_up "$coordinator")
echo "| crm_private.crm_profiles_catch_up(), nothing lagging (the cron job) | $p | $c | | | $(calc "$p / $c" 2)× |"
