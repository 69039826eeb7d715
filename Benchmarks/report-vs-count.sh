#!/usr/bin/env bash
# `report summary` and `report users --top 100` against a bare `SELECT count(*)` over the same tables,
# in one run, on USERS users with 10 recordings, 3 job requests and 1 resume each (default 1,000,000 users,
# i.e. 10M recordings). The data is made in SQL with the triggers standing aside and the set-based upkeep, and the
# report rollup's deltas folded as an import's commit folds them. KEEP_DB=1 keeps the database (bench_report).
# Usage: Benchmarks/report-vs-count.sh [USERS]
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-1000000}
swift build -c release --product crm-pipeline >/dev/null
bin="$(swift build -c release --show-bin-path)/crm-pipeline"
admin=$(scripts/pg-cluster.sh start bench)
. Benchmarks/common.sh
db=$(fresh bench_report migrated)

start=$(now)
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL
BEGIN;
SET LOCAL crm.bulk_load = 'on';
INSERT INTO "digital_resume_by_CRM" (email, first_name, last_name, created_at)
SELECT 'user' || n || '@example.com', 'First' || n, 'Last' || n, timestamptz '2024-01-01' + (n % 300) * interval '1 day'
FROM generate_series(1, $users) n;
SELECT crm_private.crm_users_created(array_agg(email)) FROM "digital_resume_by_CRM";
INSERT INTO crm_job_requests (email, external_id, job_title, created_at)
SELECT 'user' || n || '@example.com', 'J' || k, 'Nurse', timestamptz '2024-01-01' + ((n + k) % 330) * interval '1 day'
FROM generate_series(1, $users) n, generate_series(1, 3) k;
INSERT INTO crm_recordings (email, external_id, video_url, credit_charged, created_at)
SELECT 'user' || n || '@example.com', 'R' || k, 'https://cdn.example.com/' || n || '/' || k, false,
       timestamptz '2024-01-01' + ((n * 7 + k) % 330) * interval '1 day'
FROM generate_series(1, $users) n, generate_series(1, 10) k;
INSERT INTO crm_resumes (email, external_id, file_url, created_at)
SELECT 'user' || n || '@example.com', 'CV', 'https://cdn.example.com/cv/' || n, timestamptz '2024-01-01' + (n % 330) * interval '1 day'
FROM generate_series(1, $users) n;
SELECT crm_private.crm_adjust_stats(array_agg(email), array_agg(3), array_agg(10), array_agg(1)) FROM "digital_resume_by_CRM";
COMMIT;
-- The rollup's deltas folded, as every import's commit folds them: the reports read the state a nightly leaves.
SELECT crm_private.crm_activity_fold();
VACUUM ANALYZE;
SQL
echo "data: $users users, $((users * 10)) recordings, $((users * 3)) job requests, $users resumes (made in $(calc "$(now) - $start") s)"

time_of() {  # time_of COMMAND…: best of 3 runs, in seconds
    local best=999999 t start
    for _ in 1 2 3; do
        start=$(now)
        "$@" >/dev/null
        t=$(calc "$(now) - $start")
        best=$(awk "BEGIN { print ($t < $best) ? $t : $best }")
    done
    echo "$best"
}
count=$(time_of psql -X -q -d "$db" -c 'SELECT (SELECT count(*) FROM "digital_resume_by_CRM"), (SELECT count(*) FROM crm_job_requests), (SELECT count(*) FROM crm_recordings), (SELECT count(*) FROM crm_resumes)')
summary=$(time_of "$bin" report summary --month 2024-06 --database-url "$db" --format json)
top=$(time_of "$bin" report users --top 100 --month 2024-06 --database-url "$db" --format json)
echo "SELECT count(*) over the 4 tables      ${count} s   1.00"
echo "report summary --month 2024-06         ${summary} s   $(calc "$summary / $count")x"
echo "report users --top 100 --month 2024-06 ${top} s   $(calc "$top / $count")x"
[ "${KEEP_DB:-}" = 1 ] || psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS bench_report"
