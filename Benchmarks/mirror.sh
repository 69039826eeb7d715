#!/usr/bin/env bash
# The CRM's deletions, renames and erasures (issue 25), on a database make bench loaded (its nightly import): removing
# 10 % of its users with all their rows by a nightly of tombstones (users.csv: email,deleted), against the
# floor of a plain DELETE … WHERE email = ANY(…) of the same users with the schema's cascades and triggers;
# then renaming 10 % (users.csv: the new email and the user's crm_user_id) and erasing 10 % (erasures.csv)
# against the same floor. Each on a fresh copy of the database, RUNS times interleaved; medians. Prints Markdown.
#   Benchmarks/mirror.sh ADMIN_URL CRM_PIPELINE SOURCE_DATABASE [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
admin=$1 bin=$2 source_db=$3 runs=${4:-3}
. Benchmarks/common.sh
work=$(mktemp -d)
trap 'rm -rf "$work"; psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS bench_mirror" >/dev/null' EXIT
url_of() { echo "$admin" | sed "s|/crm?|/$1?|"; }
copy() {
    psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS bench_mirror" -c "CREATE DATABASE bench_mirror TEMPLATE $source_db" >/dev/null
    psql -X -q -d "$(url_of bench_mirror)" -c "VACUUM ANALYZE" -c CHECKPOINT >/dev/null
}
source_url=$(url_of "$source_db")
users=$(psql -X -q -At -d "$source_url" -c 'SELECT count(*) FROM "digital_resume_by_CRM"')
chosen=$((users / 10))
mkdir -p "$work/delete" "$work/rename" "$work/erase"
psql -X -q -d "$source_url" -c "\\copy (SELECT email, true AS deleted FROM \"digital_resume_by_CRM\" ORDER BY md5(email) LIMIT $chosen) TO '$work/delete/users.csv' CSV HEADER"
psql -X -q -d "$source_url" -c "\\copy (SELECT 'renamed.' || email AS email, crm_user_id FROM \"digital_resume_by_CRM\" WHERE crm_user_id IS NOT NULL ORDER BY md5(email) LIMIT $chosen) TO '$work/rename/users.csv' CSV HEADER"
psql -X -q -d "$source_url" -c "\\copy (SELECT email, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"00:00:00Z') AS requested_at, 'bench' AS reference FROM \"digital_resume_by_CRM\" ORDER BY md5(email) LIMIT $chosen) TO '$work/erase/erasures.csv' CSV HEADER"
psql -X -q -At -d "$source_url" -c "SELECT email FROM \"digital_resume_by_CRM\" ORDER BY md5(email) LIMIT $chosen" >"$work/emails.txt"
rows=$(psql -X -q -At -d "$source_url" -c "
    SELECT (SELECT count(*) FROM crm_job_requests j WHERE j.email = ANY (e)) + (SELECT count(*) FROM crm_recordings r WHERE r.email = ANY (e))
         + (SELECT count(*) FROM crm_resumes x WHERE x.email = ANY (e)) + (SELECT count(*) FROM crm_payments p WHERE p.email = ANY (e))
         + (SELECT count(*) FROM crm_credit_ledger l WHERE l.email = ANY (e)) + 2 * cardinality(e)
    FROM (SELECT array_agg(email) AS e FROM (SELECT email FROM \"digital_resume_by_CRM\" ORDER BY md5(email) LIMIT $chosen) c) chosen")

floor_delete() {
    psql -X -q -v ON_ERROR_STOP=1 -d "$(url_of bench_mirror)" >/dev/null <<SQL
CREATE TEMP TABLE gone (email text);
\\copy gone FROM '$work/emails.txt'
DELETE FROM "digital_resume_by_CRM" WHERE email = ANY (ARRAY(SELECT email FROM gone));
SQL
}
pipeline() {  # pipeline FOLDER
    "$bin" import "$1" --database-url "$(url_of bench_mirror)" --reject-file "$work/rejects.jsonl" --max-delete-rate 1 --log-level warning >/dev/null
}
timed() { local start; start=$(now); "$@"; calc "$(now) - $start" 3; }
floors=() deletes=() renames=() erasures=()
for _ in $(seq "$runs"); do
    copy; floors+=("$(timed floor_delete)")
    copy; deletes+=("$(timed pipeline "$work/delete")")
    copy; renames+=("$(timed pipeline "$work/rename")")
    copy; erasures+=("$(timed pipeline "$work/erase")")
done
floor=$(median "${floors[@]}") delete=$(median "${deletes[@]}") rename=$(median "${renames[@]}") erase=$(median "${erasures[@]}")

echo "## The CRM's deletions, renames and erasures (issue 25)"
echo
echo "\`Benchmarks/mirror.sh\`: $chosen of the $users users of make bench's nightly database ($rows rows with theirs: every"
echo "child row, ledger and stats row, and the CRM row), each load on a fresh copy, $runs runs interleaved; medians."
echo
echo "| load | seconds | runs | × the floor |"
echo "|---|---|---|---|"
echo "| floor: \`DELETE FROM \"digital_resume_by_CRM\" WHERE email = ANY(…)\` with the schema's cascades and triggers | $floor | ${floors[*]} | 1.00 |"
echo "| crm-pipeline import of $chosen tombstones (\`deleted\`), nightly | $delete | ${deletes[*]} | $(calc "$floor / $delete" 2) |"
echo "| crm-pipeline import renaming $chosen users (same \`crm_user_id\`, new email), nightly | $rename | ${renames[*]} | $(calc "$floor / $rename" 2) |"
echo "| crm-pipeline import of $chosen erasure requests (the log written), nightly | $erase | ${erasures[*]} | $(calc "$floor / $erase" 2) |"
echo
echo "Goal: deleting ≥ 1.0× the floor — $(awk "BEGIN { print ($floor / $delete >= 1.0) ? \"met\" : \"NOT met\" }"). A rename writes each row twice (copied under"
echo "the new email, the old one deleted), so it is reported against the same floor without a goal; so is an erasure."
echo
