#!/usr/bin/env bash
# What the report rollup (migration 0024) costs (issue 27, item 3), as ratios of the same work with its
# triggers disabled, measured in one run, RUNS times interleaved, medians:
#   1. a nightly import of a generated export of USERS users into empty tables (its own count of the rows it
#      inserts and the fold included; with the insert triggers disabled the import counts nothing either);
#   2. the app's single-row writes, as PostgREST sends them (a transaction each, the role and claims set,
#      one INSERT as `authenticated`): a job request, then a charged recording; pgbench, 1 and 4 clients.
# Prints Markdown.
#   Benchmarks/rollup-cost.sh ADMIN_URL CRM_PIPELINE USERS RUNS SECONDS   (SECONDS: each pgbench run)
set -euo pipefail
cd "$(dirname "$0")/.."
admin=$1 bin=$2 users=$3 runs=$4 seconds=$5
. Benchmarks/common.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pgbench=$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -1)
app_users=200

# rollup URL on|off: the rollup's fifteen triggers enabled always (as migrated) or disabled.
rollup() {
    psql -X -q -v ON_ERROR_STOP=1 -d "$1" <<SQL >/dev/null
DO \$switch\$
DECLARE
    kept record;
BEGIN
    FOR kept IN SELECT tgname, tgrelid::regclass AS table_name FROM pg_trigger WHERE tgname ~ '_rollup_(inserts|deletes|updates)\$'
    LOOP
        EXECUTE format('ALTER TABLE %s %s TRIGGER %I', kept.table_name,
                       CASE WHEN '$2' = 'on' THEN 'ENABLE ALWAYS' ELSE 'DISABLE' END, kept.tgname);
    END LOOP;
END
\$switch\$;
SQL
}
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# 1. The import.
"$bin" generate --users "$users" --bad-rows 0 --duplicates 0 --seed 20261125 --out "$work/export" >/dev/null
declare -A import_runs
for run in $(seq "$runs"); do
    for state in on off; do
        db=$(fresh bench_rollup migrated)
        rollup "$db" "$state"
        start=$(now)
        "$bin" import "$work/export" --database-url "$db" --reject-file "$work/rejects.jsonl" --log-level warning >/dev/null
        import_runs[$state]="${import_runs[$state]:-} $(calc "$(now) - $start" 3)"
    done
done

# 2. The app's writes: $app_users signed-up CRM users with credits for every recording pgbench makes.
db=$(fresh bench_rollup migrated)
"$bin" import "$work/export" --database-url "$db" --reject-file "$work/rejects.jsonl" --log-level warning >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<SQL >/dev/null
INSERT INTO "digital_resume_by_CRM" (email) SELECT 'bench' || n || '@example.com' FROM generate_series(1, $app_users) n;
INSERT INTO auth.users (id, email) SELECT md5('bench' || n)::uuid, 'bench' || n || '@example.com' FROM generate_series(1, $app_users) n;
INSERT INTO crm_payments (email, amount_cents, paid_at)
SELECT 'bench' || n || '@example.com', 900, now() FROM generate_series(1, $app_users) n, generate_series(1, 400);
SELECT crm_private.crm_activity_fold();
VACUUM ANALYZE;
SQL
request() {  # request STATEMENT: one PostgREST request of a random bench user, as pgbench runs it
    cat <<SQL
\\set u random(1, $app_users)
BEGIN;
SELECT set_config('role', 'authenticated', true),
       set_config('request.jwt.claims', json_build_object('sub', md5('bench' || :u)::uuid, 'role', 'authenticated')::text, true);
$1
COMMIT;
SQL
}
request "INSERT INTO crm_job_requests (email, job_title, company_name, status) VALUES ('bench' || :u || '@example.com', 'Nurse', 'Harbour Clinic', 'applied');" >"$work/apply.sql"
request "INSERT INTO crm_recordings (email, video_url, duration_seconds, credit_charged) VALUES ('bench' || :u || '@example.com', 'https://cdn.example.com/app.mp4', 60, true);" >"$work/record.sql"
declare -A tps_runs
for run in $(seq "$runs"); do
    for state in on off; do
        rollup "$db" "$state"
        for clients in 1 4; do
            for write in apply record; do
                tps=$("$pgbench" -n -M prepared -f "$work/$write.sql" -c "$clients" -j "$clients" -T "$seconds" "$db" 2>/dev/null \
                    | awk '/^tps/ { print $3; exit }')
                tps_runs[$state,$clients,$write]="${tps_runs[$state,$clients,$write]:-} $(calc "$tps" 0)"
            done
        done
        psql -X -q -d "$db" -c "SELECT crm_private.crm_activity_fold()" >/dev/null
    done
done
rollup "$db" on

echo "## The report rollup's cost (issue 27)"
echo
echo "\`Benchmarks/rollup-cost.sh\`: the same work with the rollup's triggers enabled (as migrated) and disabled, $runs runs"
echo "interleaved, medians."
echo
echo "| work | rollup on | rollup off | runs (on; off) | cost: on ÷ off |"
echo "|---|---|---|---|---|"
on=$(median "${import_runs[on]}") off=$(median "${import_runs[off]}")
echo "| nightly import of $users generated users into empty tables, seconds | $on | $off | ${import_runs[on]# }; ${import_runs[off]# } | $(calc "$on / $off" 2) |"
for clients in 1 4; do
    for write in apply record; do
        label=$([ "$write" = apply ] && echo "a job request" || echo "a charged recording")
        on=$(median "${tps_runs[on,$clients,$write]}") off=$(median "${tps_runs[off,$clients,$write]}")
        echo "| the app inserts $label, $clients client(s), requests/s ($seconds s each) | $on | $off | ${tps_runs[on,$clients,$write]# }; ${tps_runs[off,$clients,$write]# } | $(calc "$off / $on" 2) |"
    done
done
echo
echo "Goal (issue 27): an app single-row write with the rollup ≤ 1.2× without (the cost column: time per request)."
echo
psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS bench_rollup" >/dev/null
