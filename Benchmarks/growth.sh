#!/usr/bin/env bash
# A nightly's cost as the database grows (issue 27): the same delta of new users (DELTA_USERS users, ≈7 rows
# each: 14,000 ≈ 100k rows) imported with --dry-run into databases that already hold 0 and SIZE… users (140,000
# ≈ 1M rows, 1,400,000 ≈ 10M rows), RUNS times interleaved; medians, and each as a ratio to the empty database.
# The databases are generated once per seed and size and kept (bench_growth_SIZE, its comment says what it
# holds): a later run reuses them. Beside each import, the delta's end-state floor: the rows a nightly of it leaves,
# \copy'd into the same base and rolled back (what of the growth any tool pays). Prints Markdown.
#   Benchmarks/growth.sh ADMIN_URL CRM_PIPELINE DELTA_USERS RUNS SIZE...
set -euo pipefail
cd "$(dirname "$0")/.."
admin=$1 bin=$2 delta_users=$3 runs=$4
shift 4
sizes=("$@")
seed=20261125
. Benchmarks/common.sh
. Benchmarks/real-schema-floor.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
url_of() { echo "$admin" | sed "s|/crm?|/$1?|"; }

# The delta: generated users whose emails and CRM ids no base holds (a base's are user<n>@…, C-<n>; the delta's
# user<n>.new@…, C-<n>.new). They fall all over the bases' key order, as a real delta's new users do: a delta named
# delta.user<n>@… and D-<n> (before 2026-12-07) sorted before or after every stored key, so its inserts wrote into
# the indexes' edges only and its joins read their first 14,000 entries (3.1 s into the 1.4M base, where this
# delta takes 8.2–8.5 s).
"$bin" generate --users "$delta_users" --bad-rows 0 --duplicates 0 --seed 777 --out "$work/delta" >/dev/null
sed -i '2,$ s/^user\([0-9]*\)@\([^,]*\),C-\([0-9]*\),/user\1.new@\2,C-\3.new,/' "$work/delta/users.csv"
for entity in job_requests recordings resumes payments; do sed -i '2,$ s/^user\([0-9]*\)@/user\1.new@/' "$work/delta/$entity.csv"; done
delta_rows=$(($(cat "$work/delta"/*.csv | wc -l) - 5))

# Each base once per seed and size: generated, imported by a nightly, vacuumed and analyzed as autovacuum would leave it.
for size in "${sizes[@]}"; do
    db=bench_growth_$size holds=$(base_label "crm-pipeline growth base: seed $seed, $size users")
    if ! base_holds "$db" "$holds"; then
        url=$(fresh "$db" migrated)
        if [ "$size" -gt 0 ]; then
            "$bin" generate --users "$size" --bad-rows 0 --duplicates 0 --seed "$seed" --out "$work/base" >/dev/null
            "$bin" import "$work/base" --database-url "$url" --reject-file "$work/rejects.jsonl" --log-level warning >/dev/null
            rm -rf "$work/base"
        fi
        psql -X -q -d "$url" -c "VACUUM ANALYZE" -c CHECKPOINT >/dev/null
        base_kept "$db" "$holds"
    fi
done

# The delta's end-state floor (issue 27, item 5): the rows a nightly of the delta leaves in every table, taken from
# a nightly of it into an empty database, \copy'd into each base in a transaction rolled back. It shows what of
# the growth any tool pays (the indexes it must write into are larger). Without the all-user monthly totals,
# whose rows every non-empty base already holds.
end_state_tables=("${end_state_tables[@]:0:9}")
scratch=$(fresh bench_growth_delta migrated)
"$bin" import "$work/delta" --database-url "$scratch" --reject-file "$work/rejects.jsonl" --log-level warning >/dev/null
dump_end_state "$scratch" "$work/end-state"
psql -X -q -d "$admin" -c "DROP DATABASE bench_growth_delta" >/dev/null

# Before each timed load, the base as autovacuum and the checkpointer would leave it after a committed nightly: the
# dead rows the last rolled-back load left in the delta's key range vacuumed, its dirty pages written (untimed).
# Analyzed too: a VACUUM that reads only the pages a rolled-back load appended (all dead) lowers the table's row
# estimate by their share each time (after the runs of a few sessions, 1.4M users were estimated at 327k and the
# plans followed), which committed nightlies never do. INDEX_CLEANUP ON: where the dead rows are on fewer than 2 % of
# a table's pages (the delta's users and profiles in the 1.4M base), VACUUM skips its indexes (PostgreSQL 14's bypass),
# and every run after the first probed 14,000 dead entries per index and read their heap rows, a cost no nightly pays
# for emails the database never held (0.13 s of 3.3 s into the 1.4M base; the floor's unique checks paid it too).
settle() {
    psql -X -q -d "$1" -c "VACUUM (ANALYZE, INDEX_CLEANUP ON) \"digital_resume_by_CRM\", profiles, crm_job_requests, crm_recordings, crm_resumes, crm_payments,
                                  crm_credit_ledger, crm_dashboard_stats, crm_private.crm_user_sources,
                                  crm_private.crm_activity_months, crm_private.crm_activity_deltas" -c CHECKPOINT >/dev/null
}

declare -A seconds floor_seconds
for run in $(seq "$runs"); do
    for size in "${sizes[@]}"; do
        settle "$(url_of "bench_growth_$size")"
        start=$(now)
        "$bin" import "$work/delta" --dry-run --database-url "$(url_of "bench_growth_$size")" --reject-file "$work/rejects.jsonl" \
            --log-level warning >/dev/null
        seconds[$size]="${seconds[$size]:-} $(calc "$(now) - $start" 3)"
        settle "$(url_of "bench_growth_$size")"
        start=$(now)
        load_end_state_floor "$work/end-state" "$(url_of "bench_growth_$size")" rollback
        floor_seconds[$size]="${floor_seconds[$size]:-} $(calc "$(now) - $start" 3)"
    done
done
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The reports on the largest base (issue 27, item 3): `report summary` and `report users --top 100` of a
# month (read from the rollup) against a bare count(*) of the recordings, each a process, interleaved.
largest=$(url_of "bench_growth_${sizes[-1]}")
timed() { local start; start=$(now); "$@" >/dev/null; calc "$(now) - $start" 3; }
for run in $(seq "$runs"); do
    count_runs="${count_runs:-} $(timed psql -X -q -At -d "$largest" -c "SELECT count(*) FROM crm_recordings")"
    summary_runs="${summary_runs:-} $(timed "$bin" report summary --month 2025-06 --format json --database-url "$largest")"
    users_runs="${users_runs:-} $(timed "$bin" report users --top 100 --month 2025-06 --format json --database-url "$largest")"
done

echo "## A nightly as the database grows (issue 27)"
echo
echo "\`Benchmarks/growth.sh\`: the same delta of $delta_users new users ($delta_rows rows), \`--dry-run\`, into databases that"
echo "already hold what a nightly of N generated users left; $runs runs interleaved, medians."
echo
echo "| users already there | rows already there | seconds | runs | × into empty tables | end-state floor, seconds | its × into empty tables | nightly ÷ end-state floor |"
echo "|---|---|---|---|---|---|---|---|"
empty=$(median "${seconds[${sizes[0]}]}") floor_empty=$(median "${floor_seconds[${sizes[0]}]}")
for size in "${sizes[@]}"; do
    rows=$(psql -X -q -At -d "$(url_of "bench_growth_$size")" -c "
        SELECT (SELECT count(*) FROM \"digital_resume_by_CRM\") + (SELECT count(*) FROM crm_job_requests) + (SELECT count(*) FROM crm_recordings)
             + (SELECT count(*) FROM crm_resumes) + (SELECT count(*) FROM crm_payments)")
    nightly=$(median "${seconds[$size]}") floor=$(median "${floor_seconds[$size]}")
    echo "| $size | $rows | $nightly | ${seconds[$size]# } | $(calc "$nightly / $empty" 2) | $floor | $(calc "$floor / $floor_empty" 2) | $(calc "$floor / $nightly" 2) |"
done
echo
echo "Goal (issue 27): ≤ 1.3× into 10M rows. The end-state floor is the delta's final rows in the nine tables a nightly"
echo "writes (all but the monthly totals), \\copy'd into the base with every key and foreign key checked, then rolled back."
echo

recordings=$(psql -X -q -At -d "$largest" -c "SELECT count(*) FROM crm_recordings")
echo "Reports on the largest base ($recordings recordings), each a process, $runs runs interleaved, medians:"
echo
echo '| command | seconds | runs | × `SELECT count(*) FROM crm_recordings` |'
echo "|---|---|---|---|"
count=$(median "$count_runs")
echo "| psql -c 'SELECT count(*) FROM crm_recordings' | $count | ${count_runs# } | 1.00 |"
echo "| report summary --month 2025-06 | $(median "$summary_runs") | ${summary_runs# } | $(calc "$(median "$summary_runs") / $count" 2) |"
echo "| report users --top 100 --month 2025-06 | $(median "$users_runs") | ${users_runs# } | $(calc "$(median "$users_runs") / $count" 2) |"
echo
echo 'Goal (issue 27): `report summary` ≤ 3× `count(*)` at 10M recordings.'
echo
