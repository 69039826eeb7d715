#!/usr/bin/env bash
# Measures what the stats and credit triggers cost, on the private "bench" cluster (default settings):
#   1. a 1M-row INSERT … SELECT into crm_recordings (10 charged recordings for each of 100k users):
#      triggers on; the loader's stand-aside switch plus the set-based upkeep; triggers disabled;
#   2. single-row INSERTs of a recording in autocommit, one psql statement each, triggers on and off.
# Usage: Benchmarks/trigger-cost.sh [USERS] [SINGLE_ROWS]   (defaults 100000 and 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-100000}
single=${2:-2000}
rows=$((users * 10))

swift build -c release >/dev/null
bin="$(swift build -c release --show-bin-path)/crm-pipeline"
admin=$(scripts/pg-cluster.sh start bench)
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -d "$admin" "$@"; }
. Benchmarks/common.sh

fresh_database() {
    db=$(fresh bench_triggers migrated)
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL
INSERT INTO "digital_resume_by_CRM" (email) SELECT 'user' || n || '@example.com' FROM generate_series(1, $users) n;
-- Two payments each: 4 + 6 = 10 credits, one for each recording.
INSERT INTO crm_payments (email, amount_cents, paid_at)
SELECT 'user' || n || '@example.com', 900, now() FROM generate_series(1, $users) n, generate_series(1, 2);
VACUUM ANALYZE;
CHECKPOINT;
SQL
}

insert_recordings_sql="INSERT INTO crm_recordings (email, external_id, video_url, credit_charged, created_at)
SELECT 'user' || n || '@example.com', 'R' || k, 'https://cdn.example.com/' || n || '/' || k || '.mp4', true, now()
FROM generate_series(1, $users) n, generate_series(1, 10) k"

timed() {  # timed LABEL SQL…: runs the SQL in one psql session, prints seconds
    local label=$1; shift
    local start end
    start=$(now)
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@" >/dev/null
    end=$(now)
    echo "$label $(calc "$end - $start" 3)"
}

check() {
    psql -X -tA -d "$db" -c "SELECT (SELECT sum(total_recordings) FROM crm_dashboard_stats) || ' recordings counted, '
        || (SELECT sum(credits) FROM profiles) || ' credits left, ledger sum ' || (SELECT sum(delta) FROM crm_credit_ledger)"
}

echo "== $rows-row INSERT … SELECT into crm_recordings ($users users, all charged)"
fresh_database
t_on=$(timed "triggers-on" -c "$insert_recordings_sql" | awk '{print $2}')
echo "triggers on:        ${t_on}s  $(calc "$rows / $t_on") rows/s   [$(check)]"

fresh_database
t_bulk=$(timed "bulk" <<SQL | awk '{print $2}'
BEGIN;
SET LOCAL crm.bulk_load = 'on';
$insert_recordings_sql;
SELECT crm_private.crm_adjust_stats(array_agg(email), array_agg(0), array_agg(n), array_agg(0))
FROM (SELECT email, count(*)::int AS n FROM crm_recordings GROUP BY email) c;
SELECT crm_private.crm_book_credits(array_agg(email), array_agg(-n), array_agg('recording'::text), array_agg('bench-run'::text))
FROM (SELECT email, count(*)::int AS n FROM crm_recordings WHERE credit_charged GROUP BY email) c;
COMMIT;
SQL
)
echo "stand-aside + set-based upkeep: ${t_bulk}s  $(calc "$rows / $t_bulk") rows/s   [$(check)]"

fresh_database
psql -X -q -d "$db" -c "ALTER TABLE crm_recordings DISABLE TRIGGER USER"
t_off=$(timed "triggers-off" -c "$insert_recordings_sql" | awk '{print $2}')
echo "triggers disabled:  ${t_off}s  $(calc "$rows / $t_off") rows/s   (no upkeep: stats and credits are wrong)"

echo
echo "== $single single-row INSERTs of a recording, autocommit, one statement each"
statements=$(mktemp)
for i in $(seq 1 "$single"); do
    echo "INSERT INTO crm_recordings (email, video_url) VALUES ('user$(( (i % users) + 1 ))@example.com', 'https://cdn.example.com/single/$i.mp4');"
done >"$statements"
fresh_database
t_row_on=$(timed "single-on" -v AUTOCOMMIT=on -f "$statements" | awk '{print $2}')
psql -X -q -d "$db" -c "ALTER TABLE crm_recordings DISABLE TRIGGER USER"
sed -i 's|/single/|/single-off/|' "$statements"
t_row_off=$(timed "single-off" -v AUTOCOMMIT=on -f "$statements" | awk '{print $2}')
rm -f "$statements"
echo "triggers on:   $(calc "$t_row_on * 1000 / $single") ms per row"
echo "triggers off:  $(calc "$t_row_off * 1000 / $single") ms per row"
psql_admin -c "DROP DATABASE IF EXISTS bench_triggers"
