# The real-schema floor (issue 18), sourced by bench.sh: the generated rows COPYed by psql straight into
# the real tables, in one transaction, with every key and index kept and the upkeep triggers standing
# aside (crm.bulk_load), so that stats, ledger and profiles stay empty: what PostgreSQL itself needs to
# store these rows, not an import. Job request ids are chosen before the load (written into the files),
# so recordings carry their link without a join. How it was measured first: ../shared/notes/real-schema-floor.md.
# Expects $admin, $bin, $work (bench.sh) and common.sh.

# prepare_real_schema_floor DATA OUT: the CSV files with a uuid per job request (an `id` column) and the
# recordings' `job_request_id` instead of their job request's external id.
prepare_real_schema_floor() {
    mkdir -p "$2"
    cp "$1/users.csv" "$1/resumes.csv" "$1/payments.csv" "$2/"
    python3 - "$1" "$2" <<'PY'
import csv, sys, uuid
source, target = sys.argv[1], sys.argv[2]
ids = {}
with open(f"{source}/job_requests.csv", newline="") as f, open(f"{target}/job_requests.csv", "w", newline="") as out:
    rows, writer = csv.reader(f), csv.writer(out)
    header = next(rows)
    writer.writerow(["id"] + header)
    for row in rows:
        ids[(row[0], row[1])] = str(uuid.uuid4())
        writer.writerow([ids[(row[0], row[1])]] + row)
with open(f"{source}/recordings.csv", newline="") as f, open(f"{target}/recordings.csv", "w", newline="") as out:
    rows, writer = csv.reader(f), csv.writer(out)
    header = next(rows)
    link = header.index("job_request_external_id")
    writer.writerow([("job_request_id" if i == link else c) for i, c in enumerate(header)])
    for row in rows:
        row[link] = ids.get((row[0], row[link]), "") if row[link] else ""
        writer.writerow(row)
PY
}

# The rows-only floor keeps the report rollup's triggers (migration 0024, enabled always) aside too: it
# stores the rows and nothing a nightly derives from them (stats, ledger, profiles, rollup).
rollup_triggers_aside="DO \$aside\$ DECLARE kept record; BEGIN
    FOR kept IN SELECT tgname, tgrelid::regclass AS t FROM pg_trigger WHERE tgname ~ '_rollup_(inserts|deletes|updates)\$' LOOP
        EXECUTE format('ALTER TABLE %s DISABLE TRIGGER %I', kept.t, kept.tgname);
    END LOOP; END \$aside\$;"

# load_real_schema_floor PREPARED URL [replica]: the load, timed by the caller. With `replica`, the
# foreign key triggers stand aside too (session_replication_role).
load_real_schema_floor() {
    local replica=""
    [ "${3:-}" = replica ] && replica="SET LOCAL session_replication_role = replica;"
    psql -X -q -v ON_ERROR_STOP=1 -d "$2" <<SQL
BEGIN;
SET LOCAL crm.bulk_load = 'on';
$rollup_triggers_aside
$replica
\\copy "digital_resume_by_CRM" ($(head -1 "$1/users.csv")) FROM '$1/users.csv' CSV HEADER
\\copy crm_payments ($(head -1 "$1/payments.csv")) FROM '$1/payments.csv' CSV HEADER
\\copy crm_job_requests ($(head -1 "$1/job_requests.csv")) FROM '$1/job_requests.csv' CSV HEADER
\\copy crm_recordings ($(head -1 "$1/recordings.csv")) FROM '$1/recordings.csv' CSV HEADER
\\copy crm_resumes ($(head -1 "$1/resumes.csv")) FROM '$1/resumes.csv' CSV HEADER
COMMIT;
SQL
}

# The end-state floor (issue 27, item 5): every table a nightly leaves written — the five CRM tables,
# profiles, the ledger, the stats and the report rollup's rows — \copy'd as a finished nightly left them,
# in one transaction, every key, index and foreign key checked, the triggers that derive rows aside (their
# results are in the files): the least any tool must write to leave the database as a nightly leaves it.
end_state_tables=('"digital_resume_by_CRM"' profiles crm_job_requests crm_recordings crm_resumes crm_payments crm_credit_ledger
                  crm_dashboard_stats crm_private.crm_activity_months crm_private.crm_activity_totals)

# dump_end_state URL OUT: the tables of a database a nightly left, one CSV each (with a header).
dump_end_state() {
    mkdir -p "$2"
    local i=0 table
    for table in "${end_state_tables[@]}"; do
        psql -X -q -v ON_ERROR_STOP=1 -d "$1" -c "\\copy $table TO '$2/$i.csv' CSV HEADER"
        i=$((i + 1))
    done
}

# load_end_state_floor DUMP URL [rollback]: the load, timed by the caller; with `rollback`, it is rolled back
# (growth.sh loads a delta's end state into its bases and must leave them as they were).
load_end_state_floor() {
    local i=0 table copies="" disable="" end=COMMIT
    [ "${3:-}" = rollback ] && end=ROLLBACK
    for table in "${end_state_tables[@]}"; do
        copies+="\\copy $table ($(head -1 "$1/$i.csv")) FROM '$1/$i.csv' CSV HEADER"$'\n'
        i=$((i + 1))
    done
    for table in "${end_state_tables[@]:0:8}"; do
        disable+="ALTER TABLE $table DISABLE TRIGGER USER;"$'\n'
    done
    psql -X -q -v ON_ERROR_STOP=1 -d "$2" <<SQL
BEGIN;
$disable
$copies
$end;
SQL
}
