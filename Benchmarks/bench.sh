#!/usr/bin/env bash
# make bench: loads the same generated files every way we compare against, in one run on one cluster
# (default server settings), and writes BENCHMARKS.md. Figures are ratios to the floor measured here.
#   Benchmarks/bench.sh [USERS] [SMALL_USERS]   (defaults: 140000 users ≈ 1M rows; 14000 for the memory check)
# BENCH_QUICK=1 runs a tiny smoke version on the debug build, without installing anything (make test runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-140000}
small=${2:-$((users / 10))}
if [ "${BENCH_QUICK:-}" = 1 ]; then
    configuration=debug
    extract_mb=2
else
    configuration=release
    extract_mb=200
    command -v pgloader >/dev/null || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y pgloader >/dev/null; } || true
    command -v /usr/bin/time >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y time >/dev/null; } || true
fi
swift build -c "$configuration" --product crm-pipeline >/dev/null
swift build -c "$configuration" --product extract-benchmark >/dev/null
swift build -c "$configuration" --product app-load-benchmark >/dev/null
bin="$(swift build -c "$configuration" --show-bin-path)/crm-pipeline"
admin=$(scripts/pg-cluster.sh start "${BENCH_CLUSTER:-bench}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. Benchmarks/common.sh
timed() {  # timed COMMAND…: prints wall seconds
    local start
    start=$(now)
    "$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; return 1; }
    calc "$(now) - $start"
}

"$bin" generate --users "$users" --bad-rows 0 --duplicates 0 --seed 20261125 --out "$work/data" >/dev/null
"$bin" generate --users "$small" --bad-rows 0 --duplicates 0 --seed 20261125 --out "$work/small" >/dev/null
rows=$(( $(cat "$work"/data/*.csv | wc -l) - 5 ))
declare -A result
declare -A big_disk

# The floor: psql \copy into plain text tables with no constraints.
db=$(fresh bench_floor)
for e in users job_requests recordings resumes payments; do
    cols=$(head -1 "$work/data/$e.csv" | sed 's/,/ text, /g')
    psql -X -q -d "$db" -c "CREATE TABLE f_$e ($cols text)"
done
copy_all() { for e in users job_requests recordings resumes payments; do psql -X -q -d "$db" -c "\\copy f_$e FROM '$work/data/$e.csv' CSV HEADER"; done; }
result[floor]=$(timed copy_all)

import_into() { "$bin" import "$work/data" --database-url "$1" --reject-file "$work/rejects.jsonl" --log-level warning "${@:2}"; }

# The real-schema floor (FKs checked, then aside), the nightly import and the backfill on two connections and on
# one, interleaved three times each on fresh databases: the floor's median is the figure every other load is compared
# with, and each load's median is its figure (a run alone, after other loads, met whatever autovacuum they left).
. Benchmarks/real-schema-floor.sh
prepare_real_schema_floor "$work/data" "$work/floor"
runs_fk=() runs_nofk=() runs_nightly=() runs_backfill2=() runs_backfill1=() jobs_ratios=()
for round in 1 2 3; do
    [ "${BENCH_QUICK:-}" = 1 ] && [ "$round" -gt 1 ] && break
    runs_fk+=("$(timed load_real_schema_floor "$work/floor" "$(fresh bench_schema migrated)")")
    runs_nightly+=("$(timed import_into "$(fresh bench_nightly migrated)")")
    runs_nofk+=("$(timed load_real_schema_floor "$work/floor" "$(fresh bench_schema migrated)" replica)")
    runs_backfill2+=("$(timed import_into "$(fresh bench_backfill2 migrated)" --mode backfill --jobs 2)")
    runs_backfill1+=("$(timed import_into "$(fresh bench_backfill1 migrated)" --mode backfill --jobs 1)")
    jobs_ratios+=("$(calc "${runs_backfill1[-1]} / ${runs_backfill2[-1]}" 2)")
done
# The end-state floor: what the last nightly left, \copy'd into fresh databases as many times.
dump_end_state "$(echo "$admin" | sed 's|/crm?|/bench_nightly?|')" "$work/end-state"
runs_end=()
for round in "${!runs_nightly[@]}"; do
    runs_end+=("$(timed load_end_state_floor "$work/end-state" "$(fresh bench_schema migrated)")")
done
result[end_state]=$(median "${runs_end[@]}")
result[schema]=$(median "${runs_fk[@]}")
result[schema_nofk]=$(median "${runs_nofk[@]}")
result[nightly]=$(median "${runs_nightly[@]}")
result[backfill2]=$(median "${runs_backfill2[@]}")
result[backfill1]=$(median "${runs_backfill1[@]}")
db=$(echo "$admin" | sed 's|/crm?|/bench_nightly?|')
result[reimport]=$(timed import_into "$db" --force)

# The naive staged merge in SQL, run by psql: TEMP staging, \copy, one INSERT … SELECT per table, the
# row triggers doing the upkeep (the load-ceiling design of shared/notes, on this schema).
db=$(fresh bench_naive migrated)
cat >"$work/naive.sql" <<SQL
BEGIN;
CREATE TEMP TABLE s_users (email text, crm_user_id text, first_name text, last_name text, phone text, created_at text, updated_at text);
CREATE TEMP TABLE s_jobs (email text, external_id text, job_title text, company_name text, status text, created_at text, updated_at text);
CREATE TEMP TABLE s_recs (email text, external_id text, job_request_external_id text, video_url text, duration_seconds text, credit_charged text, created_at text);
CREATE TEMP TABLE s_res (email text, external_id text, file_url text, file_name text, created_at text);
CREATE TEMP TABLE s_pay (email text, external_id text, amount_cents text, currency text, paid_at text);
\\copy s_users FROM '$work/data/users.csv' CSV HEADER
\\copy s_jobs FROM '$work/data/job_requests.csv' CSV HEADER
\\copy s_recs FROM '$work/data/recordings.csv' CSV HEADER
\\copy s_res FROM '$work/data/resumes.csv' CSV HEADER
\\copy s_pay FROM '$work/data/payments.csv' CSV HEADER
INSERT INTO "digital_resume_by_CRM" (email, crm_user_id, first_name, last_name, phone, created_at, updated_at)
SELECT email, crm_user_id, first_name, last_name, phone, created_at::timestamptz, updated_at::timestamptz FROM s_users ON CONFLICT DO NOTHING;
INSERT INTO crm_payments (email, external_id, amount_cents, currency, paid_at)
SELECT email, external_id, amount_cents::bigint, currency, paid_at::timestamptz FROM s_pay ORDER BY paid_at::timestamptz ON CONFLICT DO NOTHING;
INSERT INTO crm_job_requests (email, external_id, job_title, company_name, status, created_at, updated_at)
SELECT email, external_id, job_title, company_name, status, created_at::timestamptz, updated_at::timestamptz FROM s_jobs ON CONFLICT DO NOTHING;
INSERT INTO crm_recordings (email, external_id, job_request_id, video_url, duration_seconds, credit_charged, created_at)
SELECT r.email, r.external_id, j.id, r.video_url, r.duration_seconds::int, r.credit_charged::bool, r.created_at::timestamptz
FROM s_recs r LEFT JOIN crm_job_requests j ON j.email = r.email AND j.external_id = r.job_request_external_id ON CONFLICT DO NOTHING;
INSERT INTO crm_resumes (email, external_id, file_url, file_name, created_at)
SELECT email, external_id, file_url, file_name, created_at::timestamptz FROM s_res ON CONFLICT DO NOTHING;
COMMIT;
SQL
result[naive]=$(timed psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$work/naive.sql")

# pgloader on the same CSV files into the same schema (recordings without their job request link).
if command -v pgloader >/dev/null; then
    db=$(fresh bench_pgloader migrated)
    port=$(echo "$admin" | sed 's/.*port=//')
    pgl() {
        for pair in 'users:"digital_resume_by_CRM"' payments:crm_payments job_requests:crm_job_requests recordings:crm_recordings resumes:crm_resumes; do
            local e=${pair%%:*} table=${pair#*:} cols
            cols=$(head -1 "$work/data/$e.csv" | sed 's/job_request_external_id/skip_job/')
            local target
            target=$(echo "$cols" | sed 's/skip_job,//; s/,skip_job//')
            cat >"$work/$e.load" <<LOAD
LOAD CSV FROM '$work/data/$e.csv' ($cols)
     INTO postgresql://postgres@127.0.0.1:$port/bench_pgloader
     TARGET TABLE '$table'
     TARGET COLUMNS ($target)
     WITH skip header = 1, fields terminated by ',', fields optionally enclosed by '"';
LOAD
            pgloader --quiet "$work/$e.load" >/dev/null
        done
    }
    # pgloader 3.6.9 sometimes dies of its own race ("Unsafe concurrent operations on #<HASH-TABLE>"): one retry.
    result[pgloader]=$(timed pgl || { fresh bench_pgloader migrated >/dev/null && timed pgl; } || echo "")
fi

# Row by row, as the seed's sync function: one INSERT per row, autocommit, on a 10% sample.
db=$(fresh bench_rbr migrated)
sample=$((users / 10))
python3 - "$work/data" "$sample" >"$work/rbr.sql" <<'PY'
import csv, sys
folder, limit = sys.argv[1], int(sys.argv[2])
def q(v): return "NULL" if v == "" else "'" + v.replace("'", "''") + "'"
emails = set()
with open(f"{folder}/users.csv") as f:
    for i, row in enumerate(csv.DictReader(f)):
        if i >= limit: break
        emails.add(row["email"])
        print(f'INSERT INTO "digital_resume_by_CRM" (email, crm_user_id, first_name, last_name, phone, created_at, updated_at) VALUES ({q(row["email"])}, {q(row["crm_user_id"])}, {q(row["first_name"])}, {q(row["last_name"])}, {q(row["phone"])}, {q(row["created_at"])}, {q(row["updated_at"])});')
for name, table, cols in [("payments", "crm_payments", ["email", "external_id", "amount_cents", "currency", "paid_at"]),
                          ("job_requests", "crm_job_requests", ["email", "external_id", "job_title", "company_name", "status", "created_at", "updated_at"]),
                          ("recordings", "crm_recordings", ["email", "external_id", "video_url", "duration_seconds", "credit_charged", "created_at"]),
                          ("resumes", "crm_resumes", ["email", "external_id", "file_url", "file_name", "created_at"])]:
    with open(f"{folder}/{name}.csv") as f:
        for row in csv.DictReader(f):
            if row["email"] in emails:
                print(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(q(row[c]) for c in cols)});")
PY
rbr_rows=$(wc -l <"$work/rbr.sql")
result[rbr]=$(timed psql -X -q -v AUTOCOMMIT=on -d "$db" -f "$work/rbr.sql")

# Extract MB/s against a plain byte loop, and reports against count(*), from their own benchmarks.
extract=$("$(swift build -c "$configuration" --show-bin-path)/extract-benchmark" "$extract_mb" "$work/extract.csv" | grep -E "ratio|CSVReader")
db=$(echo "$admin" | sed 's|/crm?|/bench_nightly?|')
count_s=$(timed psql -X -q -d "$db" -c 'SELECT (SELECT count(*) FROM "digital_resume_by_CRM"), (SELECT count(*) FROM crm_job_requests), (SELECT count(*) FROM crm_recordings), (SELECT count(*) FROM crm_resumes)')
summary_s=$(timed "$bin" report summary --month 2025-06 --database-url "$db" --format json)
users_s=$(timed "$bin" report users --top 100 --month 2025-06 --database-url "$db" --format json)

# Input forms (issue 17): the same export loose, gzipped, zipped, as a tar.gz and as an XLSX workbook, every
# record read as the import reads it (extract only), each in its own process for its peak memory; then a
# ~1 GB export gzipped and zipped, for memory.
reader="$(swift build -c "$configuration" --show-bin-path)/extract-benchmark"
loose_bytes=$(cat "$work"/data/*.csv | wc -c)
declare -A form
form[csv]=$("$reader" read "$work/data")
for pack in gz zip tar.gz; do
    "$bin" generate --users "$users" --bad-rows 0 --duplicates 0 --seed 20261125 --pack "$pack" --out "$work/form-$pack" >/dev/null
    form[$pack]=$("$reader" read "$work/form-$pack")
done
"$bin" generate --users "$users" --bad-rows 0 --duplicates 0 --seed 20261125 --format xlsx --out "$work/form-xlsx" >/dev/null
form[xlsx]=$("$reader" read "$work/form-xlsx")
big_users=$((users * 11))
declare -A big
for pack in gz zip; do
    "$bin" generate --users "$big_users" --bad-rows 0 --duplicates 0 --seed 1 --pack "$pack" --out "$work/big-$pack" >/dev/null
    big[$pack]=$("$reader" read "$work/big-$pack")
    big_disk[$pack]=$(du -sh "$work/big-$pack" | cut -f1)
    rm -rf "$work/big-$pack"
done
big_bytes=$(( loose_bytes * 11 ))

# Peak memory of the import at two sizes, 10x apart.
peak() {
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f "%M" "$bin" import "$1" --database-url "$2" --reject-file "$work/m.jsonl" --log-level warning 2>&1 >/dev/null | tail -1
    else
        echo 1
    fi
}
mem_small=$(peak "$work/small" "$(fresh bench_mem_small migrated)")
mem_large=$(peak "$work/data" "$(fresh bench_mem_large migrated)")

floor=${result[floor]}
schema=${result[schema]}
line() {  # line LABEL SECONDS ROWS: rows/s, and that rate as a share of the real-schema floor's and the text floor's
    [ -n "$2" ] || { printf '| %s | — | — | — | — |\n' "$1"; return; }
    printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$(calc "$3 / $2" 0)" "$(calc "($3 / $2) / ($rows / $schema)" 2)" \
        "$(calc "($3 / $2) / ($rows / $floor)" 3)"
}
# goal DESCRIPTION RATIO MINIMUM: one row of the goals table.
goal() {
    printf '| %s | %s× | %s |\n' "$1" "$2" "$(awk "BEGIN { print ($2 >= $3) ? \"yes\" : \"no\" }")"
}
{
    echo "# Benchmarks"
    echo
    echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r); PostgreSQL $(psql --version | awk '{print $3}'), default settings."
    echo "Command: \`Benchmarks/bench.sh $users $small\` (\`make bench\`). Data: \`crm-pipeline generate --users $users --bad-rows 0 --duplicates 0\`, $rows rows in 5 CSV files, $(du -sh "$work/data" | cut -f1)."
    echo
    echo "Rates as a share of the **real-schema floor** (the same rows \\copy'd into the real tables in one transaction, every key,"
    echo "index and foreign key checked, the upkeep triggers aside, job request ids chosen in advance: Benchmarks/real-schema-floor.sh)"
    echo "and of the text floor (\\copy into text tables without constraints). The real-schema floor and the nightly import are"
    echo "medians of ${#runs_fk[@]} interleaved runs on fresh databases (floor: ${runs_fk[*]} s; nightly: ${runs_nightly[*]} s), and so are the"
    echo "backfills, in the same rounds (--jobs 2: ${runs_backfill2[*]} s; --jobs 1: ${runs_backfill1[*]} s); the end-state"
    echo "floor (the rows a finished nightly left in all ten tables it writes, \\copy'd with the triggers that derive rows aside and every"
    echo "key checked: the least any tool must write to leave the database as a nightly does), a median of as many runs (${runs_end[*]} s);"
    echo "the rest, one run each. The rows/s of every line count the $rows input rows."
    echo
    echo "| load | seconds | rows/s | × real-schema floor | × text floor |"
    echo "|---|---|---|---|---|"
    line "real-schema floor: psql \\\\copy into the real tables, FKs checked" "$schema" "$rows"
    line "the same with the FK triggers aside (session_replication_role = replica)" "${result[schema_nofk]}" "$rows"
    line "end-state floor: psql \\\\copy of every row a nightly leaves (stats, ledger, profiles, rollup too), keys checked" "${result[end_state]}" "$rows"
    line "text floor: psql \\\\copy into text tables, no constraints" "$floor" "$rows"
    line "crm-pipeline import, nightly (one transaction)" "${result[nightly]}" "$rows"
    line "crm-pipeline import, backfill --jobs 1" "${result[backfill1]}" "$rows"
    line "crm-pipeline import, backfill --jobs 2" "${result[backfill2]}" "$rows"
    line "crm-pipeline import, re-import of the same files (--force)" "${result[reimport]}" "$rows"
    line "naive staged merge in SQL by psql, row triggers on" "${result[naive]}" "$rows"
    line "pgloader (same CSVs, same schema)" "${result[pgloader]:-}" "$rows"
    line "row by row, one INSERT per row, autocommit ($rbr_rows-row sample)" "${result[rbr]}" "$rbr_rows"
    echo
    echo "Extract ($extract_mb MB CSV): $(echo "$extract" | tr '\n' ';' | sed 's/  */ /g')"
    echo
    echo "Input forms of the same export ($(calc "$loose_bytes / 1048576" 0) MB of CSV), every record read as the import reads it (extract only; MB/s of the CSV they hold):"
    echo
    echo "| form | files on disk | seconds | MB/s | × loose CSV | peak RSS |"
    echo "|---|---|---|---|---|---|"
    for name in csv gz zip tar.gz xlsx; do
        read -r _ seconds rss <<<"${form[$name]}"
        dir="$work/form-$name"; [ "$name" = csv ] && dir="$work/data"
        printf '| %s | %s | %s | %s | %s | %s MB |\n' "$name" "$(du -sh "$dir" | cut -f1)" "$seconds" \
            "$(calc "$loose_bytes / 1048576 / $seconds" 1)" "$(calc "$(echo "${form[csv]}" | cut -d' ' -f2) / $seconds" 2)" "$rss"
    done
    echo
    printf 'A ~%s MB export (%s users): gzipped (%s on disk) read in %s s with a peak RSS of %s MB; zipped (%s) in %s s, %s MB.\n' \
        "$(calc "$big_bytes / 1048576" 0)" "$big_users" "${big_disk[gz]}" "$(echo "${big[gz]}" | cut -d' ' -f2)" "$(echo "${big[gz]}" | cut -d' ' -f3)" \
        "${big_disk[zip]}" "$(echo "${big[zip]}" | cut -d' ' -f2)" "$(echo "${big[zip]}" | cut -d' ' -f3)"
    echo
    echo "Reports on the nightly database: count(*) over 4 tables ${count_s} s; report summary ${summary_s} s ($(calc "$summary_s / $count_s" 1)×); report users --top 100 ${users_s} s ($(calc "$users_s / $count_s" 1)×)."
    echo
    echo "Peak resident memory of the import: ${mem_small} kB for $small users, ${mem_large} kB for $users users ($(calc "$mem_large / $mem_small" 2)× for 10× the data)."
    echo
    echo "## Goals (issue 18) against this run"
    echo
    echo "| goal | measured | met |"
    echo "|---|---|---|"
    per() { calc "$rows / $1" 6; }
    schema_rate=$(per "$schema")
    nightly_rate=$(per "${result[nightly]}")
    backfill_rate=$(per "${result[backfill2]}")
    rbr_rate=$(calc "$rbr_rows / ${result[rbr]}" 6)
    goal "nightly ≥ 1.0× the real-schema floor (FKs on)" "$(calc "$nightly_rate / $schema_rate" 2)" 1.0
    echo "| nightly × the end-state floor (no goal: issue 27 asks for the figure) | $(calc "${result[end_state]} / ${result[nightly]}" 2)× | — |"
    goal "backfill \`--jobs 2\` ≥ 1.25× the real-schema floor" "$(calc "$backfill_rate / $schema_rate" 2)" 1.25
    goal "backfill \`--jobs 2\` ≥ 1.6× \`--jobs 1\` in every round (the least of ${jobs_ratios[*]})" \
        "$(printf '%s\n' "${jobs_ratios[@]}" | sort -g | head -1)" 1.6
    goal "re-import of unchanged files ≥ 1.5× the real-schema floor" "$(calc "$(per "${result[reimport]}") / $schema_rate" 2)" 1.5
    if [ -n "${result[pgloader]:-}" ]; then
        goal "nightly ≥ 5× pgloader" "$(calc "$nightly_rate / $(per "${result[pgloader]}")" 2)" 5
    fi
    goal "nightly ≥ 30× row by row with our triggers" "$(calc "$nightly_rate / $rbr_rate" 1)" 30
    goal "nightly ≥ 1.5× the naive staged merge" "$(calc "$nightly_rate / $(per "${result[naive]}")" 2)" 1.5
    echo "| memory flat: the larger set ≤ 1.5× the RSS of the smaller | $(calc "$mem_large / $mem_small" 2)× | $(awk "BEGIN { print ($mem_large / $mem_small <= 1.5) ? \"yes\" : \"no\" }") |"
    echo
    echo "Where the time goes and why: docs/benchmarks.md."
    echo
} >"${BENCH_OUTPUT:-BENCHMARKS.md}"
# Account linking against a large auth.users, on a Supabase-shaped database of its own.
if [ "${BENCH_QUICK:-}" = 1 ]; then auth_sizes=(100 2000 1); else auth_sizes=(); fi
Benchmarks/auth-users.sh "${auth_sizes[@]}" >>"${BENCH_OUTPUT:-BENCHMARKS.md}"
# The live app beside the pipeline (issue 24): app sessions during imports, verify --fix and migrate; this
# run's export imported beside them too; plans without statistics.
if [ "${BENCH_QUICK:-}" = 1 ]; then live_sizes=(300 200 60 1); else live_sizes=(40000 25000 10000 10); fi
"$(swift build -c "$configuration" --show-bin-path)/app-load-benchmark" "$admin" "$bin" "${live_sizes[@]}" "$work/data" \
    2>"$work/app-load.log" >>"${BENCH_OUTPUT:-BENCHMARKS.md}" || { cat "$work/app-load.log" >&2; exit 1; }
# The CRM's deletions, renames and erasures (issue 25), on this run's nightly database.
Benchmarks/mirror.sh "$admin" "$bin" bench_nightly "$([ "${BENCH_QUICK:-}" = 1 ] && echo 1 || echo 3)" >>"${BENCH_OUTPUT:-BENCHMARKS.md}"
# A nightly's delta into databases that already hold 0, ≈1M and ≈10M rows (issue 27); kept between runs by seed.
if [ "${BENCH_QUICK:-}" = 1 ]; then growth=(100 1 0 200); else growth=(14000 5 0 140000 1400000); fi
Benchmarks/growth.sh "$admin" "$bin" "${growth[@]}" >>"${BENCH_OUTPUT:-BENCHMARKS.md}"
# What the report rollup costs an import and the app's single-row writes (issue 27).
if [ "${BENCH_QUICK:-}" = 1 ]; then rollup_cost=(200 1 1); else rollup_cost=("$users" 3 5); fi
Benchmarks/rollup-cost.sh "$admin" "$bin" "${rollup_cost[@]}" >>"${BENCH_OUTPUT:-BENCHMARKS.md}"
# The reports at the size issue 27's goal names, 10M recordings (made in SQL once, kept between runs).
if [ "${BENCH_QUICK:-}" = 1 ]; then report_users=200; else report_users=1000000; fi
Benchmarks/report-vs-count.sh "$report_users" "$admin" "$bin" >>"${BENCH_OUTPUT:-BENCHMARKS.md}"
cat "${BENCH_OUTPUT:-BENCHMARKS.md}"
psql -X -q -d "$admin" -c "SELECT 1" >/dev/null
for d in bench_floor bench_schema bench_nightly bench_backfill1 bench_backfill2 bench_naive bench_pgloader bench_rbr bench_mem_small bench_mem_large \
         bench_live_base bench_live_run bench_live_stats; do
    psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS $d" >/dev/null
done
