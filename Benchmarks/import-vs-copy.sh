#!/usr/bin/env bash
# Our nightly import (release build, --credits charge) against the floor — psql \copy of the same files
# into plain text tables with no constraints — on the same files, cluster and machine, in one run.
# Usage: Benchmarks/import-vs-copy.sh [USERS]   (default 100000 users = 1,000,000 rows)
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-100000}
rows=$((users * 10))
command -v python3 >/dev/null || { apt-get update && apt-get install -y python3; }

swift build -c release --product crm-pipeline >/dev/null
bin="$(swift build -c release --show-bin-path)/crm-pipeline"
admin=$(scripts/pg-cluster.sh start bench)
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
python3 Benchmarks/generate-native.py "$users" "$data"
. Benchmarks/common.sh

db=$(fresh bench_import)
psql -X -q -d "$db" <<'SQL'
CREATE TABLE f_users (email text, crm_user_id text, first_name text, last_name text, phone text, created_at text, updated_at text);
CREATE TABLE f_jobs (email text, external_id text, job_title text, company_name text, status text, created_at text, updated_at text);
CREATE TABLE f_recs (email text, external_id text, job_request_external_id text, video_url text, duration_seconds text, credit_charged text, created_at text);
CREATE TABLE f_res (email text, external_id text, file_url text, file_name text, created_at text);
CHECKPOINT;
SQL
start=$(now)
psql -X -q -d "$db" -c "\\copy f_users FROM '$data/users.csv' CSV HEADER" -c "\\copy f_jobs FROM '$data/job_requests.csv' CSV HEADER" \
    -c "\\copy f_recs FROM '$data/recordings.csv' CSV HEADER" -c "\\copy f_res FROM '$data/resumes.csv' CSV HEADER"
floor=$(calc "$(now) - $start")

db=$(fresh bench_import migrated)
start=$(now)
"$bin" import "$data" --database-url "$db" --reject-file "$data/rejects.jsonl" --log-level info >"$data/summary.txt" 2>"$data/log.txt"; grep " done" "$data/log.txt" | sed -E "s/.*seconds=([0-9.]+) \[Load\] (.*) done/  \2: \1 s/"
ours=$(calc "$(now) - $start")

echo "$rows rows ($users users), $(du -sh "$data" | cut -f1) of CSV"
echo "floor: psql \\copy into text tables   ${floor} s   $(calc "$rows / $floor") rows/s   1.00"
echo "crm-pipeline import (nightly, charge)  ${ours} s   $(calc "$rows / $ours") rows/s   $(calc "$floor / $ours") of the floor"
grep -E "^total|rejected|Rejected" "$data/summary.txt" || true
psql -X -tA -d "$db" -c "SELECT 'stats ' || sum(total_applications) || '/' || sum(total_recordings) || '/' || sum(total_resumes) || ', credits ' || (SELECT sum(credits) FROM profiles) || ', ledger ' || (SELECT sum(delta) FROM crm_credit_ledger) FROM crm_dashboard_stats"
psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS bench_import"
